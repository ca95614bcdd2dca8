"""The one set of BSON codec options used by every layer.

Chosen so that decoding and re-encoding is byte-exact for every non-deprecated BSON type:
- ``document_class=dict`` keeps field order (and is the fastest choice in the C codec);
- ``uuid_representation=UNSPECIFIED`` keeps Binary subtypes 3 and 4 as ``Binary`` (never ``uuid.UUID``);
- ``datetime_conversion=DATETIME_AUTO`` gives ``datetime`` in range and ``DatetimeMS`` outside it, so no
  date is rejected or clamped;
- ``tz_aware=False``: datetimes are naive UTC, as BSON stores them.
Deprecated types that PyMongo folds into others (Symbol -> str, Undefined -> None, DBPointer -> DBRef)
are not preserved; the README lists this.

PyMongo's decoders turn every embedded ``{$ref, $id[, $db]}`` document into a ``bson.DBRef`` object, with
no option to stop them. mongod sees such a document as an ordinary one whose fields happen to be named
``$ref``/``$id``/``$db`` (paths like ``link.$id`` reach into it; its field order is kept), so every decode
here hands back plain dicts: a document whose bytes hold ``$ref`` is decoded through RawBSONDocument, which
never builds DBRefs, and unfolded in field order. Others (almost all) take the plain C decoder.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import bson
from bson.binary import UuidRepresentation
from bson.codec_options import CodecOptions, DatetimeConversion
from bson.raw_bson import RawBSONDocument

CODEC_OPTIONS: CodecOptions = CodecOptions(
    document_class=dict,
    tz_aware=False,
    uuid_representation=UuidRepresentation.UNSPECIFIED,
    datetime_conversion=DatetimeConversion.DATETIME_AUTO,
)


_RAW_OPTIONS: CodecOptions = CODEC_OPTIONS.with_options(document_class=RawBSONDocument)

# The C functions bson.decode, bson.decode_all and bson.encode end in (PyMongo's ``bson`` package has
# named them so since 3.x), called directly: the wrappers only check that the options are CodecOptions,
# which ours are, and add two Python calls per document (a request's body and its reply are one each).
# ``c_encode(doc, check_keys, options)`` is bson.encode's.
_bson_to_dict: Callable[[Any, CodecOptions], Any] = getattr(bson, "_bson_to_dict", bson.decode)
c_encode: Callable[[Any, bool, CodecOptions], bytes] = getattr(bson, "_dict_to_bson", bson.encode)
_decode_all: Callable[[Any, CodecOptions], list[Any]] = getattr(bson, "_decode_all", bson.decode_all)


def _may_hold_dbref(data: bytes) -> bool:
    r"""Whether ``data`` holds the bytes of a field named ``$ref`` (what PyMongo turns into a DBRef).

    Found with memchr on ``$`` (a byte most documents never hold) rather than one search for the whole
    key, which costs a few microseconds on a long document.

    >>> _may_hold_dbref(b"\x02$ref\x00"), _may_hold_dbref(b"$x$re"), _may_hold_dbref(b"plain")
    (True, False, False)
    """
    at = data.find(b"$")
    while at != -1:
        if data.startswith(b"ref\x00", at + 1):
            return True
        at = data.find(b"$", at + 1)
    return False


def decode_document(data: bytes | memoryview) -> dict[str, Any]:
    """Decode one BSON document with the shared options, DBRef-shaped parts as dicts (raises
    ``bson.errors.InvalidBSON``).

    >>> decode_document(bson.encode({"l": {"$id": 1, "$ref": "c"}}))
    {'l': {'$id': 1, '$ref': 'c'}}
    """
    if isinstance(data, memoryview):
        data = bytes(data)
    if _may_hold_dbref(data):
        return _unfold(_bson_to_dict(data, _RAW_OPTIONS))
    return _bson_to_dict(data, CODEC_OPTIONS)


def decode_documents(data: bytes | memoryview) -> list[dict[str, Any]]:
    """Decode concatenated BSON documents (``bson.decode_all``), DBRef-shaped parts as dicts."""
    if isinstance(data, memoryview):
        data = bytes(data)
    if _may_hold_dbref(data):
        return [_unfold(doc) for doc in _decode_all(data, _RAW_OPTIONS)]
    return _decode_all(data, CODEC_OPTIONS)


def _unfold(value: Any) -> Any:
    """``value`` with every RawBSONDocument made a dict (in field order), through arrays."""
    if isinstance(value, RawBSONDocument):
        return {name: _unfold(item) for name, item in value.items()}
    if isinstance(value, list):
        return [_unfold(item) for item in value]
    return value


def encode_document(doc: Any) -> bytes:
    """Encode one document with the shared options (``check_keys`` is the caller's business)."""
    return c_encode(doc, False, CODEC_OPTIONS)


def encode_in_order(doc: Any) -> bytes:
    """Encode one document keeping its field order (``encode_document`` moves ``_id`` first, as drivers
    do): the bytes of ``doc`` embedded as a field's value, which the encoder never reorders."""
    return c_encode({"d": doc}, False, CODEC_OPTIONS)[7:-1]


class StoredDocument:
    """A stored document's bytes, for a reply: the C encoder embeds any value whose ``_type_marker`` is
    101 (RawBSONDocument's) by copying ``raw``. Unlike RawBSONDocument it checks no codec options when
    made and is no Mapping, so a find answers each document with one small object (a third of the cost)."""

    __slots__ = ("raw",)
    _type_marker = 101

    def __init__(self, raw: bytes) -> None:
        self.raw = raw
