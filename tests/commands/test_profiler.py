"""The profiler (``profile``, ``<db>.system.profile``), the slow-operation log line, ``currentOp`` and
``--log-format json``, compared with what mongod 7.0 answers."""

from __future__ import annotations

import datetime
import json
import time

import pytest
from bson.int64 import Int64
from pymongo.errors import OperationFailure

from tests.serverproc import ServerProcess

_VOLATILE = ("ts", "millis", "client", "command", "cursorid")


def _entries(db, **query) -> list[dict]:
    """The profile entries of operations on ``db.c`` (the ``profile`` command itself is profiled too)."""
    return list(db["system.profile"].find({"ns": {"$ne": f"{db.name}.$cmd"}, **query}))


def _stable(entry: dict) -> dict:
    return {k: v for k, v in entry.items() if k not in _VOLATILE}


@pytest.fixture
def profiled(db):
    """``db`` profiled at level 2; the server-wide settings are restored afterwards."""
    db.command("profile", 2)
    yield db
    db.command({"profile": 0, "slowms": 100, "sampleRate": 1.0, "filter": "unset"})


def test_profile_status_defaults(db):
    assert db.command("profile", -1) == {"was": 0, "slowms": 100, "sampleRate": 1.0, "ok": 1.0}


def test_profile_reply_holds_the_previous_settings(db):
    try:
        assert db.command({"profile": 1, "slowms": 20, "sampleRate": 0.5}) == {
            "was": 0,
            "slowms": 100,
            "sampleRate": 1.0,
            "ok": 1.0,
        }
        assert db.command("profile", -1) == {"was": 1, "slowms": 20, "sampleRate": 0.5, "ok": 1.0}
        assert db.client["other_db_for_profile"].command("profile", -1)["was"] == 0  # level is per database
    finally:
        db.command({"profile": 0, "slowms": 100, "sampleRate": 1.0})


def test_level_2_profiles_find_with_mongod_fields(profiled):
    profiled.c.insert_many([{"_id": i} for i in range(5)])
    assert len(list(profiled.c.find({"_id": {"$gte": 2}}))) == 3
    [entry] = _entries(profiled, op="query")
    assert list(entry)[:3] == ["op", "ns", "command"]
    assert _stable(entry) == {
        "op": "query",
        "ns": f"{profiled.name}.c",
        "keysExamined": 3,
        "docsExamined": 3,
        "cursorExhausted": True,
        "nreturned": 3,
        "protocol": "op_msg",
        "planSummary": "IXSCAN { _id: 1 }",
        "allUsers": [],
        "user": "",
    }
    assert entry["command"]["find"] == "c"
    assert entry["command"]["filter"] == {"_id": {"$gte": 2}}
    assert entry["command"]["$db"] == profiled.name
    assert isinstance(entry["ts"], datetime.datetime)
    assert isinstance(entry["millis"], int)
    assert entry["client"] == "127.0.0.1"


def test_level_2_profiles_writes(profiled):
    profiled.c.insert_many([{"_id": 1}, {"_id": 2}])
    profiled.c.update_many({}, {"$set": {"x": 1}})
    profiled.c.delete_one({"_id": 1})
    ops = [(e["op"], e.get("ninserted"), e.get("nModified"), e.get("ndeleted")) for e in _entries(profiled)]
    assert ops == [("insert", 2, None, None), ("update", None, 2, None), ("remove", None, None, 1)]
    [update] = _entries(profiled, op="update")
    assert (update["nMatched"], update["nModified"], update["nUpserted"]) == (2, 2, 0)


def test_getmore_and_open_cursor(profiled):
    profiled.c.insert_many([{"_id": i} for i in range(5)])
    assert len(list(profiled.c.find().batch_size(2))) == 5
    [first] = _entries(profiled, op="query")
    assert first["nreturned"] == 2 and isinstance(first["cursorid"], Int64)
    more = _entries(profiled, op="getmore")
    assert [(e["ns"], e["nreturned"], e.get("cursorExhausted")) for e in more] == [
        (f"{profiled.name}.c", 2, None),
        (f"{profiled.name}.c", 1, True),
    ]


