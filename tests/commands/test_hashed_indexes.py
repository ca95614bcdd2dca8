"""Hashed indexes over the wire: creation and its errors, keys that refuse arrays, equality and $in
planned on the hashed index (explain shows IXSCAN with hashed bounds), compound hashed indexes."""

from __future__ import annotations

import pytest
from bson.int64 import Int64
from pymongo.errors import OperationFailure, WriteError

H1 = 5902408780260971510  # convertShardKeyToHashed(1)
H42 = -944302157085130861


def _ixscan(plan: dict) -> dict:
    while plan.get("stage") != "IXSCAN":
        plan = plan["inputStage"]
    return plan


def test_create_and_list(db):
    assert db.c.create_index([("a", "hashed")]) == "a_hashed"
    assert db.c.create_index([("b", 1), ("c", "hashed")]) == "b_1_c_hashed"
    specs = {i["name"]: i for i in db.c.list_indexes()}
    assert specs["a_hashed"] == {"v": 2, "key": {"a": "hashed"}, "name": "a_hashed"}
    assert specs["b_1_c_hashed"]["key"] == {"b": 1, "c": "hashed"}
    # the same field with a plain index is a different index
    assert db.c.create_index([("a", 1)]) == "a_1"


def test_unique_refused(db):
    with pytest.raises(OperationFailure) as exc:
        db.c.create_index([("a", "hashed")], unique=True)
    assert exc.value.code == 16764
    assert exc.value.details["errmsg"] == (
        "Currently hashed indexes cannot guarantee uniqueness. Use a regular index."
    )


def test_two_hashed_fields_refused(db):
    with pytest.raises(OperationFailure) as exc:
        db.c.create_index([("a", "hashed"), ("b", "hashed")])
    assert exc.value.code == 31303
    assert exc.value.details["errmsg"] == (
        "A maximum of one index field is allowed to be hashed but found 2 for 'key' "
        '{ a: "hashed", b: "hashed" }'
    )


def test_two_plugins_refused(db):
    with pytest.raises(OperationFailure) as exc:
        db.c.create_index([("a", "hashed"), ("b", "text")])
    assert exc.value.code == 67


def test_array_values_refused(db):
    db.c.create_index([("a.b", "hashed")])
    with pytest.raises(WriteError) as exc:
        db.c.insert_one({"a": [{"b": 1}]})
    assert exc.value.code == 16766
    assert exc.value.details["errmsg"] == (
        "Error: hashed indexes do not currently support array values. Found array at path: a"
    )
    with pytest.raises(WriteError) as exc:
        db.c.insert_one({"a": {"b": [1]}})
    assert exc.value.details["errmsg"].endswith("Found array at path: a.b")
    assert db.c.count_documents({}) == 0


def test_build_over_array_refused(db):
    db.c.insert_one({"a": [1, 2]})
    with pytest.raises(OperationFailure) as exc:
        db.c.create_index([("a", "hashed")])
    assert exc.value.code == 16766
    assert [i["name"] for i in db.c.list_indexes()] == ["_id_"]


def test_equality_uses_hashed_index(db):
    db.c.create_index([("a", "hashed")])
    db.c.insert_many([{"_id": i, "a": i % 10} for i in range(100)] + [{"_id": 100, "a": 1.5}])
    # 1.5 hashes as 1: the fetch filter keeps it out
    assert sorted(d["_id"] for d in db.c.find({"a": 1})) == list(range(1, 100, 10))
    assert db.c.find_one({"a": 1.5}) == {"_id": 100, "a": 1.5}
    assert db.c.find_one({"a": 1}, sort=[("_id", 1)])["_id"] == 1
    explain = db.c.find({"a": 1}).explain()
    plan = explain["queryPlanner"]["winningPlan"]
    assert plan["stage"] == "FETCH"
    assert plan["filter"] == {"a": {"$eq": 1}}
    scan = _ixscan(plan)
    assert scan["indexName"] == "a_hashed"
    assert scan["keyPattern"] == {"a": "hashed"}
    assert scan["isMultiKey"] is False
    assert scan["indexBounds"] == {"a": [f"[{H1}, {H1}]"]}
    stats = db.command("explain", {"find": "c", "filter": {"a": 1}}, verbosity="executionStats")
    assert stats["executionStats"]["nReturned"] == 10
    assert stats["executionStats"]["totalKeysExamined"] == 11


