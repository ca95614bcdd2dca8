"""Write a WRITE_BATCH payload fast: the hot path of every insert, update and delete.

The payload is ``{ops: [{ns, [k], put: <doc>, [m]} | {ns, del: <_id>}, ...], txn?: {...}, ts: Timestamp,
w?: date}``, exactly the bytes ``bson.encode`` gives for that document (``batch.py`` reads them back).
``k`` is the change's kind (:data:`KIND_CODES`), ``m`` (an array of strings, only on some updates) the
paths a modifier-style update logged (``history.Change.paths``) and ``w`` the commit's wall-clock time
(milliseconds), so a restart rebuilds the change history with the kinds, update descriptions and times
the live server gave. A put's document is already stored BSON, so its op is a few byte strings joined
around it: no dict, no wrapper object and no walk of the document per op. A delete's ``_id`` and the
``txn`` document are encoded by ``bson``.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from typing import Any

import bson
from bson.timestamp import Timestamp

from docdb.bson_codec import CODEC_OPTIONS
from docdb.engine.clock import FAST as FAST_TIMESTAMPS

_INT32 = struct.Struct("<i")
_TIMESTAMP = struct.Struct("<II")  # BSON stores a Timestamp's increment first, then its seconds
_INT64 = struct.Struct("<q")
_WALL_HEAD = b"\x09w\x00"  # the ``w`` element: a BSON date (int64 milliseconds since the epoch)
_TS_HEAD = b"\x11ts\x00"
_TS_WALL_END = struct.Struct("<4sII3sqx")  # the ts element, the w element, the document's terminator
_KEYS = [b"\x03" + str(i).encode() + b"\x00" for i in range(4096)]  # array element headers "0", "1", ...
# The history's kinds (engine/history.py) as a put's ``k``; "" (kind left to the reader) writes no ``k``.
KIND_CODES = {"insert": "i", "update": "u", "replace": "r"}
_KIND_ELEMENTS = {kind: b"\x02k\x00\x02\x00\x00\x00" + c.encode() + b"\x00" for kind, c in KIND_CODES.items()}
_KIND_ELEMENTS[""] = b""
_put_heads: dict[str, dict[str, bytes]] = {}  # ns -> kind -> the op's bytes before the document


def _put_heads_of(ns: str) -> dict[str, bytes]:
    heads = _put_heads.get(ns)
    if heads is None:
        name = ns.encode()
        ns_element = b"\x02ns\x00" + _INT32.pack(len(name) + 1) + name + b"\x00"
        heads = {kind: ns_element + k + b"\x03put\x00" for kind, k in _KIND_ELEMENTS.items()}
        if len(_put_heads) >= 4096:
            _put_heads.clear()
        _put_heads[ns] = heads
    return heads


def encode_write_batch(
    ops: Iterable[tuple[str, Any, bytes | None, str, tuple[str, ...] | None]],
    txn: dict[str, Any] | None,
    ts: Timestamp,
    wall: int | None = None,
) -> bytes:
    """The payload of ``ops`` — ``(ns, _id, stored bytes or None for a delete, kind, paths)`` in order,
    kind one of :data:`KIND_CODES` or "", paths a modifier-style update's logged paths or None — with the
    ``txn`` document (when given), the Timestamp ``ts`` and the wall-clock time ``wall`` (milliseconds;
    None: no ``w``).

    >>> from bson.datetime_ms import DatetimeMS
    >>> ops = [("d.c", 1, bson.encode({"_id": 1}), "insert", None), ("d.c", "x", None, "", None)]
    >>> encode_write_batch(ops, None, Timestamp(7, 2), 7042) == bson.encode(
    ...     {"ops": [{"ns": "d.c", "k": "i", "put": {"_id": 1}}, {"ns": "d.c", "del": "x"}],
    ...      "ts": Timestamp(7, 2), "w": DatetimeMS(7042)})
    True
    """
    parts: list[bytes] = [b"", b"\x04ops\x00", b""]
    add = parts.append
    pack = _INT32.pack
    size = 0
    heads_ns = None
    heads: dict[str, bytes] = {}
    for position, (ns, id_value, raw, kind, paths) in enumerate(ops):
        key = _KEYS[position] if position < 4096 else _array_key(position)
        add(key)
        if raw is None:
            body = bson.encode({"ns": ns, "del": id_value}, codec_options=CODEC_OPTIONS)
            add(body)
            size += len(key) + len(body)
        else:
            if ns is not heads_ns:
                heads_ns, heads = ns, _put_heads_of(ns)
            head = heads[kind]
            logged = paths_element(paths) if paths else b""
            length = len(head) + len(raw) + len(logged) + 5
            add(pack(length))
            add(head)
            add(raw)
            if logged:
                add(logged)
            add(b"\x00")
            size += len(key) + length
    add(b"\x00")
    parts[2] = pack(size + 5)
    total = 4 + 5 + size + 5  # the length itself, the ops element (type and name, array) ...
    if txn is not None:
        body = bson.encode(txn, codec_options=CODEC_OPTIONS)
        add(b"\x03txn\x00")
        add(body)
        total += 5 + len(body)
    tail = _tail(ts, wall)  # ... the ts element (and w) and the terminator
    add(tail)
    total += len(tail)
    parts[0] = pack(total)
    return b"".join(parts)


def encode_put_batch(ns: str, raws: list[bytes], ts: Timestamp, wall: int | None = None) -> bytes:
    """``encode_write_batch`` of a put of each of ``raws`` on one namespace, without ``txn``: the same
    bytes, joined from a list filled by three extended-slice assignments (each op is its array key, its
    length and head, its document) instead of a Python step, or a chain of iterators, per op (an insert
    batch's payload: each put is an insert).

    >>> raws = [bson.encode({"_id": i}) for i in range(3)]
    >>> encode_put_batch("d.c", raws, Timestamp(7, 2), 7042) == encode_write_batch(
    ...     [("d.c", i, raw, "insert", None) for i, raw in enumerate(raws)], None, Timestamp(7, 2), 7042)
    True
    """
    n = len(raws)
    heads = _insert_heads_of(ns)
    parts: list[bytes] = [b""] * (3 * n)
    parts[0::3] = _op_starts(n)
    parts[1::3] = list(map(heads.__getitem__, map(len, raws)))
    parts[2::3] = raws
    ops = b"".join(parts)
    end = b"\x00\x00" if n else b"\x00"  # the last op's terminator (if any op), the array's
    array = 4 + len(ops) + len(end)
    tail = _tail(ts, wall)
    return b"".join(
        (
            _INT32.pack(4 + 5 + array + len(tail)),  # the length itself, the ops element, ts (and w), end
            b"\x04ops\x00",
            _INT32.pack(array),
            ops,
            end,
            tail,
        )
    )


# What comes before op i's length in an ops array: the previous op's terminator (none for the first), then
# the array key of op i; kept for the first 4096 ops, as _KEYS.
_OP_STARTS = [_KEYS[0]] + [b"\x00" + key for key in _KEYS[1:]]


def _op_starts(n: int) -> list[bytes]:
    if n <= len(_OP_STARTS):
        return _OP_STARTS[:n]
    return _OP_STARTS + [b"\x00" + _array_key(i) for i in range(len(_OP_STARTS), n)]


class _InsertHeads(dict[int, bytes]):
    """An insert op's bytes between its array key and its document, by the document's length: the op's
    length then its head (``_put_heads_of``), made on first use of a length; cleared past 4096."""

    def __init__(self, head: bytes) -> None:
        super().__init__()
        self.head = head

    def __missing__(self, size: int) -> bytes:
        if len(self) >= 4096:
            self.clear()
        value = self[size] = _INT32.pack(len(self.head) + size + 5) + self.head
        return value


# ns -> its _InsertHeads, for at most 16 namespaces, the oldest dropped first (at most 64K small entries)
_insert_heads: dict[str, _InsertHeads] = {}


def _insert_heads_of(ns: str) -> _InsertHeads:
    heads = _insert_heads.get(ns)
    if heads is None:
        if len(_insert_heads) >= 16:
            del _insert_heads[next(iter(_insert_heads))]
        heads = _insert_heads[ns] = _InsertHeads(_put_heads_of(ns)["insert"])
    return heads


def _tail(ts: Timestamp, wall: int | None) -> bytes:
    """The elements after ``ops`` (``ts``, then ``w`` when known) and the document's terminator."""
    if FAST_TIMESTAMPS:  # (the slots behind Timestamp's properties: see engine/clock.py)
        inc, seconds = ts._Timestamp__inc, ts._Timestamp__time  # type: ignore[attr-defined]
    else:
        inc, seconds = ts.inc, ts.time
    if wall is None:
        return _TS_HEAD + _TIMESTAMP.pack(inc, seconds) + b"\x00"
    return _TS_WALL_END.pack(_TS_HEAD, inc, seconds, _WALL_HEAD, wall)


def _array_key(position: int) -> bytes:
    return b"\x03" + str(position).encode() + b"\x00"


def encode_put(
    ns: str,
    raw: bytes,
    ts: Timestamp,
    kind: str,
    paths: tuple[str, ...] | None = None,
    wall: int | None = None,
) -> bytes:
    """``encode_write_batch`` of one put of change kind ``kind`` (an update's new version, with the paths
    it logged when given), as one join of known pieces.

    >>> raw, ts = bson.encode({"_id": 1, "n": 2}), Timestamp(7, 2)
    >>> encode_put("d.c", raw, ts, "update", wall=7042) == encode_write_batch(
    ...     [("d.c", 1, raw, "update", None)], None, ts, 7042)
    True
    >>> encode_put("d.c", raw, ts, "update", ("=n",)) == encode_write_batch(
    ...     [("d.c", 1, raw, "update", ("=n",))], None, ts)
    True
    """
    head = _put_heads_of(ns)[kind]
    logged = paths_element(paths) if paths else b""
    op = len(head) + len(raw) + len(logged) + 5
    tail = _tail(ts, wall)
    # the length, the ops element (5), the array (length, key "0", end: 8), the op, then the tail
    start = _PUT_START.pack(op + 17 + len(tail), b"\x04ops\x00", op + 8, b"\x030\x00", op)
    return b"".join((start, head, raw, logged, b"\x00\x00", tail))


_PUT_START = struct.Struct("<i5si3si")  # a one-put payload: length, ops element, array length, "0", op length


def paths_element(paths: tuple[str, ...]) -> bytes:
    """The ``m`` element of a put: its paths as a BSON array of strings.

    >>> paths_element(("=a",)) == bson.encode({"m": ["=a"]})[4:-1]
    True
    """
    return bson.encode({"m": list(paths)})[4:-1]
