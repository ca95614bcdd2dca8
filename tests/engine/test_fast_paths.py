"""The per-command fast paths answer exactly as the general paths they skip: an ``_id`` lookup that
returns stored bytes undecoded, a one-field equality filter compiled directly, the planner leaving out
indexes it cannot bound, the nesting walk skipped for documents too small to be too deep, and a
one-document first batch taken without measuring it."""

from __future__ import annotations

import datetime

import pytest
from bson.decimal128 import Decimal128
from bson.int64 import Int64
from bson.objectid import ObjectId
from bson.raw_bson import RawBSONDocument
from bson.regex import Regex

from docdb.bson_codec import StoredDocument, decode_document, encode_document
from docdb.engine.catalog import Catalog
from docdb.engine.express import express_first
from docdb.engine.indexing.bounds import point
from docdb.engine.indexing.spec import parse_index_spec
from docdb.engine.matcher import compile_filter
from docdb.engine.planner import _scan_ranges, plan_query, point_range, sole_point_index
from docdb.engine.query.compile import compile_document
from docdb.engine.reads import FindSpec, find_documents
from docdb.engine.writes import MAX_NESTING_DEPTH, MIN_TOO_DEEP_BYTES, encode_stored, insert_documents
from docdb.errors import MongoError
from docdb.server.cursors import MAX_BATCH_BYTES, CursorRegistry, take_batch

OID = ObjectId("65a1b2c3d4e5f60718293a4b")
DATE = datetime.datetime(2024, 5, 6, 7, 8, 9)
IDS = [
    0,
    1.5,
    Int64(2),
    Decimal128("3.0"),
    float("nan"),
    None,
    True,
    "7",
    "",
    OID,
    DATE,
    {"a": 1, "b": 2},
    {"b": 2, "a": 1},
    {"a": [1, 2]},
]
QUERY_VALUES = [
    *IDS,
    0.0,
    Int64(0),
    Decimal128("0"),
    1,
    1.5000001,
    2,
    2.0,
    3,
    Decimal128("NaN"),
    False,
    7,
    {"a": 1.0, "b": Int64(2)},
    {"a": [1.0, 2]},
    {"a": 1},
]


@pytest.fixture(scope="module")
def coll():
    catalog = Catalog()
    outcome = insert_documents(catalog, "db", "c", [{"_id": v, "n": i} for i, v in enumerate(IDS)], True)
    assert outcome.write_errors == [] and outcome.n == len(IDS)
    return catalog.collection("db", "c")


def _raws(docs: list) -> list[bytes]:
    return [doc.raw for doc in docs]


@pytest.mark.parametrize("value", QUERY_VALUES, ids=repr)
def test_id_lookup_without_decoding_matches_a_collection_scan(coll, value):
    spec = FindSpec({"_id": value})
    assert plan_query(coll, spec.filter).winner.kind == "IDHACK"
    scanned = find_documents(coll, FindSpec({"_id": value}, hint={"$natural": 1}))
    assert _raws(find_documents(coll, spec)) == _raws(scanned)


@pytest.mark.parametrize("value", QUERY_VALUES, ids=repr)
def test_id_lookup_with_projection_matches_a_collection_scan(coll, value):
    fast = find_documents(coll, FindSpec({"_id": value}, projection={"n": 1}))
    scanned = find_documents(coll, FindSpec({"_id": value}, projection={"n": 1}, hint={"$natural": 1}))
    assert [encode_document(doc) for doc in fast] == [encode_document(doc) for doc in scanned]  # NaN != NaN


def test_id_lookup_counts_what_it_returns(coll):
    plan = plan_query(coll, {"_id": "7"}).winner
    rows = list(plan.run(coll, compile_filter({"_id": "7"}), decode=False))
    assert [doc for _, doc in rows] == [None]
    assert (plan.stats.keys_examined, plan.stats.docs_examined, plan.stats.n_returned) == (1, 1, 1)


DOCS = [
    {},
    {"a": None},
    {"a": 1},
    {"a": 1.0},
    {"a": Int64(1)},
    {"a": Decimal128("1")},
    {"a": True},
    {"a": "1"},
    {"a": [1, 2]},
    {"a": [[1]]},
    {"a": {"b": 1}},
    {"a": [{"b": 1}, {"b": 2}]},
    {"a": [{"b": [3, 1]}]},
    {"a": OID},
    {"a": DATE},
    {"a": float("nan")},
    {"a": Decimal128("NaN")},
    {"a": ""},
    {"a.b": 1},
]
FILTERS = [
    {"a": 1},
    {"a": 1.0},
    {"a": Int64(1)},
    {"a": Decimal128("1")},
    {"a": True},
    {"a": False},
    {"a": None},
    {"a": "1"},
    {"a": ""},
    {"a": OID},
    {"a": DATE},
    {"a": float("nan")},
    {"a": Decimal128("NaN")},
    {"a.b": 1},
    {"a.b": None},
    {"a.b": 3},
    {"a.0": 1},
    {"a.0.b": 1},
]


