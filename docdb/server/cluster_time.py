"""``$clusterTime`` and ``operationTime``: what every reply of a replica-set member carries.

Drivers gossip the cluster time: they keep the newest ``$clusterTime`` they saw and send it back with each
command; a member moves its clock past any newer time it receives. With no keyfile mongod signs with an
all-zero hash and key id 0, and so does docdb. ``operationTime`` is the newest change this member has
applied when it replies (for a write, that write's own time). A standalone adds neither.
"""

from __future__ import annotations

import time
from typing import Any

import bson
from bson.binary import Binary
from bson.int64 import Int64
from bson.raw_bson import RawBSONDocument
from bson.timestamp import Timestamp

from docdb.errors import ErrorCode, MongoError
from docdb.server.context import CommandContext

MAX_DRIFT_S = 365 * 24 * 3600  # maxAcceptableLogicalClockDriftSecs
_SIGNATURE = {"hash": Binary(bytes(20), 0), "keyId": Int64(0)}
_cached: tuple[Timestamp | None, Any] = (None, None)


def _cluster_time_document(now: Timestamp) -> Any:
    """``$clusterTime`` for ``now``. Replies between two changes share it, encoded once (embedding encoded
    bytes costs a tenth of encoding the nested document); a write's reply, the first at its time, gets a
    plain document, since encoding it ahead would cost more than it saves."""
    global _cached
    ts, document = _cached
    if ts is not now:
        document = {"clusterTime": now, "signature": _SIGNATURE}
    elif document.__class__ is dict:
        document = RawBSONDocument(bson.encode(document))
    _cached = (now, document)
    return document


def receive(ctx: CommandContext, body: dict[str, Any]) -> None:
    """Move the clock past the client's ``$clusterTime`` before the command runs (rs mode), refusing one
    further ahead of the wall clock than mongod's maxAcceptableLogicalClockDriftSecs allows."""
    gossiped = body.get("$clusterTime")
    if gossiped.__class__ is not dict or ctx.state.replica_set is None:
        return
    received = gossiped.get("clusterTime")
    clock = ctx.state.catalog.clock
    if received.__class__ is Timestamp and received > clock.last:  # usually not: drivers echo ours
        wall = int(time.time())
        if received.time - wall > MAX_DRIFT_S:
            raise MongoError(
                ErrorCode.ClusterTimeFailsRateLimiter,
                f"New cluster time, {received.time}, is too far from this node's wall clock time, {wall}.",
            )
        clock.advance(received)


def stamp(ctx: CommandContext, reply: dict[str, Any]) -> dict[str, Any]:
    """Add this member's ``$clusterTime`` and the ``operationTime`` to ``reply`` (rs mode)."""
    if ctx.state.replica_set is None:
        return reply
    clock = ctx.state.catalog.clock
    if "operationTime" in reply:  # stamped before (a reply finished after a wait): move to the end
        del reply["$clusterTime"], reply["operationTime"]
    now = clock.last
    reply["$clusterTime"] = _cluster_time_document(now)
    reply["operationTime"] = now
    return reply
