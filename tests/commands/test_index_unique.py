"""Unique indexes enforced by insert, update (single and multi), upsert and findAndModify; multikey keys,
missing fields as null, numbers of different types colliding, and parallel arrays refused."""

from __future__ import annotations

import pytest
from bson.decimal128 import Decimal128
from bson.int64 import Int64
from pymongo import ReturnDocument
from pymongo.errors import BulkWriteError, DuplicateKeyError, OperationFailure, WriteError


def _dup(db, key_value: str) -> str:
    return f"E11000 duplicate key error collection: {db.name}.c index: a_1 dup key: {key_value}"


def test_insert_violation_has_mongods_shape(db):
    db.c.create_index("a", unique=True)
    db.c.insert_one({"_id": 1, "a": 1})
    with pytest.raises(DuplicateKeyError) as exc:
        db.c.insert_one({"_id": 2, "a": 1})
    assert exc.value.details == {
        "index": 0,
        "code": 11000,
        "keyPattern": {"a": 1},
        "keyValue": {"a": 1},
        "errmsg": _dup(db, "{ a: 1 }"),
    }


@pytest.mark.parametrize("other", [1.0, Int64(1), Decimal128("1")], ids=["double", "long", "decimal"])
def test_numbers_of_other_types_collide(db, other):
    db.c.create_index("a", unique=True)
    db.c.insert_one({"a": 1})
    with pytest.raises(DuplicateKeyError):
        db.c.insert_one({"a": other})


def test_array_elements_and_missing_fields(db):
    db.c.create_index("a", unique=True)
    db.c.insert_one({"_id": 1, "a": [1, 2, 2]})
    with pytest.raises(DuplicateKeyError) as exc:
        db.c.insert_one({"_id": 2, "a": 2})
    assert exc.value.details["keyValue"] == {"a": 2}
    db.c.insert_one({"_id": 3})
    with pytest.raises(DuplicateKeyError) as exc:
        db.c.insert_one({"_id": 4, "a": None})
    assert exc.value.details["errmsg"] == _dup(db, "{ a: null }")


def test_sparse_and_partial_unique_skip_documents(db):
    db.s.create_index("a", unique=True, sparse=True)
    db.s.insert_many([{"_id": 1}, {"_id": 2}, {"_id": 3, "a": 1}])
    with pytest.raises(DuplicateKeyError):
        db.s.insert_one({"a": 1})
    db.p.create_index("a", unique=True, partialFilterExpression={"live": True})
    db.p.insert_many([{"a": 1, "live": False}, {"a": 1, "live": False}, {"a": 1, "live": True}])
    with pytest.raises(DuplicateKeyError):
        db.p.insert_one({"a": 1, "live": True})


def test_ordered_and_unordered_batches(db):
    db.c.create_index("a", unique=True)
    with pytest.raises(BulkWriteError) as exc:
        db.c.insert_many([{"_id": 1, "a": 1}, {"_id": 2, "a": 1}, {"_id": 3, "a": 3}], ordered=False)
    assert [e["index"] for e in exc.value.details["writeErrors"]] == [1]
    assert sorted(d["_id"] for d in db.c.find()) == [1, 3]


def test_update_violations_apply_nothing(db):
    db.c.create_index("a", unique=True)
    db.c.insert_many([{"_id": 1, "a": 1}, {"_id": 2, "a": 2}, {"_id": 3, "a": 3}])
    with pytest.raises(WriteError) as exc:
        db.c.update_one({"_id": 1}, {"$set": {"a": 2}})
    assert exc.value.code == 11000
    assert exc.value.details["errmsg"] == _dup(db, "{ a: 2 }")
    with pytest.raises(WriteError):
        db.c.update_many({}, {"$set": {"a": 7}})
    assert sorted((d["_id"], d["a"]) for d in db.c.find()) == [(1, 1), (2, 2), (3, 3)]
    db.c.update_many({"a": {"$gte": 2}}, {"$inc": {"a": 10}})
    assert sorted(d["a"] for d in db.c.find()) == [1, 12, 13]
    db.c.update_one({"_id": 1}, {"$set": {"a": 1, "b": 1}})  # keeping its own key is fine


def test_upsert_and_find_and_modify(db):
    db.c.create_index("a", unique=True)
    db.c.insert_one({"_id": 1, "a": 1})
    with pytest.raises(DuplicateKeyError):
        db.c.update_one({"_id": 9}, {"$set": {"a": 1}}, upsert=True)
    with pytest.raises(DuplicateKeyError):
        db.c.find_one_and_update({"_id": 9}, {"$set": {"a": 1}}, upsert=True)
    db.c.insert_one({"_id": 2, "a": 2})
    with pytest.raises(DuplicateKeyError):
        db.c.find_one_and_update({"_id": 2}, {"$set": {"a": 1}})
    doc = db.c.find_one_and_update({"_id": 2}, {"$set": {"a": 5}}, return_document=ReturnDocument.AFTER)
    assert doc == {"_id": 2, "a": 5}
    db.c.delete_one({"_id": 1})
    db.c.insert_one({"_id": 3, "a": 1})


def test_compound_unique(db):
    db.c.create_index([("a", 1), ("b", -1)], unique=True)
    db.c.insert_many([{"a": 1, "b": 1}, {"a": 1, "b": 2}, {"a": 2, "b": 1}])
    with pytest.raises(DuplicateKeyError) as exc:
        db.c.insert_one({"a": 1, "b": 2.0})
    assert exc.value.details["keyPattern"] == {"a": 1, "b": -1}
    assert exc.value.details["keyValue"] == {"a": 1, "b": 2.0}


def test_parallel_arrays(db):
    db.c.create_index([("a", 1), ("b", 1)])
    db.c.insert_one({"a": [1, 2], "b": 1})
    with pytest.raises(WriteError) as exc:
        db.c.insert_one({"a": [1, 2], "b": [1, 2]})
    assert exc.value.code == 171
    assert exc.value.details["errmsg"] == "cannot index parallel arrays [b] [a]"
    db.d.insert_one({"x": [1], "y": [2]})
    with pytest.raises(OperationFailure) as exc:
        db.d.create_index([("x", 1), ("y", 1)])
    assert exc.value.code == 171
    assert [i["name"] for i in db.d.list_indexes()] == ["_id_"]
