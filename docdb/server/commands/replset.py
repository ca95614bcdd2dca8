"""replSetGetStatus, replSetGetConfig, replSetInitiate, replSetReconfig: a one-member set's view of itself.

A standalone answers all of them NoReplicationEnabled (76), as a mongod without ``--replSet`` does. A set of
more than one member cannot be formed by one process: such configs fail the way mongod's quorum check fails
when the other members never answer (NodeNotFound, 74).
"""

from __future__ import annotations

import asyncio
import datetime
from typing import Any

from bson.int64 import Int64

from docdb.errors import ErrorCode, MongoError
from docdb.server.commands.handshake import now_utc
from docdb.server.context import CommandContext
from docdb.server.params import check_fields, get_bool, get_int
from docdb.server.registry import command
from docdb.server.replica_set import TERM, ReplicaSet, full_config, timestamp_date

NO_CONFIG_INFO = "no configuration specified. Using a default configuration for the set"


class _InfoFirstError(MongoError):
    """replSetInitiate's refusal: mongod appends its info fields to the reply before the error status."""

    def to_document(self) -> dict[str, Any]:
        status = {"ok": 0.0, "errmsg": self.errmsg, "code": self.code, "codeName": self.code_name}
        return {**self.extra, **status}


def _replica_set(ctx: CommandContext) -> ReplicaSet:
    rs = ctx.state.replica_set
    if rs is None:
        raise MongoError(ErrorCode.NoReplicationEnabled, "not running with --replSet")
    return rs


def _invalid(reason: str) -> MongoError:
    return MongoError(ErrorCode.InvalidReplicaSetConfig, reason)


def _check_config_shape(config: dict[str, Any]) -> None:
    """The parts of ReplSetConfig's IDL that a one-member set relies on."""
    if not isinstance(config.get("_id"), str):
        raise _invalid("BSON field 'ReplSetConfig._id' is missing but a required field")
    version = config.get("version", 1)
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise _invalid(f"version field value of {version} is out of range")
    members = config.get("members")
    if not isinstance(members, list):
        raise _invalid("BSON field 'ReplSetConfig.members' is missing but a required field")
    if not members:
        raise _invalid("Replica set configuration must contain at least one member")
    for member in members:
        if not isinstance(member, dict):
            raise _invalid("Expected type object for member configuration")
        if not isinstance(member.get("_id"), int) or isinstance(member.get("_id"), bool):
            raise _invalid("BSON field 'MemberConfig._id' is missing but a required field")
        if not isinstance(member.get("host"), str):
            raise _invalid("BSON field 'MemberConfig.host' is missing but a required field")
        priority = member.get("priority", 1)
        if member.get("hidden") and priority != 0:
            raise _invalid("priority must be 0 when hidden=true")
        if member.get("votes", 1) == 0 and priority != 0:
            raise _invalid("priority must be 0 when non-voting (votes:0)")
    if not isinstance(config.get("settings", {}), dict):
        raise _invalid("BSON field 'ReplSetConfig.settings' is the wrong type, expected type 'object'")


def _check_one_member(rs: ReplicaSet, config: dict[str, Any], initiate: bool) -> None:
    """This process must be an electable member (mongod's validation wraps its refusal as 93 for
    initiate, 103 for reconfig); other members never answer, so mongod's quorum check fails (74)."""
    code = ErrorCode.InvalidReplicaSetConfig if initiate else ErrorCode.NewReplicaSetConfigurationIncompatible
    version_term = f"{{version: {config.get('version', 1)}, term: {0 if initiate else TERM}}}"
    mine = [m for m in config["members"] if rs.is_self(m["host"])]
    if not mine:
        raise MongoError(
            code,
            f"No host described in new configuration with {version_term} for replica set {config['_id']} "
            "maps to this node",
        )
    for member in mine:
        if member.get("arbiterOnly") or member.get("priority", 1) == 0:
            raise MongoError(
                code,
                f"This node, {member['host']}, with _id {member['_id']} is not electable under the new "
                f"configuration with {version_term} for replica set {config['_id']}",
            )
    others = [m["host"] for m in config["members"] if not rs.is_self(m["host"])]
    if others:
        failures = "; ".join(f"{host} failed with docdb runs one-member replica sets only" for host in others)
        what = "replSetInitiate quorum check failed" if initiate else "Quorum check failed"
        raise MongoError(
            ErrorCode.NodeNotFound,
            f"{what} because not all proposed set members responded affirmatively: {failures}",
        )


