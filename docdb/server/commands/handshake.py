"""hello / isMaster, buildInfo, ping and the other commands drivers and mongosh send when they connect."""

from __future__ import annotations

import datetime
import os
import platform
import socket
import sys
from typing import Any

from bson.int64 import Int64

from docdb import MAX_WIRE_VERSION, MONGODB_VERSION, __version__
from docdb.errors import ErrorCode, MongoError
from docdb.protocol import MAX_BSON_SIZE, MAX_MESSAGE_SIZE
from docdb.server.commands.auth_cmds import hello_auth_fields
from docdb.server.context import CommandContext
from docdb.server.params import check_fields, get_string
from docdb.server.registry import command
from docdb.server.topology_wait import awaitable_wait

MAX_WRITE_BATCH_SIZE = 100_000
LOGICAL_SESSION_TIMEOUT_MINUTES = 30


def now_utc() -> datetime.datetime:
    """A BSON date for ``localTime``: naive UTC truncated to milliseconds."""
    now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def _negotiate_compression(ctx: CommandContext, requested: Any) -> list[str] | None:
    if not isinstance(requested, list):
        return None
    agreed = [name for name in requested if name in ctx.state.compressors]
    ctx.connection.compressors = tuple(agreed)
    return agreed


def hello_document(ctx: CommandContext, cmd: dict[str, Any], legacy: bool) -> dict[str, Any]:
    """hello's reply body, in mongod's field order: the one place it is built (an awaitable hello builds it
    again when its wait ends), so features that add fields to hello add them here."""
    reply: dict[str, Any] = {}
    if isinstance(cmd.get("helloOk"), bool):  # mongod says it knows hello whenever a client asks
        reply["helloOk"] = True
    rs = ctx.state.replica_set
    if rs is None:
        reply["ismaster" if legacy else "isWritablePrimary"] = True
    else:
        reply.update(rs.hello_fields(legacy))
    reply.update(
        maxBsonObjectSize=MAX_BSON_SIZE,
        maxMessageSizeBytes=MAX_MESSAGE_SIZE,
        maxWriteBatchSize=MAX_WRITE_BATCH_SIZE,
        localTime=now_utc(),
        logicalSessionTimeoutMinutes=LOGICAL_SESSION_TIMEOUT_MINUTES,
        connectionId=ctx.connection.connection_id,
        minWireVersion=0,
        maxWireVersion=MAX_WIRE_VERSION,
        readOnly=False,
    )
    if isinstance(cmd.get("compression"), list) and ctx.connection.compressors:
        reply["compression"] = list(ctx.connection.compressors)
    return reply


def _hello_reply(ctx: CommandContext, cmd: dict[str, Any], legacy: bool) -> dict[str, Any]:
    """Take the client's metadata and compressors (first hello only), then answer now or, for an awaitable
    hello whose topology version is current, when the topology changes or ``maxAwaitTimeMS`` runs out."""
    wait_s = awaitable_wait(ctx, cmd)
    if "client" in cmd:
        if ctx.connection.client_metadata is not None:
            raise MongoError(186, "The client metadata document may only be sent in the first hello")
        if not isinstance(cmd["client"], dict):
            raise MongoError(ErrorCode.TypeMismatch, "'client' field must be an object")
        ctx.connection.client_metadata = cmd["client"]
    if "compression" in cmd:
        _negotiate_compression(ctx, cmd["compression"])
    rs = ctx.state.replica_set
    if ctx.exhaust_allowed and "maxAwaitTimeMS" not in cmd:
        raise MongoError(51756, "An isMaster or hello request with exhaust must specify 'maxAwaitTimeMS'")
    streaming = ctx.exhaust_allowed and rs is not None

    def build(_: Any = None) -> dict[str, Any]:
        reply = hello_document(ctx, cmd, legacy)
        reply.update(hello_auth_fields(ctx, cmd))
        if streaming:  # the next reply waits on the topology this one shows
            ctx.next_invocation = {**cmd, "topologyVersion": reply["topologyVersion"]}
        return reply

    if wait_s is not None and rs is not None:
        ctx.pending = rs.wait_for_change(wait_s, streaming)
        ctx.awaits_topology = True
        ctx.finish = build
        return {}
    return build()


@command("hello", no_auth=True)
def hello(ctx: CommandContext, cmd: dict[str, Any]) -> dict[str, Any]:
    """Describe this server (a standalone mongod 7.0) to a connecting driver."""
    return _hello_reply(ctx, cmd, legacy=False)


