"""``aggregate`` with a leading ``$changeStream``: opens a change stream cursor (replica-set mode only).

The cursor's source is an ``engine/change_stream.ChangeStreamSource``; every getMore of it may wait
(``maxAwaitTimeMS``, default 1 s) for a commit in its scope, and every batch carries the
``postBatchResumeToken`` drivers resume from.
"""

from __future__ import annotations

from typing import Any

from docdb.engine.change_stream import ChangeStreamSource, check_later_stages, parse_spec
from docdb.errors import ErrorCode, MongoError
from docdb.server.context import CommandContext


def is_change_stream(pipeline: list[Any]) -> bool:
    return bool(pipeline) and isinstance(pipeline[0], dict) and "$changeStream" in pipeline[0]


def open_change_stream(
    ctx: CommandContext, collection: str | None, pipeline: list[Any], batch_size: int | None
) -> dict[str, Any]:
    spec = parse_spec(pipeline[0]["$changeStream"])
    if ctx.state.replica_set is None:
        raise MongoError(40573, "The $changeStream stage is only supported on replica sets")
    rest = pipeline[1:]
    for stage in rest:
        if isinstance(stage, dict) and "$changeStream" in stage:
            raise MongoError(40602, "$changeStream is only valid as the first stage in a pipeline")
    check_later_stages(rest)
    cluster = bool(spec.get("allChangesForCluster"))
    if cluster and (ctx.db != "admin" or collection is not None):
        raise MongoError(
            ErrorCode.InvalidNamespace,
            "A $changeStream with 'allChangesForCluster:true' may only be opened on the 'admin' database, "
            "and with no collection name",
        )
    if not cluster and ctx.db in ("admin", "config", "local"):
        raise MongoError(
            ErrorCode.InvalidNamespace, f"$changeStream may not be opened on the internal {ctx.db} database"
        )
    if collection is not None and collection.startswith("system."):
        raise MongoError(
            ErrorCode.InvalidNamespace,
            f"$changeStream may not be opened on the internal {ctx.db}.{collection} collection",
        )
    transform = None
    if rest:
        from docdb.engine.aggregate import CatalogPipelineContext
        from docdb.engine.aggregation.pipeline import compile_pipeline

        compiled = compile_pipeline(rest, CatalogPipelineContext(ctx.state.catalog, ctx.db))

        def transform(event: dict[str, Any]) -> list[dict[str, Any]]:
            return list(compiled.run([event]))

    source = ChangeStreamSource(ctx.state.catalog, ctx.db, collection, cluster, spec, transform)
    ns = f"{ctx.db}.{collection}" if collection is not None else f"{ctx.db}.$cmd.aggregate"
    lsid = None if ctx.session is None else ctx.session.id
    cursors = ctx.state.cursors
    cursor_id, batch = cursors.open_source(ns, source, batch_size, lsid, True)
    if source.closed:
        cursors.kill([int(cursor_id)])
        cursor_id = type(cursor_id)(0)
    else:
        cursors.cursors[int(cursor_id)].owner = ctx.connection.auth.user
    return {
        "cursor": {
            "firstBatch": batch,
            "postBatchResumeToken": source.resume_token,
            "id": cursor_id,
            "ns": ns,
        }
    }
