"""The restart fast paths give exactly what the general paths give: WRITE_BATCH parsing, bulk replay of a
run of ops, and index builds (column keys, ``_id`` tails from the hash key)."""

from __future__ import annotations

import gc
import math

import bson
import pytest
from bson.binary import Binary
from bson.decimal128 import Decimal128
from bson.int64 import Int64
from bson.objectid import ObjectId
from bson.raw_bson import DEFAULT_RAW_BSON_OPTIONS, RawBSONDocument

from docdb.bson_codec import decode_document, encode_document
from docdb.engine.bson_order import hash_key, sort_key
from docdb.engine.catalog import Catalog, DocWrite
from docdb.engine.collection import Collection
from docdb.engine.indexing.index import Index, _id_tail, build_indexes
from docdb.engine.indexing.spec import parse_index_spec
from docdb.engine.log.batch import iter_write_runs
from docdb.errors import MongoError

OID = ObjectId("65a1b2c3d4e5f60718293a4b")
IDS = [7, -(2**31), 2**31 - 1, Int64(2**40), Int64(5), 2.5, 1.0, math.nan, "x", "", OID, True, None]
IDS += [{"a": 1}, [1, 2][:1], Decimal128("3"), Binary(b"ab", 4)]


def _put(ns: str, doc: dict) -> dict:
    return {"ns": ns, "put": RawBSONDocument(encode_document(doc))}


def _reference_runs(payload: bytes) -> list[tuple[str, list, list]]:
    """The general reading: decode the whole payload, group consecutive ops by namespace."""
    runs: list[tuple[str, list, list]] = []
    for op in bson.decode(payload, DEFAULT_RAW_BSON_OPTIONS)["ops"]:
        full = decode_document(op.raw)
        if "put" in full:
            item = (full["put"]["_id"], op["put"].raw)
        else:
            item = (full["del"], None)
        if runs and runs[-1][0] == full["ns"]:
            runs[-1][1].append(item[0])
            runs[-1][2].append(item[1])
        else:
            runs.append((full["ns"], [item[0]], [item[1]]))
    return runs


def _same(a: object, b: object) -> bool:
    """Same BSON type and value (NaN included)."""
    return encode_document({"v": a}) == encode_document({"v": b})


def _assert_runs_equal(got: list, want: list) -> None:
    assert [(ns, raws) for ns, _, raws in got] == [(ns, raws) for ns, _, raws in want]
    for (_, got_ids, _), (_, want_ids, _) in zip(got, want, strict=True):
        assert len(got_ids) == len(want_ids)
        for g, w in zip(got_ids, want_ids, strict=True):
            assert type(g) is type(w) and _same(g, w)


def test_write_runs_match_a_full_decode_for_every_id_type_and_op_shape():
    ops = [_put("d.c", {"_id": i, "v": n}) for n, i in enumerate(IDS)]
    ops += [{"ns": "d.c", "del": i} for i in IDS]
    ops += [
        _put("d.e", {"_id": 1}),
        _put("d.c", {"a": 1, "_id": 2}),  # _id not first
        {"ns": "d.c", "put": RawBSONDocument(encode_document({"_id": 3})), "extra": 1},  # unusual op
        {"put": RawBSONDocument(encode_document({"_id": 4})), "ns": "d.c"},  # fields swapped
        _put("d.c", {"_id": 5}),
        _put("other.namespace.with.dots", {"_id": 6, "s": "x" * 300}),
        {"ns": "d.c", "del": 7},
        _put("d.c", {"_id": 8}),
    ]
    payload = bson.encode({"ops": ops})
    _assert_runs_equal(list(iter_write_runs(payload)), _reference_runs(payload))


def test_write_runs_of_one_namespace_come_out_as_one_run():
    payload = bson.encode({"ops": [_put("d.c", {"_id": i}) for i in range(1000)]})
    [(ns, ids, raws)] = list(iter_write_runs(payload))
    assert ns == "d.c" and ids == list(range(1000))
    assert raws == [encode_document({"_id": i}) for i in range(1000)]


def test_write_runs_accept_a_payload_with_other_top_level_fields():
    payload = bson.encode({"x": 1, "ops": [_put("d.c", {"_id": 1}), {"ns": "d.c", "del": 1}]})
    _assert_runs_equal(list(iter_write_runs(payload)), [("d.c", [1, 1], [encode_document({"_id": 1}), None])])


def _apply_one_by_one(ids: list, raws: list) -> Collection:
    coll = Collection("d", "c", Binary(bytes(16), 4), {})
    for id_value, raw in zip(ids, raws, strict=True):
        if raw is None:
            coll.remove(hash_key(id_value))
        else:
            coll.put(hash_key(id_value), raw)
    return coll


@pytest.mark.parametrize(
    "ids, present",
    [
        pytest.param([1, 2, 3], [True, True, True], id="all-new"),
        pytest.param([1, 2, 1], [True, True, True], id="same-id-twice"),
        pytest.param([1, 1.0, Int64(1)], [True, True, True], id="equal-numbers"),
        pytest.param([1, 2, 1], [True, True, False], id="put-then-delete"),
        pytest.param([9, 1, 2], [False, True, True], id="delete-missing"),
    ],
)
def test_apply_ops_bulk_path_matches_put_and_remove(ids, present):
    pairs = enumerate(zip(ids, present, strict=True))
    raws = [encode_document({"_id": i, "n": n}) if keep else None for n, (i, keep) in pairs]
    coll = Collection("d", "c", Binary(bytes(16), 4), {})
    coll.apply_ops(ids, raws)
    want = _apply_one_by_one(ids, raws)
    assert list(coll.docs.items()) == list(want.docs.items())
    assert coll.data_size == want.data_size


