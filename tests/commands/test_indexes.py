"""createIndexes / listIndexes / dropIndexes / collMod through PyMongo, with mongod 7.0's replies."""

from __future__ import annotations

import pytest
from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.errors import OperationFailure


def _error(exc: pytest.ExceptionInfo) -> tuple[int, str]:
    return exc.value.code, exc.value.details["codeName"]


def test_create_list_and_repeat(db):
    reply = db.command("createIndexes", "c", indexes=[{"key": {"a": 1}, "name": "a_1"}])
    assert reply == {
        "numIndexesBefore": 1,
        "numIndexesAfter": 2,
        "createdCollectionAutomatically": True,
        "ok": 1.0,
    }
    name = db.c.create_index([("b", DESCENDING), ("c.d", ASCENDING)], unique=True, sparse=True)
    assert name == "b_-1_c.d_1"
    db.c.create_index("e", partialFilterExpression={"e": {"$gt": 5}}, name="e_part")
    assert list(db.c.list_indexes()) == [
        {"v": 2, "key": {"_id": 1}, "name": "_id_"},
        {"v": 2, "key": {"a": 1}, "name": "a_1"},
        {"v": 2, "key": {"b": -1, "c.d": 1}, "name": "b_-1_c.d_1", "unique": True, "sparse": True},
        {"v": 2, "key": {"e": 1}, "name": "e_part", "partialFilterExpression": {"e": {"$gt": 5}}},
    ]
    again = db.command("createIndexes", "c", indexes=[{"key": {"a": 1}, "name": "a_1"}])
    assert again == {
        "numIndexesBefore": 4,
        "numIndexesAfter": 4,
        "note": "all indexes already exist",
        "ok": 1.0,
    }
    assert db.command("createIndexes", "c", indexes=[{"key": {"_id": 1}, "name": "_id_"}])["note"] == (
        "all indexes already exist"
    )


def test_several_at_once_are_all_or_nothing(db):
    db.c.insert_many([{"_id": 1, "a": 1, "u": 1}, {"_id": 2, "a": 2, "u": 1}])
    with pytest.raises(OperationFailure) as exc:
        db.c.create_indexes([IndexModel("a"), IndexModel("u", unique=True)])
    assert _error(exc) == (11000, "DuplicateKey")
    assert exc.value.details["errmsg"] == (
        f"E11000 duplicate key error collection: {db.name}.c index: u_1 dup key: {{ u: 1 }}"
    )
    assert [i["name"] for i in db.c.list_indexes()] == ["_id_"]
    db.c.delete_one({"_id": 2})
    db.c.create_index("u", unique=True)
    assert [i["name"] for i in db.c.list_indexes()] == ["_id_", "u_1"]


def test_name_and_option_conflicts(db):
    db.c.create_index("a")
    with pytest.raises(OperationFailure) as exc:
        db.command("createIndexes", "c", indexes=[{"key": {"b": 1}, "name": "a_1"}])
    assert _error(exc) == (86, "IndexKeySpecsConflict")
    with pytest.raises(OperationFailure) as exc:
        db.command("createIndexes", "c", indexes=[{"key": {"a": 1}, "name": "a_1", "unique": True}])
    assert _error(exc) == (85, "IndexOptionsConflict")
    with pytest.raises(OperationFailure) as exc:
        db.command("createIndexes", "c", indexes=[{"key": {"a": 1}, "name": "other"}])
    assert _error(exc) == (85, "IndexOptionsConflict")
    assert exc.value.details["errmsg"] == "Index already exists with a different name: a_1"


@pytest.mark.parametrize(
    ("key", "code"),
    [
        pytest.param({"a": 0}, 67, id="zero"),
        pytest.param({"a": "nope"}, 67, id="unknown-plugin"),
        pytest.param({}, 67, id="empty"),
    ],
)
def test_unsupported_and_bad_keys(db, key, code):
    with pytest.raises(OperationFailure) as exc:
        db.command("createIndexes", "c", indexes=[{"key": key, "name": "x"}])
    assert exc.value.code == code


