"""A plain write of a document an open transaction has written waits for the transaction to end, then
applies on top of what it left (mongod's write-conflict retry); the transaction commits normally.

Each plain write runs in a thread. That it is waiting is observed, not timed: the server has counted
the command (serverStatus opcounters) and yet others still read the document as before it."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from typing import Any

import bson
import pymongo
import pytest
from pymongo import UpdateOne
from pymongo.errors import DuplicateKeyError, OperationFailure

from tests.serverproc import REPLICA_SET
from tests.wire_client import op_msg_frame

SERVER_ARGS = (*REPLICA_SET, "--set-parameter", "enableTestCommands=1")


def _opcount(client: pymongo.MongoClient, kind: str) -> int:
    return client.admin.command("serverStatus")["opcounters"][kind]


class Background:
    """``call()`` in a thread, started once the server's ``kind`` opcounter is known; ``received()``
    polls until the server has counted the command."""

    def __init__(self, client: pymongo.MongoClient, kind: str, call: Callable[[], Any]) -> None:
        self.client, self.kind = client, kind
        self.before = _opcount(client, kind)
        self.result: Any = None
        self.error: BaseException | None = None

        def run() -> None:
            try:
                self.result = call()
            except BaseException as error:  # handed to the test through ``outcome``
                self.error = error

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()

    def received(self) -> None:
        while _opcount(self.client, self.kind) == self.before:
            pass

    def outcome(self) -> Any:
        self.thread.join(30)
        assert not self.thread.is_alive()
        if self.error is not None:
            raise self.error
        return self.result


def test_a_plain_update_waits_for_the_commit_and_applies_on_top(client, db) -> None:
    db.a.insert_one({"_id": 1, "v": 0})
    with client.start_session() as s:
        s.start_transaction()
        db.a.update_one({"_id": 1}, {"$inc": {"v": 1}}, session=s)
        plain = Background(client, "update", lambda: db.a.update_one({"_id": 1}, {"$inc": {"v": 10}}))
        plain.received()
        assert db.a.find_one() == {"_id": 1, "v": 0}  # counted, not applied: it is waiting
        assert plain.thread.is_alive()
        db.b.insert_one({"_id": 1}, session=s)  # the transaction goes on meanwhile
        assert db.a.find_one({"_id": 1}, session=s) == {"_id": 1, "v": 1}
        s.commit_transaction()
    result = plain.outcome()
    assert (result.matched_count, result.modified_count) == (1, 1)
    assert db.a.find_one() == {"_id": 1, "v": 11}
    assert db.b.find_one() == {"_id": 1}


def test_after_an_abort_the_plain_update_applies_to_the_old_state(client, db) -> None:
    db.a.insert_one({"_id": 1, "v": 0})
    with client.start_session() as s:
        s.start_transaction()
        db.a.update_one({"_id": 1}, {"$set": {"v": 5}}, session=s)
        plain = Background(client, "update", lambda: db.a.update_one({"_id": 1}, {"$inc": {"v": 10}}))
        plain.received()
        s.abort_transaction()
    assert plain.outcome().modified_count == 1
    assert db.a.find_one() == {"_id": 1, "v": 10}


def test_a_plain_delete_waits_and_deletes_the_committed_document(client, db) -> None:
    db.a.insert_many([{"_id": 1, "v": 0}, {"_id": 2, "v": 0}])
    with client.start_session() as s:
        s.start_transaction()
        db.a.update_one({"_id": 1}, {"$set": {"v": 1}}, session=s)
        plain = Background(client, "delete", lambda: db.a.delete_many({"v": {"$lte": 1}}))
        plain.received()
        assert db.a.count_documents({}) == 2
        s.commit_transaction()
    assert plain.outcome().deleted_count == 2
    assert list(db.a.find()) == []


def test_an_insert_of_an_id_the_transaction_inserted_waits_then_is_a_duplicate(client, db) -> None:
    db.create_collection("a")
    with client.start_session() as s:
        s.start_transaction()
        db.a.insert_one({"_id": 7, "by": "txn"}, session=s)
        plain = Background(client, "insert", lambda: db.a.insert_one({"_id": 7, "by": "plain"}))
        plain.received()
        assert db.a.find_one() is None
        s.commit_transaction()
    with pytest.raises(DuplicateKeyError) as exc:
        plain.outcome()
    assert exc.value.details["keyValue"] == {"_id": 7}
    assert list(db.a.find()) == [{"_id": 7, "by": "txn"}]


def test_an_insert_waiting_for_an_aborted_insert_goes_in(client, db) -> None:
    db.create_collection("a")
    with client.start_session() as s:
        s.start_transaction()
        db.a.insert_one({"_id": 7, "by": "txn"}, session=s)
        plain = Background(client, "insert", lambda: db.a.insert_one({"_id": 7, "by": "plain"}))
        plain.received()
        s.abort_transaction()
    assert plain.outcome().inserted_id == 7
    assert list(db.a.find()) == [{"_id": 7, "by": "plain"}]


@pytest.mark.parametrize("end", ["commit", "abort"])
def test_a_unique_key_the_transaction_wrote_holds_a_plain_insert_of_it(client, db, end) -> None:
    db.a.create_index("k", unique=True)
    with client.start_session() as s:
        s.start_transaction()
        db.a.insert_one({"_id": 1, "k": 5}, session=s)
        plain = Background(client, "insert", lambda: db.a.insert_one({"_id": 2, "k": 5}))
        plain.received()
        assert db.a.find_one() is None
        getattr(s, f"{end}_transaction")()
    if end == "commit":
        with pytest.raises(DuplicateKeyError) as exc:
            plain.outcome()
        assert exc.value.details["keyValue"] == {"k": 5}
        assert list(db.a.find()) == [{"_id": 1, "k": 5}]
    else:
        assert plain.outcome().inserted_id == 2
        assert list(db.a.find()) == [{"_id": 2, "k": 5}]


@pytest.mark.parametrize("end", ["commit", "abort"])
def test_a_unique_key_the_transaction_is_freeing_holds_a_plain_insert_of_it(client, db, end) -> None:
    db.a.create_index("k", unique=True)
    db.a.insert_one({"_id": 1, "k": 5})
    with client.start_session() as s:
        s.start_transaction()
        db.a.update_one({"_id": 1}, {"$set": {"k": 6}}, session=s)
        plain = Background(client, "insert", lambda: db.a.insert_one({"_id": 2, "k": 5}))
        plain.received()
        getattr(s, f"{end}_transaction")()
    if end == "commit":
        assert plain.outcome().inserted_id == 2
        assert list(db.a.find()) == [{"_id": 1, "k": 6}, {"_id": 2, "k": 5}]
    else:
        with pytest.raises(DuplicateKeyError):
            plain.outcome()
        assert list(db.a.find()) == [{"_id": 1, "k": 5}]


def test_a_unique_key_the_transaction_keeps_is_a_duplicate_at_once(client, db) -> None:
    db.a.create_index("k", unique=True)
    db.a.insert_one({"_id": 1, "k": 5})
    with client.start_session() as s:
        s.start_transaction()
        db.a.update_one({"_id": 1}, {"$set": {"x": 1}}, session=s)
        # maxTimeMS: a wait would end in error 50, not in this write error
        reply = db.command({"insert": "a", "documents": [{"_id": 2, "k": 5}], "maxTimeMS": 2000})
        assert [e["code"] for e in reply["writeErrors"]] == [11000]
        s.commit_transaction()


def test_a_second_transaction_taking_a_key_the_first_is_freeing_conflicts(client, db) -> None:
    db.a.create_index("k", unique=True)
    db.a.insert_one({"_id": 1, "k": 5})
    with client.start_session() as s1, client.start_session() as s2:
        s1.start_transaction()
        s2.start_transaction()
        db.a.delete_one({"_id": 1}, session=s1)
        with pytest.raises(OperationFailure) as exc:
            db.a.insert_one({"_id": 2, "k": 5}, session=s2)
        assert exc.value.code == 112
        s1.commit_transaction()
    assert list(db.a.find()) == []


def test_a_second_transaction_writing_a_held_unique_key_conflicts_at_once(client, db) -> None:
    db.a.create_index("k", unique=True)
    with client.start_session() as s1, client.start_session() as s2:
        s1.start_transaction()
        s2.start_transaction()
        db.a.insert_one({"_id": 1, "k": 5}, session=s1)
        with pytest.raises(OperationFailure) as exc:
            db.a.insert_one({"_id": 2, "k": 5}, session=s2)
        assert exc.value.code == 112
        assert exc.value.details["errorLabels"] == ["TransientTransactionError"]
        s1.commit_transaction()
    assert list(db.a.find()) == [{"_id": 1, "k": 5}]


def test_find_one_and_update_waits_and_returns_the_committed_document(client, db) -> None:
    db.a.insert_one({"_id": 1, "v": 0})
    with client.start_session() as s:
        s.start_transaction()
        db.a.update_one({"_id": 1}, {"$set": {"v": 1, "t": True}}, session=s)
        plain = Background(
            client, "command", lambda: db.a.find_one_and_update({"_id": 1}, {"$inc": {"v": 10}})
        )
        plain.received()
        assert db.a.find_one() == {"_id": 1, "v": 0}
        s.commit_transaction()
    assert plain.outcome() == {"_id": 1, "v": 1, "t": True}
    assert db.a.find_one() == {"_id": 1, "v": 11, "t": True}


def test_max_time_ms_ends_the_wait_and_the_transaction_still_commits(client, db) -> None:
    db.a.insert_one({"_id": 1, "v": 0})
    with client.start_session() as s:
        s.start_transaction()
        db.a.update_one({"_id": 1}, {"$inc": {"v": 1}}, session=s)
        with pytest.raises(OperationFailure) as exc:
            updates = [{"q": {"_id": 1}, "u": {"$inc": {"v": 10}}}]
            db.command({"update": "a", "updates": updates, "maxTimeMS": 50})
        assert exc.value.code == 50
        assert exc.value.details["codeName"] == "MaxTimeMSExpired"
        assert exc.value.details["errmsg"] == "operation exceeded time limit"
        s.commit_transaction()
    assert db.a.find_one() == {"_id": 1, "v": 1}


def test_a_waiting_write_is_listed_in_current_op_and_killop_ends_it_unapplied(client, db) -> None:
    """currentOp lists the waiting update as an active op; killOp answers it with Interrupted, and it is
    not applied when the transaction ends (mongod's write-conflict retry loop stops at the interrupt)."""
    db.a.insert_one({"_id": 1, "v": 0})
    with client.start_session() as s:
        s.start_transaction()
        db.a.update_one({"_id": 1}, {"$inc": {"v": 1}}, session=s)
        plain = Background(client, "update", lambda: db.a.update_one({"_id": 1}, {"$inc": {"v": 10}}))
        plain.received()
        ops = client.admin.command({"currentOp": 1, "op": "update", "ns": db.a.full_name})["inprog"]
        assert [(op["active"], op["command"]["updates"]) for op in ops] == [
            (True, [{"q": {"_id": 1}, "u": {"$inc": {"v": 10}}, "multi": False, "upsert": False}])
        ]
        client.admin.command("killOp", op=ops[0]["opid"])
        with pytest.raises(OperationFailure) as exc:
            plain.outcome()
        assert (exc.value.code, exc.value.details["errmsg"]) == (11601, "operation was interrupted")
        s.abort_transaction()
    assert db.a.find_one() == {"_id": 1, "v": 0}
    assert client.admin.command({"currentOp": 1, "op": "update"})["inprog"] == []


def test_a_bulk_write_goes_on_from_the_statement_that_waited(client, db) -> None:
    """The statements before the waiting one are applied at once; the reply covers all of them."""
    db.a.insert_many([{"_id": i, "v": 0} for i in (1, 2, 3)])
    with client.start_session() as s:
        s.start_transaction()
        db.a.update_one({"_id": 2}, {"$set": {"v": 100}}, session=s)
        ops = [
            UpdateOne({"_id": 1}, {"$inc": {"v": 1}}),
            UpdateOne({"_id": 2}, {"$inc": {"v": 1}}),
            UpdateOne({"_id": 4}, {"$inc": {"v": 1}}, upsert=True),
        ]
        plain = Background(client, "update", lambda: db.a.bulk_write(ops).bulk_api_result)
        plain.received()
        assert list(db.a.find()) == [{"_id": 1, "v": 1}, {"_id": 2, "v": 0}, {"_id": 3, "v": 0}]
        s.commit_transaction()
    assert plain.outcome() == {
        "writeErrors": [],
        "writeConcernErrors": [],
        "nInserted": 0,
        "nUpserted": 1,
        "nMatched": 2,
        "nModified": 2,
        "nRemoved": 0,
        "upserted": [{"index": 2, "_id": 4}],
    }
    assert list(db.a.find()) == [
        {"_id": 1, "v": 1},
        {"_id": 2, "v": 101},
        {"_id": 3, "v": 0},
        {"_id": 4, "v": 1},
    ]


def test_an_unordered_multi_statement_command_merges_its_parts(client, db) -> None:
    """Not retryable (a raw command): statement 0 fails, 1 waits, 2 upserts; one reply for all."""
    db.a.insert_many([{"_id": 1, "v": 0}, {"_id": 2, "v": 0}])
    with client.start_session() as s:
        s.start_transaction()
        db.a.update_one({"_id": 2}, {"$set": {"v": 100}}, session=s)
        cmd = {
            "update": "a",
            "ordered": False,
            "updates": [
                {"q": {"_id": 1}, "u": {"$inc": {"v": "x"}}},
                {"q": {"_id": 2}, "u": {"$inc": {"v": 1}}},
                {"q": {"_id": 3}, "u": {"$set": {"v": 1}}, "upsert": True},
            ],
        }
        plain = Background(client, "update", lambda: db.command(cmd))
        plain.received()
        s.commit_transaction()
    reply = plain.outcome()
    assert {k: v for k, v in reply.items() if k not in ("$clusterTime", "operationTime")} == {
        "n": 2,
        "upserted": [{"index": 2, "_id": 3}],
        "nModified": 1,
        "writeErrors": [
            {"index": 0, "code": 14, "errmsg": 'Cannot increment with non-numeric argument: {v: "x"}'}
        ],
        "ok": 1.0,
    }
    assert list(db.a.find()) == [{"_id": 1, "v": 0}, {"_id": 2, "v": 101}, {"_id": 3, "v": 1}]


def test_a_collection_the_transaction_created_holds_nothing_for_others(client, db) -> None:
    """As in mongod: the plain insert creates the collection and goes in; the commit then conflicts."""
    with client.start_session() as s:
        s.start_transaction()
        db.a.insert_one({"_id": 7, "by": "txn"}, session=s)
        db.a.insert_one({"_id": 7, "by": "plain"})
        with pytest.raises(OperationFailure) as exc:
            s.commit_transaction()
        assert exc.value.code == 112
    assert list(db.a.find()) == [{"_id": 7, "by": "plain"}]


def test_a_document_the_transaction_only_read_is_not_waited_for(client, db) -> None:
    db.a.insert_one({"_id": 1, "v": 0})
    with client.start_session() as s:
        s.start_transaction()
        assert db.a.find_one({"_id": 1}, session=s) == {"_id": 1, "v": 0}
        db.a.update_one({"_id": 1}, {"$set": {"v": 5}})  # no wait: the transaction wrote nothing
        assert db.a.find_one({"_id": 1}, session=s) == {"_id": 1, "v": 0}  # its snapshot
        s.commit_transaction()
    assert db.a.find_one() == {"_id": 1, "v": 5}


def test_a_waiting_write_whose_client_went_away_is_not_applied(client, rs_server, db) -> None:
    db.a.insert_one({"_id": 1, "v": 0})
    with client.start_session() as s:
        s.start_transaction()
        db.a.update_one({"_id": 1}, {"$inc": {"v": 1}}, session=s)
        connections = client.admin.command("serverStatus")["connections"]["current"]
        updates = _opcount(client, "update")
        sock = socket.create_connection(("127.0.0.1", rs_server.port))
        body = {"update": "a", "updates": [{"q": {"_id": 1}, "u": {"$inc": {"v": 10}}}], "$db": db.name}
        sock.sendall(op_msg_frame(bson.encode(body)))
        while _opcount(client, "update") == updates:
            pass
        sock.close()
        while client.admin.command("serverStatus")["connections"]["current"] > connections:
            pass
        s.commit_transaction()
    assert db.a.find_one() == {"_id": 1, "v": 1}


def test_a_write_held_by_a_fail_point_and_then_by_a_transaction_waits_for_both(client, db) -> None:
    db.a.insert_one({"_id": 1, "v": 0})
    with client.start_session() as s:
        s.start_transaction()
        db.a.update_one({"_id": 1}, {"$inc": {"v": 1}}, session=s)
        client.admin.command(
            {
                "configureFailPoint": "failCommand",
                "mode": {"times": 1},
                "data": {"failCommands": ["update"], "blockConnection": True, "blockTimeMS": 1},
            }
        )
        plain = Background(client, "update", lambda: db.a.update_one({"_id": 1}, {"$inc": {"v": 10}}))
        plain.received()
        s.commit_transaction()
    assert plain.outcome().modified_count == 1
    assert db.a.find_one() == {"_id": 1, "v": 11}
