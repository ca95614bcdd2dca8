"""serverStatus sections: one builder per section, by mongod's section name.

mongod keeps its sections in a sorted map, so ``server_status`` emits them in name order whatever the
order here. A section is a function of the server state; adding one is adding a row to ``SECTIONS``
(the ``transactions`` section belongs here once transactions exist, built from their own counters).
"""

from __future__ import annotations

import resource
import time
from collections.abc import Callable
from typing import Any

from bson.int64 import Int64

from docdb.engine.catalog import Catalog
from docdb.engine.compaction import Compactor, dead_bytes
from docdb.server.context import OPCOUNTER_NAMES, ServerState
from docdb.server.metrics import LATENCY_KINDS

MAX_CONNECTIONS = 1_000_000  # what "available" counts down from, as mongod's maxIncomingConnections


def _asserts(state: ServerState) -> dict[str, Any]:
    """Error replies: ``user`` for a command's MongoError, ``regular`` for an internal error."""
    counts = state.metrics.asserts
    return {name: counts[name] for name in ("regular", "warning", "msg", "user", "tripwire", "rollovers")}


def _connections(state: ServerState) -> dict[str, Any]:
    current = state.connections_current
    rs = state.replica_set
    awaiting, exhaust = rs.waiting() if rs is not None else (0, 0)
    return {
        "current": current,
        "available": state.max_connections - current,
        "totalCreated": state.connections_total,
        "rejected": state.connections_rejected,
        "active": 1,
        "threaded": current,
        "exhaustIsMaster": 0,
        "exhaustHello": exhaust,
        "awaitingTopologyChanges": awaiting,
    }


def _docdb(state: ServerState) -> dict[str, Any]:
    """docdb's own section: the data file (size, dead bytes, fsyncs, compactions) and the log limiter."""
    return {**_storage_status(state.catalog), "log": state.log_limiter.status()}


def _storage_status(catalog: Catalog) -> dict[str, Any]:
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


def _extra_info(state: ServerState) -> dict[str, Any]:
    """This process's resource usage (getrusage), mongod's Linux fields."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "note": "fields vary by platform",
        "user_time_us": Int64(int(usage.ru_utime * 1_000_000)),
        "system_time_us": Int64(int(usage.ru_stime * 1_000_000)),
        "maximum_resident_set_kb": Int64(usage.ru_maxrss),
        "input_blocks": Int64(usage.ru_inblock),
        "output_blocks": Int64(usage.ru_oublock),
        "page_reclaims": Int64(usage.ru_minflt),
        "page_faults": Int64(usage.ru_majflt),
        "voluntary_context_switches": Int64(usage.ru_nvcsw),
        "involuntary_context_switches": Int64(usage.ru_nivcsw),
    }


def _global_lock(state: ServerState) -> dict[str, Any]:
    """The event loop is docdb's global lock: one command runs at a time (a long read pauses only between
    its steps, in a greenlet), so none ever queues for it and none but the caller's runs while this
    section is built."""
    idle = {"total": 0, "readers": 0, "writers": 0}
    return {
        "totalTime": Int64(int((time.monotonic() - state.started_monotonic) * 1_000_000)),
        "currentQueue": dict(idle),
        "activeClients": dict(idle),
    }


def _locks(state: ServerState) -> dict[str, Any]:
    """One Global acquisition per command: ``w`` for a write, ``r`` for anything else."""
    reads, writes = state.metrics.lock_acquisitions()
    return {"Global": {"acquireCount": {"r": Int64(reads), "w": Int64(writes)}}}


def _memory_mb() -> tuple[int, int]:
    """Resident and virtual memory of this process in MiB (0 where /proc is missing)."""
    try:
        with open("/proc/self/status") as status:
            fields = dict(line.split(":", 1) for line in status if ":" in line)
        return int(fields["VmRSS"].split()[0]) // 1024, int(fields["VmSize"].split()[0]) // 1024
    except (OSError, KeyError, ValueError):
        return 0, 0


def _mem(state: ServerState) -> dict[str, Any]:
    resident, virtual = _memory_mb()
    return {"bits": 64, "resident": resident, "virtual": virtual, "supported": True}


def _metrics(state: ServerState) -> dict[str, Any]:
    """mongod's metrics tree is sorted by name at every level."""
    cursors = state.cursors
    documents = state.metrics.documents
    failed = state.metrics.commands_failed
    return {
        "commands": {
            name: {"failed": Int64(failed[name]), "total": Int64(n)}
            for name, n in sorted(state.command_counts.items())
        },
        "cursor": {
            "lifespan": {name: Int64(n) for name, n in sorted(cursors.lifespans.items())},
            "moreThanOneBatch": Int64(cursors.more_than_one_batch),
            "open": {"noTimeout": Int64(0), "pinned": Int64(0), "total": Int64(len(cursors.cursors))},
            "timedOut": Int64(cursors.timed_out),
            "totalOpened": Int64(cursors.total_opened),
        },
        "document": {name: Int64(documents[name]) for name in ("deleted", "inserted", "returned", "updated")},
    }


def _network(state: ServerState) -> dict[str, Any]:
    """Bytes and messages as counted by the connections (no DNS lookups or TLS, so never slow ones)."""
    m = state.metrics
    return {
        "bytesIn": Int64(m.bytes_in),
        "bytesOut": Int64(m.bytes_out),
        "physicalBytesIn": Int64(m.physical_bytes_in),
        "physicalBytesOut": Int64(m.physical_bytes_out),
        "numSlowDNSOperations": Int64(0),
        "numSlowSSLOperations": Int64(0),
        "numRequests": Int64(m.requests),
    }


def _op_latencies(state: ServerState) -> dict[str, Any]:
    m = state.metrics
    return {
        kind: {"latency": Int64(m.latency_micros[i]), "ops": Int64(m.latency_ops[i])}
        for i, kind in enumerate(LATENCY_KINDS)
    }


def _opcounters(state: ServerState) -> dict[str, Any]:
    counters = state.opcounters
    return {name: Int64(counters[name]) for name in OPCOUNTER_NAMES}


def _repl(state: ServerState) -> dict[str, Any] | None:
    """A replica-set member's view of its set (None on a standalone: the section is left out)."""
    rs = state.replica_set
    return None if rs is None else rs.status_section()


def _storage_engine(state: ServerState) -> dict[str, Any]:
    return {
        "name": "docdb",
        "supportsCommittedReads": False,
        "supportsPendingDrops": False,
        "dropPendingIdents": Int64(0),
        "supportsSnapshotReadConcern": False,
        "readOnly": False,
        "persistent": state.catalog.writer is not None,
        "backupCursorOpen": False,
    }


# section name -> builder, sorted alphabetically (the reply is sorted by name anyway)
SECTIONS: dict[str, Callable[[ServerState], dict[str, Any] | None]] = {
    "asserts": _asserts,
    "connections": _connections,
    "docdb": _docdb,
    "extra_info": _extra_info,
    "globalLock": _global_lock,
    "locks": _locks,
    "mem": _mem,
    "metrics": _metrics,
    "network": _network,
    "opLatencies": _op_latencies,
    "opcounters": _opcounters,
    "repl": _repl,
    "storageEngine": _storage_engine,
}
