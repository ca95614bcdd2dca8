"""serverStatus, listCommands, fsync and other operator commands."""

from __future__ import annotations

import os
import socket
import time
from typing import Any

from bson.int64 import Int64

from docdb import MONGODB_VERSION
from docdb.engine.catalog import Catalog
from docdb.engine.compaction import Compactor, dead_bytes
from docdb.errors import ErrorCode, MongoError
from docdb.server.commands.handshake import now_utc
from docdb.server.context import CommandContext
from docdb.server.registry import REGISTRY, command


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
    """Uptime, connections, operation counters and memory, in mongod's field layout."""
    state = ctx.state
    uptime = time.monotonic() - state.started_monotonic
    resident, virtual = _memory_mb()
    counters = state.opcounters
    writer = state.catalog.writer
    return {
        "host": socket.gethostname(),
        "version": MONGODB_VERSION,
        "process": "mongod",
        "pid": Int64(os.getpid()),
        "uptime": float(int(uptime)),
        "uptimeMillis": Int64(int(uptime * 1000)),
        "uptimeEstimate": Int64(int(uptime)),
        "localTime": now_utc(),
        "connections": {
            "current": state.connections_current,
            "available": 1_000_000 - state.connections_current,
            "totalCreated": state.connections_total,
            "active": 1,
        },
        "opcounters": {
            name: Int64(counters[name])
            for name in ("insert", "query", "update", "delete", "getmore", "command")
        },
        "mem": {"bits": 64, "resident": resident, "virtual": virtual, "supported": True},
        "metrics": {
            "cursor": {
                "timedOut": Int64(state.cursors.timed_out),
                "open": {"total": Int64(len(state.cursors.cursors))},
            },
            "commands": {name: {"total": Int64(n)} for name, n in sorted(state.command_counts.items())},
        },
        "storageEngine": {
            "name": "docdb",
            "supportsCommittedReads": False,
            "persistent": writer is not None,
            "readOnly": False,
        },
        "docdb": _storage_status(state.catalog),
    }


@command("listCommands")
def list_commands(ctx: CommandContext, cmd: dict[str, Any]) -> dict[str, Any]:
    """Every command this server knows, sorted by name."""
    return {
        "commands": {
            name: {"help": spec.help, "adminOnly": spec.admin_only, "requiresAuth": False}
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


@command("currentOp", admin_only=True)
def current_op(ctx: CommandContext, cmd: dict[str, Any]) -> dict[str, Any]:
    """Commands run one at a time to completion, so nothing else is in progress while this one runs."""
    return {"inprog": []}
