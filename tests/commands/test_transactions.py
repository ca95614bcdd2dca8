"""Multi-document transactions in replica-set mode, through PyMongo's session API."""

from __future__ import annotations

import asyncio
import uuid

import pymongo
import pytest
from bson.binary import Binary
from bson.int64 import Int64
from pymongo.errors import OperationFailure
from pymongo.read_concern import ReadConcern

from tests.serverproc import REPLICA_SET, ServerProcess
from tests.wire_client import raw_command, without_cluster_time

SERVER_ARGS = REPLICA_SET


def _runner(database, lsid: dict):
    """Run raw commands in session ``lsid`` (PyMongo would pick a pooled session and its numbers)."""
    port = database.client.address[1]

    def run(cmd: dict) -> dict:
        reply = without_cluster_time(raw_command(port, {**cmd, "lsid": lsid, "$db": database.name}))
        if reply["ok"] != 1:
            raise OperationFailure(reply["errmsg"], reply["code"], reply)
        return reply

    return run


def test_with_transaction_commits_writes_to_several_collections(client, db) -> None:
    db.a.insert_one({"_id": 0})

    def callback(session) -> None:
        db.a.insert_one({"_id": 1}, session=session)
        db.b.insert_one({"_id": 2}, session=session)
        db.a.update_one({"_id": 0}, {"$set": {"x": 1}}, session=session)
        assert list(db.a.find({}, session=session)) == [{"_id": 0, "x": 1}, {"_id": 1}]
        assert db.a.count_documents({}, session=session) == 2
        assert list(db.a.find()) == [{"_id": 0}]  # others see nothing before the commit
        assert "b" not in db.list_collection_names()

    with client.start_session() as session:
        session.with_transaction(callback)
    assert list(db.a.find()) == [{"_id": 0, "x": 1}, {"_id": 1}]
    assert list(db.b.find()) == [{"_id": 2}]


def test_abort_keeps_nothing(client, db) -> None:
    db.a.insert_one({"_id": 0, "v": 0})
    with client.start_session() as session:
        session.start_transaction()
        db.a.insert_one({"_id": 1}, session=session)
        db.a.delete_one({"_id": 0}, session=session)
        db.c.insert_one({"_id": 9}, session=session)
        session.abort_transaction()
    assert list(db.a.find()) == [{"_id": 0, "v": 0}]
    assert "c" not in db.list_collection_names()


def test_snapshot_isolation_reads_never_see_a_later_commit(client, db) -> None:
    db.a.insert_many([{"_id": 1, "v": 1}, {"_id": 2, "v": 1}])
    with client.start_session() as session:
        session.start_transaction()
        assert db.a.find_one({"_id": 1}, session=session) == {"_id": 1, "v": 1}
        db.a.update_one({"_id": 1}, {"$set": {"v": 2}})
        db.a.delete_one({"_id": 2})
        db.a.insert_one({"_id": 3, "v": 3})
        assert list(db.a.find({}, session=session)) == [{"_id": 1, "v": 1}, {"_id": 2, "v": 1}]
        assert db.a.find_one({"_id": 2}, session=session) == {"_id": 2, "v": 1}
        assert db.a.distinct("v", session=session) == [1]
        assert list(db.a.aggregate([{"$group": {"_id": None, "n": {"$sum": 1}}}], session=session)) == [
            {"_id": None, "n": 2}
        ]
        session.commit_transaction()
    assert list(db.a.find()) == [{"_id": 1, "v": 2}, {"_id": 3, "v": 3}]


def test_lookup_inside_a_transaction_reads_the_snapshot(client, db) -> None:
    db.a.insert_many([{"_id": 1, "k": 10}])
    db.b.insert_many([{"_id": 10, "name": "old"}])
    with client.start_session() as session:
        session.start_transaction()
        db.a.find_one({}, session=session)
        db.b.update_one({"_id": 10}, {"$set": {"name": "new"}})
        pipeline = [{"$lookup": {"from": "b", "localField": "k", "foreignField": "_id", "as": "m"}}]
        assert list(db.a.aggregate(pipeline, session=session)) == [
            {"_id": 1, "k": 10, "m": [{"_id": 10, "name": "old"}]}
        ]
        session.abort_transaction()


