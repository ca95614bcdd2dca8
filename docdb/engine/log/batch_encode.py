"""Write a WRITE_BATCH payload fast: the hot path of every insert, update and delete.

The payload is ``{ops: [{ns, [k], put: <doc>} | {ns, del: <_id>}, ...], txn?: {...}, ts: Timestamp}``,
exactly the bytes ``bson.encode`` gives for that document (``batch.py`` reads them back). ``k`` is the
change's kind (:data:`KIND_CODES`), so a restart rebuilds the change history with the kinds the live
server gave. A put's document is already stored BSON, so its op is a few byte strings joined around it:
no dict, no wrapper object and no walk of the document per op. A delete's ``_id`` and the ``txn``
document are encoded by ``bson``.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from itertools import chain, repeat
from operator import add
from typing import Any

import bson
from bson.timestamp import Timestamp

from docdb.bson_codec import CODEC_OPTIONS

_INT32 = struct.Struct("<i")
_TIMESTAMP = struct.Struct("<II")  # BSON stores a Timestamp's increment first, then its seconds
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
    ops: Iterable[tuple[str, Any, bytes | None, str]], txn: dict[str, Any] | None, ts: Timestamp
) -> bytes:
    """The payload of ``ops`` — ``(ns, _id, stored bytes or None for a delete, kind)`` in order, kind
    one of :data:`KIND_CODES` or "" — with the ``txn`` document (when given) and the Timestamp ``ts``.

    >>> ops = [("d.c", 1, bson.encode({"_id": 1}), "insert"), ("d.c", "x", None, "")]
    >>> encode_write_batch(ops, None, Timestamp(7, 2)) == bson.encode(
    ...     {"ops": [{"ns": "d.c", "k": "i", "put": {"_id": 1}}, {"ns": "d.c", "del": "x"}],
    ...      "ts": Timestamp(7, 2)})
    True
    """
    parts: list[bytes] = [b"", b"\x04ops\x00", b""]
    add = parts.append
    pack = _INT32.pack
    size = 0
    heads_ns = None
    heads: dict[str, bytes] = {}
    for position, (ns, id_value, raw, kind) in enumerate(ops):
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
            length = len(head) + len(raw) + 5
            add(pack(length))
            add(head)
            add(raw)
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
    add(b"\x11ts\x00")
    add(_TIMESTAMP.pack(ts.inc, ts.time))
    add(b"\x00")
    total += 12 + 1  # ... the ts element and the terminator
    parts[0] = pack(total)
    return b"".join(parts)


def encode_put_batch(ns: str, raws: list[bytes], ts: Timestamp) -> bytes:
    """``encode_write_batch`` of a put of each of ``raws`` on one namespace, without ``txn``: the same
    bytes, joined by C-level iterators instead of a Python step per op (an insert batch's payload: each put
    is an insert).

    >>> raws = [bson.encode({"_id": i}) for i in range(3)]
    >>> encode_put_batch("d.c", raws, Timestamp(7, 2)) == encode_write_batch(
    ...     [("d.c", i, raw, "insert") for i, raw in enumerate(raws)], None, Timestamp(7, 2))
    True
    """
    n = len(raws)
    keys = _KEYS[:n] if n <= len(_KEYS) else chain(_KEYS, (_array_key(i) for i in range(len(_KEYS), n)))
    head = _put_heads_of(ns)["insert"]
    lengths = map(_INT32.pack, map(add, map(len, raws), repeat(len(head) + 5)))
    ops = b"".join(chain.from_iterable(zip(keys, lengths, repeat(head), raws, repeat(b"\x00"))))
    array = len(ops) + 5
    return b"".join(
        (
            _INT32.pack(4 + 5 + array + 13),  # the length itself, the ops element, the ts element, the end
            b"\x04ops\x00",
            _INT32.pack(array),
            ops,
            b"\x00\x11ts\x00",
            _TIMESTAMP.pack(ts.inc, ts.time),
            b"\x00",
        )
    )


def _array_key(position: int) -> bytes:
    return b"\x03" + str(position).encode() + b"\x00"


def encode_put(ns: str, raw: bytes, ts: Timestamp, kind: str) -> bytes:
    """``encode_write_batch`` of one put of change kind ``kind`` (an update's new version), as one join of
    known pieces.

    >>> raw, ts = bson.encode({"_id": 1, "n": 2}), Timestamp(7, 2)
    >>> encode_put("d.c", raw, ts, "update") == encode_write_batch([("d.c", 1, raw, "update")], None, ts)
    True
    """
    head = _put_heads_of(ns)[kind]
    op = len(head) + len(raw) + 5
    pack = _INT32.pack
    return b"".join(
        (
            pack(op + 30),  # the length, ops element (5), array (length, key "0", end: 8), ts element, end
            b"\x04ops\x00",
            pack(op + 8),
            b"\x030\x00",
            pack(op),
            head,
            raw,
            b"\x00\x00\x11ts\x00",
            _TIMESTAMP.pack(ts.inc, ts.time),
            b"\x00",
        )
    )
