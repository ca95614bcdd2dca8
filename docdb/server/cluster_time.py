"""``$clusterTime`` and ``operationTime``: what every reply of a replica-set member carries.

Drivers gossip the cluster time: they keep the newest ``$clusterTime`` they saw and send it back with each
command; a member moves its clock past any newer time it receives. With no keyfile mongod signs with an
all-zero hash and key id 0, and so does docdb. ``operationTime`` is the newest change this member has
applied when it replies (for a write, that write's own time). A standalone adds neither.
"""

from __future__ import annotations

from typing import Any

from bson.binary import Binary
from bson.int64 import Int64
from bson.timestamp import Timestamp

from docdb.server.context import CommandContext

_SIGNATURE = {"hash": Binary(bytes(20), 0), "keyId": Int64(0)}


def stamp(ctx: CommandContext, body: dict[str, Any], reply: dict[str, Any]) -> dict[str, Any]:
    """Take the client's ``$clusterTime`` and add ours and the ``operationTime`` to ``reply`` (rs mode)."""
    if ctx.state.replica_set is None:
        return reply
    clock = ctx.state.catalog.clock
    gossiped = body.get("$clusterTime")
    if isinstance(gossiped, dict) and isinstance(gossiped.get("clusterTime"), Timestamp):
        clock.advance(gossiped["clusterTime"])
    reply.pop("$clusterTime", None)
    reply.pop("operationTime", None)
    now = clock.last
    reply["$clusterTime"] = {"clusterTime": now, "signature": _SIGNATURE}
    reply["operationTime"] = now
    return reply
