"""Change streams in replica-set mode through PyMongo's watch(): exact event documents for a collection,
a database and the deployment, full documents and pre-images, resuming, later stages, and the refusals."""

from __future__ import annotations

import pymongo
import pytest
from bson.timestamp import Timestamp
from pymongo.errors import OperationFailure

from tests.commands.test_oplog_transactions import RETRYABLE_FIELDS
from tests.serverproc import REPLICA_SET, ServerProcess

WAIT_MS = 5000  # a getMore returns as soon as the event commits; this only bounds a failing test


SERVER_ARGS = REPLICA_SET


def _strip(event: dict) -> dict:
    """The event without what varies from run to run (token, times), which are checked apart."""
    assert set(event["_id"]) == {"_data"} and isinstance(event["clusterTime"], Timestamp)
    return {k: v for k, v in event.items() if k not in ("_id", "clusterTime", "wallTime")}


def test_collection_events_exactly(db):
    coll = db.c
    with coll.watch(max_await_time_ms=WAIT_MS) as stream:
        coll.insert_one({"_id": 1, "a": {"b": 1}, "arr": [1, 2, 3], "x": 0})
        coll.update_one({"_id": 1}, {"$set": {"a.b": 2}, "$unset": {"x": 1}, "$push": {"arr": 4}})
        coll.update_one({"_id": 1}, {"$set": {"arr": [1]}})
        coll.replace_one({"_id": 1}, {"z": 1})
        coll.delete_one({"_id": 1})
        events = [stream.next() for _ in range(5)]
    ns = {"db": db.name, "coll": "c"}
    assert list(events[0]) == [
        "_id",
        "operationType",
        "clusterTime",
        "wallTime",
        "fullDocument",
        "ns",
        "documentKey",
    ]
    assert [_strip(e) for e in events] == [
        {
            "operationType": "insert",
            "fullDocument": {"_id": 1, "a": {"b": 1}, "arr": [1, 2, 3], "x": 0},
            "ns": ns,
            "documentKey": {"_id": 1},
        },
        {
            "operationType": "update",
            "ns": ns,
            "documentKey": {"_id": 1},
            "updateDescription": {
                "updatedFields": {"a.b": 2, "arr.3": 4},
                "removedFields": ["x"],
                "truncatedArrays": [],
            },
        },
        {
            "operationType": "update",
            "ns": ns,
            "documentKey": {"_id": 1},
            "updateDescription": {  # a $set writes the array whole (a pipeline would truncate it)
                "updatedFields": {"arr": [1]},
                "removedFields": [],
                "truncatedArrays": [],
            },
        },
        {"operationType": "replace", "fullDocument": {"_id": 1, "z": 1}, "ns": ns, "documentKey": {"_id": 1}},
        {"operationType": "delete", "ns": ns, "documentKey": {"_id": 1}},
    ]
    tokens = [e["_id"]["_data"] for e in events]
    assert tokens == sorted(tokens) and len(set(tokens)) == 5


def test_drop_and_rename_invalidate_a_collection_stream(db):
    db.c.insert_one({"_id": 0})
    with db.c.watch(max_await_time_ms=WAIT_MS) as stream:
        db.c.rename("d")
        rename, invalidate = stream.next(), stream.next()
        assert _strip(rename) == {
            "operationType": "rename",
            "ns": {"db": db.name, "coll": "c"},
            "to": {"db": db.name, "coll": "d"},
        }
        assert _strip(invalidate) == {"operationType": "invalidate"}
        assert not stream.alive
    with db.d.watch(max_await_time_ms=WAIT_MS) as stream:
        db.d.drop()
        assert [_strip(stream.next()), _strip(stream.next())] == [
            {"operationType": "drop", "ns": {"db": db.name, "coll": "d"}},
            {"operationType": "invalidate"},
        ]


def test_database_stream(db):
    with db.watch(max_await_time_ms=WAIT_MS) as stream:
        db.a.insert_one({"_id": 1})
        db.b.insert_one({"_id": 2})
        db.client.drop_database(db.name)
        events = [_strip(stream.next()) for _ in range(6)]
    assert [e["operationType"] for e in events] == [
        "insert",
        "insert",
        "drop",
        "drop",
        "dropDatabase",
        "invalidate",
    ]
    assert events[4] == {"operationType": "dropDatabase", "ns": {"db": db.name}}


