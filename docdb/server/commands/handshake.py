"""hello / isMaster, buildInfo, ping and the other commands drivers and mongosh send when they connect."""

from __future__ import annotations

import datetime
import os
import platform
import socket
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bson.int64 import Int64

from docdb import MAX_WIRE_VERSION, MONGODB_VERSION, __version__
from docdb.errors import ErrorCode, MongoError
from docdb.protocol import MAX_BSON_SIZE, MAX_MESSAGE_SIZE
from docdb.server.context import CommandContext
from docdb.server.params import check_fields, get_bool, get_string
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


@command("whatsmyuri")
def whats_my_uri(ctx: CommandContext, cmd: dict[str, Any]) -> dict[str, Any]:
    """The client's address as the server sees it."""
    return {"you": ctx.connection.peer}


@command("connectionStatus")
def connection_status(ctx: CommandContext, cmd: dict[str, Any]) -> dict[str, Any]:
    """No authentication yet: nobody is authenticated, and that is allowed."""
    check_fields(cmd, {"showPrivileges"})
    info: dict[str, Any] = {"authenticatedUsers": [], "authenticatedUserRoles": []}
    if get_bool(cmd, "showPrivileges"):
        info["authenticatedUserPrivileges"] = []
    return {"authInfo": info}


@dataclass(frozen=True, slots=True)
class ServerParameter:
    """A server parameter as getParameter shows it; the flags say when setParameter/--setParameter apply."""

    value: Callable[[CommandContext], Any]
    settable_at_runtime: bool
    settable_at_startup: bool


# The parameters docdb has, with mongod's names and BSON types.  # sorted alphabetically
PARAMETERS: dict[str, ServerParameter] = {
    "authenticationMechanisms": ServerParameter(lambda ctx: [], False, True),
    "cursorTimeoutMillis": ServerParameter(
        lambda ctx: Int64(int(ctx.state.config.cursor_timeout_s * 1000)), True, True
    ),
    "featureCompatibilityVersion": ServerParameter(
        lambda ctx: {"version": MONGODB_VERSION.rsplit(".", 1)[0]}, False, False
    ),
    "internalQueryJavaScriptFnTimeoutMillis": ServerParameter(
        lambda ctx: ctx.state.config.js_time_limit_ms, False, True
    ),
    "internalQueryJavaScriptHeapSizeLimitMB": ServerParameter(
        lambda ctx: ctx.state.config.js_memory_limit_mb, False, True
    ),
    "logLevel": ServerParameter(lambda ctx: 0, True, True),
    "quiet": ServerParameter(lambda ctx: False, True, True),
    "requireApiVersion": ServerParameter(lambda ctx: False, True, True),
    "transactionLifetimeLimitSeconds": ServerParameter(lambda ctx: 60, True, True),
}
_SET_AT = ("runtime", "startup")


def _get_parameter_options(cmd: dict[str, Any]) -> tuple[bool, bool, str | None]:
    """``(all, showDetails, setAt)`` from ``getParameter: "*" | {allParameters, showDetails, setAt}``;
    any other value (``1``) means "the parameters named by the other fields", as in mongod."""
    spec = cmd["getParameter"]
    if spec == "*":
        return True, False, None
    if not isinstance(spec, dict):
        return False, False, None
    options = {"getParameter": 1, **spec}
    check_fields(options, {"allParameters", "showDetails", "setAt"})
    set_at = get_string(options, "setAt")
    if set_at is not None and set_at not in _SET_AT:
        raise MongoError(
            ErrorCode.BadValue,
            f"Enumeration value '{set_at}' for field 'getParameter.setAt' is not a valid value.",
        )
    return get_bool(options, "allParameters"), get_bool(options, "showDetails"), set_at


@command("getParameter", admin_only=True)
def get_parameter(ctx: CommandContext, cmd: dict[str, Any]) -> dict[str, Any]:
    """Server parameters by name, or all with ``"*"``/``{allParameters: true}``; in name order, as mongod
    walks its sorted parameter map; ``showDetails`` wraps each value with its settability."""
    everything, details, set_at = _get_parameter_options(cmd)
    reply: dict[str, Any] = {}
    for name, param in PARAMETERS.items():
        if not everything and name not in cmd:
            continue
        if (set_at == "runtime" and not param.settable_at_runtime) or (
            set_at == "startup" and not param.settable_at_startup
        ):
            continue
        value = param.value(ctx)
        if details:
            value = {
                "value": value,
                "settableAtRuntime": param.settable_at_runtime,
                "settableAtStartup": param.settable_at_startup,
            }
        reply[name] = value
    if not reply:
        raise MongoError(ErrorCode.InvalidOptions, "no option found to get")
    return reply


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
