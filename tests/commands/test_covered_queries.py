"""Covered finds: a filter and projection served by one index alone are answered from its keys, and
explain shows mongod 7.0's plan (PROJECTION_COVERED over IXSCAN, ``totalDocsExamined: 0``)."""

from __future__ import annotations

import datetime

import pytest
from bson.decimal128 import Decimal128
from bson.int64 import Int64
from bson.objectid import ObjectId

OID = ObjectId("650000000000000000000001")


@pytest.fixture
def coll(db):
    db.c.insert_many([{"_id": i, "a": i, "b": Int64(i * 10), "s": f"s{i}", "z": "other"} for i in range(10)])
    db.c.create_index([("a", 1), ("b", -1)])
    return db.c


def _explain(cursor) -> dict:
    return cursor.explain()


def test_covered_find_returns_key_values(coll):
    docs = list(coll.find({"a": {"$gte": 7}}, {"b": 1, "a": 1, "_id": 0}))
    assert docs == [{"a": 7, "b": 70}, {"a": 8, "b": 80}, {"a": 9, "b": 90}]
    assert [list(doc) for doc in docs] == [["a", "b"]] * 3  # the index's key order, as mongod builds it
    assert all(type(doc["b"]) is Int64 and type(doc["a"]) is int for doc in docs)


def test_covered_explain(coll):
    explain = _explain(coll.find({"a": {"$gte": 7}}, {"a": 1, "_id": 0}))
    winning = explain["queryPlanner"]["winningPlan"]
    assert winning["stage"] == "PROJECTION_COVERED"
    assert winning["transformBy"] == {"a": 1, "_id": 0}
    assert winning["inputStage"]["stage"] == "IXSCAN"
    assert winning["inputStage"]["indexName"] == "a_1_b_-1"
    stats = explain["executionStats"]
    assert (stats["nReturned"], stats["totalKeysExamined"], stats["totalDocsExamined"]) == (3, 3, 0)
    stages = stats["executionStages"]
    assert (stages["stage"], stages["nReturned"], stages["inputStage"]["nReturned"]) == (
        "PROJECTION_COVERED",
        3,
        3,
    )


@pytest.mark.parametrize(
    "query,projection,stage",
    [
        pytest.param({"a": {"$gte": 7}}, {"a": 1}, "FETCH", id="id-not-in-index"),
        pytest.param({"a": {"$gte": 7}}, {"a": 1, "s": 1, "_id": 0}, "FETCH", id="field-not-in-index"),
        pytest.param({"a": {"$gte": 7}, "s": "s8"}, {"a": 1, "_id": 0}, "FETCH", id="filter-not-in-index"),
        pytest.param({"a": {"$gte": 7}}, {"s": 0}, "FETCH", id="exclusion"),
        pytest.param({"a": {"$gte": 7}}, {"a": {"$add": [1, 1]}, "_id": 0}, "FETCH", id="computed"),
    ],
)
def test_not_covered(coll, query, projection, stage):
    winning = _explain(coll.find(query, projection))["queryPlanner"]["winningPlan"]
    assert winning["stage"] != "PROJECTION_COVERED"
    assert winning["inputStage"]["stage"] == stage


def test_multikey_index_is_not_covered(coll):
    coll.insert_one({"_id": 99, "a": 99, "b": [1, 2]})
    winning = _explain(coll.find({"a": {"$gte": 7}}, {"a": 1, "_id": 0}))["queryPlanner"]["winningPlan"]
    assert winning["inputStage"]["stage"] == "FETCH"