@command("replSetInitiate", admin_only=True)
def repl_set_initiate(ctx: CommandContext, cmd: dict[str, Any]) -> dict[str, Any]:
    """Accepted once after docdb initiated itself (so ``rs.initiate()`` scripts work); then 23."""
    rs = _replica_set(ctx)
    given = cmd["replSetInitiate"]
    reply: dict[str, Any] = {}
    if isinstance(given, dict) and given:
        config = given
    else:
        config = rs.default_config()
        reply = {"info2": NO_CONFIG_INFO, "me": rs.me}
    if not rs.implicit:
        info = "try querying local.system.replset to see current configuration"
        raise _InfoFirstError(ErrorCode.AlreadyInitialized, "already initialized", **reply, info=info)
    _check_config_shape(config)
    if config["_id"] != rs.name:
        raise _invalid(
            f"Attempting to initiate a replica set with name {config['_id']}, but command line reports "
            f"{rs.name}; rejecting"
        )
    _check_one_member(rs, config, initiate=True)
    replica_set_id = rs.config["settings"]["replicaSetId"]
    rs.replace_config(full_config(config, replica_set_id))
    return reply


@command("replSetReconfig", admin_only=True)
def repl_set_reconfig(ctx: CommandContext, cmd: dict[str, Any]) -> dict[str, Any]:
    """Replace the config of this one-member set (version must grow unless ``force``)."""
    rs = _replica_set(ctx)
    check_fields(cmd, {"force"})
    config = cmd["replSetReconfig"]
    if not isinstance(config, dict):
        raise MongoError(ErrorCode.TypeMismatch, "no configuration specified")
    force = get_bool(cmd, "force")
    _check_config_shape(config)
    current = rs.config
    incompatible = ErrorCode.NewReplicaSetConfigurationIncompatible
    if config["_id"] != current["_id"]:
        raise MongoError(
            incompatible,
            f"New and old configurations differ in replica set name; old was {current['_id']}, and new "
            f"is {config['_id']}",
        )
    replica_set_id = current["settings"]["replicaSetId"]
    given_id = config.get("settings", {}).get("replicaSetId", replica_set_id)
    if given_id != replica_set_id:
        raise MongoError(
            incompatible,
            f"New and old configurations differ in replica set ID; old was {replica_set_id}, and new is "
            f"{given_id}",
        )
    version = config.get("version", 1)
    if force:
        version = max(version, current["version"] + 1)
    elif version <= current["version"]:
        raise MongoError(
            incompatible,
            f"New replica set configuration version must be greater than old, but {version} is not "
            f"greater than {current['version']} for replica set {current['_id']}",
        )
    _check_one_member(rs, config, initiate=False)
    rs.replace_config(full_config({**config, "version": version}, replica_set_id))
    return {}


@command("replSetGetConfig", admin_only=True)
def repl_set_get_config(ctx: CommandContext, cmd: dict[str, Any]) -> dict[str, Any]:
    """The current config; ``commitmentStatus`` is always true (one member commits alone)."""
    rs = _replica_set(ctx)
    check_fields(cmd, {"commitmentStatus", "includeNewlyAdded"})
    reply: dict[str, Any] = {"config": rs.config}
    if get_bool(cmd, "commitmentStatus"):
        reply["commitmentStatus"] = True
    return reply


