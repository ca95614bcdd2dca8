"""The awaitable hello's request fields: ``topologyVersion`` + ``maxAwaitTimeMS`` (the streaming protocol).

A driver that saw a ``topologyVersion`` sends it back with ``maxAwaitTimeMS``; the server answers when its
topology differs from the one the driver knows, or when the time runs out, so monitors stop polling. The
checks and their codes are mongod's (hello's IDL, then 51758-51760 and 31382).
"""

from __future__ import annotations

from typing import Any

from bson.objectid import ObjectId

from docdb.engine.bson_types import bson_type_alias
from docdb.errors import ErrorCode, MongoError
from docdb.server.context import CommandContext
from docdb.server.params import get_doc, get_int


def awaitable_wait(ctx: CommandContext, cmd: dict[str, Any]) -> float | None:
    """Seconds this hello should wait for a topology change (None: answer now); raises mongod's errors."""
    has_version, has_wait = "topologyVersion" in cmd, "maxAwaitTimeMS" in cmd
    if not has_version and not has_wait:
        return None
    if has_version != has_wait:
        raise MongoError(
            51760,
            "A request with a 'topologyVersion' must include 'maxAwaitTimeMS'"
            if has_version
            else "A request with 'maxAwaitTimeMS' must include a 'topologyVersion'",
        )
    version = get_doc(cmd, "topologyVersion")
    assert version is not None
    process_id, counter = _parse_topology_version(version)
    max_await_ms = get_int(cmd, "maxAwaitTimeMS")
    assert max_await_ms is not None
    if counter < 0:
        raise MongoError(51758, "topologyVersion must have a non-negative counter")
    if max_await_ms < 0:
        raise MongoError(51759, "maxAwaitTimeMS must be a non-negative integer")
    rs = ctx.state.replica_set
    if rs is None or process_id != rs.process_id:
        return None  # another process (a restart): the driver's view is stale, answer at once
    if counter > rs.counter:
        raise MongoError(
            31382,
            "Received a topology version with the same process ID and a higher counter than the server",
        )
    if counter < rs.counter:
        return None
    return max_await_ms / 1000


def _parse_topology_version(version: dict[str, Any]) -> tuple[ObjectId, int]:
    for field in ("processId", "counter"):
        if field not in version:
            raise MongoError(40414, f"BSON field 'TopologyVersion.{field}' is missing but a required field")
    process_id = version["processId"]
    if not isinstance(process_id, ObjectId):
        raise MongoError(
            ErrorCode.TypeMismatch,
            "BSON field 'TopologyVersion.processId' is the wrong type "
            f"'{bson_type_alias(process_id)}', expected type 'objectId'",
        )
    counter = get_int({"TopologyVersion": 1, **version}, "counter")
    assert counter is not None
    return process_id, counter
