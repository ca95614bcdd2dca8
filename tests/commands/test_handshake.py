"""hello, buildInfo and the other commands clients send when they connect."""

from __future__ import annotations

import datetime

import pytest
from bson.int64 import Int64
from pymongo.errors import OperationFailure


def test_hello_describes_a_standalone_mongod_7(client):
    reply = client.admin.command("hello")
    assert list(reply) == [
        "isWritablePrimary",
        "maxBsonObjectSize",
        "maxMessageSizeBytes",
        "maxWriteBatchSize",
        "localTime",
        "logicalSessionTimeoutMinutes",
        "connectionId",
        "minWireVersion",
        "maxWireVersion",
        "readOnly",
        "ok",
    ]
    assert reply["isWritablePrimary"] is True
    assert reply["maxBsonObjectSize"] == 16 * 1024 * 1024
    assert reply["maxMessageSizeBytes"] == 48_000_000
    assert reply["maxWriteBatchSize"] == 100_000
    assert reply["maxWireVersion"] == 21
    assert reply["minWireVersion"] == 0
    assert isinstance(reply["localTime"], datetime.datetime)
    assert reply["ok"] == 1.0
    assert "topologyVersion" not in reply


def test_legacy_is_master_says_ismaster_and_hello_ok(client):
    reply = client.admin.command({"isMaster": 1, "helloOk": True})
    assert reply["helloOk"] is True
    assert reply["ismaster"] is True
    assert "isWritablePrimary" not in reply
    assert client.admin.command("ismaster")["ismaster"] is True


def test_ping(client):
    assert client.admin.command("ping") == {"ok": 1.0}
    assert client.some_db.command("ping") == {"ok": 1.0}


def test_build_info_reports_mongodb_7(client):
    info = client.admin.command("buildInfo")
    assert info["version"] == "7.0.0"
    assert info["versionArray"] == [7, 0, 0, 0]
    assert info["bits"] == 64
    assert info["maxBsonObjectSize"] == 16777216
    assert client.admin.command("buildinfo")["version"] == "7.0.0"


def test_unknown_command_is_command_not_found(client):
    with pytest.raises(OperationFailure) as exc:
        client.admin.command("noSuchThing")
    assert exc.value.code == 59
    assert exc.value.details == {
        "ok": 0.0,
        "errmsg": "no such command: 'noSuchThing'",
        "code": 59,
        "codeName": "CommandNotFound",
    }


def test_whatsmyuri_and_connection_status(client):
    you = client.admin.command("whatsmyuri")["you"]
    assert you.startswith("127.0.0.1:")
    status = client.admin.command("connectionStatus")
    assert status == {"authInfo": {"authenticatedUsers": [], "authenticatedUserRoles": []}, "ok": 1.0}


def test_get_parameter(client):
    reply = client.admin.command({"getParameter": 1, "featureCompatibilityVersion": 1})
    assert reply == {"featureCompatibilityVersion": {"version": "7.0"}, "ok": 1.0}
    everything = client.admin.command({"getParameter": "*"})
    assert everything["featureCompatibilityVersion"] == {"version": "7.0"}
    with pytest.raises(OperationFailure) as exc:
        client.admin.command({"getParameter": 1, "noSuchParameter": 1})
    assert exc.value.code == 72


def test_admin_only_commands_refuse_other_databases(client):
    with pytest.raises(OperationFailure) as exc:
        client.test.command("getParameter", "*")
    assert exc.value.code == 13
    assert exc.value.details["codeName"] == "Unauthorized"
    assert exc.value.details["errmsg"] == "getParameter may only be run against the admin database."


def test_get_log_and_cmd_line_opts(client):
    assert client.admin.command({"getLog": "startupWarnings"}) == {
        "totalLinesWritten": 0,
        "log": [],
        "ok": 1.0,
    }
    assert client.admin.command({"getLog": "*"}) == {"names": ["global", "startupWarnings"], "ok": 1.0}
    opts = client.admin.command("getCmdLineOpts")
    assert opts["parsed"]["net"]["bindIp"] == "127.0.0.1"
    assert isinstance(opts["argv"], list)


def test_host_info(client):
    info = client.admin.command("hostInfo")
    assert info["system"]["cpuAddrSize"] == 64
    assert info["system"]["numCores"] >= 1
    assert set(info["os"]) == {"type", "name", "version"}


def test_server_status_counts_operations(client, db):
    before = client.admin.command("serverStatus")
    db.c.insert_one({"a": 1})
    db.c.find_one({"a": 1})
    after = client.admin.command("serverStatus")
    assert after["process"] == "mongod"
    assert after["version"] == "7.0.0"
    assert isinstance(after["pid"], Int64)
    assert after["opcounters"]["insert"] == before["opcounters"]["insert"] + 1
    assert after["opcounters"]["query"] == before["opcounters"]["query"] + 1
    assert after["connections"]["current"] >= 1
    assert after["mem"]["bits"] == 64
    assert after["uptime"] >= 0


def test_list_commands_is_sorted_and_complete(client):
    commands = client.admin.command("listCommands")["commands"]
    assert list(commands) == sorted(commands)
    for name in ("find", "insert", "update", "delete", "hello", "listDatabases", "renameCollection"):
        assert name in commands
    assert commands["renameCollection"]["adminOnly"] is True


def test_sessions_are_accepted_and_transactions_refused(client):
    session_id = client.admin.command("startSession")["id"]
    assert client.admin.command({"endSessions": [session_id]}) == {"ok": 1.0}
    assert client.admin.command({"killSessions": []}) == {"ok": 1.0}
    with pytest.raises(OperationFailure) as exc:
        client.admin.command("commitTransaction")
    assert exc.value.code == 20


def test_zlib_compression_is_negotiated_and_works(server):
    import pymongo

    with pymongo.MongoClient(server.uri, compressors="zlib") as zclient:
        assert zclient.admin.command({"hello": 1, "compression": ["snappy", "zlib"]})["compression"] == [
            "zlib"
        ]
        coll = zclient.compressed.c
        coll.insert_many([{"_id": i, "text": "abc" * 100} for i in range(50)])
        assert [d["_id"] for d in coll.find()] == list(range(50))
        coll.drop()


def test_unknown_compressors_are_not_agreed(client):
    assert "compression" not in client.admin.command({"hello": 1, "compression": ["lz4"]})


def test_replica_set_commands_answer_as_a_standalone(client):
    with pytest.raises(OperationFailure) as exc:
        client.admin.command("replSetGetStatus")
    assert exc.value.details == {
        "ok": 0.0,
        "errmsg": "not running with --replSet",
        "code": 76,
        "codeName": "NoReplicationEnabled",
    }
