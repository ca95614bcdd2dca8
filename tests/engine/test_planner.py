"""The planner in-process: every indexed plan returns exactly what a collection scan returns, in the
sort order asked, and the choice rule picks the index the module docstring promises."""

from __future__ import annotations

import datetime
import random

import pytest
from bson.int64 import Int64

from docdb.engine.catalog import Catalog
from docdb.engine.indexing.spec import parse_index_spec
from docdb.engine.indexing.stats import index_stats
from docdb.engine.planner import plan_query, validate_hint
from docdb.engine.reads import FindSpec, run_find
from docdb.engine.sort import compile_sort
from docdb.engine.writes import UpdateStatement, insert_documents, update_documents
from docdb.errors import MongoError

VALUES = [None, 0, 1, 2, 2.5, Int64(3), -1, "a", "b", "", {"x": 1}, [], [1, 2], [2, "a"], True, 7.0, "zz"]
SCALARS = [v for v in VALUES if not isinstance(v, list)]
DATE = datetime.datetime(2024, 1, 1)


def _catalog(indexes: list[dict]) -> Catalog:
    rng = random.Random(7)
    catalog = Catalog()
    docs = []
    for i in range(300):
        doc = {"_id": i}
        for field, values in (("a", VALUES), ("b", SCALARS)):
            if rng.random() < 0.85:
                doc[field] = rng.choice(values)
        doc["c"] = {"d": rng.choice([1, 2, 3, None])} if rng.random() < 0.7 else [{"d": 1}, {"d": 4}]
        doc["t"] = DATE + datetime.timedelta(days=i % 5)
        docs.append(doc)
    insert_documents(catalog, "db", "c", docs, ordered=True)
    coll = catalog.collection("db", "c")
    specs = [parse_index_spec({**spec, "name": f"i{n}"}) for n, spec in enumerate(indexes)]
    catalog.create_indexes(coll, specs)
    return catalog


QUERIES = [
    {"a": 1},
    {"a": 2},
    {"a": None},
    {"a": "a"},
    {"a": {"$gt": 1}},
    {"a": {"$gte": 1, "$lt": 3}},
    {"a": {"$lte": "b"}},
    {"a": {"$gt": "a"}},
    {"a": {"$in": [1, "b", None]}},
    {"a": {"$in": []}},
    {"a": {"x": 1}},
    {"a": [1, 2]},
    {"a": {"$ne": 1}},
    {"a": 1, "b": {"$gt": 0}},
    {"a": {"$in": [1, 2]}, "b": "a"},
    {"b": {"$lt": 3}, "a": {"$exists": True}},
    {"c.d": 1},
    {"c.d": {"$gte": 2}},
    {"t": {"$lt": DATE + datetime.timedelta(days=2)}},
    {"$or": [{"a": 1}, {"b": 2}]},
    {},
]
SORTS = [None, {"a": 1}, {"a": -1}, {"a": 1, "b": -1}, {"b": 1}, {"_id": -1}]
INDEX_SETS = [
    [{"key": {"a": 1}}],
    [{"key": {"a": -1, "b": 1}}],
    [{"key": {"a": 1, "b": -1}}, {"key": {"b": 1}}, {"key": {"c.d": 1}}, {"key": {"t": -1}}],
    [{"key": {"b": 1}, "sparse": True}, {"key": {"a": 1}, "partialFilterExpression": {"b": {"$gt": 0}}}],
]


def _expected(catalog: Catalog, spec: FindSpec) -> list:
    plain = Catalog()
    docs = [doc for _, doc in catalog.collection("db", "c").scan()]
    insert_documents(plain, "db", "c", docs, ordered=True)
    return [doc for _, doc in run_find(plain.collection("db", "c"), spec).rows]


@pytest.mark.parametrize("indexes", INDEX_SETS, ids=["a", "a-desc-b", "many", "sparse-partial"])
def test_indexed_plans_return_what_a_scan_returns(indexes):
    catalog = _catalog(indexes)
    coll = catalog.collection("db", "c")
    for query in QUERIES:
        for sort in SORTS:
            spec = FindSpec(query, sort=sort)
            got = [doc for _, doc in run_find(coll, spec).rows]
            want = _expected(catalog, spec)
            assert sorted(d["_id"] for d in got) == sorted(d["_id"] for d in want), (query, sort)
            if sort is not None:
                key = compile_sort(sort)
                assert [key(d) for d in got] == [key(d) for d in want], (query, sort)


