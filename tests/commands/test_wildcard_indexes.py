"""Wildcard indexes over the wire: specs and mongod's errors, the (path, value) entries, and plans that
use them for single-field predicates and sorts, shown in explain as ``{$_path: 1, <path>: 1}``."""

from __future__ import annotations

import pytest
from pymongo.errors import OperationFailure

DOCS = [
    {"_id": 1, "a": 5, "b": {"c": "x"}, "tags": ["red"]},
    {"_id": 2, "a": [5, 6], "b": [{"c": "y"}], "n": {"deep": {"er": 1}}},
    {"_id": 3, "a": 7, "b": {"c": None}},
    {"_id": 4, "other": 1},
]


def _winning(cursor) -> dict:
    return cursor.explain()["queryPlanner"]["winningPlan"]


def _ixscan(plan: dict) -> dict:
    while plan.get("stage") != "IXSCAN":
        plan = plan["inputStage"]
    return plan


@pytest.fixture
def coll(db):
    db.c.insert_many([dict(d) for d in DOCS])
    db.c.create_index([("$**", 1)])
    return db.c


def test_specs(db):
    assert db.c.create_index([("$**", 1)]) == "$**_1"
    assert db.c.create_index([("b.$**", -1)]) == "b.$**_-1"
    assert db.d.create_index([("$**", 1)], wildcardProjection={"a": 1, "b.c": 1}, name="proj") == "proj"
    specs = list(db.c.list_indexes())[1:] + list(db.d.list_indexes())[1:]
    assert specs == [
        {"v": 2, "key": {"$**": 1}, "name": "$**_1"},
        {"v": 2, "key": {"b.$**": -1}, "name": "b.$**_-1"},
        {"v": 2, "key": {"$**": 1}, "name": "proj", "wildcardProjection": {"a": 1, "b.c": 1}},
    ]


@pytest.mark.parametrize(
    ("options", "code", "message"),
    [
        ({"unique": True}, 67, "Index type 'wildcard' does not support the unique option"),
        ({"sparse": True}, 67, "Index type 'wildcard' does not support the sparse option"),
        ({"expireAfterSeconds": 10}, 67, "Index type 'wildcard' cannot be a TTL index"),
        ({"wildcardProjection": {}}, 9, "The 'wildcardProjection' field can't be an empty object"),
    ],
)
def test_spec_errors(db, options, code, message):
    with pytest.raises(OperationFailure) as exc:
        db.c.create_index([("$**", 1)], **options)
    assert (exc.value.code, exc.value.details["errmsg"]) == (code, message)


def test_projection_only_with_full_wildcard(db):
    with pytest.raises(OperationFailure) as exc:
        db.c.create_index([("a.$**", 1)], wildcardProjection={"a.b": 1})
    assert exc.value.code == 9
    with pytest.raises(OperationFailure) as exc:
        db.c.create_index([("a", 1)], wildcardProjection={"a": 1})
    assert exc.value.code == 9


def test_equality_and_range_use_the_path(coll):
    assert [d["_id"] for d in coll.find({"a": 5})] == [1, 2]
    assert [d["_id"] for d in coll.find({"a": {"$gt": 5}})] == [2, 3]
    assert [d["_id"] for d in coll.find({"b.c": "y"})] == [2]
    assert [d["_id"] for d in coll.find({"n.deep.er": 1})] == [2]
    scan = _ixscan(_winning(coll.find({"a": {"$gt": 5}})))
    assert scan == {
        "stage": "IXSCAN",
        "keyPattern": {"$_path": 1, "a": 1},
        "indexName": "$**_1",
        "isMultiKey": True,
        "multiKeyPaths": {"$_path": [], "a": ["a"]},
        "isUnique": False,
        "isSparse": False,
        "isPartial": False,
        "indexVersion": 2,
        "direction": "forward",
        "indexBounds": {"$_path": ['["a", "a"]'], "a": ["(5, inf.0]"]},
    }
    scan = _ixscan(_winning(coll.find({"b.c": "y"})))
    assert scan["multiKeyPaths"] == {"$_path": [], "b.c": ["b"]}
    assert scan["indexBounds"] == {"$_path": ['["b.c", "b.c"]'], "b.c": ['["y", "y"]']}


def test_sort_served_on_non_multikey_path(coll):
    plan = _winning(coll.find({"n.deep.er": {"$gte": 0}}).sort("n.deep.er", -1))
    assert plan["stage"] == "FETCH"
    assert _ixscan(plan)["direction"] == "backward"
    # a multikey path is sorted in memory
    assert _winning(coll.find({"a": {"$gte": 0}}).sort("a", 1))["stage"] == "SORT"
    assert [d["_id"] for d in coll.find({"a": {"$gte": 0}}).sort("a", -1)] == [3, 2, 1]
    # no predicate on the sort field: no wildcard plan
    assert _winning(coll.find({}).sort("a", 1))["stage"] == "SORT"


def test_predicates_the_index_cannot_answer(coll):
    for query in ({"a": None}, {"b": {"c": "x"}}, {"a": {"$exists": False}}, {"a.0": 5}):
        assert _winning(coll.find(query))["stage"] == "COLLSCAN"
    assert [d["_id"] for d in coll.find({"b.c": None})] == [3, 4]
    assert [d["_id"] for d in coll.find({"b": {"c": "x"}})] == [1]


def test_id_is_not_indexed_by_default(coll):
    assert _winning(coll.find({"_id": {"$gt": 1}, "other": 1}))["inputStage"]["indexName"] == "$**_1"
    plan = _winning(coll.find({"_id": {"$gt": 1}}))
    assert _ixscan(plan)["indexName"] == "_id_"


def test_projection_and_subtree(db):
    db.c.insert_many([dict(d) for d in DOCS])
    db.c.create_index([("$**", 1)], wildcardProjection={"b": 1})
    assert _winning(db.c.find({"a": 5}))["stage"] == "COLLSCAN"
    assert _ixscan(_winning(db.c.find({"b.c": "x"})))["keyPattern"] == {"$_path": 1, "b.c": 1}
    db.d.insert_many([dict(d) for d in DOCS])
    db.d.create_index([("n.$**", 1)])
    assert _winning(db.d.find({"a": 5}))["stage"] == "COLLSCAN"
    assert [d["_id"] for d in db.d.find({"n.deep.er": 1})] == [2]
    assert _ixscan(_winning(db.d.find({"n.deep.er": 1})))["indexName"] == "n.$**_1"


def test_writes_keep_entries(coll):
    coll.update_one({"_id": 1}, {"$set": {"a": 50}})
    assert [d["_id"] for d in coll.find({"a": 5})] == [2]
    assert [d["_id"] for d in coll.find({"a": 50})] == [1]
    coll.delete_one({"_id": 2})
    assert [d["_id"] for d in coll.find({"a": {"$gte": 5}})] == [3, 1]
    assert coll.database.command("validate", "c")["keysPerIndex"]["$**_1"] == 6


def test_hint(coll):
    assert [d["_id"] for d in coll.find({"a": 5}, hint={"$**": 1})] == [1, 2]
    assert [d["_id"] for d in coll.find({"b.c": "x"}, hint="$**_1")] == [1]
    with pytest.raises(OperationFailure) as exc:
        list(coll.find({"a": None}, hint={"$**": 1}))
    assert exc.value.code == 291
