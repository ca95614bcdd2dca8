"""serverStatus, listCommands, fsync and other operator commands."""

from __future__ import annotations

import os
import socket
import time
from typing import Any

from bson.int64 import Int64

from docdb import MONGODB_VERSION
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
    """Force an fsync of the data file; ``lock: true`` (blocking all writes) is not supported."""
    if cmd.get("lock"):
        raise MongoError(ErrorCode.NotImplemented, "fsync with lock: true is not supported by docdb")
    writer = ctx.catalog.writer
    if writer is not None:
        writer.sync()
    return {"numFiles": 1 if writer is not None else 0}


@command("currentOp", admin_only=True)
def current_op(ctx: CommandContext, cmd: dict[str, Any]) -> dict[str, Any]:
    """Commands run one at a time to completion, so nothing else is in progress while this one runs."""
    return {"inprog": []}
