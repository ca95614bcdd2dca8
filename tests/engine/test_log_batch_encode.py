"""The WRITE_BATCH payload written op by op is byte for byte what ``bson.encode`` gives (with each put's
kind), and reads back."""

import random

import bson
import pytest
from bson.binary import Binary
from bson.int64 import Int64
from bson.objectid import ObjectId
from bson.timestamp import Timestamp

from docdb.bson_codec import CODEC_OPTIONS, StoredDocument
from docdb.engine.log.batch import iter_write_runs, write_batch_tail
from docdb.engine.log.batch_encode import KIND_CODES, encode_write_batch

KINDS = ["", "insert", "update", "replace"]  # "": a put whose kind the reader tells (no ``k``)
IDS = [1, -(2**40), Int64(3), 2.5, "x", "é", ObjectId(), {"a": 1}, None, True, Binary(b"\x01", 4)]


def _op(ns, id_value, raw, kind, paths):
    if raw is None:
        return {"ns": ns, "del": id_value}
    op = {"ns": ns, "k": KIND_CODES[kind]} if kind else {"ns": ns}
    op["put"] = StoredDocument(raw)
    if paths:
        op["m"] = list(paths)
    return op


def expected(ops, txn, ts):
    payload = {"ops": [_op(*op) for op in ops]}
    if txn is not None:
        payload["txn"] = txn
    payload["ts"] = ts
    return bson.encode(payload, codec_options=CODEC_OPTIONS)


def random_ops(rng: random.Random, count: int):
    ops = []
    for _ in range(count):
        ns = rng.choice(["d.c", "d.other", "データ.c"])
        id_value = rng.choice(IDS)
        if rng.random() < 0.3:
            ops.append((ns, id_value, None, "delete", None))
        else:
            doc = {"_id": id_value, "n": rng.random(), "s": "a" * rng.randrange(9)}
            paths = rng.choice([None, None, ("=n",), ("=a.b", "+arr", "=x.0")])
            ops.append((ns, id_value, bson.encode(doc), rng.choice(KINDS), paths))
    return ops


@pytest.mark.parametrize("seed", range(20))
def test_same_bytes_as_bson(seed):
    rng = random.Random(seed)
    ops = random_ops(rng, rng.choice([0, 1, 2, 17, 1000]))
    txn = rng.choice([None, {"lsid": Binary(b"\x00" * 16, 4), "txnNumber": Int64(seed), "stmtIds": [0, 1]}])
    ts = Timestamp(1_700_000_000 + seed, rng.randrange(1, 2**32))
    assert encode_write_batch(ops, txn, ts) == expected(ops, txn, ts)


def test_more_ops_than_cached_keys():
    ops = [("d.c", i, bson.encode({"_id": i}), "insert", None) for i in range(5000)]
    payload = encode_write_batch(ops, None, Timestamp(9, 1))
    assert payload == expected(ops, None, Timestamp(9, 1))
    assert [ids for _, ids, _ in iter_write_runs(payload)] == [list(range(5000))]
    assert write_batch_tail(payload) == (9 << 32 | 1, None)


@pytest.mark.parametrize("seed", range(10))
def test_kinds_do_not_change_what_the_state_reads(seed):
    """Mixed kinds and logged paths on one namespace (the fast path's header changes with the kind) read
    as without."""
    rng = random.Random(seed)
    ops = random_ops(rng, 300)
    plain = [(ns, id_value, raw, "", None) for ns, id_value, raw, _, _ in ops]
    ts = Timestamp(5, 5)
    assert list(iter_write_runs(encode_write_batch(ops, None, ts))) == list(
        iter_write_runs(encode_write_batch(plain, None, ts))
    )
