"""Read a WRITE_BATCH payload fast: the recovery hot path of a restart (one call per document).

``{ops: [{ns, put: <doc>} | {ns, del: <_id>}, ...]}`` is walked with ``struct`` over the bytes, never
decoded as a whole: a ``put`` yields the stored document's bytes as they are, and only its first
element (``_id``, where MongoDB always puts it) is decoded, with the shared codec options so the value
is exactly what a full decode would give. Anything unusual falls back to a full decode.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from typing import Any

import bson
from bson.int64 import Int64
from bson.objectid import ObjectId
from bson.raw_bson import DEFAULT_RAW_BSON_OPTIONS

from docdb.bson_codec import CODEC_OPTIONS, decode_document

_INT32 = struct.Struct("<i")
_INT64 = struct.Struct("<q")
_FIXED_SIZES = {0x01: 8, 0x07: 12, 0x08: 1, 0x09: 8, 0x0A: 0, 0x10: 4, 0x11: 8, 0x12: 8, 0x13: 16}
_FIXED_SIZES.update({0x06: 0, 0x7F: 0, 0xFF: 0})
_LENGTH_PREFIXED = {0x02: 4, 0x0D: 4, 0x0E: 4, 0x05: 5}  # int32 length, plus a subtype byte for binary
_EMBEDDED = {0x03, 0x04, 0x0F}  # the int32 counts itself


def iter_write_ops(payload: bytes) -> Iterator[tuple[str, bytes | None, Any]]:
    """``(ns, document_bytes, _id)`` for a put, ``(ns, None, _id)`` for a delete, in order.

    >>> ops = {"ops": [{"ns": "d.c", "put": {"_id": 7, "a": 1}}, {"ns": "d.c", "del": "x"}]}
    >>> [(ns, raw is not None, i) for ns, raw, i in iter_write_ops(bson.encode(ops))]
    [('d.c', True, 7), ('d.c', False, 'x')]
    """
    buf = payload
    if buf[4:9] != b"\x04ops\x00":
        yield from _slow_ops(payload)
        return
    array_start = 9
    array_end = array_start + _INT32.unpack_from(buf, array_start)[0] - 1
    pos = array_start + 4
    unpack = _INT32.unpack_from
    ns_cache: dict[bytes, str] = {}
    while pos < array_end:
        if buf[pos] != 0x03:
            raise ValueError("WRITE_BATCH op is not a document")
        op = buf.index(b"\x00", pos + 1) + 1
        op_size = unpack(buf, op)[0]
        if buf[op + 4 : op + 8] != b"\x02ns\x00":
            yield from _slow_op(buf[op : op + op_size])
            pos = op + op_size
            continue
        ns_len = unpack(buf, op + 8)[0]
        ns_key = buf[op + 12 : op + 11 + ns_len]
        ns = ns_cache.get(ns_key)
        if ns is None:
            ns = ns_cache[ns_key] = ns_key.decode()
        value = op + 12 + ns_len
        tag = buf[value : value + 5]
        if tag == b"\x03put\x00":
            doc = value + 5
            raw = buf[doc : doc + unpack(buf, doc)[0]]
            yield ns, raw, unpack(raw, 9)[0] if raw[4:9] == b"\x10_id\x00" else first_id(raw)
        elif tag[1:] == b"del\x00" and _value_size(buf, tag[0], value + 5) is not None:
            yield ns, None, _decode_element(buf, value, value + 5)
        else:
            yield from _slow_op(buf[op : op + op_size])
        pos = op + op_size


def first_id(raw: bytes) -> Any:
    """The ``_id`` of a stored document, decoding only its first element when that is ``_id``; the
    common types are read directly, exactly as the C decoder builds them with the shared options."""
    if raw[5:9] == b"_id\x00":
        btype = raw[4]
        if btype == 0x10:
            return _INT32.unpack_from(raw, 9)[0]
        if btype == 0x07:
            return ObjectId(raw[9:21])
        if btype == 0x12:
            return Int64(_INT64.unpack_from(raw, 9)[0])
        if btype == 0x02:
            return raw[13 : 12 + _INT32.unpack_from(raw, 9)[0]].decode()
        size = _value_size(raw, raw[4], 9)
        if size is not None:
            return bson.decode(_INT32.pack(10 + size) + raw[4 : 9 + size] + b"\x00", CODEC_OPTIONS)["_id"]
    return decode_document(raw)["_id"]


def _decode_element(buf: bytes, start: int, value_start: int) -> Any:
    """The value of the element at ``start`` (its type byte), decoded alone."""
    size = _value_size(buf, buf[start], value_start)
    assert size is not None
    element = buf[start : value_start + size]
    return next(iter(bson.decode(_INT32.pack(5 + len(element)) + element + b"\x00", CODEC_OPTIONS).values()))


def _value_size(buf: bytes, btype: int, pos: int) -> int | None:
    fixed = _FIXED_SIZES.get(btype)
    if fixed is not None:
        return fixed
    extra = _LENGTH_PREFIXED.get(btype)
    if extra is not None:
        return extra + _INT32.unpack_from(buf, pos)[0]
    if btype in _EMBEDDED:
        return _INT32.unpack_from(buf, pos)[0]
    return None


def _slow_ops(payload: bytes) -> Iterator[tuple[str, bytes | None, Any]]:
    for op in bson.decode(payload, DEFAULT_RAW_BSON_OPTIONS)["ops"]:
        yield from _slow_op(op.raw)


def _slow_op(raw_op: bytes) -> Iterator[tuple[str, bytes | None, Any]]:
    op = bson.decode(raw_op, DEFAULT_RAW_BSON_OPTIONS)
    put = op.get("put")
    if put is not None:
        yield op["ns"], put.raw, first_id(put.raw)
    else:
        yield op["ns"], None, decode_document(raw_op)["del"]