def test_two_transactions_writing_one_document_conflict(client, db) -> None:
    db.a.insert_one({"_id": 1, "v": 0})
    with client.start_session() as s1, client.start_session() as s2:
        s1.start_transaction()
        s2.start_transaction()
        db.a.update_one({"_id": 1}, {"$inc": {"v": 1}}, session=s1)
        with pytest.raises(OperationFailure) as exc:
            db.a.update_one({"_id": 1}, {"$inc": {"v": 10}}, session=s2)
        assert exc.value.code == 112
        assert exc.value.details["codeName"] == "WriteConflict"
        assert exc.value.details["errorLabels"] == ["TransientTransactionError"]
        s1.commit_transaction()
        with pytest.raises(OperationFailure) as exc:
            s2.commit_transaction()
        assert exc.value.code == 251  # the conflict aborted it
        assert exc.value.details["errorLabels"] == ["TransientTransactionError"]
    assert db.a.find_one() == {"_id": 1, "v": 1}


def test_write_to_a_document_changed_after_the_snapshot_conflicts(client, db) -> None:
    db.a.insert_one({"_id": 1, "v": 0})
    with client.start_session() as session:
        session.start_transaction()
        db.a.find_one({"_id": 1}, session=session)
        db.a.update_one({"_id": 1}, {"$set": {"v": 5}})
        with pytest.raises(OperationFailure) as exc:
            db.a.update_one({"_id": 1}, {"$set": {"v": 6}}, session=session)
        assert exc.value.code == 112
    assert db.a.find_one() == {"_id": 1, "v": 5}


def test_with_transaction_retries_after_a_write_conflict(client, db) -> None:
    db.a.insert_one({"_id": 1, "v": 0})
    attempts = []

    def callback(session) -> None:
        attempts.append(1)
        doc = db.a.find_one({"_id": 1}, session=session)
        if len(attempts) == 1:
            db.a.update_one({"_id": 1}, {"$inc": {"v": 100}})  # another client overtakes the first try
        db.a.update_one({"_id": 1}, {"$set": {"v": doc["v"] + 1}}, session=session)

    with client.start_session() as session:
        session.with_transaction(callback)
    assert len(attempts) == 2
    assert db.a.find_one() == {"_id": 1, "v": 101}


def test_no_such_transaction_after_abort_and_for_unknown_numbers(client, db) -> None:
    lsid = {"id": Binary(uuid.uuid4().bytes, 4)}
    run, run_admin = _runner(db, lsid), _runner(client.admin, lsid)
    run(
        {
            "insert": "a",
            "documents": [{"_id": 1}],
            "txnNumber": Int64(1),
            "startTransaction": True,
            "autocommit": False,
        }
    )
    run_admin({"abortTransaction": 1, "txnNumber": Int64(1), "autocommit": False})
    with pytest.raises(OperationFailure) as exc:
        run({"find": "a", "txnNumber": Int64(1), "autocommit": False})
    assert exc.value.details == {
        "ok": 0.0,
        "errmsg": "Transaction with { txnNumber: 1 } has been aborted.",
        "code": 251,
        "codeName": "NoSuchTransaction",
        "errorLabels": ["TransientTransactionError"],
    }
    with pytest.raises(OperationFailure) as exc:
        run({"find": "a", "txnNumber": Int64(7), "autocommit": False})
    assert exc.value.details["errmsg"] == (
        "Given transaction number 7 does not match any in-progress transactions. "
        "The active transaction number is 1"
    )
    assert exc.value.details["errorLabels"] == ["TransientTransactionError"]
    assert db.a.count_documents({}) == 0


def test_commit_retried_answers_the_same_and_older_numbers_are_too_old(client, db) -> None:
    lsid = {"id": Binary(uuid.uuid4().bytes, 4)}
    run, run_admin = _runner(db, lsid), _runner(client.admin, lsid)
    run(
        {
            "insert": "a",
            "documents": [{"_id": 1}],
            "txnNumber": Int64(3),
            "startTransaction": True,
            "autocommit": False,
        }
    )
    commit = {"commitTransaction": 1, "txnNumber": Int64(3), "autocommit": False}
    assert run_admin(commit) == {"ok": 1.0}
    assert run_admin(commit) == {"ok": 1.0}
    with pytest.raises(OperationFailure) as exc:
        run(
            {
                "insert": "a",
                "documents": [{"_id": 2}],
                "txnNumber": Int64(3),
                "autocommit": False,
            }
        )
    assert (exc.value.code, exc.value.details["errmsg"]) == (
        256,
        "Transaction with { txnNumber: 3 } has been committed.",
    )
    with pytest.raises(OperationFailure) as exc:
        run(
            {
                "insert": "a",
                "documents": [{"_id": 2}],
                "txnNumber": Int64(2),
                "startTransaction": True,
                "autocommit": False,
            }
        )
    assert exc.value.code == 225
    assert exc.value.details["codeName"] == "TransactionTooOld"
    assert list(db.a.find()) == [{"_id": 1}]