def test_cluster_stream_sees_every_database(client, db):
    other = client[db.name + "_2"]
    with client.watch(max_await_time_ms=WAIT_MS) as stream:
        db.c.insert_one({"_id": 1})
        other.c.insert_one({"_id": 2})
        seen = []
        while len(seen) < 2:
            event = stream.next()
            if event["ns"]["db"] in (db.name, other.name):
                seen.append((event["ns"]["db"], event["documentKey"]["_id"]))
    assert seen == [(db.name, 1), (other.name, 2)]


def test_full_document_update_lookup(db):
    db.c.insert_one({"_id": 1, "n": 0})
    with db.c.watch(full_document="updateLookup", max_await_time_ms=WAIT_MS) as stream:
        db.c.update_one({"_id": 1}, {"$inc": {"n": 1}})
        event = stream.next()
    assert list(event)[:7] == [
        "_id",
        "operationType",
        "clusterTime",
        "wallTime",
        "fullDocument",
        "ns",
        "documentKey",
    ]
    assert event["fullDocument"] == {"_id": 1, "n": 1}


def test_pre_and_post_images(db):
    db.create_collection("c", changeStreamPreAndPostImages={"enabled": True})
    db.c.insert_one({"_id": 1, "n": 0})
    with db.c.watch(
        full_document="required", full_document_before_change="required", max_await_time_ms=WAIT_MS
    ) as stream:
        db.c.update_one({"_id": 1}, {"$inc": {"n": 1}})
        db.c.delete_one({"_id": 1})
        update, delete = stream.next(), stream.next()
    assert (update["fullDocument"], update["fullDocumentBeforeChange"]) == (
        {"_id": 1, "n": 1},
        {"_id": 1, "n": 0},
    )
    assert delete["fullDocumentBeforeChange"] == {"_id": 1, "n": 1}
    db.plain.insert_one({"_id": 1})
    with db.plain.watch(full_document_before_change="whenAvailable", max_await_time_ms=WAIT_MS) as stream:
        db.plain.delete_one({"_id": 1})
        assert stream.next()["fullDocumentBeforeChange"] is None


def test_transaction_events_carry_lsid_and_txn_number(db):
    db.c.insert_one({"_id": 0})
    with db.c.watch(max_await_time_ms=WAIT_MS) as stream:
        with db.client.start_session() as session:
            with session.start_transaction():
                db.c.insert_one({"_id": 1}, session=session)
                db.c.insert_one({"_id": 2}, session=session)
            lsid = session.session_id
        events = [stream.next(), stream.next()]
    assert [e["documentKey"] for e in events] == [{"_id": 1}, {"_id": 2}]
    assert [e["lsid"] for e in events] == [lsid, lsid]
    assert events[0]["txnNumber"] == events[1]["txnNumber"] >= 1  # pooled sessions keep their numbers
    assert events[0]["clusterTime"] == events[1]["clusterTime"]


def test_resume_after_start_after_and_start_at_operation_time(db):
    with db.c.watch(max_await_time_ms=WAIT_MS) as stream:
        db.c.insert_many([{"_id": i} for i in range(4)])
        first = stream.next()
        ts = first["clusterTime"]
    with db.c.watch(resume_after=first["_id"], max_await_time_ms=WAIT_MS) as stream:
        assert [stream.next()["documentKey"]["_id"] for _ in range(3)] == [1, 2, 3]
    with db.c.watch(start_at_operation_time=ts, max_await_time_ms=WAIT_MS) as stream:
        assert [stream.next()["documentKey"]["_id"] for _ in range(4)] == [0, 1, 2, 3]
    with db.c.watch(max_await_time_ms=WAIT_MS) as stream:
        db.c.drop()
        stream.next()
        invalidate = stream.next()
    with pytest.raises(OperationFailure) as exc:
        db.c.watch(resume_after=invalidate["_id"])
    assert exc.value.code == 260
    with db.c.watch(start_after=invalidate["_id"], max_await_time_ms=WAIT_MS) as stream:
        db.c.insert_one({"_id": "new"})
        assert stream.next()["documentKey"] == {"_id": "new"}


