"""The one set of BSON codec options used by every layer.

Chosen so that decoding and re-encoding is byte-exact for every non-deprecated BSON type:
- ``document_class=dict`` keeps field order (and is the fastest choice in the C codec);
- ``uuid_representation=UNSPECIFIED`` keeps Binary subtypes 3 and 4 as ``Binary`` (never ``uuid.UUID``);
- ``datetime_conversion=DATETIME_AUTO`` gives ``datetime`` in range and ``DatetimeMS`` outside it, so no
  date is rejected or clamped;
- ``tz_aware=False``: datetimes are naive UTC, as BSON stores them.
Deprecated types that PyMongo folds into others (Symbol -> str, Undefined -> None, DBPointer -> DBRef)
are not preserved; the README lists this.
"""

from __future__ import annotations

from typing import Any

import bson
from bson.binary import UuidRepresentation
from bson.codec_options import CodecOptions, DatetimeConversion

CODEC_OPTIONS: CodecOptions = CodecOptions(
    document_class=dict,
    tz_aware=False,
    uuid_representation=UuidRepresentation.UNSPECIFIED,
    datetime_conversion=DatetimeConversion.DATETIME_AUTO,
)


def decode_document(data: bytes | memoryview) -> dict[str, Any]:
    """Decode one BSON document with the shared options (raises ``bson.errors.InvalidBSON``)."""
    return bson.decode(data, CODEC_OPTIONS)


def encode_document(doc: Any) -> bytes:
    """Encode one document with the shared options (``check_keys`` is the caller's business)."""
    return bson.encode(doc, codec_options=CODEC_OPTIONS)


def encode_in_order(doc: Any) -> bytes:
    """Encode one document keeping its field order (``encode_document`` moves ``_id`` first, as drivers
    do): the bytes of ``doc`` embedded as a field's value, which the encoder never reorders."""
    return bson.encode({"d": doc}, codec_options=CODEC_OPTIONS)[7:-1]


class StoredDocument:
    """A stored document's bytes, for a reply: the C encoder embeds any value whose ``_type_marker`` is
    101 (RawBSONDocument's) by copying ``raw``. Unlike RawBSONDocument it checks no codec options when
    made and is no Mapping, so a find answers each document with one small object (a third of the cost)."""

    __slots__ = ("raw",)
    _type_marker = 101

    def __init__(self, raw: bytes) -> None:
        self.raw = raw