@pytest.mark.parametrize(
    ("command", "errmsg"),
    [
        (
            {"count": "a"},
            "Cannot run 'count' in a multi-document transaction. Please see "
            "http://dochub.mongodb.org/core/transaction-count for a recommended alternative.",
        ),
        ({"listCollections": 1}, "Cannot run 'listCollections' in a multi-document transaction."),
        ({"drop": "a"}, "Cannot run 'drop' in a multi-document transaction."),
        ({"listIndexes": "a"}, "Cannot run 'listIndexes' in a multi-document transaction."),
    ],
)
def test_commands_mongod_refuses_in_a_transaction(client, db, command, errmsg) -> None:
    db.a.insert_one({"_id": 1})
    with client.start_session() as session:
        session.start_transaction()
        db.a.insert_one({"_id": 2}, session=session)
        with pytest.raises(OperationFailure) as exc:
            db.command(command, session=session)
        assert exc.value.code == 263
        assert exc.value.details["codeName"] == "OperationNotSupportedInTransaction"
        assert exc.value.details["errmsg"] == errmsg
        session.commit_transaction()  # refused before it touched the transaction, as in mongod
    assert list(db.a.find()) == [{"_id": 1}, {"_id": 2}]


def test_a_failed_statement_aborts_the_transaction(client, db) -> None:
    with client.start_session() as session:
        session.start_transaction()
        db.a.insert_one({"_id": 1}, session=session)
        with pytest.raises(OperationFailure) as exc:
            db.a.find_one({"$bogus": 1}, session=session)
        assert exc.value.code == 2
        with pytest.raises(OperationFailure) as exc:
            session.commit_transaction()
        assert exc.value.code == 251
    assert db.a.count_documents({}) == 0


def test_the_admin_database_is_refused(client) -> None:
    with client.start_session() as session:
        session.start_transaction()
        with pytest.raises(OperationFailure) as exc:
            client.admin.command({"find": "x"}, session=session)
        errmsg = "Cannot run command against the 'admin' database in a transaction."
        assert (exc.value.code, exc.value.details["errmsg"]) == (263, errmsg)
        session.abort_transaction()


def test_writes_to_system_collections_are_refused_in_a_transaction(client, db) -> None:
    with client.start_session() as session:
        session.start_transaction()
        with pytest.raises(OperationFailure) as exc:
            db["system.js"].insert_one({"_id": 1}, session=session)
        session.abort_transaction()
    assert exc.value.code == 263
    assert (
        exc.value.details["errmsg"]
        == f"Cannot write to system collection {db.name}.system.js within a transaction."
    )


def test_collections_created_inside_a_transaction(client, db) -> None:
    with client.start_session() as session:
        session.start_transaction()
        db.create_collection("made", session=session)
        db.implicit.insert_one({"_id": 1}, session=session)
        assert db.implicit.find_one({}, session=session) == {"_id": 1}
        assert "made" not in db.list_collection_names()
        session.commit_transaction()
    assert sorted(db.list_collection_names()) == ["implicit", "made"]
    assert list(db.implicit.find()) == [{"_id": 1}]


def test_duplicate_key_in_a_transaction_fails_the_statement_and_the_transaction(client, db) -> None:
    db.a.insert_one({"_id": 1})
    with client.start_session() as session:
        session.start_transaction()
        db.a.insert_one({"_id": 2}, session=session)
        with pytest.raises(pymongo.errors.DuplicateKeyError) as exc:
            db.a.insert_one({"_id": 1}, session=session)
        assert exc.value.code == 11000
        with pytest.raises(OperationFailure):
            session.commit_transaction()
    assert list(db.a.find()) == [{"_id": 1}]


def test_unique_index_is_checked_inside_a_transaction(client, db) -> None:
    db.a.create_index("k", unique=True)
    db.a.insert_one({"_id": 1, "k": 1})
    with client.start_session() as session:
        session.start_transaction()
        with pytest.raises(pymongo.errors.DuplicateKeyError):
            db.a.insert_one({"_id": 2, "k": 1}, session=session)
        session.abort_transaction()
    assert db.a.count_documents({}) == 1


def test_read_concern_levels_in_a_transaction(client, db) -> None:
    db.a.insert_one({"_id": 1})
    for level in ("local", "majority", "snapshot"):
        with client.start_session() as session:
            with session.start_transaction(read_concern=ReadConcern(level)):
                assert db.a.find_one({}, session=session) == {"_id": 1}
    lsid = {"id": Binary(uuid.uuid4().bytes, 4)}
    run = _runner(db, lsid)
    with pytest.raises(OperationFailure) as exc:
        run(
            {
                "find": "a",
                "txnNumber": Int64(1),
                "startTransaction": True,
                "autocommit": False,
                "readConcern": {"level": "available"},
            }
        )
    assert exc.value.code == 72


