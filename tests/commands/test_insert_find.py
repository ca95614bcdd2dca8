"""insert, find, getMore, killCursors, count, distinct through PyMongo."""

from __future__ import annotations

import pytest
from bson.int64 import Int64
from bson.objectid import ObjectId
from bson.son import SON
from pymongo.errors import BulkWriteError, DuplicateKeyError, OperationFailure


def test_insert_generates_object_id_first(db):
    result = db.c.insert_one({"a": 1})
    assert isinstance(result.inserted_id, ObjectId)
    raw = db.command("find", "c", filter={})["cursor"]["firstBatch"][0]
    assert list(raw) == ["_id", "a"]
    assert raw == {"_id": result.inserted_id, "a": 1}


def test_insert_moves_id_to_the_front(db):
    db.command(SON([("insert", "c"), ("documents", [SON([("a", 1), ("_id", 7)])])]))
    assert list(db.c.find_one({"_id": 7})) == ["_id", "a"]


def test_insert_reply_shape(db):
    reply = db.command("insert", "c", documents=[{"_id": 1}, {"_id": 2}])
    assert reply == {"n": 2, "ok": 1.0}


def test_duplicate_id_write_error(db):
    db.c.insert_one({"_id": 1})
    with pytest.raises(DuplicateKeyError) as exc:
        db.c.insert_one({"_id": 1.0})
    assert exc.value.code == 11000
    assert exc.value.details == {
        "index": 0,
        "code": 11000,
        "keyPattern": {"_id": 1},
        "keyValue": {"_id": 1.0},
        "errmsg": f"E11000 duplicate key error collection: {db.name}.c index: _id_ dup key: {{ _id: 1.0 }}",
    }


def test_ordered_insert_stops_at_first_error(db):
    with pytest.raises(BulkWriteError) as exc:
        db.c.insert_many([{"_id": 1}, {"_id": 1}, {"_id": 2}])
    assert exc.value.details["nInserted"] == 1
    assert [e["index"] for e in exc.value.details["writeErrors"]] == [1]
    assert [d["_id"] for d in db.c.find()] == [1]


def test_unordered_insert_continues(db):
    with pytest.raises(BulkWriteError) as exc:
        db.c.insert_many([{"_id": 1}, {"_id": 1}, {"_id": 2}, {"_id": 2}], ordered=False)
    assert exc.value.details["nInserted"] == 2
    assert [e["index"] for e in exc.value.details["writeErrors"]] == [1, 3]
    assert [d["_id"] for d in db.c.find()] == [1, 2]


def test_array_id_is_refused(db):
    with pytest.raises(BulkWriteError) as exc:
        db.c.insert_many([{"_id": [1, 2]}])
    error = exc.value.details["writeErrors"][0]
    assert error["code"] == 53
    assert error["errmsg"] == "The '_id' value cannot be of type array"


def test_empty_insert_batch(db):
    with pytest.raises(OperationFailure) as exc:
        db.command("insert", "c", documents=[])
    assert exc.value.code == 16
    assert exc.value.details["errmsg"] == "Write batch sizes must be between 1 and 100000. Got 0 operations."


def test_find_filter_sort_skip_limit_projection(db):
    db.c.insert_many([{"_id": i, "a": i % 3, "b": i} for i in range(10)])
    docs = list(db.c.find({"a": {"$in": [0, 2]}}, {"b": 1}).sort([("a", -1), ("b", 1)]).skip(1).limit(3))
    assert docs == [{"_id": 5, "b": 5}, {"_id": 8, "b": 8}, {"_id": 0, "b": 0}]


def test_find_natural_order_is_insertion_order(db):
    db.c.insert_many([{"_id": 3}, {"_id": 1}, {"_id": 2}])
    assert [d["_id"] for d in db.c.find()] == [3, 1, 2]
    assert [d["_id"] for d in db.c.find().sort("$natural", -1)] == [2, 1, 3]


def test_find_on_missing_collection_is_empty(db):
    reply = db.command("find", "nothing")
    assert reply == {"cursor": {"firstBatch": [], "id": 0, "ns": f"{db.name}.nothing"}, "ok": 1.0}


def test_cursor_batches_and_get_more(db):
    db.c.insert_many([{"_id": i} for i in range(250)])
    first = db.command("find", "c", batchSize=100)
    cursor = first["cursor"]
    assert len(cursor["firstBatch"]) == 100
    assert isinstance(cursor["id"], Int64) and cursor["id"] != 0
    more = db.command("getMore", cursor["id"], collection="c", batchSize=100)
    assert [d["_id"] for d in more["cursor"]["nextBatch"]] == list(range(100, 200))
    assert more["cursor"]["id"] == cursor["id"]
    last = db.command("getMore", cursor["id"], collection="c")
    assert [d["_id"] for d in last["cursor"]["nextBatch"]] == list(range(200, 250))
    assert last["cursor"]["id"] == 0
    with pytest.raises(OperationFailure) as exc:
        db.command("getMore", cursor["id"], collection="c")
    assert exc.value.code == 43
    assert exc.value.details["codeName"] == "CursorNotFound"