@pytest.mark.parametrize("spec", FILTERS, ids=repr)
def test_one_field_equality_compiles_to_the_general_predicate(spec):
    fast, general = compile_filter(spec), compile_document(spec, top=True)
    assert [fast(doc) for doc in DOCS] == [general(doc) for doc in DOCS]


@pytest.mark.parametrize(
    "spec",
    [{"a": {"$gt": 1}}, {"a": [1]}, {"a": {"b": 1}}, {"a": Regex("^1")}, {"$comment": "x"}],
    ids=repr,
)
def test_other_one_field_filters_take_the_general_path(spec):
    fast, general = compile_filter(spec), compile_document(spec, top=True)
    assert [fast(doc) for doc in DOCS] == [general(doc) for doc in DOCS]


def test_one_field_filter_errors_are_unchanged():
    with pytest.raises(MongoError) as exc:
        compile_filter({"$bad": 1})
    assert exc.value.code == 2


def _indexed_catalog() -> Catalog:
    catalog = Catalog()
    docs = [{"_id": i, "a": i % 3, "b": i % 5} for i in range(30)]
    insert_documents(catalog, "db", "c", docs, True)
    coll = catalog.collection("db", "c")
    specs = [
        parse_index_spec({"key": {"b": 1}, "name": "b_1"}),
        parse_index_spec({"key": {"a": 1}, "name": "a_1"}),
    ]
    catalog.create_indexes(coll, specs)
    return catalog


def test_planner_leaves_out_indexes_it_cannot_bound():
    coll = _indexed_catalog().collection("db", "c")
    plans = plan_query(coll, {"a": 1})
    assert (plans.winner.index.name, plans.rejected) == ("a_1", [])
    plans = plan_query(coll, {"a": 1, "_id": {"$gte": 3}})
    assert [plans.winner.index.name, *(p.index.name for p in plans.rejected)] == ["a_1", "_id_"]


def test_planner_still_considers_indexes_that_serve_the_sort():
    coll = _indexed_catalog().collection("db", "c")
    plans = plan_query(coll, {"a": 1}, sort={"b": 1})
    assert [plans.winner.index.name, *(p.index.name for p in plans.rejected)] == ["a_1", "b_1"]
    assert plans.rejected[0].provides_sort


EQUALITY_INDEXES = [
    [{"key": {"a": 1}}],
    [{"key": {"a": -1}}],
    [{"key": {"a": 1}, "sparse": True}],
    [{"key": {"a": 1}, "hidden": True}],
    [{"key": {"a": 1}, "partialFilterExpression": {"a": {"$gt": 0}}}],
    [{"key": {"a": 1}}, {"key": {"a": 1, "b": 1}}],
    [{"key": {"a": 1, "b": 1}}],
    [{"key": {"b": 1}}, {"key": {"a": 1}}],
    [{"key": {"c.d": 1}}],
]


@pytest.mark.parametrize("indexes", EQUALITY_INDEXES, ids=repr)
@pytest.mark.parametrize("field", ["a", "c.d"])
def test_one_field_equality_plan_is_the_general_plan(indexes, field):
    """``{path: scalar}`` is planned without analysing the filter; wrapped in ``$and`` it is analysed.
    Both must give the same plan, and the same documents as a collection scan."""
    catalog = Catalog()
    docs = [{"_id": i, "a": v, "b": i % 3, "c": {"d": v}} for i, v in enumerate(QUERY_VALUES)]
    docs += [{"_id": 100, "a": [1, "7", 2.0]}, {"_id": 101, "c": [{"d": 1}, {"d": "7"}]}, {"_id": 102}]
    insert_documents(catalog, "db", "c", docs, True)
    coll = catalog.collection("db", "c")
    specs = [parse_index_spec({**spec, "name": f"i{n}"}) for n, spec in enumerate(indexes)]
    catalog.create_indexes(coll, specs)
    for value in QUERY_VALUES:
        fast = plan_query(coll, {field: value})
        general = plan_query(coll, {"$and": [{field: value}]})
        shape = [
            (p.kind, p.index and p.index.name, p.bounds, p.direction, p.provides_sort, p.residual == [])
            for p in (fast.winner, *fast.rejected)
        ]
        assert shape == [
            (p.kind, p.index and p.index.name, p.bounds, p.direction, p.provides_sort, p.residual == [])
            for p in (general.winner, *general.rejected)
        ], value
        found = _raws(find_documents(coll, FindSpec({field: value})))
        scanned = _raws(find_documents(coll, FindSpec({field: value}, hint={"$natural": 1})))
        assert sorted(found) == sorted(scanned), value


