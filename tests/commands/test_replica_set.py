"""Replica-set mode (``--replica-set rs0``): hello as a one-member primary, $clusterTime on every reply,
the replSet* commands, the config kept in the .mdb, and the awaitable (streaming) hello."""

from __future__ import annotations

import datetime
import threading
from collections.abc import Iterator
from pathlib import Path

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


# -- replSetInitiate / replSetReconfig ------------------------------------------------------------------


def _new_rs(tmp_path: Path) -> ServerProcess:
    return ServerProcess(tmp_path / "fresh.mdb", RS_ARGS)


def test_initiate_once_after_start_then_already_initialized(tmp_path):
    with _new_rs(tmp_path) as server, server.client() as c:
        me = f"127.0.0.1:{server.port}"
        before = c.admin.command("hello")["topologyVersion"]["counter"]
        reply = c.admin.command({"replSetInitiate": {"_id": "rs0", "members": [{"_id": 0, "host": me}]}})
        assert list(reply) == ["ok", "$clusterTime", "operationTime"]
        hello = c.admin.command("hello")
        assert hello["me"] == hello["primary"] == me
        assert hello["topologyVersion"]["counter"] == before + 1
        again = _failure(c, {"replSetInitiate": {}})
        assert list(again)[:7] == ["info2", "me", "info", "ok", "errmsg", "code", "codeName"]
        assert {k: again[k] for k in list(again)[:7]} == {
            "info2": "no configuration specified. Using a default configuration for the set",
            "me": f"localhost:{server.port}",
            "info": "try querying local.system.replset to see current configuration",
            "ok": 0.0,
            "errmsg": "already initialized",
            "code": 23,
            "codeName": "AlreadyInitialized",
        }


def test_initiate_without_a_config_uses_the_default(tmp_path):
    with _new_rs(tmp_path) as server, server.client() as c:
        reply = c.admin.command("replSetInitiate")
        assert reply["info2"] == "no configuration specified. Using a default configuration for the set"
        assert reply["me"] == f"localhost:{server.port}"


@pytest.mark.parametrize(
    "config, code, errmsg",
    [
        pytest.param(
            {"_id": "other", "members": [{"_id": 0, "host": "localhost"}]},
            93,
            "Attempting to initiate a replica set with name other, but command line reports rs0; rejecting",
            id="wrong-name",
        ),
        pytest.param(
            {"_id": "rs0", "members": [{"_id": 0, "host": "elsewhere:1"}]},
            93,
            "No host described in new configuration with {version: 1, term: 0} for replica set rs0 maps "
            "to this node",
            id="not-self",
        ),
        pytest.param({"_id": "rs0", "members": []}, 93, None, id="no-members"),
    ],
)
def test_initiate_errors(tmp_path, config, code, errmsg):
    with _new_rs(tmp_path) as server, server.client() as c:
        details = _failure(c, {"replSetInitiate": config})
        assert details["code"] == code
        if errmsg is not None:
            assert details["errmsg"] == errmsg


def test_initiate_with_other_members_fails_their_quorum_check(tmp_path):
    with _new_rs(tmp_path) as server, server.client() as c:
        me = f"localhost:{server.port}"
        members = [{"_id": 0, "host": me}, {"_id": 1, "host": "mongo2:27017"}]
        details = _failure(c, {"replSetInitiate": {"_id": "rs0", "members": members}})
        assert (details["code"], details["codeName"]) == (74, "NodeNotFound")
        assert details["errmsg"].startswith(
            "replSetInitiate quorum check failed because not all proposed set members responded "
            "affirmatively: mongo2:27017 failed with"
        )
        # nothing changed: the first initiate is still available
        assert c.admin.command("replSetGetConfig")["config"]["members"][0]["host"] == me


def test_reconfig_persists_and_a_restart_keeps_the_config(tmp_path):
    server = _new_rs(tmp_path).start()
    try:
        with server.client() as c:
            config = c.admin.command("replSetGetConfig")["config"]
            set_id = config["settings"]["replicaSetId"]
            config["version"] += 1
            config["settings"]["electionTimeoutMillis"] = 5000
            c.admin.command({"replSetReconfig": config})
            assert c.admin.command("hello")["setVersion"] == 2
            stale = _failure(c, {"replSetReconfig": config})
            assert (stale["code"], stale["errmsg"]) == (
                103,
                "New replica set configuration version must be greater than old, but 2 is not greater "
                "than 2 for replica set rs0",
            )
            renamed = _failure(c, {"replSetReconfig": {**config, "_id": "rs1", "version": 9}})
            assert renamed["errmsg"] == (
                "New and old configurations differ in replica set name; old was rs0, and new is rs1"
            )
            forced = c.admin.command({"replSetReconfig": config, "force": True})
            assert forced["ok"] == 1.0
            assert c.admin.command("hello")["setVersion"] == 3
    finally:
        server.stop()
    with ServerProcess(tmp_path / "fresh.mdb", RS_ARGS) as again, again.client() as c:
        config = c.admin.command("replSetGetConfig")["config"]
        assert config["settings"]["replicaSetId"] == set_id
        assert config["settings"]["electionTimeoutMillis"] == 5000
        # the new process listens elsewhere: the config names it where it is now
        assert config["members"][0]["host"] == f"localhost:{again.port}"
        assert config["version"] == 4
        details = _failure(c, {"replSetInitiate": {}})
        assert details["code"] == 23


def test_advertise_host_names_the_member(tmp_path):
    args = [*RS_ARGS, "--advertise-host", "db.example"]
    with ServerProcess(tmp_path / "adv.mdb", args) as server, server.client() as c:
        hello = c.admin.command("hello")
        assert hello["hosts"] == [f"db.example:{server.port}"]
        assert hello["me"] == f"db.example:{server.port}"