@command("isMaster", "ismaster", no_auth=True)
def is_master(ctx: CommandContext, cmd: dict[str, Any]) -> dict[str, Any]:
    """The legacy name of hello, answered with ``ismaster``."""
    return _hello_reply(ctx, cmd, legacy=True)


@command("ping", no_auth=True)
def ping(ctx: CommandContext, cmd: dict[str, Any]) -> dict[str, Any]:
    """Answer ok."""
    return {}


@command("buildInfo", "buildinfo", no_auth=True)
def build_info(ctx: CommandContext, cmd: dict[str, Any]) -> dict[str, Any]:
    """The MongoDB version docdb follows, plus docdb's own version."""
    parts = [int(p) for p in MONGODB_VERSION.split(".")]
    return {
        "version": MONGODB_VERSION,
        "gitVersion": f"docdb-{__version__}",
        "modules": [],
        "allocator": "system",
        "javascriptEngine": "mozjs",
        "sysInfo": "deprecated",
        "versionArray": [*parts, 0],
        "openssl": {"running": "disabled", "compiled": "disabled"},
        "buildEnvironment": {
            "distmod": "docdb",
            "target_arch": platform.machine(),
            "target_os": sys.platform,
        },
        "bits": 64,
        "debug": False,
        "maxBsonObjectSize": MAX_BSON_SIZE,
        "storageEngines": ["docdb"],
        "docdbVersion": __version__,
    }


@command("whatsmyuri", no_auth=True)
def whats_my_uri(ctx: CommandContext, cmd: dict[str, Any]) -> dict[str, Any]:
    """The client's address as the server sees it."""
    return {"you": ctx.connection.peer}


@command("getCmdLineOpts", admin_only=True)
def get_cmd_line_opts(ctx: CommandContext, cmd: dict[str, Any]) -> dict[str, Any]:
    """The server's command line and the settings parsed from it."""
    check_fields(cmd, ())
    cfg = ctx.state.config
    parsed: dict[str, Any] = {"net": {"bindIp": cfg.bind, "port": cfg.port}}
    if cfg.file:
        parsed["storage"] = {"dbPath": os.path.dirname(os.path.abspath(cfg.file)), "file": cfg.file}
    return {"argv": list(sys.argv), "parsed": parsed}


@command("getLog", admin_only=True)
def get_log(ctx: CommandContext, cmd: dict[str, Any]) -> dict[str, Any]:
    """Recent log lines ("global"), startup warnings (none), or the list of logs ("*")."""
    check_fields(cmd, ())
    name = get_string(cmd, "getLog")
    if name == "*":
        return {"names": ["global", "startupWarnings"]}
    if name == "startupWarnings":
        return {"totalLinesWritten": 0, "log": []}
    if name == "global":
        lines = ctx.state.log_lines
        return {"totalLinesWritten": len(lines), "log": list(lines[-1024:])}
    raise MongoError(ErrorCode.OperationFailed, f"No log named '{name}'")


@command("hostInfo")
def host_info(ctx: CommandContext, cmd: dict[str, Any]) -> dict[str, Any]:
    """Facts about the machine the server runs on, with mongod's types (memory sizes are longs)."""
    check_fields(cmd, ())
    page_size = os.sysconf("SC_PAGE_SIZE")
    mem_mb = page_size * os.sysconf("SC_PHYS_PAGES") // (1024 * 1024)
    return {
        "system": {
            "currentTime": now_utc(),
            "hostname": socket.gethostname(),
            "cpuAddrSize": 64,
            "memSizeMB": Int64(mem_mb),
            "memLimitMB": Int64(mem_mb),
            "numCores": os.cpu_count() or 1,
            "cpuArch": platform.machine(),
            "numaEnabled": False,
        },
        "os": {"type": platform.system(), "name": platform.platform(), "version": platform.release()},
        "extra": {"versionString": platform.version(), "pageSize": Int64(page_size)},
    }


@command("lockInfo", admin_only=True)
def lock_info(ctx: CommandContext, cmd: dict[str, Any]) -> dict[str, Any]:
    """Locks held or awaited by other operations: never any, since commands run one at a time."""
    check_fields(cmd, {"includeStorageEngineDump"})
    return {"lockInfo": []}


@command("getDefaultRWConcern", admin_only=True)
def get_default_rw_concern(ctx: CommandContext, cmd: dict[str, Any]) -> dict[str, Any]:
    """The implicit defaults of a standalone: read "local", write w:1."""
    return {
        "defaultReadConcern": {"level": "local"},
        "defaultWriteConcern": {"w": 1, "wtimeout": 0},
        "defaultWriteConcernSource": "implicit",
        "defaultReadConcernSource": "implicit",
        "localUpdateWallClockTime": now_utc(),
    }