@command("replSetGetStatus", admin_only=True)
def repl_set_get_status(ctx: CommandContext, cmd: dict[str, Any]) -> dict[str, Any]:
    """This member as the set's PRIMARY, with mongod 7.0's fields and types."""
    rs = _replica_set(ctx)
    check_fields(cmd, {"initialSync"})
    op_time = rs.op_time()
    wall = timestamp_date(op_time["ts"])
    uptime = int((datetime.datetime.now(datetime.timezone.utc) - ctx.state.started_at).total_seconds())
    member = rs.config["members"][0]
    return {
        "set": rs.name,
        "date": now_utc(),
        "myState": 1,
        "term": Int64(TERM),
        "syncSourceHost": "",
        "syncSourceId": -1,
        "heartbeatIntervalMillis": Int64(rs.config["settings"]["heartbeatIntervalMillis"]),
        "majorityVoteCount": 1,
        "writeMajorityCount": 1,
        "votingMembersCount": 1,
        "writableVotingMembersCount": 1,
        "optimes": {
            "lastCommittedOpTime": op_time,
            "lastCommittedWallTime": wall,
            "readConcernMajorityOpTime": op_time,
            "appliedOpTime": op_time,
            "durableOpTime": op_time,
            "lastAppliedWallTime": wall,
            "lastDurableWallTime": wall,
        },
        "lastStableRecoveryTimestamp": op_time["ts"],
        "members": [
            {
                "_id": member["_id"],
                "name": rs.host,
                "health": 1.0,
                "state": 1,
                "stateStr": "PRIMARY",
                "uptime": uptime,
                "optime": op_time,
                "optimeDate": wall,
                "lastAppliedWallTime": wall,
                "lastDurableWallTime": wall,
                "syncSourceHost": "",
                "syncSourceId": -1,
                "infoMessage": "",
                "electionTime": rs.election_time,
                "electionDate": rs.election_date,
                "configVersion": rs.config["version"],
                "configTerm": TERM,
                "self": True,
                "lastHeartbeatMessage": "",
            }
        ],
    }


# -- what a primary of a one-member set answers to the member-state commands ------------------------------


@command("replSetFreeze", admin_only=True)
def repl_set_freeze(ctx: CommandContext, cmd: dict[str, Any]) -> dict[str, Any]:
    """Only secondaries can be frozen; this member is always the primary."""
    _replica_set(ctx)
    raise MongoError(
        ErrorCode.NotSecondary, "Cannot freeze node when primary or running for election, state: Primary"
    )


@command("replSetMaintenance", admin_only=True)
def repl_set_maintenance(ctx: CommandContext, cmd: dict[str, Any]) -> dict[str, Any]:
    """Maintenance mode is for secondaries."""
    _replica_set(ctx)
    raise MongoError(ErrorCode.NotSecondary, "primaries can't modify maintenance mode")


@command("replSetSyncFrom", admin_only=True)
def repl_set_sync_from(ctx: CommandContext, cmd: dict[str, Any]) -> dict[str, Any]:
    """A primary has no sync source."""
    _replica_set(ctx)
    raise MongoError(ErrorCode.NotSecondary, "primaries don't sync")


@command("replSetStepDown", admin_only=True)
def repl_set_step_down(ctx: CommandContext, cmd: dict[str, Any]) -> dict[str, Any]:
    """No secondary can take over, so mongod waits ``secondaryCatchUpPeriodSecs`` (10) and gives up with
    ExceededTimeLimit; the wait parks only this connection. ``force: true`` (step down with no successor,
    refusing writes for the period) is not supported."""
    _replica_set(ctx)
    check_fields(cmd, {"force", "secondaryCatchUpPeriodSecs"})
    period = _seconds(cmd, "replSetStepDown", 60)
    catch_up = _seconds(cmd, "secondaryCatchUpPeriodSecs", 10)
    if period <= 0:
        raise MongoError(ErrorCode.BadValue, "stepdown period must be a positive integer")
    if get_bool(cmd, "force"):
        raise MongoError(
            ErrorCode.NotImplemented, "replSetStepDown with force: true is not supported by docdb"
        )
    if period <= catch_up:
        raise MongoError(ErrorCode.BadValue, "stepdown period must be longer than secondaryCatchUpPeriodSecs")
    loop = asyncio.get_running_loop()
    ctx.pending = loop.create_future()
    loop.call_later(catch_up, lambda f=ctx.pending: f.done() or f.set_result(None))
    ctx.finish = lambda _: _no_electable_secondary()
    return {}


def _seconds(cmd: dict[str, Any], field: str, default: int) -> int:
    if cmd.get(field) is True:
        return default
    seconds = get_int(cmd, field, default)
    assert seconds is not None
    return seconds


def _no_electable_secondary() -> dict[str, Any]:
    now = datetime.datetime.now().astimezone().isoformat(timespec="milliseconds")
    return MongoError(
        ErrorCode.ExceededTimeLimit,
        f"No electable secondaries caught up as of {now}Please use the replSetStepDown command with the "
        "argument {force: true} to force node to step down.",
    ).to_document()
