"""currentOp / $currentOp listing operations in progress, and killOp stopping them: a long aggregation or
find (its scan yields the event loop, so other clients are served meanwhile), an awaitData getMore, and
maxTimeMS on a long scan. Every wait polls the server's own answers; nothing asserts on time."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import bson
import pymongo
import pytest
from pymongo.errors import ExecutionTimeout, OperationFailure

from tests.commands.auth_helpers import ROOT_PWD, ROOT_USER, user_client
from tests.serverproc import ServerProcess
from tests.wire_client import op_msg_frame

# Per document: a sum over 300 numbers (about half a millisecond), so a pass over the collection is long.
SLOW = {"$reduce": {"input": {"$range": [0, 300]}, "initialValue": 0, "in": {"$add": ["$$value", "$$this"]}}}
SLOW_PIPELINE = [{"$project": {"v": SLOW}}, {"$group": {"_id": None, "n": {"$sum": 1}}}]
POLL_LIMIT_S = 60  # a bound for the polls, so that a broken server fails the test instead of hanging it


class Background:
    """Runs ``call`` in a thread; keeps its result or its OperationFailure."""

    def __init__(self, call: Callable[[], Any]) -> None:
        self.result: Any = None
        self.error: OperationFailure | None = None
        self.thread = threading.Thread(target=self._run, args=(call,), daemon=True)
        self.thread.start()

    def _run(self, call: Callable[[], Any]) -> None:
        try:
            self.result = call()
        except OperationFailure as error:
            self.error = error

    def join(self) -> None:
        self.thread.join(POLL_LIMIT_S)
        assert not self.thread.is_alive()


def poll(probe: Callable[[], Any]) -> Any:
    """``probe()``'s first truthy answer (asked again and again, bounded by POLL_LIMIT_S)."""
    deadline = time.monotonic() + POLL_LIMIT_S
    while time.monotonic() < deadline:
        found = probe()
        if found:
            return found
    raise AssertionError("the server never gave the awaited answer")


def ops_with_comment(client: pymongo.MongoClient, comment: str) -> list[dict[str, Any]]:
    return client.admin.command({"currentOp": 1, "command.comment": comment})["inprog"]


@pytest.fixture
def other(server: ServerProcess) -> Iterator[pymongo.MongoClient]:
    with server.client() as c:
        yield c


@pytest.fixture
def slow_coll(db):
    db.slow.insert_many([{"_id": i, "k": i % 7} for i in range(20_000)])
    return db.slow


def test_long_aggregation_listed_and_killed(client, other, slow_coll):
    run = Background(
        lambda: list(other[slow_coll.database.name].slow.aggregate(SLOW_PIPELINE, comment="agg"))
    )
    [op] = poll(lambda: ops_with_comment(client, "agg"))
    assert list(op)[:5] == ["type", "host", "desc", "connectionId", "client"]
    assert (op["type"], op["active"], op["op"], op["ns"]) == ("op", True, "command", slow_coll.full_name)
    assert op["command"]["aggregate"] == "slow" and op["command"]["pipeline"] == SLOW_PIPELINE
    assert op["desc"] == f"conn{op['connectionId']}" and op["clientMetadata"]["driver"]["name"].startswith(
        "PyMongo"
    )
    assert isinstance(op["opid"], int) and op["locks"] == {} and op["waitingForLock"] is False
    assert op["secs_running"] >= 0 and op["microsecs_running"] >= 0
    # It yields: the server answered currentOp while it runs, and its yields count up.
    assert poll(lambda: [o for o in ops_with_comment(client, "agg") if o["numYields"] > 0])
    assert client.admin.command({"killOp": 1, "op": op["opid"]}) == {
        "info": "attempting to kill op",
        "ok": 1.0,
    }
    run.join()
    assert run.error is not None and run.error.code == 11601
    assert run.error.details == {
        "ok": 0.0,
        "errmsg": "PlanExecutor error during aggregation :: caused by :: operation was interrupted",
        "code": 11601,
        "codeName": "Interrupted",
    }
    assert ops_with_comment(client, "agg") == []


def test_long_find_killed(client, other, slow_coll):
    coll = other[slow_coll.database.name].slow
    run = Background(lambda: coll.find_one({"$expr": {"$lt": [SLOW, 0]}}, comment="find"))
    [op] = poll(lambda: ops_with_comment(client, "find"))
    assert (op["op"], op["ns"], op["command"]["find"]) == ("query", slow_coll.full_name, "slow")
    client.admin.command("killOp", op=op["opid"])
    run.join()
    assert run.error is not None
    assert (run.error.code, run.error.details["codeName"]) == (11601, "Interrupted")
    assert (
        run.error.details["errmsg"]
        == "Executor error during find command :: caused by :: operation was interrupted"
    )


