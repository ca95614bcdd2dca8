"""``find`` on ``local.oplog.rs`` (replica-set mode): the change history as oplog entries, tailable too."""

from __future__ import annotations

from typing import Any

from bson.binary import Binary

from docdb.bson_codec import encode_document
from docdb.engine.collection import Collection
from docdb.engine.matcher import compile_filter
from docdb.engine.oplog import OplogTailSource, oplog_entries
from docdb.engine.projection import compile_projection
from docdb.engine.reads import FindSpec, find_documents
from docdb.errors import ErrorCode, MongoError
from docdb.server.context import CommandContext
from docdb.server.params import get_bool, get_doc, get_int, non_negative

_OPLOG_UUID = Binary(b"\x6f\x70\x6c\x6f\x67\x2e\x72\x73" * 2, 4)


def is_oplog(ctx: CommandContext, name: str) -> bool:
    return ctx.db == "local" and name == "oplog.rs" and ctx.state.replica_set is not None


def oplog_find(ctx: CommandContext, cmd: dict[str, Any]) -> dict[str, Any]:
    """A find over a snapshot of the oplog's entries; with ``tailable`` it then follows new ones."""
    catalog = ctx.state.catalog
    coll = Collection("local", "oplog.rs", _OPLOG_UUID, {"capped": True, "size": catalog.history.max_bytes})
    for i, entry in enumerate(oplog_entries(catalog)):
        raw = encode_document(entry)
        coll.docs[i] = raw
        coll.data_size += len(raw)
    filter_ = get_doc(cmd, "filter") or {}
    projection = get_doc(cmd, "projection")
    sort = get_doc(cmd, "sort")
    tailable = get_bool(cmd, "tailable")
    await_data = get_bool(cmd, "awaitData")
    if await_data and not tailable:
        raise MongoError(ErrorCode.FailedToParse, "Cannot set 'awaitData' without also setting 'tailable'")
    if tailable and sort and sort != {"$natural": 1}:
        raise MongoError(
            ErrorCode.BadValue, "cannot use tailable option with a sort other than {$natural: 1}"
        )
    batch_size = get_int(cmd, "batchSize")
    if batch_size is not None:
        non_negative("batchSize", batch_size)
    spec = FindSpec(
        filter_,
        projection,
        sort,
        non_negative("skip", get_int(cmd, "skip")),
        non_negative("limit", get_int(cmd, "limit")),
        cmd.get("hint"),
        None,
        namespace="local.oplog.rs",
    )
    docs = find_documents(coll, spec)
    ns = "local.oplog.rs"
    if not tailable:
        from docdb.server.commands.crud import cursor_reply

        return cursor_reply(ctx, ns, docs, batch_size, get_bool(cmd, "singleBatch"))
    match = compile_filter(filter_) if filter_ else None
    project = compile_projection(projection, query=filter_) if projection else None
    source = OplogTailSource(catalog, list(docs), match, project)
    lsid = None if ctx.session is None else ctx.session.id
    cursor_id, batch = ctx.state.cursors.open_source(ns, source, batch_size, lsid, await_data)
    ctx.state.cursors.cursors[int(cursor_id)].owner = ctx.connection.auth.user
    return {"cursor": {"firstBatch": batch, "id": cursor_id, "ns": ns}}