# -- awaitable hello ----------------------------------------------------------------------------------------


def test_awaitable_hello_answers_when_the_topology_changes(rs_server):
    with rs_server.client() as waiter, rs_server.client() as other:
        version = waiter.admin.command("hello")["topologyVersion"]
        replies: list[dict] = []
        command = {"hello": 1, "topologyVersion": version, "maxAwaitTimeMS": 60_000}
        thread = threading.Thread(target=lambda: replies.append(waiter.admin.command(command)))
        thread.start()
        # the waiting hello holds only its own connection: others are served meanwhile
        assert other.admin.command("ping")["ok"] == 1.0
        config = other.admin.command("replSetGetConfig")["config"]
        config["version"] += 1
        other.admin.command({"replSetReconfig": config})
        thread.join(30)
        assert not thread.is_alive()
        [reply] = replies
        assert reply["topologyVersion"] == {
            "processId": version["processId"],
            "counter": Int64(version["counter"] + 1),
        }
        assert reply["setVersion"] == config["version"]
        assert "$clusterTime" in reply


def test_awaitable_hello_times_out_with_the_same_topology(rs):
    version = rs.admin.command("hello")["topologyVersion"]
    reply = rs.admin.command({"hello": 1, "topologyVersion": version, "maxAwaitTimeMS": 10})
    assert reply["topologyVersion"] == version


def test_awaitable_hello_with_a_stale_version_answers_at_once(rs):
    version = rs.admin.command("hello")["topologyVersion"]
    other_process = {"processId": ObjectId(), "counter": Int64(0)}
    reply = rs.admin.command({"hello": 1, "topologyVersion": other_process, "maxAwaitTimeMS": 600_000})
    assert reply["topologyVersion"] == version


@pytest.mark.parametrize(
    "extra, code, errmsg",
    [
        ({"maxAwaitTimeMS": 10}, 51760, "A request with 'maxAwaitTimeMS' must include a 'topologyVersion'"),
        (
            {"topologyVersion": "TV"},
            51760,
            "A request with a 'topologyVersion' must include 'maxAwaitTimeMS'",
        ),
        (
            {"topologyVersion": "TV", "maxAwaitTimeMS": -1},
            51759,
            "maxAwaitTimeMS must be a non-negative integer",
        ),
        (
            {"topologyVersion": "NEGATIVE", "maxAwaitTimeMS": 1},
            51758,
            "topologyVersion must have a non-negative counter",
        ),
        (
            {"topologyVersion": "AHEAD", "maxAwaitTimeMS": 1},
            31382,
            "Received a topology version with the same process ID and a higher counter than the server",
        ),
    ],
)
def test_awaitable_hello_errors(rs, extra, code, errmsg):
    version = rs.admin.command("hello")["topologyVersion"]
    variants = {
        "TV": version,
        "NEGATIVE": {**version, "counter": Int64(-1)},
        "AHEAD": {**version, "counter": Int64(version["counter"] + 5)},
    }
    command = {"hello": 1, **{k: variants.get(v, v) if isinstance(v, str) else v for k, v in extra.items()}}
    details = _failure(rs, command)
    assert (details["code"], details["errmsg"]) == (code, errmsg)


def test_restart_under_another_set_name_takes_the_new_name(tmp_path):
    with _new_rs(tmp_path) as server, server.client() as c:
        old_id = c.admin.command("replSetGetConfig")["config"]["settings"]["replicaSetId"]
    with ServerProcess(tmp_path / "fresh.mdb", ["--replica-set", "other"]) as again, again.client() as c:
        assert c.admin.command("hello")["setName"] == "other"
        config = c.admin.command("replSetGetConfig")["config"]
        assert config["_id"] == "other"
        assert config["settings"]["replicaSetId"] != old_id


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


@pytest.mark.parametrize(
    "member, errmsg",
    [
        ({"hidden": True}, "priority must be 0 when hidden=true"),
        ({"votes": 0}, "priority must be 0 when non-voting (votes:0)"),
        (
            {"priority": 0},
            "This node, {host}, with _id 0 is not electable under the new configuration with "
            "{{version: 9, term: 1}} for replica set rs0",
        ),
    ],
)
def test_reconfig_keeps_this_member_electable(rs, rs_server, member, errmsg):
    config = rs.admin.command("replSetGetConfig")["config"]
    host = config["members"][0]["host"]
    new = {"_id": "rs0", "version": 9, "members": [{"_id": 0, "host": host, **member}]}
    details = _failure(rs, {"replSetReconfig": new})
    assert details["errmsg"] == errmsg.format(host=host)
    assert details["code"] == (103 if "electable" in errmsg else 93)
    assert rs.admin.command("replSetGetConfig")["config"]["version"] == config["version"]


def test_an_unusable_stored_config_is_replaced(tmp_path):
    with _new_rs(tmp_path) as server, server.client() as c:
        c.local["system.replset"].delete_many({})
        c.local["system.replset"].insert_one({"_id": "rs0", "members": "garbage"})
    with ServerProcess(tmp_path / "fresh.mdb", RS_ARGS) as again, again.client() as c:
        config = c.admin.command("replSetGetConfig")["config"]
        assert config["members"][0]["host"] == f"localhost:{again.port}"
        assert c.admin.command("replSetInitiate")["ok"] == 1.0  # initiated implicitly again


def test_hello_ok_is_answered_for_hello_too(rs):
    assert rs.admin.command({"hello": 1, "helloOk": True})["helloOk"] is True
