"""Retryable writes in replica-set mode: a (lsid, txnNumber, stmtId) runs at most once, also across a
restart, and a retry answers with the original result."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from bson.binary import Binary
from bson.int64 import Int64

from tests.serverproc import ServerProcess
from tests.wire_client import raw_command, without_cluster_time


@pytest.fixture
def rs(tmp_path: Path) -> Iterator[ServerProcess]:
    with ServerProcess(tmp_path / "rw.mdb", extra_args=["--replica-set", "rs0"]) as proc:
        yield proc


def _cmd(server: ServerProcess, body: dict, lsid: dict | None = None, txn: int | None = None) -> dict:
    extra = {} if lsid is None else {"lsid": lsid}
    if txn is not None:
        extra["txnNumber"] = Int64(txn)
    return without_cluster_time(raw_command(server.port, {**body, **extra, "$db": "d"}))


def _lsid() -> dict:
    return {"id": Binary(uuid.uuid4().bytes, 4)}


def test_each_write_kind_runs_once_and_a_retry_gets_the_original_result(rs) -> None:
    lsid = _lsid()
    insert = {"insert": "c", "documents": [{"_id": 1, "v": 0}, {"_id": 2, "v": 0}]}
    assert _cmd(rs, insert, lsid, 1) == {"n": 2, "ok": 1.0}
    assert _cmd(rs, insert, lsid, 1) == {"n": 2, "retriedStmtIds": [0, 1], "ok": 1.0}

    update = {
        "update": "c",
        "updates": [
            {"q": {"_id": 1}, "u": {"$inc": {"v": 1}}},
            {"q": {"_id": 9}, "u": {"$set": {"v": 1}}, "upsert": True},
        ],
    }
    first = _cmd(rs, update, lsid, 2)
    assert first == {"n": 2, "upserted": [{"index": 1, "_id": 9}], "nModified": 1, "ok": 1.0}
    again = _cmd(rs, update, lsid, 2)
    assert again == {**first, "retriedStmtIds": [0, 1]}

    fam = {"findAndModify": "c", "query": {"_id": 2}, "update": {"$inc": {"v": 5}}, "new": True}
    reply = _cmd(rs, fam, lsid, 3)
    assert reply["value"] == {"_id": 2, "v": 5}
    assert _cmd(rs, fam, lsid, 3) == {**reply, "retriedStmtId": 0}

    delete = {"delete": "c", "deletes": [{"q": {"_id": 9}, "limit": 1}]}
    assert _cmd(rs, delete, lsid, 4) == {"n": 1, "ok": 1.0}
    assert _cmd(rs, delete, lsid, 4) == {"n": 1, "retriedStmtIds": [0], "ok": 1.0}

    found = _cmd(rs, {"find": "c", "sort": {"_id": 1}})["cursor"]["firstBatch"]
    assert found == [{"_id": 1, "v": 1}, {"_id": 2, "v": 5}]


def test_an_older_txn_number_is_too_old(rs) -> None:
    lsid = _lsid()
    assert _cmd(rs, {"insert": "c", "documents": [{"_id": 1}]}, lsid, 5)["ok"] == 1.0
    reply = _cmd(rs, {"insert": "c", "documents": [{"_id": 2}]}, lsid, 4)
    assert (reply["code"], reply["codeName"]) == (225, "TransactionTooOld")
    assert reply["errmsg"].startswith("Retryable write with txnNumber 4 is prohibited on session ")
    assert _cmd(rs, {"count": "c"})["n"] == 1


def test_only_the_statements_not_yet_run_run(rs) -> None:
    lsid = _lsid()
    _cmd(rs, {"insert": "c", "documents": [{"_id": 1}], "stmtIds": [0]}, lsid, 1)
    reply = _cmd(rs, {"insert": "c", "documents": [{"_id": 1}, {"_id": 2}], "stmtIds": [0, 1]}, lsid, 1)
    assert reply == {"n": 2, "retriedStmtIds": [0], "ok": 1.0}
    assert _cmd(rs, {"count": "c"})["n"] == 2


def test_a_txn_number_on_a_command_that_is_not_a_retryable_write(rs) -> None:
    reply = _cmd(rs, {"find": "c"}, _lsid(), 1)
    assert reply["code"] == 50768


def test_retry_after_a_restart_returns_the_original_result(tmp_path: Path) -> None:
    path = tmp_path / "restart.mdb"
    lsid = _lsid()
    update = {"update": "c", "updates": [{"q": {"_id": 1}, "u": {"$inc": {"v": 1}}}]}
    fam = {"findAndModify": "c", "query": {"_id": 1}, "update": {"$inc": {"v": 10}}}
    with ServerProcess(path, extra_args=["--replica-set", "rs0"]) as server:
        assert _cmd(server, {"insert": "c", "documents": [{"_id": 1, "v": 0}]}, lsid, 1)["n"] == 1
        assert _cmd(server, update, lsid, 2) == {"n": 1, "nModified": 1, "ok": 1.0}
        original = _cmd(server, fam, lsid, 3)
        server.kill9()
    with ServerProcess(path, extra_args=["--replica-set", "rs0"]) as server:
        assert _cmd(server, fam, lsid, 3) == {**original, "retriedStmtId": 0}
        assert _cmd(server, update, lsid, 2)["code"] == 225  # 3 is the session's newest number now
        assert _cmd(server, {"find": "c"})["cursor"]["firstBatch"] == [{"_id": 1, "v": 11}]
        other = _lsid()
        assert (
            _cmd(server, update | {"updates": [{"q": {"_id": 1}, "u": {"$inc": {"v": 1}}}]}, other, 1)["n"]
            == 1
        )
        server.kill9()
    with ServerProcess(path, extra_args=["--replica-set", "rs0"]) as server:
        assert _cmd(server, update, other, 1) == {"n": 1, "nModified": 1, "retriedStmtIds": [0], "ok": 1.0}
        assert _cmd(server, {"find": "c"})["cursor"]["firstBatch"] == [{"_id": 1, "v": 12}]


def test_pymongo_retryable_writes_in_replica_set_mode(rs) -> None:
    with rs.client(retryWrites=True) as client:
        coll = client.d.c
        coll.insert_one({"_id": 1})
        coll.update_one({"_id": 1}, {"$set": {"x": 1}})
        assert coll.find_one_and_update({"_id": 1}, {"$inc": {"x": 1}}, return_document=True) == {
            "_id": 1,
            "x": 2,
        }
        coll.delete_one({"_id": 1})
        assert coll.count_documents({}) == 0


def test_a_retry_reruns_only_the_statements_that_failed(rs) -> None:
    lsid = _lsid()
    insert = {"insert": "c", "documents": [{"_id": 1}, {"_id": 1}, {"_id": 2}]}
    first = _cmd(rs, insert, lsid, 1)
    assert (first["n"], [e["index"] for e in first["writeErrors"]]) == (1, [1])
    again = _cmd(rs, insert, lsid, 1)
    assert (again["n"], [e["index"] for e in again["writeErrors"]], again["retriedStmtIds"]) == (1, [1], [0])
    unordered = {"insert": "c", "documents": [{"_id": 3}, {"_id": 3}, {"_id": 4}], "ordered": False}
    reply = _cmd(rs, unordered, lsid, 2)
    assert (reply["n"], [e["index"] for e in reply["writeErrors"]]) == (2, [1])
    reply = _cmd(rs, unordered, lsid, 2)
    assert (reply["n"], [e["index"] for e in reply["writeErrors"]], reply["retriedStmtIds"]) == (
        2,
        [1],
        [0, 2],
    )
    assert _cmd(rs, {"count": "c"})["n"] == 3
