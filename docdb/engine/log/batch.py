"""Read a WRITE_BATCH payload fast: the recovery hot path of a restart (a few C calls per document).

``{ops: [{ns, [k], put: <doc>} | {ns, del: <_id>}, ...]}`` is walked with ``struct`` over the bytes,
never decoded as a whole (the kind ``k`` is for the change history, not for the state): a ``put`` gives
the stored document's bytes as they are, and only its first element (``_id``, where MongoDB always puts
it) is decoded, with the shared codec options so the value is exactly what a full decode would give.
Anything unusual falls back to a full decode. Ops come out in runs per namespace (two lists, not a
tuple per op), so the catalog applies a run in bulk.
"""

from __future__ import annotations

import functools
import struct
from collections.abc import Iterator
from typing import Any

import bson
from bson.int64 import Int64
from bson.objectid import ObjectId
from bson.raw_bson import DEFAULT_RAW_BSON_OPTIONS
from bson.timestamp import Timestamp

from docdb.bson_codec import decode_document
from docdb.engine.bson_bytes import value_size

_INT32 = struct.Struct("<i")
_INT64 = struct.Struct("<q")
_UINT64 = struct.Struct("<Q")
_KIND_HEAD = b"\x02k\x00\x02\x00\x00\x00"  # a ``k`` element: string, int32 length 2 (one char + NUL)
_WALL_HEAD = b"\x09w\x00"  # a ``w`` element (the commit's wall-clock time): a BSON date


def iter_write_runs(payload: bytes) -> Iterator[tuple[str, list[Any], list[bytes | None]]]:
    """The ops in order, as runs of consecutive ops on one namespace: ``(ns, ids, raws)`` where
    ``raws[i]`` is the stored bytes of a put of the document whose ``_id`` is ``ids[i]``, or None for a
    delete of ``ids[i]``.

    A put whose op is exactly ``{ns, [k], put}`` with the previous put's namespace and kind costs one
    comparison of its header bytes with the previous one's, one slice and (for an int32 ``_id``) one unpack.

    >>> ops = {"ops": [{"ns": "d.c", "put": {"_id": 7}}, {"ns": "d.c", "del": "x"}, {"ns": "d.e", "del": 1}]}
    >>> [(ns, ids, [raw is not None for raw in raws]) for ns, ids, raws in iter_write_runs(bson.encode(ops))]
    [('d.c', [7, 'x'], [True, False]), ('d.e', [1], [False])]
    """
    run_ns: str | None = None
    ids: list[Any] = []
    raws: list[bytes | None] = []
    for ns, batch_ids, batch_raws in _iter_op_groups(payload):
        if ns != run_ns:
            if ids:
                yield run_ns, ids, raws  # type: ignore[misc]
            run_ns, ids, raws = ns, batch_ids, batch_raws
        else:
            ids += batch_ids
            raws += batch_raws
    if ids:
        yield run_ns, ids, raws  # type: ignore[misc]


def _iter_op_groups(payload: bytes) -> Iterator[tuple[str, list[Any], list[bytes | None]]]:
    """Groups of consecutive ops on one namespace (two groups may share one: the caller merges them)."""
    buf = payload
    if buf[4:9] != b"\x04ops\x00":
        yield from _slow_ops(payload)
        return
    array_end = 9 + _INT32.unpack_from(buf, 9)[0] - 1
    pos = 13
    index = buf.index
    ns = ""
    put_head: bytes | None = None  # a put's bytes from its ``ns`` element to its document, on ``ns``
    head_size = 0
    fast_put = _put_struct(0)
    ids: list[Any] = []
    raws: list[bytes | None] = []
    id_append = ids.append
    raw_append = raws.append
    while pos < array_end:
        if buf[pos] != 0x03:
            raise ValueError("WRITE_BATCH op is not a document")
        op = index(b"\x00", pos + 1) + 1
        if op + fast_put.size < array_end:
            # One unpack reads: op size, the op's bytes up to its put value, that document's size, and
            # its first element's type + name and int32 value (``_id`` as an int32 in the usual case).
            op_size, head, doc_size, first, id32 = fast_put.unpack_from(buf, op)
            doc = op + head_size
            op_end = op + op_size
            if head == put_head and doc_size == op_end - 1 - doc:
                raw = buf[doc : op_end - 1]
                if first == b"\x10_id\x00":
                    id_append(id32)
                elif first == b"\x07_id\x00":
                    id_append(ObjectId(raw[9:21]))
                else:
                    id_append(first_id(raw))
                raw_append(raw)
                pos = op_end
                continue
        else:
            op_end = op + _INT32.unpack_from(buf, op)[0]
        if ids:
            yield ns, ids, raws
            ids, raws = [], []
            id_append, raw_append = ids.append, raws.append
        for op_ns, raw_or_none, id_value, head in _decode_op(buf, op, op_end):
            if op_ns != ns:
                ns = op_ns
                put_head = None  # the fast path matches puts on ``ns`` only
            if head is not None and head != put_head:  # a first put on this namespace, or of this kind
                put_head = head
                head_size = 4 + len(head)
                fast_put = _put_struct(len(head))
            id_append(id_value)
            raw_append(raw_or_none)
        pos = op_end
    if ids:
        yield ns, ids, raws


