"""The insert batch's fast steps give exactly the bytes of the general ones, and are taken: the log payload
built by slice assignment (``encode_put_batch``), the ``_id``-first check made while the encoded batch
is split (``writes._encode_together``) and ObjectId ``_id`` values on the plain path (keyed by
``hash_key``)."""

import random

import bson
import pytest
from bson.objectid import ObjectId
from bson.timestamp import Timestamp

from docdb.bson_codec import encode_document
from docdb.engine import writes
from docdb.engine.bson_order import hash_key, object_id_keys
from docdb.engine.catalog import Catalog
from docdb.engine.log import batch_encode
from docdb.engine.log.batch_encode import encode_put_batch, encode_write_batch
from docdb.engine.writes import _encode_together, encode_many, insert_documents
from tests.engine.test_insert_plain import close_and_compare_files, insert_one_by_one, state


def _general(ns, raws, ts, wall):
    return encode_write_batch([(ns, i, raw, "insert", None) for i, raw in enumerate(raws)], None, ts, wall)


@pytest.mark.parametrize("n", [0, 1, 2, 17, 4095, 4096, 4097, 5000])
def test_put_batch_same_bytes_as_op_by_op(n):
    rng = random.Random(n)
    raws = [bson.encode({"_id": i, "s": "x" * rng.randrange(300)}) for i in range(n)]
    for ns in ("d.c", "データ.c"):
        for wall in (None, 1_700_000_000_123):
            ts = Timestamp(1_700_000_000, rng.randrange(1, 2**32))
            assert encode_put_batch(ns, raws, ts, wall) == _general(ns, raws, ts, wall)


def test_put_batch_heads_come_from_the_length_cache():
    raws = [bson.encode({"_id": i, "s": "y" * (i % 7)}) for i in range(50)]
    encode_put_batch("d.cache", raws, Timestamp(1, 1))
    heads = batch_encode._insert_heads["d.cache"]
    assert sorted(heads) == sorted({len(raw) for raw in raws})  # one entry per length: the path was taken


def test_put_batch_length_cache_cleared_when_full():
    ts = Timestamp(3, 4)
    for start in (0, 4000):  # 8000 distinct lengths through one namespace's cache
        raws = [bson.encode({"_id": 1, "s": "z" * size}) for size in range(start, start + 4000)]
        assert encode_put_batch("d.many", raws, ts) == _general("d.many", raws, ts, None)
    assert len(batch_encode._insert_heads["d.many"]) <= 4096


def test_put_batch_namespace_caches_bounded():
    raws = [bson.encode({"_id": i}) for i in range(3)]
    for k in range(40):
        ns = f"d.c{k}"
        assert encode_put_batch(ns, raws, Timestamp(1, k)) == _general(ns, raws, Timestamp(1, k), None)
    assert len(batch_encode._insert_heads) <= 16 and "d.c39" in batch_encode._insert_heads


def _docs(n):
    return [{"_id": i, "i": i, "s": "abcdefgh"} for i in range(n)]


@pytest.mark.parametrize("where", [0, 5, 9])
def test_id_first_flag(where):
    docs = _docs(10)
    raws, id_first = _encode_together(docs)
    assert id_first and raws == [encode_document(doc) for doc in docs]
    docs[where] = {"i": 0, "_id": "moved"}  # _id not first: the flag says so
    raws, id_first = _encode_together(docs)
    assert not id_first
    assert encode_many(docs) == [None if i == where else raw for i, raw in enumerate(raws)]


@pytest.mark.parametrize(
    "first", [{"_i": 1}, {"_idx": 1}, {"id": 1}, {"": 1}, {"a": "_id"}, {"a": {"_id": 1}, "_id": 2}]
)
def test_id_first_flag_only_for_a_first_field_named_id(first):
    raws, id_first = _encode_together([{"_id": 0}, first])
    assert not id_first
    assert encode_many([{"_id": 0}, first]) == [raws[0], None]


def test_an_empty_last_document_is_read_inside_the_padding():
    docs = [{"_id": 1}, {}]
    raws, id_first = _encode_together(docs)
    assert raws == [encode_document({"_id": 1}), encode_document({})] and not id_first
    assert _encode_together([{}])[1] is False


