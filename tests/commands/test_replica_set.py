"""Replica-set mode (``--replica-set rs0``): hello as a one-member primary, $clusterTime on every reply,
the replSet* commands, the config kept in the .mdb, and the awaitable (streaming) hello."""

from __future__ import annotations

import datetime
from collections.abc import Iterator

import pymongo
import pytest
from bson.binary import Binary
from bson.int64 import Int64
from bson.objectid import ObjectId
from bson.timestamp import Timestamp
from pymongo.errors import OperationFailure

from tests.serverproc import ServerProcess
from tests.wire_client import raw_command

RS_ARGS = ["--replica-set", "rs0"]
ZERO_SIGNATURE = {"hash": Binary(bytes(20), 0), "keyId": Int64(0)}


@pytest.fixture(scope="module")
def rs_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    path = tmp_path_factory.mktemp("rs") / "rs.mdb"
    with ServerProcess(path, RS_ARGS) as proc:
        yield proc


@pytest.fixture(scope="module")
def rs(rs_server: ServerProcess) -> Iterator[pymongo.MongoClient]:
    with rs_server.client() as c:
        yield c


def _failure(client: pymongo.MongoClient, command: dict) -> dict:
    with pytest.raises(OperationFailure) as exc:
        client.admin.command(command)
    return exc.value.details


# -- hello ------------------------------------------------------------------------------------------------


def test_hello_answers_as_a_one_member_primary(rs, rs_server):
    reply = rs.admin.command("hello")
    assert list(reply) == [
        "topologyVersion",
        "hosts",
        "setName",
        "setVersion",
        "isWritablePrimary",
        "secondary",
        "primary",
        "me",
        "electionId",
        "lastWrite",
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
        "$clusterTime",
        "operationTime",
    ]
    me = f"localhost:{rs_server.port}"
    assert reply["hosts"] == [me]
    assert reply["primary"] == reply["me"] == me
    assert reply["setName"] == "rs0"
    assert (reply["isWritablePrimary"], reply["secondary"]) == (True, False)
    assert reply["electionId"] == ObjectId("7fffffff0000000000000001")
    assert set(reply["topologyVersion"]) == {"processId", "counter"}
    assert isinstance(reply["topologyVersion"]["processId"], ObjectId)
    assert isinstance(reply["topologyVersion"]["counter"], Int64)
    last_write = reply["lastWrite"]
    assert list(last_write) == ["opTime", "lastWriteDate", "majorityOpTime", "majorityWriteDate"]
    assert last_write["opTime"] == {"ts": reply["operationTime"], "t": Int64(1)}
    assert isinstance(last_write["opTime"]["t"], Int64)
    assert isinstance(last_write["lastWriteDate"], datetime.datetime)
    assert reply["logicalSessionTimeoutMinutes"] == 30


def test_legacy_is_master_says_ismaster(rs):
    reply = rs.admin.command("isMaster")
    assert reply["ismaster"] is True
    assert "isWritablePrimary" not in reply
    assert list(reply)[:6] == ["topologyVersion", "hosts", "setName", "setVersion", "ismaster", "secondary"]


def test_every_reply_carries_cluster_time_and_operation_time(rs):
    db = rs.get_database("ct_test")
    reply = db.command("insert", "c", documents=[{"x": 1}])
    assert list(reply)[-3:] == ["ok", "$clusterTime", "operationTime"]
    signature = reply["$clusterTime"]["signature"]
    assert signature == {"hash": bytes(20), "keyId": 0}  # PyMongo decodes subtype-0 binary as bytes
    assert isinstance(signature["keyId"], Int64)
    assert isinstance(reply["operationTime"], Timestamp)
    later = db.command("ping")
    assert later["operationTime"] >= reply["operationTime"]
    # errors carry them too, after codeName
    error = _failure(rs, {"noSuchCommand": 1})
    assert list(error) == ["ok", "errmsg", "code", "codeName", "$clusterTime", "operationTime"]


def test_a_newer_gossiped_cluster_time_advances_the_clock(rs, rs_server):
    now = rs.admin.command("ping")["operationTime"]
    ahead = Timestamp(now.time + 1000, 7)
    gossip = {"clusterTime": ahead, "signature": ZERO_SIGNATURE}
    reply = raw_command(rs_server.port, {"ping": 1, "$clusterTime": gossip, "$db": "admin"})
    assert reply["$clusterTime"]["clusterTime"] == ahead
    assert rs.admin.command("ping")["operationTime"] >= ahead


def test_a_cluster_time_too_far_ahead_is_refused(rs_server):
    now = raw_command(rs_server.port, {"ping": 1, "$db": "admin"})["operationTime"]
    far = Timestamp(now.time + 2 * 365 * 24 * 3600, 1)
    gossip = {"clusterTime": far, "signature": ZERO_SIGNATURE}
    reply = raw_command(rs_server.port, {"ping": 1, "$clusterTime": gossip, "$db": "admin"})
    assert (reply["code"], reply["codeName"]) == (205, "ClusterTimeFailsRateLimiter")
    assert reply["errmsg"].startswith(f"New cluster time, {far.time}, is too far from this node's wall clock")
    assert reply["operationTime"] < far