def test_failed_command_is_profiled_with_its_error(profiled):
    with pytest.raises(OperationFailure):
        profiled.c.find({"$bogus": 1}).to_list()
    [entry] = _entries(profiled, op="query")
    assert (entry["ok"], entry["errName"], entry["errCode"]) == (0.0, "BadValue", 2)
    assert entry["errMsg"] == "unknown top level operator: $bogus"


def test_app_name_recorded(server, db):
    with server.client(appname="profiled-app") as other:
        mine = other[db.name]
        mine.command("profile", 2)
        try:
            mine.c.find_one({"a": 1})
        finally:
            mine.command("profile", 0)
    [entry] = _entries(db, op="query")
    assert entry["appName"] == "profiled-app"


def test_level_1_profiles_only_slow_operations(db):
    try:
        db.command({"profile": 1, "slowms": 100_000})
        db.c.insert_one({"a": 1})
        assert _entries(db) == []
        db.command({"profile": 1, "slowms": 0})
        db.c.find_one({"a": 1})
        assert [e["op"] for e in _entries(db)] == ["query"]
    finally:
        db.command({"profile": 0, "slowms": 100})


def test_filter_chooses_what_is_profiled(db):
    try:
        reply = db.command({"profile": 1, "filter": {"op": "remove"}})
        assert reply == {
            "was": 0,
            "slowms": 100,
            "sampleRate": 1.0,
            "note": "When a filter expression is set, slowms and sampleRate are not used for profiling "
            "and slow-query log lines.",
            "ok": 1.0,
        }
        db.c.insert_one({"a": 1})
        db.c.delete_many({})
        assert [e["op"] for e in _entries(db)] == ["remove"]
        status = db.command("profile", -1)
        assert status["filter"] == {"op": "remove"} and status["was"] == 1
        db.command({"profile": 0, "filter": "unset"})
        assert db.command("profile", -1) == {"was": 0, "slowms": 100, "sampleRate": 1.0, "ok": 1.0}
    finally:
        db.command({"profile": 0, "filter": "unset"})


def test_aggregate_reads_system_profile(profiled):
    profiled.c.insert_one({"a": 1})
    profiled.c.find_one({"a": 1})
    profiled.c.find_one({"a": 2})
    got = list(
        profiled["system.profile"].aggregate(
            [{"$match": {"op": "query"}}, {"$group": {"_id": "$op", "n": {"$sum": "$nreturned"}}}]
        )
    )
    assert got == [{"_id": "query", "n": 1}]


def test_system_profile_is_empty_when_never_profiled(db):
    assert _entries(db) == []
    assert list(db["system.profile"].aggregate([{"$count": "n"}])) == []


def test_profile_argument_errors(db):
    with pytest.raises(OperationFailure) as exc:
        db.command({"profile": 1, "sampleRate": 2.0})
    assert (exc.value.code, exc.value.details["errmsg"]) == (
        2,
        "'sampleRate' must be between 0.0 and 1.0 inclusive",
    )
    with pytest.raises(OperationFailure) as exc:
        db.command({"profile": 1, "filter": 5})
    assert (exc.value.code, exc.value.details["errmsg"]) == (2, "Expected an object, or the string 'unset'.")
    with pytest.raises(OperationFailure) as exc:
        db.command({"profile": 1, "slowms": "fast"})
    assert exc.value.code == 14
    assert db.command("profile", -1)["was"] == 0  # nothing was applied
    # mongod's parser for profile is not strict: unknown fields are ignored
    assert db.command({"profile": -1, "bogus": 1}) == {"was": 0, "slowms": 100, "sampleRate": 1.0, "ok": 1.0}


def test_slow_query_log_line(server, db):
    try:
        db.command({"profile": 0, "slowms": 0})
        db.slowlog.find_one({"marker": "slow-line-test"})
    finally:
        db.command({"profile": 0, "slowms": 100})
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:  # the server's output is read by a thread
        lines = [line for line in server.output if "slow-line-test" in line]
        if lines:
            break
        time.sleep(0.05)
    assert len(lines) == 1 and "Slow query" in lines[0]
    attr = json.loads(lines[0][lines[0].index("{") :])
    assert attr["type"] == "command" and attr["ns"] == f"{db.name}.slowlog"
    assert attr["command"]["filter"] == {"marker": "slow-line-test"}
    assert attr["nreturned"] == 0 and isinstance(attr["durationMillis"], int)


