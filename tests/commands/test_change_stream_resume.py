"""Change streams resuming across a server restart, a kill -9 and a dropped connection: every
acknowledged write is delivered once, none lost, none repeated."""

from __future__ import annotations

import pytest
from pymongo.errors import OperationFailure

from tests.serverproc import ServerProcess

RS = ["--replica-set", "rs0"]
WAIT_MS = 5000


def _ids(stream, n: int) -> list:
    return [stream.next()["documentKey"]["_id"] for _ in range(n)]


def test_resume_after_a_restart(tmp_path):
    path = tmp_path / "r.mdb"
    with ServerProcess(path, extra_args=RS) as proc, proc.client() as client:
        coll = client.d.c
        with coll.watch(max_await_time_ms=WAIT_MS) as stream:
            coll.insert_many([{"_id": i} for i in range(3)])
            coll.update_one({"_id": 1}, {"$set": {"x": 1}})
            first = stream.next()
    with ServerProcess(path, extra_args=RS) as proc, proc.client() as client:
        coll = client.d.c
        with coll.watch(resume_after=first["_id"], max_await_time_ms=WAIT_MS) as stream:
            events = [stream.next() for _ in range(3)]
            assert [(e["operationType"], e["documentKey"]["_id"]) for e in events] == [
                ("insert", 1),
                ("insert", 2),
                ("update", 1),
            ]
            assert events[2]["updateDescription"]["updatedFields"] == {"x": 1}
            coll.insert_one({"_id": 3})
            assert _ids(stream, 1) == [3]


def test_kill9_then_resume_delivers_each_acknowledged_write_once(tmp_path):
    path = tmp_path / "k.mdb"
    proc = ServerProcess(path, extra_args=RS).start()
    try:
        with proc.client() as client:
            coll = client.d.c
            with coll.watch(max_await_time_ms=WAIT_MS) as stream:
                coll.insert_one({"_id": 0})
                start = stream.next()["_id"]
            acknowledged = []
            for i in range(1, 300):
                coll.insert_one({"_id": i})
                acknowledged.append(i)
                if i == 150:
                    proc.kill9()
                    break
    finally:
        proc.stop()
    with ServerProcess(path, extra_args=RS) as proc, proc.client() as client:
        with client.d.c.watch(resume_after=start, max_await_time_ms=200) as stream:
            seen = []
            while True:
                event = stream.try_next()
                if event is None:
                    break
                seen.append(event["documentKey"]["_id"])
    assert seen == acknowledged


def test_resume_after_a_dropped_connection(tmp_path):
    with ServerProcess(tmp_path / "n.mdb", extra_args=[*RS, "--enable-test-commands"]) as proc:
        with proc.client() as client:
            coll = client.d.c
            with coll.watch(max_await_time_ms=WAIT_MS) as stream:
                coll.insert_many([{"_id": 1}, {"_id": 2}])
                assert _ids(stream, 1) == [1]
                client.admin.command(
                    "configureFailPoint",
                    "failCommand",
                    mode={"times": 1},
                    data={"failCommands": ["getMore"], "closeConnection": True},
                )
                coll.insert_one({"_id": 3})
                assert _ids(stream, 2) == [2, 3]  # the driver resumed: nothing lost or repeated


def test_history_lost(tmp_path):
    with ServerProcess(tmp_path / "h.mdb", extra_args=[*RS, "--oplog-size-mb", "1"]) as proc:
        with proc.client() as client:
            coll = client.d.c
            with coll.watch(max_await_time_ms=WAIT_MS) as stream:
                coll.insert_one({"_id": 0})
                token = stream.next()["_id"]
            coll.insert_many([{"_id": i, "pad": "x" * 1000} for i in range(1, 3000)])
            with pytest.raises(OperationFailure) as exc:
                coll.watch(resume_after=token)
            assert (exc.value.code, exc.value.details["codeName"]) == (286, "ChangeStreamHistoryLost")