def test_default_first_batch_is_101(db):
    db.c.insert_many([{"_id": i} for i in range(150)])
    reply = db.command("find", "c")
    assert len(reply["cursor"]["firstBatch"]) == 101
    assert [d["_id"] for d in db.c.find()] == list(range(150))


def test_kill_cursors(db):
    db.c.insert_many([{"_id": i} for i in range(10)])
    cursor_id = db.command("find", "c", batchSize=2)["cursor"]["id"]
    reply = db.command("killCursors", "c", cursors=[cursor_id, Int64(12345)])
    assert reply == {
        "cursorsKilled": [cursor_id],
        "cursorsNotFound": [12345],
        "cursorsAlive": [],
        "cursorsUnknown": [],
        "ok": 1.0,
    }


def test_single_batch_closes_cursor(db):
    db.c.insert_many([{"_id": i} for i in range(10)])
    reply = db.command("find", "c", batchSize=3, singleBatch=True)
    assert reply["cursor"]["id"] == 0
    assert len(reply["cursor"]["firstBatch"]) == 3
    assert db.c.find_one({"_id": {"$gt": 4}}) == {"_id": 5}


def test_find_negative_limit_and_unknown_field(db):
    with pytest.raises(OperationFailure) as exc:
        db.command("find", "c", limit=-1)
    assert exc.value.code == 51024
    with pytest.raises(OperationFailure) as exc:
        db.command("find", "c", bogus=1)
    assert exc.value.code == 40415
    assert exc.value.details["errmsg"] == "BSON field 'find.bogus' is an unknown field."


def test_find_wrong_type(db):
    with pytest.raises(OperationFailure) as exc:
        db.command("find", "c", filter="x")
    assert exc.value.code == 14
    assert exc.value.details["codeName"] == "TypeMismatch"


def test_bad_filter_operator(db):
    db.c.insert_one({"a": 1})
    with pytest.raises(OperationFailure) as exc:
        list(db.c.find({"a": {"$bogus": 1}}))
    assert exc.value.code == 2
    assert exc.value.details["errmsg"] == "unknown operator: $bogus"


def test_count_and_estimated_count(db):
    db.c.insert_many([{"a": i} for i in range(10)])
    assert db.command("count", "c") == {"n": 10, "ok": 1.0}
    assert db.command("count", "c", query={"a": {"$gte": 5}}) == {"n": 5, "ok": 1.0}
    assert db.command("count", "c", query={"a": {"$gte": 5}}, skip=1, limit=2) == {"n": 2, "ok": 1.0}
    assert db.c.estimated_document_count() == 10
    assert db.command("count", "missing") == {"n": 0, "ok": 1.0}


def test_distinct_unwinds_arrays_and_sorts_in_bson_order(db):
    db.c.insert_many(
        [
            {"a": 2},
            {"a": [1, 3]},
            {"a": "x"},
            {"a": 1.0},
            {"a": None},
            {"b": 1},
            {"a": [[5]]},
            {"a": {"k": 1}},
        ]
    )
    assert db.c.distinct("a") == [None, 1, 2, 3, "x", {"k": 1}, [5]]
    assert db.c.distinct("a", {"a": {"$type": "number"}}) == [1, 2, 3]


def test_dotted_and_embedded_queries(db):
    db.c.insert_many(
        [
            {"_id": 1, "a": {"b": 1, "c": [1, 2]}},
            {"_id": 2, "a": [{"b": 2}, {"b": 3}]},
            {"_id": 3, "a": {"c": 1, "b": 1}},
        ]
    )
    assert [d["_id"] for d in db.c.find({"a.b": 3})] == [2]
    assert [d["_id"] for d in db.c.find({"a.c": 2})] == [1]
    assert [d["_id"] for d in db.c.find({"a": {"b": 1, "c": [1, 2]}})] == [1]
    assert [d["_id"] for d in db.c.find({"a.b": {"$exists": False}})] == []
    assert [d["_id"] for d in db.c.find({"$or": [{"a.b": 2}, {"a.c": 1}]})] == [1, 2, 3]
    assert [d["_id"] for d in db.c.find({"a.b": {"$not": {"$gt": 1}}})] == [1, 3]
    assert [d["_id"] for d in db.c.find({"$nor": [{"a.b": 1}]})] == [2]


def test_sort_across_types(db):
    db.c.insert_many(
        [
            {"_id": 1, "v": "b"},
            {"_id": 2, "v": 2},
            {"_id": 3},
            {"_id": 5, "v": 1.5},
            {"_id": 6, "v": {"x": 1}},
            {"_id": 7, "v": [0, 9]},
            {"_id": 8, "v": True},
        ]
    )
    ids = [d["_id"] for d in db.c.find().sort("v", 1)]
    assert ids == [3, 7, 5, 2, 1, 6, 8]
    ids = [d["_id"] for d in db.c.find().sort("v", -1)]
    assert ids == [8, 6, 1, 7, 2, 5, 3]