def test_post_batch_resume_token_in_every_batch(db):
    reply = db.command("aggregate", "c", pipeline=[{"$changeStream": {}}], cursor={})
    cursor = reply["cursor"]
    assert list(cursor) == ["firstBatch", "postBatchResumeToken", "id", "ns"]
    db.c.insert_one({"_id": 1})
    more = db.command("getMore", cursor["id"], collection="c", maxTimeMS=WAIT_MS)["cursor"]
    assert list(more) == ["nextBatch", "postBatchResumeToken", "id", "ns"]
    assert more["postBatchResumeToken"]["_data"] >= more["nextBatch"][0]["_id"]["_data"]
    idle = db.command("getMore", cursor["id"], collection="c", maxTimeMS=10)["cursor"]
    assert idle["nextBatch"] == [] and idle["postBatchResumeToken"] == more["postBatchResumeToken"]


def test_later_stages(db):
    pipeline = [
        {"$match": {"operationType": "insert", "fullDocument.keep": True}},
        {"$project": {"fullDocument": 1}},
    ]
    with db.c.watch(pipeline, max_await_time_ms=WAIT_MS) as stream:
        db.c.insert_many([{"_id": 1, "keep": False}, {"_id": 2, "keep": True}])
        event = stream.next()
    assert set(event) == {"_id", "fullDocument"} and event["fullDocument"] == {"_id": 2, "keep": True}
    with pytest.raises(OperationFailure) as exc:
        db.c.watch([{"$group": {"_id": None}}])
    assert (exc.value.code, exc.value.details["errmsg"]) == (
        20,
        "$group is not permitted in a $changeStream pipeline",
    )
    with db.c.watch([{"$project": {"_id": 0}}], max_await_time_ms=WAIT_MS) as stream:
        db.c.insert_one({"_id": 3})
        with pytest.raises(OperationFailure) as exc:
            stream.next()
        assert exc.value.code == 280


def test_show_expanded_events(db):
    with db.watch(show_expanded_events=True, max_await_time_ms=WAIT_MS) as stream:
        db.create_collection("c")
        db.c.create_index("a")
        db.c.drop_index("a_1")
        events = [_strip(stream.next()) for _ in range(3)]
    assert [e["operationType"] for e in events] == ["create", "createIndexes", "dropIndexes"]
    assert events[1]["operationDescription"] == {"indexes": [{"v": 2, "key": {"a": 1}, "name": "a_1"}]}


def test_refusals(client, db, tmp_path):
    with pytest.raises(OperationFailure) as exc:
        client.admin.command("aggregate", 1, pipeline=[{"$changeStream": {}}], cursor={})
    assert exc.value.code == 73
    with pytest.raises(OperationFailure) as exc:
        db.command("aggregate", 1, pipeline=[{"$changeStream": {"allChangesForCluster": True}}], cursor={})
    assert exc.value.code == 73
    with pytest.raises(OperationFailure) as exc:
        db.c.watch([], full_document="sometimes")
    assert exc.value.code == 2
    with ServerProcess(tmp_path / "standalone.mdb") as proc, proc.client() as standalone:
        with pytest.raises(OperationFailure) as exc:
            standalone.d.c.watch()
        assert (exc.value.code, exc.value.details["errmsg"]) == (
            40573,
            "The $changeStream stage is only supported on replica sets",
        )


def test_oplog_entries(db, client):
    db.c.insert_one({"_id": 1, "a": 1})
    db.c.update_one({"_id": 1}, {"$set": {"a": 2}})
    db.c.delete_one({"_id": 1})
    ns = f"{db.name}.c"
    entries = list(client.local["oplog.rs"].find({"ns": ns}))
    uuid = next(db.list_collections())["info"]["uuid"]
    assert [{k: e[k] for k in ("op", "ns", "ui", "o") if k in e} for e in entries] == [
        {"op": "i", "ns": ns, "ui": uuid, "o": {"_id": 1, "a": 1}},
        {"op": "u", "ns": ns, "ui": uuid, "o": {"$v": 2, "diff": {"u": {"a": 2}}}},
        {"op": "d", "ns": ns, "ui": uuid, "o": {"_id": 1}},
    ]
    assert list(entries[0]) == RETRYABLE_FIELDS  # the driver's implicit session makes it a retryable write
    assert entries[1]["o2"] == {"_id": 1} and entries[0]["ts"] < entries[1]["ts"] < entries[2]["ts"]
    creates = list(client.local["oplog.rs"].find({"op": "c", "ns": f"{db.name}.$cmd"}))
    assert creates[0]["o"] == {"create": "c"}


