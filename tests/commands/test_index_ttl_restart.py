"""TTL expiry by the monitor (interval shortened for the test), and indexes surviving a restart."""

from __future__ import annotations

import datetime
import time

import pytest
from pymongo.errors import DuplicateKeyError

from tests.serverproc import ServerProcess


def _wait_for(predicate, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_ttl_monitor_deletes_expired_documents_and_logs_it(tmp_path):
    path = tmp_path / "ttl.mdb"
    now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
    with (
        ServerProcess(path, ["--ttl-monitor-interval-s", "0.1"]) as server,
        server.client() as client,
    ):
        coll = client.t.events
        coll.create_index("at", expireAfterSeconds=60)
        coll.insert_many(
            [
                {"_id": "old", "at": now - datetime.timedelta(hours=1)},
                {
                    "_id": "old-in-array",
                    "at": [now + datetime.timedelta(days=1), now - datetime.timedelta(days=1)],
                },
                {"_id": "fresh", "at": now},
                {"_id": "not-a-date", "at": "yesterday"},
                {"_id": "missing"},
            ]
        )
        assert _wait_for(lambda: coll.count_documents({}) == 3)
        assert sorted(d["_id"] for d in coll.find()) == ["fresh", "missing", "not-a-date"]
    with ServerProcess(path) as server, server.client() as client:
        assert sorted(d["_id"] for d in client.t.events.find()) == ["fresh", "missing", "not-a-date"]


def test_indexes_survive_restart(tmp_path):
    path = tmp_path / "idx.mdb"
    with ServerProcess(path) as server, server.client() as client:
        coll = client.t.c
        coll.insert_many([{"_id": i, "a": i % 7, "u": i} for i in range(50)])
        coll.create_index("u", unique=True)
        coll.create_index([("a", 1), ("u", -1)], name="a_u")
        coll.create_index("gone")
        coll.drop_index("gone_1")
        client.t.command("collMod", "c", index={"name": "a_u", "hidden": True})
        coll.insert_one({"_id": 50, "a": 1, "u": 50.5})
    with ServerProcess(path) as server, server.client() as client:
        coll = client.t.c
        assert list(coll.list_indexes()) == [
            {"v": 2, "key": {"_id": 1}, "name": "_id_"},
            {"v": 2, "key": {"u": 1}, "name": "u_1", "unique": True},
            {"v": 2, "key": {"a": 1, "u": -1}, "name": "a_u", "hidden": True},
        ]
        with pytest.raises(DuplicateKeyError):
            coll.insert_one({"u": 50.5})
        plan = coll.find({"u": {"$gte": 48}}).explain()["queryPlanner"]["winningPlan"]
        assert plan["inputStage"]["indexName"] == "u_1"
        assert [d["_id"] for d in coll.find({"u": {"$gte": 48}}).sort("u", -1)] == [50, 49, 48]
        assert coll.find({"a": 1}).explain()["queryPlanner"]["winningPlan"]["stage"] == "COLLSCAN"
