"""serverStatus, listCommands, fsync and other operator commands."""

from __future__ import annotations

import os
import socket
import time
from typing import Any

from bson.int64 import Int64

from docdb import MONGODB_VERSION
from docdb.engine.bson_types import bson_type_alias
from docdb.engine.catalog import Catalog
from docdb.engine.compaction import Compactor, dead_bytes
from docdb.errors import ErrorCode, MongoError
from docdb.server.api_version import api_versions
from docdb.server.commands.handshake import now_utc
from docdb.server.context import CommandContext
from docdb.server.params import is_number
from docdb.server.registry import REGISTRY, command

MAX_CONNECTIONS = 1_000_000  # what "available" counts down from, as mongod's maxIncomingConnections


def _memory_mb() -> tuple[int, int]:
    """Resident and virtual memory of this process in MiB (0 where /proc is missing)."""
    try:
        with open("/proc/self/status") as status:
            fields = dict(line.split(":", 1) for line in status if ":" in line)
        rss = int(fields["VmRSS"].split()[0]) // 1024
        virt = int(fields["VmSize"].split()[0]) // 1024
        return rss, virt
    except (OSError, KeyError, ValueError):
        return 0, 0


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
    sections = _sections(ctx)
    for name in sorted(sections):
        wanted = cmd.get(name, True)
        if wanted is True or (not isinstance(wanted, bool) and wanted not in (0, None)):
            reply[name] = sections[name]
    return reply


def _sections(ctx: CommandContext) -> dict[str, Any]:
    state = ctx.state
    resident, virtual = _memory_mb()
    counters = state.opcounters
    current = state.connections_current
    rs = state.replica_set
    awaiting, exhaust = rs.waiting() if rs is not None else (0, 0)
    sections: dict[str, Any] = {
        "connections": {
            "current": current,
            "available": MAX_CONNECTIONS - current,
            "totalCreated": state.connections_total,
            "rejected": 0,
            "active": 1,
            "threaded": current,
            "exhaustIsMaster": 0,
            "exhaustHello": exhaust,
            "awaitingTopologyChanges": awaiting,
        },
        "docdb": _storage_status(state.catalog),
        "mem": {"bits": 64, "resident": resident, "virtual": virtual, "supported": True},
        "metrics": {
            "commands": {name: {"total": Int64(n)} for name, n in sorted(state.command_counts.items())},
            "cursor": {
                "timedOut": Int64(state.cursors.timed_out),
                "open": {"total": Int64(len(state.cursors.cursors))},
            },
        },
        "opcounters": {
            name: Int64(counters[name])
            for name in ("insert", "query", "update", "delete", "getmore", "command")
        },
        "storageEngine": {
            "name": "docdb",
            "supportsCommittedReads": False,
            "persistent": state.catalog.writer is not None,
            "readOnly": False,
        },
    }
    if rs is not None:
        sections["repl"] = rs.status_section()
    return sections


@command("listCommands")
def list_commands(ctx: CommandContext, cmd: dict[str, Any]) -> dict[str, Any]:
    """Every command this server knows, sorted by name, each described with mongod's fields."""
    return {
        "commands": {
            name: {
                "help": spec.help,
                "requiresAuth": False,
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


def _storage_status(catalog: Catalog) -> dict[str, Any]:
    """docdb's own serverStatus section: file size, dead bytes, fsyncs and compactions."""
    writer = catalog.writer
    if writer is None:
        return {"persistent": False}
    compactor = Compactor.of(catalog)
    last = compactor.last
    return {
        "persistent": True,
        "encrypted": writer.cipher is not None,
        "fileSize": Int64(writer.size),
        "durableSize": Int64(writer.durable_lsn),
        "deadBytes": Int64(dead_bytes(catalog)),
        "fsyncs": Int64(writer.fsyncs),
        "compaction": {
            "running": compactor.running,
            "completed": compactor.completed,
            "failed": compactor.failed,
            "lastError": compactor.last_error,
            "lastBytesFreed": Int64(last.bytes_freed if last else 0),
            "lastSeconds": last.seconds if last else 0.0,
            "lastPauseMillis": last.pause_seconds * 1000 if last else 0.0,
        },
    }


@command("killOp", admin_only=True)
def kill_op(ctx: CommandContext, cmd: dict[str, Any]) -> dict[str, Any]:
    """Commands run to completion one at a time, so no other operation is ever in progress to kill;
    mongod answers an unknown op id the same way."""
    if "op" not in cmd:
        raise MongoError(ErrorCode.NoSuchKey, 'Missing expected field "op"')
    op = cmd["op"]
    if not is_number(op):
        raise MongoError(
            ErrorCode.TypeMismatch,
            f'Expected field "op" to have numeric type, but found {bson_type_alias(op)}',
        )
    return {"info": "attempting to kill op"}