def test_current_op_lists_itself(client):
    reply = client.admin.command("currentOp")
    [op] = reply["inprog"]
    assert list(op)[:5] == ["type", "host", "desc", "connectionId", "client"]
    assert (op["type"], op["active"], op["op"], op["ns"]) == ("op", True, "command", "admin.$cmd")
    assert op["command"]["currentOp"] == 1
    assert client.admin.command({"currentOp": 1, "op": "query"})["inprog"] == []
    with pytest.raises(OperationFailure) as exc:
        client.test.command("currentOp")
    assert exc.value.code == 13


def test_json_log_format(tmp_path):
    with ServerProcess(None, ["--log-format", "json"]) as proc:
        with proc.client() as c:
            c.t.command({"profile": 0, "slowms": 0})
            c.t.c.find_one({"marker": "json-line"})
        proc.stop()
    lines = [json.loads(line) for line in proc.output if line.startswith("{")]
    assert len(lines) == len(proc.output)  # every line is a JSON object
    ready = next(line for line in lines if "listening on" in line["msg"])
    assert list(ready) == ["t", "s", "c", "id", "ctx", "msg"]
    assert ready["s"] == "I" and ready["c"] == "NETWORK"
    changed = next(line for line in lines if line["msg"] == "Profiler settings changed")
    assert changed["id"] == 48742
    assert changed["attr"] == {
        "from": {"level": 0, "slowms": 100, "sampleRate": 1.0},
        "to": {"level": 0, "slowms": 0, "sampleRate": 1.0},
    }
    [slow] = [line for line in lines if line["msg"] == "Slow query" and "json-line" in json.dumps(line)]
    assert list(slow) == ["t", "s", "c", "id", "ctx", "msg", "attr"]
    assert (slow["s"], slow["c"], slow["id"]) == ("I", "COMMAND", 51803)
    assert slow["ctx"].startswith("conn")
    assert slow["attr"]["ns"] == "t.c" and slow["attr"]["type"] == "command"
    datetime.datetime.fromisoformat(slow["t"]["$date"])


def test_profiled_reads_carry_their_plan(profiled):
    profiled.c.insert_many([{"a": i} for i in range(20)])
    profiled.c.create_index("a")
    assert profiled.c.find_one({"a": 3})["a"] == 3
    assert list(profiled.c.find({"b": 1})) == []
    by_index, scan = _entries(profiled, op="query")
    examined = ("keysExamined", "docsExamined", "nreturned", "planSummary")
    assert [by_index[k] for k in examined] == [1, 1, 1, "IXSCAN { a: 1 }"]
    assert [scan[k] for k in examined] == [0, 20, 0, "COLLSCAN"]
    assert list(scan)[:5] == ["op", "ns", "command", "keysExamined", "docsExamined"]
    assert list(scan).index("planSummary") == list(scan).index("millis") + 1


def test_current_op_idle_cursors(client, db):
    db.c.insert_many([{"_id": i} for i in range(5)])
    cursor = db.c.find().batch_size(2)
    next(cursor)
    reply = client.admin.command({"currentOp": 1, "idleCursors": True, "type": "idleCursor"})
    [idle] = [op for op in reply["inprog"] if op["ns"] == f"{db.name}.c"]
    assert idle["type"] == "idleCursor"
    assert idle["cursor"]["cursorId"] == cursor.cursor_id
    assert (idle["cursor"]["nDocsReturned"], idle["cursor"]["nBatchesReturned"]) == (2, 1)
    assert idle["cursor"]["createdDate"] <= idle["cursor"]["lastAccessDate"]
    cursor.close()
    reply = client.admin.command({"currentOp": 1, "idleCursors": True, "type": "idleCursor"})
    assert [op for op in reply["inprog"] if op["ns"] == f"{db.name}.c"] == []
