"""The aggregate command: a pipeline over a collection, or collectionless (``aggregate: 1``)."""

from __future__ import annotations

import socket
from typing import Any

from docdb.engine.collation import using
from docdb.engine.namespaces import validate_collection_name
from docdb.engine.views import ViewChain, resolve_namespace
from docdb.errors import ErrorCode, MongoError
from docdb.server.commands.change_stream_cmd import is_change_stream, open_change_stream
from docdb.server.commands.crud import cursor_reply
from docdb.server.commands.explain import explain_reply
from docdb.server.commands.query_options import check_collation, check_hint, collator_for, view_collator
from docdb.server.context import CommandContext
from docdb.server.current_op import current_ops
from docdb.server.params import check_fields, get_array, get_bool, get_doc, get_int
from docdb.server.profiler import PROFILE_COLLECTION
from docdb.server.registry import command
from docdb.server.write_concern import needs_fsync, request_durability

_FIELDS = {
    "pipeline",
    "cursor",
    "explain",
    "allowDiskUse",
    "bypassDocumentValidation",
    "collation",
    "hint",
    "let",
    "fromMongos",
    "needsMerge",
    "isMapReduceCommand",
}


@command("aggregate", in_transaction=True)
def aggregate(ctx: CommandContext, cmd: dict[str, Any]) -> dict[str, Any]:
    """Run a pipeline; the output comes back as a cursor (empty for ``$out``/``$merge``)."""
    check_fields(cmd, _FIELDS)
    target = cmd["aggregate"]
    if target == 1 and not isinstance(target, bool):
        collection = None
        ns = f"{ctx.db}.$cmd.aggregate"
    elif isinstance(target, str):
        collection = validate_collection_name(ctx.db, target)
        ns = f"{ctx.db}.{collection}"
    else:
        raise MongoError(
            ErrorCode.FailedToParse,
            "Invalid command format: the 'aggregate' field must specify a collection name or 1",
        )
    pipeline = get_array(cmd, "pipeline", required=True)
    assert pipeline is not None
    if is_change_stream(pipeline) and not cmd.get("explain"):
        cursor = get_doc(cmd, "cursor")
        if cursor is None:
            raise MongoError(
                ErrorCode.FailedToParse,
                "The 'cursor' option is required, except for aggregate with the explain argument",
            )
        return open_change_stream(ctx, collection, pipeline, get_int(cursor, "batchSize"))
    source, view_pipeline = collection, []
    view: ViewChain | None = None
    if collection is not None:
        target = resolve_namespace(ctx.catalog, ctx.db, collection)
        if isinstance(target, ViewChain):
            source, view_pipeline, view = target.source, target.pipeline, target
    if cmd.get("explain"):
        if view_pipeline or source != collection:
            raise MongoError(
                ErrorCode.NotImplemented, "explain of an aggregate on a view is not supported by docdb"
            )
        if collection is None:
            raise MongoError(
                ErrorCode.NotImplemented, "explain of a collectionless aggregate is not supported"
            )
        inner = {k: v for k, v in cmd.items() if k not in ("explain", "cursor")}
        return explain_reply(ctx, inner, "queryPlanner")
    cursor = get_doc(cmd, "cursor")
    if cursor is None:
        raise MongoError(
            ErrorCode.FailedToParse,
            "The 'cursor' option is required, except for aggregate with the explain argument",
        )
    batch_size = get_int(cursor, "batchSize")
    check_collation(cmd.get("collation"))
    if source is not None:
        check_hint(ctx.catalog.collection(ctx.db, source), cmd.get("hint"))
    writes = (
        bool(pipeline)
        and isinstance(pipeline[-1], dict)
        and next(iter(pipeline[-1]), "") in ("$out", "$merge")
    )
    durable = writes and needs_fsync(cmd)
    # Imported on first use: the pipeline engine is a third of the server's import time, and start-up
    # (time to first accepted connection) matters more than the first aggregate's latency.
    from docdb.engine.aggregate import run_aggregate

    port = ctx.connection.local.rpartition(":")[2]
    host = f"{socket.gethostname()}:{port}"
    if view is not None:
        collator = view_collator(cmd.get("collation"), view.definition)
    else:
        base = ctx.catalog.collection(ctx.db, source) if source is not None else None
        collator = collator_for(cmd.get("collation"), base)
    with using(collator):
        docs = run_aggregate(
            ctx.catalog,
            ctx.db,
            source,
            view_pipeline + pipeline,
            get_doc(cmd, "let"),
            host=host,
            bypass_validation=get_bool(cmd, "bypassDocumentValidation"),
            documents=_profile_entries(ctx, source),
            sessions=ctx.state.sessions.records,
            current_ops=lambda options: current_ops(
                ctx,
                cmd,
                all_users=options["allUsers"],
                idle_connections=options["idleConnections"],
                idle_cursors=options["idleCursors"],
            ),
        )
    request_durability(ctx, durable)
    return cursor_reply(ctx, ns, docs, batch_size)


def _profile_entries(ctx: CommandContext, source: str | None) -> list[dict[str, Any]] | None:
    """The profiler's in-memory ``system.profile`` entries when the pipeline reads them (no such
    collection exists in the catalog: see server/profiler.py), else None."""
    if source != PROFILE_COLLECTION or ctx.catalog.collection(ctx.db, source) is not None:
        return None
    ring = ctx.state.profiler.ring(ctx.db)
    return [] if ring is None else [doc for _, doc in ring.scan()]