def test_oplog_tailable_await(db, client):
    db.c.insert_one({"_id": 0})
    last = client.local["oplog.rs"].find_one({"ns": f"{db.name}.c"}, sort=[("$natural", -1)])
    cursor = (
        client.local["oplog.rs"]
        .find(
            {"ts": {"$gt": last["ts"]}, "ns": f"{db.name}.c"}, cursor_type=pymongo.CursorType.TAILABLE_AWAIT
        )
        .max_await_time_ms(WAIT_MS)
    )
    db.c.insert_one({"_id": 1})
    assert cursor.next()["o"] == {"_id": 1}  # the first batch
    db.c.insert_one({"_id": 2})
    assert cursor.next()["o"] == {"_id": 2}  # a getMore that waited for it
    cursor.close()


def test_event_fields_come_in_mongods_order(db, client):
    """7.0 builds a transaction's events with txnNumber and lsid first, and a rename's ``to`` before
    ``_id``; a default stream's updateDescription has no disambiguatedPaths."""
    db.create_collection("c")
    with db.watch(max_await_time_ms=WAIT_MS) as stream:
        with client.start_session() as session, session.start_transaction():
            db.c.insert_one({"_id": 1}, session=session)
        db.c.update_one({"_id": 1}, {"$set": {"a": 1}})
        db.c.rename("d")
        events = [stream.next() for _ in range(3)]
    assert [list(e) for e in events] == [
        [
            "txnNumber",
            "lsid",
            "_id",
            "operationType",
            "clusterTime",
            "wallTime",
            "fullDocument",
            "ns",
            "documentKey",
        ],
        ["_id", "operationType", "clusterTime", "wallTime", "ns", "documentKey", "updateDescription"],
        ["to", "_id", "operationType", "clusterTime", "wallTime", "ns"],
    ]
    assert events[1]["updateDescription"] == {
        "updatedFields": {"a": 1},
        "removedFields": [],
        "truncatedArrays": [],
    }


def test_expanded_events_disambiguate_numeric_field_names(db):
    db.c.insert_one({"_id": 1, "a": {"0": {"b": 1}}, "arr": [{"b": 1}, 2], "m": {"01": 1}})
    with db.c.watch(max_await_time_ms=WAIT_MS, show_expanded_events=True) as stream:
        db.c.update_one({"_id": 1}, {"$set": {"a.0.b": 2, "arr.0.b": 3, "m.01": 4}, "$unset": {"arr.1": 1}})
        db.c.rename("d")
        update, rename = stream.next(), stream.next()
    assert update["updateDescription"] == {
        "updatedFields": {"a.0.b": 2, "arr.0.b": 3, "arr.1": None, "m.01": 4},
        "removedFields": [],
        "truncatedArrays": [],
        "disambiguatedPaths": {"a.0.b": ["a", "0", "b"]},
    }
    assert rename["operationDescription"] == {"to": {"db": db.name, "coll": "d"}}


def test_pipeline_updates_are_update_events_unless_the_delta_outweighs_the_document(db):
    """mongod logs a pipeline update as a delta (an update event), or whole (a replace event) when the delta
    would be bigger than the new document: here, three long removed names against a tiny document."""
    db.c.insert_one({"_id": 1, "a": 1, "a_long_field_name_1": 1, "a_long_field_name_2": 2})
    with db.c.watch(max_await_time_ms=WAIT_MS) as stream:
        db.c.update_one({"_id": 1}, [{"$set": {"a": {"$add": ["$a", 1]}}}])
        db.c.find_one_and_update({"_id": 1}, [{"$replaceWith": {"_id": "$_id", "b": "y"}}])
        delta, rewrite = stream.next(), stream.next()
    assert (delta["operationType"], delta["updateDescription"]) == (
        "update",
        {"updatedFields": {"a": 2}, "removedFields": [], "truncatedArrays": []},
    )
    assert (rewrite["operationType"], rewrite["fullDocument"]) == ("replace", {"_id": 1, "b": "y"})
