"""The write fast paths through a real server and PyMongo: an insert_many batch committed in bulk and an
update_one by ``_id`` committed alone answer as the general path does, count in serverStatus, and what
they acknowledged survives ``kill -9``."""

import pytest
from bson.int64 import Int64
from pymongo.errors import BulkWriteError

from tests.serverproc import ServerProcess
from tests.wire_client import raw_command


def test_insert_many_then_find_in_order(db):
    docs = [{"_id": i, "i": i, "s": "abcdefgh"} for i in range(1000)]
    before = db.command("serverStatus")["metrics"]["document"]["inserted"]
    result = db.c.insert_many(docs)
    assert result.inserted_ids == list(range(1000))
    assert list(db.c.find()) == docs
    assert db.command("serverStatus")["metrics"]["document"]["inserted"] - before == 1000
    assert db.command("collStats", "c")["count"] == 1000


def test_insert_many_with_string_ids_and_nested_values(db):
    docs = [{"_id": f"k{i}", "a": [1, {"b": None}], "n": Int64(i)} for i in range(50)]
    db.c.insert_many(docs)
    assert list(db.c.find()) == docs


@pytest.mark.parametrize("ordered, inserted", [(True, 2), (False, 3)])
def test_insert_many_duplicates_are_write_errors(db, ordered, inserted):
    db.c.insert_one({"_id": 3})
    with pytest.raises(BulkWriteError) as exc:
        db.c.insert_many([{"_id": 1}, {"_id": 2}, {"_id": 3}, {"_id": 4}, {"_id": 4}], ordered=ordered)
    details = exc.value.details
    assert details["nInserted"] == inserted
    assert [(e["index"], e["code"], e["keyValue"]) for e in details["writeErrors"]] == (
        [(2, 11000, {"_id": 3})] if ordered else [(2, 11000, {"_id": 3}), (4, 11000, {"_id": 4})]
    )
    assert details["writeErrors"][0]["errmsg"] == (
        f"E11000 duplicate key error collection: {db.name}.c index: _id_ dup key: {{ _id: 3 }}"
    )


def test_a_batch_item_that_is_no_object(server, db):
    reply = raw_command(server.port, {"insert": "c", "documents": [{"_id": 1}, 5], "$db": db.name})
    assert (reply["ok"], reply["code"], reply["errmsg"]) == (
        0.0,
        14,
        "BSON field 'insert.documents' must be an object",
    )
    assert db.c.count_documents({}) == 0


def test_update_one_inc_by_id(db):
    db.c.insert_many([{"_id": i, "n": 0, "s": "x" * 16} for i in range(10)])
    result = db.c.update_one({"_id": 4}, {"$inc": {"n": 1}})
    assert (result.matched_count, result.modified_count, result.upserted_id) == (1, 1, None)
    result = db.c.update_one({"_id": 4}, {"$inc": {"n": 0}})
    assert (result.matched_count, result.modified_count) == (1, 0)
    result = db.c.update_one({"_id": 99}, {"$inc": {"n": 1}})
    assert (result.matched_count, result.modified_count) == (0, 0)
    db.c.update_one({"_id": 5}, {"$inc": {"n": 2**31}})
    assert db.c.find_one({"_id": 4}) == {"_id": 4, "n": 1, "s": "x" * 16}
    assert db.c.find_one({"_id": 5}) == {"_id": 5, "n": 2**31, "s": "x" * 16}
    assert db.c.count_documents({"_id": 4, "n": {"$type": "int"}}) == 1  # int32 + int32 stays int32
    assert db.c.count_documents({"_id": 5, "n": {"$type": "long"}}) == 1  # past int32: a long


def test_acknowledged_fast_writes_survive_kill9(tmp_path):
    path = tmp_path / "data.mdb"
    srv = ServerProcess(path).start()
    with srv.client() as client:
        coll = client.d.c
        coll.insert_many([{"_id": i, "n": 0} for i in range(500)])
        for i in range(100):
            coll.update_one({"_id": i}, {"$inc": {"n": i + 1}})
    srv.kill9()
    with ServerProcess(path) as again, again.client() as client:
        docs = list(client.d.c.find())
        assert docs == [{"_id": i, "n": i + 1 if i < 100 else 0} for i in range(500)]