def write_batch_txn(payload: bytes) -> dict[str, Any] | None:
    """A WRITE_BATCH payload's ``txn`` document, or None: the restart hot path, so a payload whose
    ops are followed by nothing, by a ``ts`` alone (13 bytes) or by ``ts`` and ``w`` is answered with one
    unpack.

    >>> from bson.datetime_ms import DatetimeMS
    >>> write_batch_txn(bson.encode({"ops": [], "ts": Timestamp(7, 2)})) is None
    True
    >>> write_batch_txn(bson.encode({"ops": [], "ts": Timestamp(7, 2), "w": DatetimeMS(7042)})) is None
    True
    """
    if payload[4:9] == b"\x04ops\x00":
        tail = 9 + _INT32.unpack_from(payload, 9)[0]
        rest = len(payload) - tail
        if rest <= 14 or rest == 24 and payload[tail + 12 : tail + 15] == _WALL_HEAD:
            return None
    return write_batch_tail(payload)[1]


def write_batch_tail(payload: bytes) -> tuple[int, dict[str, Any] | None]:
    """What a WRITE_BATCH payload holds after its ``ops``: its ``ts`` as one integer (a BSON Timestamp's
    8 bytes: ``time << 32 | inc``, so integers order as Timestamps do; 0 without one) and its ``txn``
    document (None without one). A ``ts`` alone or followed by ``w`` (the usual tails) is read with one
    unpack.

    >>> write_batch_tail(bson.encode({"ops": [{"ns": "d.c", "del": 1}], "ts": Timestamp(7, 2)}))
    (30064771074, None)
    >>> write_batch_tail(bson.encode({"ops": [], "txn": {"lsid": b"x"}}))
    (0, {'lsid': b'x'})
    >>> from bson.datetime_ms import DatetimeMS
    >>> write_batch_tail(bson.encode({"ops": [], "ts": Timestamp(7, 2), "w": DatetimeMS(7042)}))
    (30064771074, None)
    """
    if payload[4:9] != b"\x04ops\x00":
        fields = decode_document(payload)
        return ts_number(fields.get("ts")), fields.get("txn")
    tail = 9 + _INT32.unpack_from(payload, 9)[0]
    rest = len(payload) - tail
    if rest == 1:
        return 0, None
    if (rest == 13 or rest == 24 and payload[tail + 12 : tail + 15] == _WALL_HEAD) and payload[
        tail : tail + 4
    ] == b"\x11ts\x00":
        return _UINT64.unpack_from(payload, tail + 4)[0], None
    fields = decode_document(_INT32.pack(rest + 4) + payload[tail:])
    return ts_number(fields.get("ts")), fields.get("txn")


def ts_number(ts: Any) -> int:
    """A Timestamp as the integer its 8 BSON bytes make (0 for anything else)."""
    return (ts.time << 32 | ts.inc) if isinstance(ts, Timestamp) else 0


@functools.cache
def _put_struct(head_size: int) -> struct.Struct:
    """Op size, ``head_size`` bytes (ns, k, put header), document size, first element type + ``_id``
    name, int32."""
    return struct.Struct(f"<i{head_size}si5si")


def _decode_op(buf: bytes, op: int, op_end: int) -> Iterator[tuple[str, bytes | None, Any, bytes | None]]:
    """One op that is not a put like the previous op (same namespace and kind): a delete, a first put,
    or anything unusual (decoded as a whole). Yields ``(ns, raw or None, _id, head)``, ``head`` being a
    put's bytes from its ``ns`` element to its document (what the next ops are compared with)."""
    unpack = _INT32.unpack_from
    if buf[op + 4 : op + 8] != b"\x02ns\x00":
        yield from _slow_op(buf[op:op_end])
        return
    ns_len = unpack(buf, op + 8)[0]
    ns = buf[op + 12 : op + 11 + ns_len].decode()
    value = op + 12 + ns_len
    if buf[value : value + 7] == _KIND_HEAD and buf[value + 8] == 0:  # ``k``: the kind, a 1-char string
        value += 9
    tag = buf[value : value + 5]
    if tag == b"\x03put\x00":
        doc = value + 5
        raw = buf[doc : doc + unpack(buf, doc)[0]]
        yield ns, raw, first_id(raw), buf[op + 4 : doc]
    elif tag[1:] == b"del\x00" and value_size(buf, tag[0], value + 5) is not None:
        yield ns, None, _decode_element(buf, value, value + 5), None
    else:
        yield from _slow_op(buf[op:op_end])


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
        size = value_size(raw, raw[4], 9)
        if size is not None:
            return decode_document(_INT32.pack(10 + size) + raw[4 : 9 + size] + b"\x00")["_id"]
    return decode_document(raw)["_id"]


def _decode_element(buf: bytes, start: int, value_start: int) -> Any:
    """The value of the element at ``start`` (its type byte), decoded alone."""
    size = value_size(buf, buf[start], value_start)
    assert size is not None
    element = buf[start : value_start + size]
    return next(iter(decode_document(_INT32.pack(5 + len(element)) + element + b"\x00").values()))


def _slow_ops(payload: bytes) -> Iterator[tuple[str, list[Any], list[bytes | None]]]:
    for op in bson.decode(payload, DEFAULT_RAW_BSON_OPTIONS)["ops"]:
        for ns, raw, id_value, _ in _slow_op(op.raw):
            yield ns, [id_value], [raw]


def _slow_op(raw_op: bytes) -> Iterator[tuple[str, bytes | None, Any, None]]:
    op = bson.decode(raw_op, DEFAULT_RAW_BSON_OPTIONS)
    put = op.get("put")
    if put is not None:
        raw = put.raw if type(put.raw) is bytes else bytes(put.raw)  # large ones come as memoryviews
        yield op["ns"], raw, first_id(raw), None
    else:
        yield op["ns"], None, decode_document(raw_op)["del"], None