@pytest.mark.parametrize(
    "value",
    [
        1,
        Int64(2),
        2.5,
        -0.0,
        Decimal128("3.250"),
        "x",
        "",
        OID,
        True,
        datetime.datetime(2020, 1, 2, 3, 4, 5, 6000),
    ],
    ids=repr,
)
@pytest.mark.parametrize("direction", [1, -1])
def test_covered_values_are_the_stored_values(db, value, direction):
    db.c.insert_many([{"_id": 1, "v": value}, {"_id": 2, "v": "zzz" if value == "x" else "x"}])
    db.c.create_index([("v", direction)])
    covered = list(db.c.find({"v": value}, {"v": 1, "_id": 0}))
    fetched = list(db.c.find({"v": value}, {"v": 1}))
    assert covered == [{"v": doc["v"]} for doc in fetched]
    assert [type(doc["v"]) for doc in covered] == [type(doc["v"]) for doc in fetched]
    assert str(covered[0]["v"]) == str(fetched[0]["v"])  # -0.0 and 3.250 keep their sign and digits
    explain = db.c.find({"v": value}, {"v": 1, "_id": 0}).explain()
    assert explain["queryPlanner"]["winningPlan"]["stage"] == "PROJECTION_COVERED"
    assert explain["executionStats"]["totalDocsExamined"] == 0


def test_covered_descending_sort_and_types(db):
    values = [1, Int64(2), 2.5, Decimal128("3.25"), datetime.datetime(2020, 1, 2, 3, 4, 5, 6000)]
    db.c.insert_many([{"_id": i, "v": v} for i, v in enumerate(values)])
    db.c.create_index([("v", -1)])
    query = {"v": {"$gte": 0}}
    numbers = list(db.c.find(query, {"v": 1, "_id": 0}).sort("v", -1))
    assert numbers == [{"v": Decimal128("3.25")}, {"v": 2.5}, {"v": Int64(2)}, {"v": 1}]
    assert [type(d["v"]) for d in numbers] == [Decimal128, float, Int64, int]
    explain = db.c.find(query, {"v": 1, "_id": 0}).sort("v", -1).explain()
    assert explain["queryPlanner"]["winningPlan"]["stage"] == "PROJECTION_COVERED"
    assert explain["executionStats"]["totalDocsExamined"] == 0
    dates = list(db.c.find({"v": {"$type": "date"}}, {"v": 1, "_id": 0}).hint("v_-1"))
    assert dates == [{"v": datetime.datetime(2020, 1, 2, 3, 4, 5, 6000)}]


def test_missing_field_comes_back_null_as_from_mongods_covered_projection(db):
    db.c.insert_many([{"_id": 1, "a": 1, "b": "x"}, {"_id": 2, "a": 2}])
    db.c.create_index([("a", 1), ("b", 1)])
    assert list(db.c.find({"a": {"$gt": 0}}, {"a": 1, "b": 1, "_id": 0})) == [
        {"a": 1, "b": "x"},
        {"a": 2, "b": None},
    ]


def test_id_in_the_index_is_covered(db):
    db.c.insert_many([{"_id": i, "a": i % 3} for i in range(6)])
    db.c.create_index([("a", 1), ("_id", 1)])
    cursor = db.c.find({"a": 1}, {"_id": 1, "a": 1})
    assert list(cursor) == [{"a": 1, "_id": 1}, {"a": 1, "_id": 4}]
    explain = db.c.find({"a": 1}, {"_id": 1, "a": 1}).explain()
    assert explain["queryPlanner"]["winningPlan"]["stage"] == "PROJECTION_COVERED"
    assert explain["executionStats"]["totalDocsExamined"] == 0


def test_key_that_cannot_give_its_value_back_fetches_that_document(db):
    db.c.insert_many([{"_id": 1, "a": {"x": 1}}, {"_id": 2, "a": 5}])
    db.c.create_index("a")
    cursor = db.c.find({"a": {"$gte": {}}}, {"a": 1, "_id": 0})
    assert list(cursor) == [{"a": {"x": 1}}]
    explain = db.c.find({"a": {"$gte": {}}}, {"a": 1, "_id": 0}).explain()
    assert explain["queryPlanner"]["winningPlan"]["stage"] == "PROJECTION_COVERED"
    assert explain["executionStats"]["totalDocsExamined"] == 1  # the embedded document came from the doc