def test_a_standalone_adds_no_cluster_time(client):
    reply = client.admin.command("ping")
    assert reply == {"ok": 1.0}
    with pytest.raises(OperationFailure) as exc:
        client.admin.command("replSetGetConfig")
    assert exc.value.details == {
        "ok": 0.0,
        "errmsg": "not running with --replSet",
        "code": 76,
        "codeName": "NoReplicationEnabled",
    }


# -- drivers ----------------------------------------------------------------------------------------------


def test_pymongo_discovers_the_set_and_writes(rs_server):
    uri = f"mongodb://127.0.0.1:{rs_server.port}/?replicaSet=rs0"
    with pymongo.MongoClient(uri, serverSelectionTimeoutMS=5000) as c:
        c.disc.items.insert_one({"_id": 1})
        assert c.disc.items.find_one() == {"_id": 1}
        assert c.primary == ("localhost", rs_server.port)
        assert c.topology_description.topology_type_name == "ReplicaSetWithPrimary"
        c.drop_database("disc")


def test_pymongo_with_the_wrong_set_name_finds_no_primary(rs_server):
    uri = f"mongodb://127.0.0.1:{rs_server.port}/?replicaSet=other"
    with pymongo.MongoClient(uri, serverSelectionTimeoutMS=300) as c:
        with pytest.raises(pymongo.errors.ServerSelectionTimeoutError):
            c.admin.command("ping")


# -- replSetGetConfig / replSetGetStatus --------------------------------------------------------------------


def test_repl_set_get_config(rs, rs_server):
    config = rs.admin.command("replSetGetConfig")["config"]
    assert list(config) == [
        "_id",
        "version",
        "term",
        "members",
        "protocolVersion",
        "writeConcernMajorityJournalDefault",
        "settings",
    ]
    assert config["_id"] == "rs0"
    assert config["protocolVersion"] == Int64(1) and isinstance(config["protocolVersion"], Int64)
    assert config["members"] == [
        {
            "_id": 0,
            "host": f"localhost:{rs_server.port}",
            "arbiterOnly": False,
            "buildIndexes": True,
            "hidden": False,
            "priority": 1.0,
            "tags": {},
            "secondaryDelaySecs": Int64(0),
            "votes": 1,
        }
    ]
    settings = config["settings"]
    assert settings["getLastErrorDefaults"] == {"w": 1, "wtimeout": 0}
    assert isinstance(settings["replicaSetId"], ObjectId)
    assert rs.admin.command({"replSetGetConfig": 1, "commitmentStatus": True})["commitmentStatus"] is True


def test_repl_set_get_status(rs, rs_server):
    status = rs.admin.command("replSetGetStatus")
    assert status["set"] == "rs0"
    assert (status["myState"], status["term"]) == (1, Int64(1))
    [member] = status["members"]
    assert member["name"] == f"localhost:{rs_server.port}"
    assert (member["state"], member["stateStr"]) == (1, "PRIMARY")
    assert (member["self"], member["health"]) == (True, 1.0)
    assert member["optime"] == status["optimes"]["appliedOpTime"]
    assert status["majorityVoteCount"] == 1


def test_repl_set_commands_are_admin_only(rs):
    with pytest.raises(OperationFailure) as exc:
        rs.test.command("replSetGetStatus")
    assert exc.value.code == 13


# -- member-state commands on the primary -----------------------------------------------------------------


@pytest.mark.parametrize(
    "command, errmsg",
    [
        ({"replSetFreeze": 30}, "Cannot freeze node when primary or running for election, state: Primary"),
        ({"replSetMaintenance": True}, "primaries can't modify maintenance mode"),
        ({"replSetSyncFrom": "elsewhere:27017"}, "primaries don't sync"),
    ],
)
def test_secondary_only_commands_refuse_the_primary(rs, client, command, errmsg):
    details = _failure(rs, command)
    assert (details["code"], details["codeName"], details["errmsg"]) == (95, "NotSecondary", errmsg)
    assert _failure(client, command)["code"] == 76  # a standalone


def test_step_down_finds_no_electable_secondary(rs):
    details = _failure(rs, {"replSetStepDown": 5, "secondaryCatchUpPeriodSecs": 0})
    assert (details["code"], details["codeName"]) == (262, "ExceededTimeLimit")
    assert details["errmsg"].startswith("No electable secondaries caught up as of ")
    assert rs.admin.command("hello")["isWritablePrimary"] is True
    too_short = _failure(rs, {"replSetStepDown": 5})
    assert (too_short["code"], too_short["errmsg"]) == (
        2,
        "stepdown period must be longer than secondaryCatchUpPeriodSecs",
    )
    assert _failure(rs, {"replSetStepDown": 60, "force": True})["code"] == 238


def test_hello_ok_is_answered_for_hello_too(rs):
    assert rs.admin.command({"hello": 1, "helloOk": True})["helloOk"] is True
