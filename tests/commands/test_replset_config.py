"""replSetInitiate and replSetReconfig on a one-member set: the first initiate after start-up, mongod's
errors for configs one process cannot form, and the config kept in the .mdb across restarts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pymongo
import pytest

from tests.serverproc import ServerProcess

RS_ARGS = ["--replica-set", "rs0"]


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
    with pytest.raises(pymongo.errors.OperationFailure) as exc:
        client.admin.command(command)
    return exc.value.details


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
    # a new --advertise-host wins over the address the file's config names
    args = [*RS_ARGS, "--advertise-host", "other.example:27999"]
    with ServerProcess(tmp_path / "adv.mdb", args) as server, server.client() as c:
        assert c.admin.command("hello")["hosts"] == ["other.example:27999"]


def test_restart_under_another_set_name_takes_the_new_name(tmp_path):
    with _new_rs(tmp_path) as server, server.client() as c:
        old_id = c.admin.command("replSetGetConfig")["config"]["settings"]["replicaSetId"]
    with ServerProcess(tmp_path / "fresh.mdb", ["--replica-set", "other"]) as again, again.client() as c:
        assert c.admin.command("hello")["setName"] == "other"
        config = c.admin.command("replSetGetConfig")["config"]
        assert config["_id"] == "other"
        assert config["settings"]["replicaSetId"] != old_id


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
