"""A find cursor whose collection is dropped or renamed dies at its next getMore with QueryPlanKilled
(175) and mongod's message, as in jstests/core/tailable_cursor_invalidation.js; a waiting awaitData getMore
is woken by the drop. Aggregation cursors hold their results and go on."""

from __future__ import annotations

import threading

import pytest
from pymongo.errors import OperationFailure


def _uuid(db, name: str) -> str:
    [info] = db.command("listCollections", filter={"name": name})["cursor"]["firstBatch"]
    return str(info["info"]["uuid"].as_uuid())


def _get_more_error(db, cursor_id, name: str, **options) -> dict:
    with pytest.raises(OperationFailure) as exc:
        db.command("getMore", cursor_id, collection=name, **options)
    return exc.value.details


def _open(db, name: str = "c", **options) -> int:
    return db.command("find", name, batchSize=2, **options)["cursor"]["id"]


def test_a_dropped_collection_kills_its_find_cursor(db):
    db.c.insert_many([{"_id": i} for i in range(5)])
    uuid, cursor_id = _uuid(db, "c"), _open(db)
    db.c.drop()
    db.c.insert_many([{"_id": i} for i in range(5)])  # a new collection of the same name is another one
    details = _get_more_error(db, cursor_id, "c")
    assert (details["code"], details["codeName"], details["errmsg"]) == (
        175,
        "QueryPlanKilled",
        f"Executor error during getMore :: caused by :: collection dropped. UUID {uuid}",
    )
    assert _get_more_error(db, cursor_id, "c")["code"] == 43  # the cursor is gone


def test_a_renamed_collection_kills_its_find_cursor(db):
    db.c.insert_many([{"_id": i} for i in range(5)])
    uuid, cursor_id = _uuid(db, "c"), _open(db)
    db.c.rename("d")
    assert _get_more_error(db, cursor_id, "c")["errmsg"] == (
        f"Executor error during getMore :: caused by :: collection renamed from '{db.name}.c' to "
        f"'{db.name}.d'. UUID {uuid}"
    )


def test_an_aggregation_cursor_returns_what_it_holds(db):
    db.c.insert_many([{"_id": i} for i in range(5)])
    cursor_id = db.command("aggregate", "c", pipeline=[], cursor={"batchSize": 2})["cursor"]["id"]
    db.c.drop()
    assert db.command("getMore", cursor_id, collection="c")["cursor"]["nextBatch"] == [
        {"_id": 2},
        {"_id": 3},
        {"_id": 4},
    ]


def test_a_waiting_tailable_get_more_is_woken_by_the_drop(db, client):
    db.create_collection("cap", capped=True, size=4096)
    db.cap.insert_one({"_id": 0})
    session = client.start_session()  # the cursor's session, not a pooled one the other thread may take
    cursor_id = _open(db, "cap", tailable=True, awaitData=True, session=session)
    done = threading.Event()

    def drop_when_waiting() -> None:
        while not done.is_set():  # drop once the getMore is parked (its connection counted the command)
            if client.admin.command("serverStatus")["opcounters"]["getmore"] > before:
                client[db.name].cap.drop()
                return

    before = client.admin.command("serverStatus")["opcounters"]["getmore"]
    dropper = threading.Thread(target=drop_when_waiting, daemon=True)
    dropper.start()
    try:
        details = _get_more_error(db, cursor_id, "cap", maxTimeMS=60_000, session=session)
    finally:
        done.set()
        dropper.join()
        session.end_session()
    assert details["code"] == 175 and "collection dropped" in details["errmsg"]
