"""A fresh server holds what a fresh standalone mongod 7.0 holds: ``admin.system.version`` (the FCV
document), ``config.system.sessions`` (with its TTL index) and ``local.startup_log`` (one document per
start), so ``listDatabases`` / ``show dbs`` list admin, config and local with their sizes."""

from __future__ import annotations

import datetime
import os

from bson.int64 import Int64

from tests.serverproc import ServerProcess

SYSTEM = ["admin", "config", "local"]


def test_fresh_server_lists_admin_config_local(data_file):
    with ServerProcess(data_file) as server, server.client() as client:
        reply = client.admin.command("listDatabases")
        assert [entry["name"] for entry in reply["databases"]] == SYSTEM
        for entry in reply["databases"]:
            assert list(entry) == ["name", "sizeOnDisk", "empty"]
            assert type(entry["sizeOnDisk"]) is Int64
        sizes = {entry["name"]: entry["sizeOnDisk"] for entry in reply["databases"]}
        assert sizes["admin"] > 0 and sizes["local"] > 0
        assert reply["totalSize"] == sum(sizes.values())
        assert client.admin.command("listDatabases", nameOnly=True) == {
            "databases": [{"name": name} for name in SYSTEM],
            "ok": 1.0,
        }
        assert client.admin.command("listDatabases", nameOnly=True, filter={"name": {"$ne": "local"}}) == {
            "databases": [{"name": "admin"}, {"name": "config"}],
            "ok": 1.0,
        }
        assert client.list_database_names() == SYSTEM


def test_system_collections_hold_what_mongod_holds(data_file):
    with ServerProcess(data_file) as server, server.client() as client:
        assert client.admin.list_collection_names() == ["system.version"]
        assert list(client.admin.system.version.find()) == [
            {"_id": "featureCompatibilityVersion", "version": "7.0"}
        ]
        assert list(client.config.system.sessions.list_indexes()) == [
            {"v": 2, "key": {"_id": 1}, "name": "_id_"},
            {"v": 2, "key": {"lastUse": 1}, "name": "lsidTTLIndex", "expireAfterSeconds": 1800},
        ]
        (entry,) = client.local.startup_log.find()
        fields = ["_id", "hostname", "startTime", "startTimeLocal", "cmdLine", "pid", "buildinfo"]
        assert list(entry) == fields
        assert entry["_id"].startswith(entry["hostname"] + "-")
        assert type(entry["startTime"]) is datetime.datetime and type(entry["pid"]) is Int64
        assert entry["pid"] == server.proc.pid
        assert entry["buildinfo"]["version"] == "7.0.0"


def test_system_collections_are_per_start_until_a_client_writes_them(data_file):
    with ServerProcess(data_file) as server, server.client() as client:
        first = client.local.startup_log.find_one()["_id"]
        size = os.path.getsize(data_file)
    assert os.path.getsize(data_file) == size  # installing them logged nothing
    with ServerProcess(data_file) as server, server.client() as client:
        # the first start's document was never logged: each start describes only itself
        assert [doc["pid"] for doc in client.local.startup_log.find()] == [server.proc.pid]
        client.admin.system.version.insert_one({"_id": "mine"})
    with ServerProcess(data_file) as server, server.client() as client:
        ids = [doc["_id"] for doc in client.admin.system.version.find()]
        assert ids == ["featureCompatibilityVersion", "mine"]
        assert first not in [doc["_id"] for doc in client.local.startup_log.find()]


def test_dropped_user_database_leaves_the_system_ones(client, db):
    db.c.insert_one({"_id": 1})
    assert db.name in client.list_database_names()
    client.drop_database(db.name)
    assert set(SYSTEM) <= set(client.list_database_names())
