"""hello / isMaster, buildInfo, ping and the other commands drivers and mongosh send when they connect."""

from __future__ import annotations

import datetime
import os
import platform
import socket
import sys
from typing import Any

from docdb import MAX_WIRE_VERSION, MONGODB_VERSION, __version__
from docdb.errors import ErrorCode, MongoError
from docdb.protocol import MAX_BSON_SIZE, MAX_MESSAGE_SIZE
from docdb.server.context import CommandContext
from docdb.server.registry import command

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


def _hello_reply(ctx: CommandContext, cmd: dict[str, Any], legacy: bool) -> dict[str, Any]:
    if "client" in cmd:
        if ctx.connection.client_metadata is not None:
            raise MongoError(186, "The client metadata document may only be sent in the first hello")
        if not isinstance(cmd["client"], dict):
            raise MongoError(ErrorCode.TypeMismatch, "'client' field must be an object")
        ctx.connection.client_metadata = cmd["client"]
    reply: dict[str, Any] = {}
    if legacy and cmd.get("helloOk"):
        reply["helloOk"] = True
    reply["ismaster" if legacy else "isWritablePrimary"] = True
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
    agreed = _negotiate_compression(ctx, cmd.get("compression"))
    if agreed:
        reply["compression"] = agreed
    return reply


@command("hello")
def hello(ctx: CommandContext, cmd: dict[str, Any]) -> dict[str, Any]:
    """Describe this server (a standalone mongod 7.0) to a connecting driver."""
    return _hello_reply(ctx, cmd, legacy=False)


@command("isMaster", "ismaster")
def is_master(ctx: CommandContext, cmd: dict[str, Any]) -> dict[str, Any]:
    """The legacy name of hello, answered with ``ismaster``."""
    return _hello_reply(ctx, cmd, legacy=True)


@command("ping")
def ping(ctx: CommandContext, cmd: dict[str, Any]) -> dict[str, Any]:
    """Answer ok."""
    return {}


@command("buildInfo", "buildinfo")
def build_info(ctx: CommandContext, cmd: dict[str, Any]) -> dict[str, Any]:
    """The MongoDB version docdb follows, plus docdb's own version."""
    parts = [int(p) for p in MONGODB_VERSION.split(".")]
    return {
        "version": MONGODB_VERSION,
        "gitVersion": f"docdb-{__version__}",
        "modules": [],
        "allocator": "system",
        "javascriptEngine": "none",
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


@command("whatsmyuri")
def whats_my_uri(ctx: CommandContext, cmd: dict[str, Any]) -> dict[str, Any]:
    """The client's address as the server sees it."""
    return {"you": ctx.connection.peer}


@command("connectionStatus")
def connection_status(ctx: CommandContext, cmd: dict[str, Any]) -> dict[str, Any]:
    """No authentication yet: nobody is authenticated, and that is allowed."""
    info: dict[str, Any] = {"authenticatedUsers": [], "authenticatedUserRoles": []}
    if cmd.get("showPrivileges"):
        info["authenticatedUserPrivileges"] = []
    return {"authInfo": info}


def _parameters(ctx: CommandContext) -> dict[str, Any]:
    return {
        "featureCompatibilityVersion": {"version": MONGODB_VERSION.rsplit(".", 1)[0]},
        "authenticationMechanisms": [],
        "maxBsonObjectSize": MAX_BSON_SIZE,
        "cursorTimeoutMillis": int(ctx.state.config.cursor_timeout_s * 1000),
        "logLevel": 0,
        "quiet": False,
        "requireApiVersion": False,
        "transactionLifetimeLimitSeconds": 60,
    }


@command("getParameter", admin_only=True)
def get_parameter(ctx: CommandContext, cmd: dict[str, Any]) -> dict[str, Any]:
    """Read server parameters by name, or all of them with ``getParameter: "*"``."""
    params = _parameters(ctx)
    if cmd["getParameter"] == "*" or (
        isinstance(cmd["getParameter"], dict) and cmd["getParameter"].get("allParameters")
    ):
        return dict(params)
    wanted = [k for k in cmd if k not in ("getParameter", "$db", "lsid", "$readPreference", "comment")]
    reply = {k: params[k] for k in wanted if k in params}
    if not reply:
        raise MongoError(ErrorCode.InvalidOptions, "no option found to get")
    return reply


@command("getCmdLineOpts", admin_only=True)
def get_cmd_line_opts(ctx: CommandContext, cmd: dict[str, Any]) -> dict[str, Any]:
    """The server's command line and the settings parsed from it."""
    cfg = ctx.state.config
    parsed: dict[str, Any] = {"net": {"bindIp": cfg.bind, "port": cfg.port}}
    if cfg.file:
        parsed["storage"] = {"dbPath": os.path.dirname(os.path.abspath(cfg.file)), "file": cfg.file}
    return {"argv": list(sys.argv), "parsed": parsed}


@command("getLog", admin_only=True)
def get_log(ctx: CommandContext, cmd: dict[str, Any]) -> dict[str, Any]:
    """Recent log lines ("global"), startup warnings (none), or the list of logs ("*")."""
    name = cmd["getLog"]
    if name == "*":
        return {"names": ["global", "startupWarnings"]}
    if name == "startupWarnings":
        return {"totalLinesWritten": 0, "log": []}
    if name == "global":
        lines = ctx.state.log_lines
        return {"totalLinesWritten": len(lines), "log": list(lines[-1024:])}
    raise MongoError(ErrorCode.InvalidOptions, f"No log named '{name}'")


@command("hostInfo")
def host_info(ctx: CommandContext, cmd: dict[str, Any]) -> dict[str, Any]:
    """Facts about the machine the server runs on."""
    mem_mb = 0
    try:
        mem_mb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // (1024 * 1024)
    except (ValueError, OSError, AttributeError):
        pass
    return {
        "system": {
            "currentTime": now_utc(),
            "hostname": socket.gethostname(),
            "cpuAddrSize": 64,
            "memSizeMB": mem_mb,
            "memLimitMB": mem_mb,
            "numCores": os.cpu_count() or 1,
            "cpuArch": platform.machine(),
            "numaEnabled": False,
        },
        "os": {"type": platform.system(), "name": platform.platform(), "version": platform.release()},
        "extra": {"versionString": platform.version(), "pageSize": os.sysconf("SC_PAGE_SIZE")},
    }


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
