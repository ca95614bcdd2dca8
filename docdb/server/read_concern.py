"""readConcern: the levels a transaction's first statement may ask for, and ``{level: "snapshot"}``
outside a transaction (find, aggregate and distinct read at a snapshot, ``atClusterTime`` or now, in
replica-set mode; a standalone refuses it as mongod does)."""

from __future__ import annotations

from typing import Any

from bson.timestamp import Timestamp

from docdb.engine.store import SnapshotReadStore
from docdb.errors import ErrorCode, MongoError
from docdb.server.context import CommandContext
from docdb.server.registry import CommandSpec

TXN_READ_LEVELS = ("local", "majority", "snapshot")
SNAPSHOT_READS = frozenset({"find", "aggregate", "distinct"})  # what readConcern snapshot may run alone


def transaction_read_concern(body: dict[str, Any]) -> Timestamp | None:
    """The first statement's readConcern: local, majority or snapshot (all read one snapshot here);
    ``atClusterTime`` (snapshot only) picks an earlier one."""
    rc = body.get("readConcern")
    if rc is None:
        return None
    level = _read_concern_level(rc)
    if level is not None and level not in TXN_READ_LEVELS:
        raise MongoError(
            ErrorCode.InvalidOptions,
            "The readConcern level must be either 'local' (default), 'majority' or 'snapshot' in order to "
            "run in a transaction",
        )
    at = rc.get("atClusterTime")
    if at is not None and level != "snapshot":
        raise MongoError(
            ErrorCode.InvalidOptions, "readConcern atClusterTime value must be specified with level: snapshot"
        )
    return at


def _read_concern_level(rc: Any) -> str | None:
    if not isinstance(rc, dict):
        raise MongoError(ErrorCode.FailedToParse, "readConcern must be an object")
    level = rc.get("level")
    if level is not None and not isinstance(level, str):
        raise MongoError(ErrorCode.TypeMismatch, "BSON field 'readConcern.level' is the wrong type")
    return level


def run_with_read_concern(ctx: CommandContext, spec: CommandSpec, body: dict[str, Any]) -> dict[str, Any]:
    rc = body["readConcern"]
    if _read_concern_level(rc) != "snapshot":
        return spec.handler(ctx, body)
    if ctx.state.config.replica_set is None:
        raise MongoError(
            ErrorCode.NotAReplicaSet, "node needs to be a replica set member to use readConcern: snapshot"
        )
    if spec.name not in SNAPSHOT_READS:
        raise MongoError(
            ErrorCode.InvalidOptions,
            f'Command {spec.name} does not support {{ readConcern: {{ level: "snapshot" }} }} '
            ":: caused by :: read concern snapshot not supported",
        )
    if spec.name == "aggregate":
        for stage in body.get("pipeline") or ():
            name = next(iter(stage), None) if isinstance(stage, dict) else None
            if name in ("$out", "$merge"):
                raise MongoError(
                    ErrorCode.InvalidOptions, f"{name} cannot be used with a 'snapshot' read concern level"
                )
    at = rc.get("atClusterTime")
    if at is not None and not isinstance(at, Timestamp):
        raise MongoError(ErrorCode.TypeMismatch, "BSON field 'readConcern.atClusterTime' is the wrong type")
    catalog = ctx.state.catalog
    if at is not None and at > catalog.clock.last:
        catalog.clock.advance(at)  # nothing later may now be stamped at or before it
    store = SnapshotReadStore(catalog, at)
    ctx.store = store
    try:
        reply = spec.handler(ctx, body)
    finally:
        ctx.store = None
        store.release()
    cursor = reply.get("cursor")
    if isinstance(cursor, dict):
        cursor["atClusterTime"] = store.snapshot.ts
    else:
        reply["atClusterTime"] = store.snapshot.ts  # distinct: where drivers' snapshot sessions look
    return reply
