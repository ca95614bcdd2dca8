"""Tailable and awaitData cursors on capped collections: what they see, how a getMore waits (woken by
another client's insert), CappedPositionLost, and mongod's refusals."""

from __future__ import annotations

import threading

import pytest
from pymongo import CursorType
from pymongo.errors import OperationFailure


def _capped(db, name="c", **kwargs):
    return db.create_collection(name, capped=True, size=kwargs.pop("size", 100_000), **kwargs)


def test_tailable_cursor_sees_later_inserts(db):
    coll = _capped(db)
    coll.insert_many([{"_id": 1}, {"_id": 2}])
    cursor = coll.find(cursor_type=CursorType.TAILABLE)
    assert [d["_id"] for d in cursor] == [1, 2]
    assert cursor.alive
    coll.insert_many([{"_id": 3}, {"_id": 4}])
    assert [d["_id"] for d in cursor] == [3, 4]
    assert [d["_id"] for d in cursor] == []
    assert cursor.alive
    cursor.close()


def test_filter_and_projection_apply_to_new_documents(db):
    coll = _capped(db)
    coll.insert_one({"_id": 0, "k": "a", "v": 0})
    cursor = coll.find({"k": "a"}, {"v": 1, "_id": 0}, cursor_type=CursorType.TAILABLE)
    assert list(cursor) == [{"v": 0}]
    coll.insert_many([{"_id": 1, "k": "b", "v": 1}, {"_id": 2, "k": "a", "v": 2}])
    assert list(cursor) == [{"v": 2}]


def test_empty_collection_gives_no_cursor(db):
    coll = _capped(db)
    reply = db.command("find", "c", tailable=True)
    assert reply["cursor"]["id"] == 0
    coll.insert_one({"_id": 1})
    reply = db.command("find", "c", tailable=True, batchSize=0)
    assert reply["cursor"]["id"] != 0 and reply["cursor"]["firstBatch"] == []


def test_await_data_get_more_returns_when_another_client_inserts(db, server):
    coll = _capped(db)
    coll.insert_one({"_id": 0})
    reply = db.command("find", "c", tailable=True, awaitData=True)
    cursor_id = reply["cursor"]["id"]
    assert reply["cursor"]["firstBatch"] == [{"_id": 0}]
    inserted = threading.Event()

    def insert_later():
        with server.client() as other:
            inserted.wait()
            other[db.name].c.insert_one({"_id": 1})

    thread = threading.Thread(target=insert_later)
    thread.start()
    try:
        # a first getMore with nothing new waits its maxTimeMS and returns an empty batch
        empty = db.command("getMore", cursor_id, collection="c", maxTimeMS=50)
        assert empty["cursor"]["nextBatch"] == [] and empty["cursor"]["id"] == cursor_id
        inserted.set()
        # a long wait ends as soon as the insert commits (the test would take 60 s otherwise)
        got = db.command("getMore", cursor_id, collection="c", maxTimeMS=60_000)
        assert got["cursor"]["nextBatch"] == [{"_id": 1}]
    finally:
        thread.join()


def test_pymongo_tailable_await(db, server):
    coll = _capped(db)
    coll.insert_one({"_id": 0})
    cursor = coll.find(cursor_type=CursorType.TAILABLE_AWAIT).max_await_time_ms(60_000)
    assert cursor.next() == {"_id": 0}
    timer = threading.Timer(0.05, lambda: coll.insert_one({"_id": 1}))
    timer.start()
    assert cursor.next() == {"_id": 1}
    timer.join()
    cursor.close()


def test_capped_position_lost(db):
    coll = _capped(db, max=3)
    coll.insert_many([{"_id": i} for i in range(3)])
    reply = db.command("find", "c", tailable=True)
    cursor_id = reply["cursor"]["id"]
    coll.insert_many([{"_id": i} for i in range(3, 7)])  # the last document the cursor saw is gone
    with pytest.raises(OperationFailure) as exc:
        db.command("getMore", cursor_id, collection="c")
    assert (exc.value.code, exc.value.details["codeName"]) == (136, "CappedPositionLost")
    with pytest.raises(OperationFailure) as exc:
        db.command("getMore", cursor_id, collection="c")
    assert exc.value.code == 43  # the cursor died with the error


def test_refusals(db):
    db.plain.insert_one({"_id": 1})
    with pytest.raises(OperationFailure) as exc:
        db.command("find", "plain", tailable=True)
    assert exc.value.code == 2
    assert "tailable cursor requested on non capped collection" in exc.value.details["errmsg"]
    _capped(db).insert_one({"_id": 1})
    with pytest.raises(OperationFailure) as exc:
        db.command("find", "c", awaitData=True)
    assert (exc.value.code, exc.value.details["errmsg"]) == (
        9,
        "Cannot set 'awaitData' without also setting 'tailable'",
    )
    with pytest.raises(OperationFailure) as exc:
        db.command("find", "c", tailable=True, sort={"_id": 1})
    assert exc.value.code == 2
    reply = db.command("find", "c", tailable=True, batchSize=0)
    with pytest.raises(OperationFailure) as exc:
        db.command("getMore", reply["cursor"]["id"], collection="c", maxTimeMS=10)
    assert (exc.value.code, exc.value.details["errmsg"]) == (
        2,
        "cannot set maxTimeMS on getMore command for a non-awaitData cursor",
    )