def test_bad_options(db):
    with pytest.raises(OperationFailure) as exc:
        db.command("createIndexes", "c", indexes=[{"key": {"a": 1}, "name": "a_1", "bogus": 1}])
    assert _error(exc) == (197, "InvalidIndexSpecificationOption")
    with pytest.raises(OperationFailure) as exc:
        db.c.create_index("a", sparse=True, partialFilterExpression={"a": 1})
    assert exc.value.code == 67
    with pytest.raises(OperationFailure) as exc:
        db.c.create_index([("a", 1), ("b", 1)], expireAfterSeconds=5)
    assert exc.value.code == 67


def test_drop_indexes(db):
    db.c.create_index("a")
    db.c.create_index("b")
    db.c.create_index("c")
    db.c.create_index("d")
    assert db.command("dropIndexes", "c", index="a_1") == {"nIndexesWas": 5, "ok": 1.0}
    assert db.command("dropIndexes", "c", index={"b": 1}) == {"nIndexesWas": 4, "ok": 1.0}
    assert db.command("dropIndexes", "c", index=["c_1"]) == {"nIndexesWas": 3, "ok": 1.0}
    with pytest.raises(OperationFailure) as exc:
        db.command("dropIndexes", "c", index="nope")
    assert _error(exc) == (27, "IndexNotFound")
    assert exc.value.details["errmsg"] == "index not found with name [nope]"
    with pytest.raises(OperationFailure) as exc:
        db.command("dropIndexes", "c", index={"zz": 1})
    assert exc.value.details["errmsg"] == "can't find index with key: { zz: 1 }"
    for spec in ("_id_", {"_id": 1}):
        with pytest.raises(OperationFailure) as exc:
            db.command("dropIndexes", "c", index=spec)
        assert _error(exc) == (72, "InvalidOptions")
    assert db.command("dropIndexes", "c", index="*") == {
        "nIndexesWas": 2,
        "msg": "non-_id indexes dropped for collection",
        "ok": 1.0,
    }
    assert [i["name"] for i in db.c.list_indexes()] == ["_id_"]


def test_coll_mod_hidden_and_ttl(db):
    db.c.create_index("a")
    db.c.create_index("t", expireAfterSeconds=100)
    assert db.command("collMod", "c", index={"name": "a_1", "hidden": True}) == {
        "hidden_old": False,
        "hidden_new": True,
        "ok": 1.0,
    }
    assert db.command("collMod", "c", index={"keyPattern": {"t": 1}, "expireAfterSeconds": 5}) == {
        "expireAfterSeconds_old": 100,
        "expireAfterSeconds_new": 5,
        "ok": 1.0,
    }
    specs = list(db.c.list_indexes())
    assert specs[1] == {"v": 2, "key": {"a": 1}, "name": "a_1", "hidden": True}
    assert specs[2] == {"v": 2, "key": {"t": 1}, "name": "t_1", "expireAfterSeconds": 5}
    db.command("collMod", "c", index={"name": "a_1", "hidden": False})
    assert list(db.c.list_indexes())[1] == {"v": 2, "key": {"a": 1}, "name": "a_1"}
    with pytest.raises(OperationFailure) as exc:
        db.command("collMod", "c", index={"name": "nope", "hidden": True})
    assert _error(exc) == (27, "IndexNotFound")
    with pytest.raises(OperationFailure) as exc:
        db.command("collMod", "c", cappedSize=4096)
    assert exc.value.code == 72  # not a capped collection


def test_coll_stats_report_each_index(db):
    db.c.insert_many([{"a": i} for i in range(10)])
    db.c.create_index("a")
    stats = db.command("collStats", "c")
    assert stats["nindexes"] == 2
    assert list(stats["indexSizes"]) == ["_id_", "a_1"]
    assert stats["totalIndexSize"] == sum(stats["indexSizes"].values())
    assert stats["indexSizes"]["a_1"] > 0
    assert db.command("dbStats")["indexes"] == 2