def test_writes_during_a_yielding_read_do_not_change_its_snapshot(client, other, db):
    db.snap.insert_many([{"_id": i} for i in range(2_000)])
    pipeline = [
        {"$project": {"v": SLOW}},
        {"$group": {"_id": None, "n": {"$sum": 1}, "ids": {"$sum": "$_id"}}},
    ]
    run = Background(lambda: list(other[db.name].snap.aggregate(pipeline, comment="snap")))
    poll(lambda: [o for o in ops_with_comment(client, "snap") if o["numYields"] > 0])
    db.snap.insert_many([{"_id": 10_000 + i} for i in range(500)])  # served while the read is suspended
    db.snap.delete_many({"_id": {"$lt": 1_000}})
    db.snap.update_many({}, {"$set": {"x": 1}})
    run.join()
    assert run.error is None
    assert run.result == [{"_id": None, "n": 2_000, "ids": sum(range(2_000))}]
    assert db.snap.count_documents({}) == 1_500


def test_disconnected_clients_operation_is_killed(client, server, slow_coll):
    # Far longer than the poll limit if it ran on: its end proves it was interrupted.
    endless = {"$reduce": {"input": {"$range": [0, 30_000]}, "initialValue": 0, "in": "$$this"}}
    body = {
        "aggregate": "slow",
        "pipeline": [{"$project": {"v": endless}}, {"$group": {"_id": None, "n": {"$sum": 1}}}],
        "cursor": {},
        "comment": "gone",
        "$db": slow_coll.database.name,
    }
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.sendall(op_msg_frame(bson.encode(body)))
        poll(lambda: ops_with_comment(client, "gone"))
    poll(lambda: ops_with_comment(client, "gone") == [])


def test_max_time_ms_on_a_long_scan(slow_coll):
    with pytest.raises(ExecutionTimeout) as exc:
        list(slow_coll.aggregate(SLOW_PIPELINE, maxTimeMS=20))
    assert exc.value.details == {
        "ok": 0.0,
        "errmsg": "PlanExecutor error during aggregation :: caused by :: operation exceeded time limit",
        "code": 50,
        "codeName": "MaxTimeMSExpired",
    }
    with pytest.raises(ExecutionTimeout) as exc:
        slow_coll.find_one({"$expr": {"$lt": [SLOW, 0]}}, max_time_ms=20)
    assert exc.value.code == 50
    assert exc.value.details["errmsg"] == (
        "Executor error during find command :: caused by :: operation exceeded time limit"
    )
    with pytest.raises(ExecutionTimeout):
        slow_coll.count_documents({"$expr": {"$lt": [SLOW, 0]}}, maxTimeMS=20)


def test_kill_awaiting_get_more(client, other, db):
    db.create_collection("capped", capped=True, size=4096)
    db.capped.insert_one({"_id": 1})
    coll = other[db.name].capped
    cursor_reply = other[db.name].command({"find": "capped", "tailable": True, "awaitData": True})
    cursor_id = cursor_reply["cursor"]["id"]
    assert cursor_reply["cursor"]["firstBatch"] == [{"_id": 1}]
    get_more = {"getMore": cursor_id, "collection": "capped", "maxTimeMS": 600_000, "comment": "wait"}
    run = Background(lambda: coll.database.command(get_more))
    [op] = poll(lambda: ops_with_comment(client, "wait"))
    assert (op["op"], op["ns"], op["active"]) == ("getmore", f"{db.name}.capped", True)
    assert op["command"]["getMore"] == cursor_id
    client.admin.command("killOp", op=op["opid"])
    run.join()
    assert run.error is not None
    assert run.error.details == {
        "ok": 0.0,
        "errmsg": "Executor error during getMore :: caused by :: operation was interrupted",
        "code": 11601,
        "codeName": "Interrupted",
    }
    with pytest.raises(OperationFailure) as exc:  # the killed getMore's cursor is gone
        coll.database.command({"getMore": cursor_id, "collection": "capped"})
    assert exc.value.code == 43