@pytest.mark.parametrize("indexes", EQUALITY_INDEXES, ids=repr)
@pytest.mark.parametrize("field", ["a", "c.d", "_id"])
def test_express_path_returns_what_a_limit_one_find_returns(indexes, field):
    """find_one's express path answers exactly as the planned find with limit 1, counting the same index
    accesses, and declines every filter that is not one of its shapes."""
    catalog = Catalog()
    docs = [{"_id": i, "a": v, "b": i % 3, "c": {"d": v}} for i, v in enumerate(QUERY_VALUES)]
    docs += [{"_id": 100, "a": [1, "7", 2.0]}, {"_id": 101, "c": [{"d": 1}, {"d": "7"}]}, {"_id": -5, "a": 1}]
    insert_documents(catalog, "db", "c", docs, True)
    coll = catalog.collection("db", "c")
    specs = [parse_index_spec({**spec, "name": f"i{n}"}) for n, spec in enumerate(indexes)]
    catalog.create_indexes(coll, specs)
    answered = 0
    for value in [*QUERY_VALUES, 100, 101, -5, {"$gt": 1}, {"$in": [1]}]:
        before = [(i.name, i.accesses) for i in coll.indexes.values()], coll.id_accesses
        express = express_first(coll, {field: value})
        after_express = [(i.name, i.accesses) for i in coll.indexes.values()], coll.id_accesses
        planned = _raws(find_documents(coll, FindSpec({field: value}, limit=1)))
        after_planned = [(i.name, i.accesses) for i in coll.indexes.values()], coll.id_accesses
        if express is None:
            assert after_express == before, value
            continue
        assert express == planned, value
        answered += 1
        assert after_express != before and _access_delta(before, after_express) == _access_delta(
            after_express, after_planned
        ), value
    if field == "_id" or indexes == [{"key": {field: 1}}]:
        assert answered > 0
    assert express_first(coll, {"a": 1, "b": 1}) is None
    assert express_first(None, {"_id": 1}) is None


@pytest.mark.parametrize("key", [{"a": 1}, {"a": -1}])
def test_point_range_is_the_scan_range_of_a_point_interval(key):
    catalog = Catalog()
    insert_documents(catalog, "db", "c", [{"_id": 1, "a": 1}], True)
    coll = catalog.collection("db", "c")
    catalog.create_indexes(coll, [parse_index_spec({"key": key, "name": "i"})])
    index = coll.indexes["i"]
    for value in [v for v in QUERY_VALUES if sole_point_index(coll, {"a": v}) is not None]:
        assert [(*point_range(index, value), [])] == _scan_ranges(index, [[point(value)]], 1), value


def _access_delta(before: tuple, after: tuple) -> tuple:
    return [a - b for (_, a), (_, b) in zip(after[0], before[0], strict=True)], after[1] - before[1]


def _nested(depth: int) -> dict:
    doc: dict = {}
    for _ in range(depth):
        doc = {"": doc}
    return doc


def test_smallest_too_deep_document_is_the_size_bound():
    raw = encode_stored(_nested(MAX_NESTING_DEPTH))
    assert len(raw) == MIN_TOO_DEEP_BYTES - 7
    with pytest.raises(MongoError) as exc:
        encode_stored(_nested(MAX_NESTING_DEPTH + 1))
    assert exc.value.code == 15
    assert exc.value.errmsg == "cannot insert document because it exceeds 180 levels of nesting"


def test_far_too_deep_document_is_overflow_not_a_recursion_error():
    with pytest.raises(MongoError) as exc:
        encode_stored(_nested(5000))
    assert exc.value.code == 15


def test_first_batch_of_one_document_matches_the_batch_rule():
    big = RawBSONDocument(encode_document({"_id": 1, "s": "x" * (MAX_BATCH_BYTES + 1)}))
    cursors = CursorRegistry()
    for docs, batch_size in (([big], None), ([big], 1), ([big], -3), ([], None), ([], 5)):
        assert cursors.first_batch("db.c", docs, batch_size) == (0, docs)
        assert take_batch(docs, 0, None if batch_size is None or batch_size < 0 else batch_size) == len(docs)
    cursor_id, batch = cursors.first_batch("db.c", [big], 0)
    assert batch == [] and cursor_id != 0 and cursors.get_more(int(cursor_id), "db.c", None) == (0, [big])


@pytest.mark.parametrize("wrap", [StoredDocument, RawBSONDocument, decode_document])
def test_batches_of_stored_and_built_documents_stop_at_the_same_size(wrap):
    """Stored documents are measured by one C-level sum, built ones one by one: the same cut either way."""
    half = MAX_BATCH_BYTES // 2
    raws = [encode_document({"_id": i, "s": "x" * (half - 100)}) for i in range(5)]
    small = [encode_document({"_id": i}) for i in range(10, 13)]
    docs = [wrap(raw) for raw in [*small, *raws]]
    assert take_batch(docs, 0, None) == 5  # three small ones and two (just under) halves, not a third
    assert take_batch(docs, 5, None) == 7
    assert take_batch(docs, 7, None) == 8
    assert take_batch(docs, 0, 3) == 3
    assert take_batch(docs[:3], 0, None) == 3


def test_an_empty_field_name_is_no_express_shape_and_no_error():
    coll = _indexed_catalog().collection("db", "c")
    assert express_first(coll, {"": 1}) is None
    assert plan_query(coll, {"": 1}).winner.kind == "COLLSCAN"
    assert find_documents(coll, FindSpec({"": 1}, limit=1)) == []
