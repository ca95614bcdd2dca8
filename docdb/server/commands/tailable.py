"""Tailable (and awaitData) cursors on capped collections: the find that opens one, the getMore that waits.

The cursor draws from an ``engine/tail.TailSource``; a getMore of an awaitData cursor that finds nothing
parks its connection on ``CommandContext.pending`` (``server/tailing.py``) until a commit to the
collection gives it something or ``maxTimeMS`` (default 1 s, as mongod's) passes.
"""

from __future__ import annotations

from typing import Any

from docdb.engine.matcher import compile_filter
from docdb.engine.projection import compile_projection
from docdb.engine.reads import FindSpec, find_documents
from docdb.engine.tail import TailSource
from docdb.errors import ErrorCode, MongoError
from docdb.server.context import CommandContext
from docdb.server.cursors import check_collection_alive
from docdb.server.params import get_bool, get_doc, get_int, non_negative
from docdb.server.tailing import CommitWaiters

DEFAULT_AWAIT_MS = 1000  # an awaitData getMore without maxTimeMS waits this long (mongod's default)


def waiters(ctx: CommandContext) -> CommitWaiters:
    state = ctx.state
    if state.waiters is None:
        state.waiters = CommitWaiters(state.catalog)
    return state.waiters


def tailable_find(ctx: CommandContext, cmd: dict[str, Any], name: str) -> dict[str, Any]:
    """A find with ``tailable`` (and maybe ``awaitData``), with mongod's refusals."""
    tailable = get_bool(cmd, "tailable")
    await_data = get_bool(cmd, "awaitData")
    if await_data and not tailable:
        raise MongoError(ErrorCode.FailedToParse, "Cannot set 'awaitData' without also setting 'tailable'")
    sort = get_doc(cmd, "sort")
    if sort and sort != {"$natural": 1}:
        raise MongoError(
            ErrorCode.BadValue, "cannot use tailable option with a sort other than {$natural: 1}"
        )
    if get_bool(cmd, "singleBatch"):
        raise MongoError(ErrorCode.BadValue, "cannot use tailable option with the 'singleBatch' option")
    ns = f"{ctx.db}.{name}"
    coll = ctx.catalog.collection(ctx.db, name)
    if coll is not None and coll.capped is None:
        raise MongoError(
            ErrorCode.BadValue,
            f"error processing query: ns={ns} tailable cursor requested on non capped collection",
        )
    filter_ = get_doc(cmd, "filter") or {}
    projection = get_doc(cmd, "projection")
    batch_size = get_int(cmd, "batchSize")
    if batch_size is not None:
        non_negative("batchSize", batch_size)
    skip = non_negative("skip", get_int(cmd, "skip"))
    limit = non_negative("limit", get_int(cmd, "limit"))
    if coll is None or not coll.docs:  # mongod keeps no tailable cursor over an empty collection
        return {"cursor": {"firstBatch": [], "id": 0, "ns": ns}}
    spec = FindSpec(filter_, projection, {"$natural": 1}, skip, limit, None, None, namespace=ns)
    docs = find_documents(coll, spec)
    match = compile_filter(filter_) if filter_ else None
    project = compile_projection(projection, query=filter_) if projection else None
    source = TailSource(coll, list(docs), match, project)
    lsid = None if ctx.session is None else ctx.session.id
    cursor_id, batch = ctx.state.cursors.open_source(ns, source, batch_size, lsid, await_data)
    cursor = ctx.state.cursors.cursors[int(cursor_id)]
    cursor.owner = ctx.connection.auth.user
    if ctx.store is None:
        cursor.collection = coll  # its drop or rename kills the cursor (crud.check_collection_alive)
    return {"cursor": {"firstBatch": batch, "id": cursor_id, "ns": ns}}


def get_more_awaiting(
    ctx: CommandContext, cursor_id: int, ns: str, batch_size: int | None, max_time_ms: Any
) -> dict[str, Any]:
    """A getMore of a cursor with a source: the next batch now, or — for an awaitData cursor with none —
    a wait for a commit that brings one."""
    registry = ctx.state.cursors
    cursor = registry.cursors.get(cursor_id)
    if max_time_ms is not None and (cursor is None or not cursor.await_data):
        raise MongoError(
            ErrorCode.BadValue, "cannot set maxTimeMS on getMore command for a non-awaitData cursor"
        )
    lsid = None if ctx.session is None else ctx.session.id
    next_id, batch = registry.get_more(cursor_id, ns, batch_size, lsid)
    if batch or cursor is None or not cursor.await_data or not next_id:
        return _reply(batch, next_id, ns, cursor)
    wait_ms = DEFAULT_AWAIT_MS if max_time_ms is None else int(max_time_ms)
    catalog, source = ctx.state.catalog, cursor.source
    if cursor.collection is None:
        ready = source.has_more
    else:  # a drop or rename of its collection ends the wait too (the getMore then fails)
        db, _, name = ns.partition(".")
        coll = cursor.collection
        ready = lambda: source.has_more() or catalog.collection(db, name) is not coll  # noqa: E731
    ctx.pending = waiters(ctx).park(source.wait_keys(), ready, wait_ms / 1000)

    def finish(_: Any) -> dict[str, Any]:
        if cursor_id not in registry.cursors:
            return MongoError(ErrorCode.CursorKilled, f"cursor id {cursor_id} was killed").to_document()
        try:
            if cursor.collection is not None:
                check_collection_alive(catalog, registry, cursor)
            next_id, batch = registry.get_more(cursor_id, ns, batch_size, lsid)
        except MongoError as error:
            return error.to_document()
        return _reply(batch, next_id, ns, cursor)

    ctx.finish = finish
    return _reply([], next_id, ns, cursor)


def _reply(batch: list[Any], next_id: Any, ns: str, cursor: Any) -> dict[str, Any]:
    """A getMore reply; a change stream's carries its postBatchResumeToken."""
    token = getattr(cursor.source, "resume_token", None) if cursor is not None else None
    if token is None:
        return {"cursor": {"nextBatch": batch, "id": next_id, "ns": ns}}
    return {"cursor": {"nextBatch": batch, "postBatchResumeToken": token, "id": next_id, "ns": ns}}