def test_snapshot_read_outside_a_transaction(client, db) -> None:
    db.a.insert_one({"_id": 1, "v": 1})
    reply = db.command({"find": "a", "readConcern": {"level": "snapshot"}})
    at = reply["cursor"]["atClusterTime"]
    assert reply["cursor"]["firstBatch"] == [{"_id": 1, "v": 1}]
    db.a.update_one({"_id": 1}, {"$set": {"v": 2}})
    db.a.insert_one({"_id": 2, "v": 2})
    old = db.command({"find": "a", "readConcern": {"level": "snapshot", "atClusterTime": at}})
    assert old["cursor"]["firstBatch"] == [{"_id": 1, "v": 1}]
    assert old["cursor"]["atClusterTime"] == at
    agg = db.command(
        {
            "aggregate": "a",
            "pipeline": [],
            "cursor": {},
            "readConcern": {"level": "snapshot", "atClusterTime": at},
        }
    )
    assert agg["cursor"]["firstBatch"] == [{"_id": 1, "v": 1}]
    with pytest.raises(OperationFailure) as exc:
        db.command({"count": "a", "readConcern": {"level": "snapshot"}})
    assert exc.value.code == 72


def test_snapshot_read_is_refused_on_a_standalone(tmp_path) -> None:
    with ServerProcess(tmp_path / "standalone.mdb") as proc, proc.client() as standalone:
        with pytest.raises(OperationFailure) as exc:
            standalone.t.command({"find": "a", "readConcern": {"level": "snapshot"}})
    assert exc.value.details == {
        "ok": 0.0,
        "errmsg": "node needs to be a replica set member to use readConcern: snapshot",
        "code": 123,
        "codeName": "NotAReplicaSet",
    }


def test_async_client_with_transaction(rs_server) -> None:
    from pymongo import AsyncMongoClient

    name = f"t_{uuid.uuid4().hex[:12]}"

    async def scenario() -> tuple[list, list]:
        client = AsyncMongoClient(rs_server.uri)
        try:
            db = client[name]

            async def callback(session) -> None:
                await db.a.insert_one({"_id": 1}, session=session)
                await db.b.update_one({"_id": 2}, {"$set": {"x": 1}}, upsert=True, session=session)

            async with client.start_session() as session:
                await session.with_transaction(callback)
            return await db.a.find().to_list(), await db.b.find().to_list()
        finally:
            await client.close()

    assert asyncio.run(scenario()) == ([{"_id": 1}], [{"_id": 2, "x": 1}])


@pytest.mark.parametrize("stage", ["$out", "$merge"])
def test_out_and_merge_are_refused_in_a_transaction(client, db, stage) -> None:
    db.a.insert_one({"_id": 1})
    with client.start_session() as session:
        session.start_transaction()
        with pytest.raises(OperationFailure) as exc:
            list(db.a.aggregate([{stage: "b"}], session=session))
        assert (exc.value.code, exc.value.details["errmsg"]) == (
            263,
            f"{stage} cannot be used in a transaction",
        )
        session.abort_transaction()
    assert "b" not in db.list_collection_names()


def test_pymongo_snapshot_session_reads_one_point_in_time(client, db) -> None:
    db.a.insert_many([{"_id": 1, "v": 1}, {"_id": 2, "v": 1}])
    with client.start_session(snapshot=True) as session:
        assert db.a.find_one({"_id": 1}, session=session) == {"_id": 1, "v": 1}
        db.a.update_many({}, {"$set": {"v": 2}})
        assert list(db.a.find({}, session=session)) == [{"_id": 1, "v": 1}, {"_id": 2, "v": 1}]
        assert db.a.distinct("v", session=session) == [1]
    assert db.a.distinct("v") == [2]


def test_views_cannot_be_created_in_a_transaction(client, db) -> None:
    with client.start_session() as session:
        session.start_transaction()
        with pytest.raises(OperationFailure) as exc:
            db.command({"create": "v", "viewOn": "a", "pipeline": []}, session=session)
        assert (exc.value.code, exc.value.details["errmsg"]) == (
            263,
            "Cannot create a view in a multi-document transaction.",
        )
        session.abort_transaction()


def test_out_with_a_snapshot_read_concern_is_refused(db) -> None:
    db.a.insert_one({"_id": 1})
    with pytest.raises(OperationFailure) as exc:
        db.command(
            {
                "aggregate": "a",
                "pipeline": [{"$out": "b"}],
                "cursor": {},
                "readConcern": {"level": "snapshot"},
            }
        )
    assert (exc.value.code, exc.value.details["errmsg"]) == (
        72,
        "$out cannot be used with a 'snapshot' read concern level",
    )
    assert "b" not in db.list_collection_names()