def test_apply_ops_over_existing_documents_keeps_their_position_and_size():
    coll = Collection("d", "c", Binary(bytes(16), 4), {})
    coll.apply_ops([1, 2], [encode_document({"_id": 1}), encode_document({"_id": 2})])
    coll.apply_ops([3, 1], [encode_document({"_id": 3}), encode_document({"_id": 1, "longer": "yes"})])
    assert list(coll.docs) == [1, 2, 3]
    assert coll.data_size == sum(len(raw) for raw in coll.docs.values())


def test_apply_ops_keeps_built_indexes_in_step():
    coll = Collection("d", "c", Binary(bytes(16), 4), {})
    index = Index(parse_index_spec({"key": {"a": 1}, "name": "a_1"}))
    build_indexes([index], coll.docs)
    coll.indexes["a_1"] = index
    coll.apply_ops([1, 2], [encode_document({"_id": 1, "a": 5}), encode_document({"_id": 2, "a": 4})])
    assert [entry[-1] for entry in index.entries] == [2, 1]


@pytest.mark.parametrize("id_value", IDS, ids=repr)
def test_id_tail_is_the_id_sort_key_and_hash_key(id_value):
    hk = hash_key(id_value)
    assert _id_tail(hk, {"_id": id_value}) == sort_key(id_value) + (hk,)
    if type(hk) is int:  # the build's shortcut: an int hash key is an int or Int64 _id of that value
        assert sort_key(id_value) + (hk,) == (10, 1, hk, hk)


DOCS = [
    {"_id": 1, "a": 5, "b": "x"},
    {"_id": 2, "a": "s", "b": 7},
    {"_id": 3},
    {"_id": 4, "a": None, "b": None},
    {"_id": 5, "a": [1, 2, 2], "b": 1},
    {"_id": 6, "a": [], "b": [3, 4]},
    {"_id": 7, "a": {"c": 1}, "b": True},
    {"_id": 8, "a": Int64(5), "b": 2.5},
    {"_id": 9, "a": math.nan, "b": Decimal128("1.5")},
    {"_id": "s", "a": OID, "b": -3},
    {"_id": OID, "a": 5, "b": {"n": [1]}},
    {"_id": 2.5, "a": -(2**40), "b": ""},
    {"_id": Int64(10), "a": [{"c": 1}, {"c": 2}], "b": 0},
    {"_id": {"x": 1}, "b": 1},
    {"_id": None, "a": 1},
]

SPECS = [
    {"key": {"a": 1}, "name": "a_1"},
    {"key": {"a": -1}, "name": "a_-1"},
    {"key": {"a": 1, "b": -1}, "name": "a_1_b_-1"},
    {"key": {"b": -1, "a": 1}, "name": "b_-1_a_1"},
    {"key": {"a": 1}, "name": "a_sparse", "sparse": True},
    {"key": {"a": 1, "b": 1}, "name": "ab_sparse", "sparse": True},
    {"key": {"a.c": 1}, "name": "a.c_1"},
    {"key": {"a": 1, "b": 1}, "name": "ab_partial", "partialFilterExpression": {"b": {"$gte": 1}}},
]


def _reference_entries(index: Index, docs: list[dict]) -> tuple[list[tuple], dict]:
    """The general path: ``KeyMaker.keys`` per document, one entry per key, sorted."""
    entries = []
    multikey: dict[str, set[str]] = {}
    for doc in docs:
        keys, expanded = index.maker.keys(doc)
        for field, path in expanded:
            multikey.setdefault(field, set()).add(path)
        hk = hash_key(doc["_id"])
        entries += [key + sort_key(doc["_id"]) + (hk,) for key in keys]
    return sorted(entries), multikey


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s["name"])
def test_build_matches_key_maker_per_document(spec, monkeypatch):
    monkeypatch.setattr("docdb.engine.indexing.index.BUILD_CHUNK", 4)  # several chunks
    compound = len(spec["key"]) > 1
    docs = [
        d for d in DOCS if not (compound and isinstance(d.get("a"), list) and isinstance(d.get("b"), list))
    ]
    index = Index(parse_index_spec(dict(spec)))
    build_indexes([index], {hash_key(doc["_id"]): encode_document(doc) for doc in docs})
    want_entries, want_multikey = _reference_entries(index, docs)
    assert list(index.entries) == want_entries
    assert index.multikey == want_multikey
    assert index.built


def test_build_over_parallel_arrays_raises_and_changes_nothing():
    index = Index(parse_index_spec({"key": {"a": 1, "b": 1}, "name": "ab"}))
    docs = {
        1: encode_document({"_id": 1, "a": 1, "b": 1}),
        2: encode_document({"_id": 2, "a": [1], "b": [2]}),
    }
    with pytest.raises(MongoError) as exc:
        build_indexes([index], docs)
    assert exc.value.code == 171
    assert not index.built and len(index) == 0


def test_open_builds_declared_indexes_and_restores_the_collector(tmp_path):
    path = str(tmp_path / "data.mdb")
    catalog = Catalog.open(path)
    coll = catalog.create_collection("d", "c", {})
    catalog.create_indexes(coll, [parse_index_spec({"key": {"a": -1}, "name": "a_-1"})])
    catalog.commit([DocWrite(coll, i, i, encode_document({"_id": i, "a": i % 3})) for i in range(10)])
    before = list(coll.indexes["a_-1"].entries)
    catalog.close()
    assert gc.isenabled()
    again = Catalog.open(path)
    try:
        assert gc.isenabled()
        index = again.collection("d", "c").indexes["a_-1"]
        assert index.built and list(index.entries) == before
    finally:
        again.close()
