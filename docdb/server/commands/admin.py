"""serverStatus, listCommands, fsync and other operator commands."""

from __future__ import annotations

import os
import socket
import time
from typing import Any

from bson.int64 import Int64

from docdb import MONGODB_VERSION
from docdb.engine.bson_types import bson_type_alias
from docdb.engine.compaction import Compactor, dead_bytes
from docdb.errors import ErrorCode, MongoError
from docdb.server.api_version import api_versions
from docdb.server.commands.handshake import now_utc
from docdb.server.context import CommandContext
from docdb.server.params import is_number
from docdb.server.registry import REGISTRY, command
from docdb.server.status_sections import SECTIONS


@command("serverStatus")
def server_status(ctx: CommandContext, cmd: dict[str, Any]) -> dict[str, Any]:
    """Uptime, connections, operation counters and memory, in mongod's field layout and types.

    mongod keeps its sections in a sorted map, so they follow the header fields in name order; any
    other field of the command turns a section off (``metrics: 0``) or on, as in mongod."""
    state = ctx.state
    uptime = time.monotonic() - state.started_monotonic
    reply: dict[str, Any] = {
        "host": socket.gethostname(),
        "version": MONGODB_VERSION,
        "process": "mongod",
        "pid": Int64(os.getpid()),
        "uptime": float(int(uptime)),
        "uptimeMillis": Int64(int(uptime * 1000)),
        "uptimeEstimate": Int64(int(uptime)),
        "localTime": now_utc(),
    }
    for name in sorted(SECTIONS):
        wanted = cmd.get(name, True)
        if wanted is True or (not isinstance(wanted, bool) and wanted not in (0, None)):
            section = SECTIONS[name](state)
            if section is not None:  # e.g. repl on a standalone
                reply[name] = section
    return reply


@command("listCommands", no_auth=True)
def list_commands(ctx: CommandContext, cmd: dict[str, Any]) -> dict[str, Any]:
    """Every command this server knows, sorted by name, each described with mongod's fields."""
    return {
        "commands": {
            name: {
                "help": spec.help,
                "requiresAuth": not spec.no_auth,
                "secondaryOk": True,
                "adminOnly": spec.admin_only,
                "apiVersions": api_versions(name),
                "deprecatedApiVersions": [],
            }
            for name, spec in sorted(REGISTRY.items())
        }
    }


@command("fsync", admin_only=True)
def fsync(ctx: CommandContext, cmd: dict[str, Any]) -> dict[str, Any]:
    """Make everything written so far durable before replying; the fsync runs on the log's sync thread
    (shared with concurrent j:true writers), so the event loop never waits on the disk.
    ``lock: true`` (blocking all writes) is not supported."""
    if cmd.get("lock"):
        raise MongoError(ErrorCode.NotImplemented, "fsync with lock: true is not supported by docdb")
    writer = ctx.catalog.writer
    if writer is not None:
        writer.check_usable()
        ctx.wait_lsn = writer.size
    return {"numFiles": 1 if writer is not None else 0}


@command("compact")
def compact(ctx: CommandContext, cmd: dict[str, Any]) -> dict[str, Any]:
    """Compact the data file online and reply, as mongod does, once it is done, with ``bytesFreed``.

    All collections share one log, so compacting one compacts them all; other connections keep being
    served meanwhile (only this one waits).
    """
    name = cmd["compact"]
    if not isinstance(name, str):
        raise MongoError(ErrorCode.TypeMismatch, f"collection name has invalid type {type(name).__name__}")
    if ctx.catalog.collection(ctx.db, name) is None:
        raise MongoError(ErrorCode.NamespaceNotFound, "collection does not exist")
    if ctx.catalog.writer is None or dead_bytes(ctx.catalog) == 0:
        return {"bytesFreed": 0}
    ctx.pending = Compactor.of(ctx.catalog).start()
    ctx.finish = lambda result: {"bytesFreed": result.bytes_freed}
    return {}


@command("killOp", admin_only=True)
def kill_op(ctx: CommandContext, cmd: dict[str, Any]) -> dict[str, Any]:
    """Mark operation ``op`` killed (server/operations.py): a long read fails with Interrupted at its
    next checkpoint, a waiting getMore or hello at once. mongod answers the same whether or not the op
    exists, and the kill takes effect after the reply."""
    if "op" not in cmd:
        raise MongoError(ErrorCode.NoSuchKey, 'Missing expected field "op"')
    op = cmd["op"]
    if not is_number(op):
        raise MongoError(
            ErrorCode.TypeMismatch,
            f'Expected field "op" to have numeric type, but found {bson_type_alias(op)}',
        )
    try:
        ctx.state.operations.kill(int(op))
    except (TypeError, ValueError, OverflowError):  # NaN, infinity, a Decimal128: no such op
        pass
    return {"info": "attempting to kill op"}