def test_plain_path_taken_with_id_first_documents(tmp_path, commit_inserts_calls):
    calls = commit_inserts_calls
    catalog = Catalog.open(str(tmp_path / "d.mdb"))
    outcome = insert_documents(catalog, "d", "c", _docs(1000), ordered=True)
    assert outcome.n == 1000 and not outcome.write_errors
    assert calls == [1]  # the fast path committed the batch
    insert_documents(catalog, "d", "c", [{"_id": 2000}, {"i": 1, "_id": 2001}], ordered=True)
    assert calls == [1]  # _id not first everywhere: the per-document path
    coll = catalog.collection("d", "c")
    assert coll.docs[2001] == encode_document({"_id": 2001, "i": 1})
    catalog.close()


def test_id_key_constant_matches_the_name():
    assert writes._ID_KEY.to_bytes(4, "little") == b"_id\x00"


@pytest.fixture
def commit_inserts_calls(monkeypatch):
    """The number of batches the plain path committed (``Catalog.commit_inserts`` calls that did)."""
    calls = []
    original = Catalog.commit_inserts
    monkeypatch.setattr(Catalog, "commit_inserts", lambda *a: original(*a) and (calls.append(1) or True))
    return calls


def _oid_documents(rng, n, kinds):
    docs = []
    for i in range(n):
        kind = rng.choice(kinds)
        id_value = ObjectId() if kind == "oid" else rng.randrange(10**9) if kind == "int" else f"s{i}"
        docs.append({"_id": id_value, "name": "x", "age": rng.randrange(90), "score": 1.5})
    unique = {bson.encode({"k": d["_id"]}): d for d in docs}  # random ints may repeat
    return list(unique.values())


def test_object_id_batches_match_one_by_one(tmp_path, commit_inserts_calls):
    rng = random.Random(11)
    plain = Catalog.open(str(tmp_path / "plain.mdb"))
    general = Catalog.open(str(tmp_path / "general.mdb"))
    batches = 0
    for kinds in (["oid"], ["oid", "int"], ["oid", "str", "int"], ["oid"]):
        docs = _oid_documents(rng, rng.randrange(2, 300), kinds)
        outcome = insert_documents(plain, "d", "c", [dict(d) for d in docs], ordered=True)
        assert (outcome.n, outcome.write_errors) == (len(docs), [])
        insert_one_by_one(general, "d", "c", docs)
        batches += 1
    assert len(commit_inserts_calls) == batches  # every batch took the plain path
    assert state(plain, "d.c") == state(general, "d.c")
    keys = [c.key for c in plain.history.since(plain.history.first_seq) if isinstance(c.id_value, ObjectId)]
    assert keys and all(isinstance(key, tuple) for key in keys)  # hash_key's, not the ObjectId itself
    close_and_compare_files(tmp_path, plain, general)


def test_object_id_duplicates_go_document_by_document(commit_inserts_calls):
    catalog = Catalog.open(None)
    stored, fresh = ObjectId(), ObjectId()
    insert_documents(catalog, "d", "c", [{"_id": stored}, {"_id": 1}], ordered=True)
    assert len(commit_inserts_calls) == 1
    for docs, ordered, n, errors in (
        ([{"_id": fresh}, {"_id": stored}, {"_id": ObjectId()}], False, 2, [(1, 11000)]),
        ([{"_id": ObjectId()}, {"_id": fresh}, {"_id": ObjectId()}], True, 1, [(1, 11000)]),
    ):
        outcome = insert_documents(catalog, "d", "c", docs, ordered=ordered)
        assert (outcome.n, [(e["index"], e["code"]) for e in outcome.write_errors]) == (n, errors)
    assert len(commit_inserts_calls) == 1  # neither batch took the plain path
    assert len(catalog.collection("d", "c").docs) == 5


def test_object_id_keys_are_hash_keys():
    values = [ObjectId() for _ in range(5)] + [ObjectId(b"\x00" * 12), ObjectId(b"\xff" * 12)]
    assert object_id_keys(values) == [hash_key(value) for value in values]