def test_kill_blocked_fail_point():
    with ServerProcess(None, ["--set-parameter", "enableTestCommands=1"]) as proc:
        with proc.client() as client, proc.client() as other:
            client.admin.command(
                "configureFailPoint",
                "failCommand",
                mode={"times": 1},
                data={"failCommands": ["count"], "blockConnection": True, "blockTimeMS": 600_000},
            )
            run = Background(lambda: other.test.command({"count": "c", "comment": "blocked"}))
            [op] = poll(lambda: ops_with_comment(client, "blocked"))
            client.admin.command("killOp", op=op["opid"])
            run.join()
    assert run.error is not None
    assert (run.error.code, run.error.details["errmsg"]) == (11601, "operation was interrupted")


def test_current_op_options(client, other):
    other.admin.command("ping")  # an idle connection of its own
    active = client.admin.command("currentOp")["inprog"]
    assert [op["command"].get("currentOp") for op in active] == [1]
    everything = client.admin.command({"currentOp": 1, "$all": True})["inprog"]
    idle = [op for op in everything if not op["active"]]
    fields = ["type", "host", "desc", "connectionId", "client", "clientMetadata", "active", "currentOpTime"]
    assert idle and all(list(op) == fields and op["type"] == "op" for op in idle)
    assert len({op["connectionId"] for op in everything}) == len(everything)
    assert client.admin.command({"currentOp": 1, "active": False})["inprog"] == []
    assert client.admin.command({"killOp": 1, "op": 2**40}) == {"info": "attempting to kill op", "ok": 1.0}


def test_current_op_stage(client):
    [op] = client.admin.aggregate(
        [{"$currentOp": {}}, {"$match": {"command.comment": "stage"}}], comment="stage"
    )
    assert (op["type"], op["op"], op["ns"]) == ("op", "command", "admin.$cmd.aggregate")
    assert op["command"]["pipeline"][0] == {"$currentOp": {}}
    everyone = list(client.admin.aggregate([{"$currentOp": {"idleConnections": True, "allUsers": True}}]))
    assert any(not op["active"] for op in everyone)
    listed = list(client.admin.aggregate([{"$currentOp": {"localOps": True, "idleSessions": False}}]))
    assert all(op["active"] for op in listed)


_TYPE = "The '{}' parameter of the $currentOp stage must be a boolean value, but found: {}"
STAGE_ERRORS = {
    "not-admin": ("test", {}, 73, "$currentOp must be run against the 'admin' database with {aggregate: 1}"),
    "not-first": ("admin", None, 40602, "$currentOp is only valid as the first stage in a pipeline"),
    "not-object": ("admin", 1, 14, "$currentOp options must be specified in an object, but found: int"),
    "all-users-type": ("admin", {"allUsers": 1}, 14, _TYPE.format("allUsers", "int")),
    "option-type": ("admin", {"idleCursors": "x"}, 9, _TYPE.format("idleCursors", "string")),
    "unknown-option": ("admin", {"bad": True}, 9, "Unrecognized option 'bad' in $currentOp stage."),
}


@pytest.mark.parametrize("case", STAGE_ERRORS.values(), ids=STAGE_ERRORS.keys())
def test_current_op_stage_errors(client, case):
    db_name, spec, code, errmsg = case
    pipeline = [{"$match": {}}, {"$currentOp": {}}] if spec is None else [{"$currentOp": spec}]
    with pytest.raises(OperationFailure) as exc:
        client[db_name].command({"aggregate": 1, "pipeline": pipeline, "cursor": {}})
    assert (exc.value.code, exc.value.details["errmsg"]) == (code, errmsg)


def test_kill_op_needs_the_killop_action(tmp_path):
    with ServerProcess(None, ["--auth"]) as proc:
        with proc.client() as anonymous:
            anonymous.admin.command("createUser", ROOT_USER, pwd=ROOT_PWD, roles=["root"])
        with user_client(proc, ROOT_USER, ROOT_PWD) as root:
            root.admin.command("createUser", "reader", pwd="r", roles=["readAnyDatabase"])
            assert root.admin.command("killOp", op=12345)["ok"] == 1.0
        with user_client(proc, "reader", "r") as reader:
            with pytest.raises(OperationFailure) as exc:
                reader.admin.command("killOp", op=12345)
            assert (exc.value.code, exc.value.details["codeName"]) == (13, "Unauthorized")
            with pytest.raises(OperationFailure) as exc:
                reader.admin.command("currentOp")
            assert exc.value.code == 13