def test_in_uses_hashed_points(db):
    db.c.create_index([("a", "hashed")])
    db.c.insert_many([{"_id": i, "a": i} for i in range(50)])
    assert sorted(d["_id"] for d in db.c.find({"a": {"$in": [1, 42, 99]}})) == [1, 42]
    scan = _ixscan(db.c.find({"a": {"$in": [1, 42]}}).explain()["queryPlanner"]["winningPlan"])
    assert scan["indexBounds"] == {"a": [f"[{H42}, {H42}]", f"[{H1}, {H1}]"]}


def test_range_does_not_use_hashed_index(db):
    db.c.create_index([("a", "hashed")])
    db.c.insert_many([{"_id": i, "a": i} for i in range(10)])
    assert [d["_id"] for d in db.c.find({"a": {"$gt": 7}})] == [8, 9]
    assert db.c.find({"a": {"$gt": 7}}).explain()["queryPlanner"]["winningPlan"]["stage"] == "COLLSCAN"


def test_missing_and_null_key_as_null(db):
    db.c.create_index([("a", "hashed")])
    db.c.insert_many([{"_id": 1}, {"_id": 2, "a": None}, {"_id": 3, "a": 0}])
    assert sorted(d["_id"] for d in db.c.find({"a": None})) == [1, 2]
    scan = _ixscan(db.c.find({"a": None}).explain()["queryPlanner"]["winningPlan"])
    assert scan["indexName"] == "a_hashed"


def test_documents_hashed_whole(db):
    db.c.create_index([("a", "hashed")])
    db.c.insert_many([{"_id": 1, "a": {"x": 1, "y": 2}}, {"_id": 2, "a": {"y": 2, "x": 1}}])
    assert [d["_id"] for d in db.c.find({"a": {"x": 1, "y": 2}})] == [1]


def test_compound_hashed(db):
    db.c.create_index([("b", 1), ("c", "hashed")])
    db.c.insert_many([{"_id": i, "b": i % 3, "c": i % 5} for i in range(30)])
    assert sorted(d["_id"] for d in db.c.find({"b": 1, "c": 4})) == [4, 19]
    scan = _ixscan(db.c.find({"b": 1, "c": 4}).explain()["queryPlanner"]["winningPlan"])
    assert scan["indexName"] == "b_1_c_hashed"
    h4 = 2433984061343616404
    assert scan["indexBounds"] == {"b": ["[1, 1]"], "c": [f"[{h4}, {h4}]"]}
    # a prefix predicate alone scans the prefix
    assert sorted(d["_id"] for d in db.c.find({"b": 2})) == list(range(2, 30, 3))
    with pytest.raises(WriteError) as exc:
        db.c.insert_one({"b": [1, 2], "c": 1})
    assert exc.value.code == 16766


def test_updates_and_deletes_keep_index(db):
    db.c.create_index([("a", "hashed")])
    db.c.insert_many([{"_id": i, "a": i} for i in range(5)])
    db.c.update_one({"a": 3}, {"$set": {"a": 30}})
    assert db.c.find_one({"a": 3}) is None
    assert db.c.find_one({"a": 30}) == {"_id": 3, "a": 30}
    db.c.delete_one({"a": 30})
    assert db.c.find_one({"a": 30}) is None
    with pytest.raises(WriteError) as exc:
        db.c.update_one({"a": 1}, {"$set": {"a": [1]}})
    assert exc.value.code == 16766
    assert db.c.find_one({"_id": 1}) == {"_id": 1, "a": 1}


def test_hint_and_drop_by_pattern(db):
    db.c.create_index([("a", "hashed")])
    db.c.insert_one({"_id": 1, "a": Int64(5)})
    assert db.c.find_one({"a": 5}, hint={"a": "hashed"}) == {"_id": 1, "a": 5}
    db.command("dropIndexes", "c", index={"a": "hashed"})
    assert [i["name"] for i in db.c.list_indexes()] == ["_id_"]