def test_choice_rule_prefers_the_longest_equality_prefix():
    catalog = _catalog([{"key": {"a": 1}}, {"key": {"a": 1, "b": 1}}, {"key": {"b": 1}}])
    coll = catalog.collection("db", "c")
    assert plan_query(coll, {"a": 1, "b": 2}).winner.index.name == "i1"
    assert plan_query(coll, {"a": 1}).winner.index.name == "i0"  # shorter key pattern on a tie
    assert plan_query(coll, {"b": {"$gt": 1}}).winner.index.name == "i2"
    assert plan_query(coll, {"x": 1}).winner.kind == "COLLSCAN"
    assert plan_query(coll, {"x": 1}, sort={"b": -1}).winner.index.name == "i2"
    assert plan_query(coll, {"_id": 5}).winner.kind == "IDHACK"
    assert plan_query(None, {"a": 1}).winner.kind == "EOF"


def test_hints():
    catalog = _catalog([{"key": {"a": 1}}, {"key": {"b": 1}}])
    coll = catalog.collection("db", "c")
    assert plan_query(coll, {"a": 1}, hint="i1").winner.index.name == "i1"
    assert plan_query(coll, {"a": 1}, hint={"b": 1}).winner.index.name == "i1"
    assert plan_query(coll, {"a": 1}, hint={"$natural": -1}).winner.direction == -1
    with pytest.raises(MongoError) as exc:
        plan_query(coll, {"a": 1}, hint="nope")
    assert (exc.value.code, exc.value.errmsg) == (2, "hint provided does not correspond to an existing index")


def test_sorted_index_scan_stops_at_the_limit():
    catalog = _catalog([{"key": {"b": 1}}])
    run = run_find(catalog.collection("db", "c"), FindSpec({}, sort={"b": 1}, limit=3))
    assert not run.sorted_in_memory
    assert run.plans.winner.stats.docs_examined == 3


def test_validate_hint_and_index_stats():
    catalog = _catalog([{"key": {"a": 1}}])
    coll = catalog.collection("db", "c")
    validate_hint(coll, "i0")
    validate_hint(coll, {"_id": 1})
    validate_hint(None, "anything")  # a missing collection has nothing to check against
    with pytest.raises(MongoError) as exc:
        validate_hint(coll, {"zz": 1})
    assert exc.value.code == 2
    run_find(coll, FindSpec({"a": 1}))
    stats = index_stats(coll, "host:1")
    assert [(s["name"], int(s["accesses"]["ops"])) for s in stats] == [("_id_", 0), ("i0", 1)]


def test_updates_keep_index_entries_exact_whether_or_not_keys_change():
    """``Index.replace`` skips documents whose entries stay the same; scalar -> one-element array keeps
    the key but makes the index multikey, so the next plan must deduplicate."""
    catalog = Catalog()
    insert_documents(catalog, "db", "c", [{"_id": i, "a": i % 3, "n": 0} for i in range(9)], ordered=True)
    coll = catalog.collection("db", "c")
    catalog.create_indexes(coll, [parse_index_spec({"key": {"a": 1}, "name": "a_1"})])
    index = coll.indexes["a_1"]
    before = list(index.entries)
    update_documents(catalog, "db", "c", [UpdateStatement({}, {"$inc": {"n": 1}}, multi=True)], True)
    assert list(index.entries) == before and not index.is_multikey
    update_documents(catalog, "db", "c", [UpdateStatement({"_id": 4}, {"$set": {"a": [1, 1]}})], True)
    assert index.is_multikey and list(index.entries) == before
    update_documents(catalog, "db", "c", [UpdateStatement({"_id": 4}, {"$set": {"a": 2}})], True)
    assert [e[-1] for e in index.entries if e[:3] == (index.entries[0][0], 1, 2)] == [2, 4, 5, 8]
    assert sorted(d["_id"] for _, d in run_find(coll, FindSpec({"a": 2})).rows) == [2, 4, 5, 8]
    assert sorted(d["_id"] for _, d in run_find(coll, FindSpec({"a": 1})).rows) == [1, 7]
