"""insert, find, getMore, killCursors, update, delete, findAndModify, count, distinct.

Handlers check the command's shape and call the engine; the engine owns every loop over documents.
"""

from __future__ import annotations

from itertools import repeat
from typing import Any

from bson.int64 import Int64

from docdb.bson_codec import StoredDocument
from docdb.engine.collation import using
from docdb.engine.express import express_first
from docdb.engine.find_key_options import find_with_key_options
from docdb.engine.namespaces import validate_collection_name
from docdb.engine.query.let import evaluate_let
from docdb.engine.reads import FindSpec, count_documents, distinct_values, find_documents
from docdb.engine.view_reads import count_view, distinct_view
from docdb.engine.views import ViewChain, refuse_view, resolve_namespace
from docdb.engine.writes import (
    FindAndModifySpec,
    UpdateStatement,
    WriteOutcome,
    delete_documents,
    find_and_modify,
    insert_documents,
    update_documents,
)
from docdb.errors import ErrorCode, MongoError
from docdb.server.commands.oplog_cmd import is_oplog, oplog_find
from docdb.server.commands.query_options import check_collation, check_hint, collator_for, view_collator
from docdb.server.commands.tailable import get_more_awaiting, tailable_find
from docdb.server.commands.view_cmds import find_on_view
from docdb.server.context import CommandContext
from docdb.server.cursors import check_collection_alive
from docdb.server.params import (
    GENERIC_FIELDS,
    check_fields,
    get_array,
    get_bool,
    get_doc,
    get_int,
    get_string,
    non_negative,
)
from docdb.server.profiler import PROFILE_COLLECTION
from docdb.server.registry import command
from docdb.server.write_concern import needs_fsync, request_durability

MAX_WRITE_BATCH = 100_000


def collection_name(ctx: CommandContext, cmd: dict[str, Any]) -> str:
    """The target collection of a command whose first field names it."""
    return validate_collection_name(ctx.db, cmd[next(iter(cmd))])


def _check_batch(cmd: dict[str, Any], field: str) -> list[Any]:
    items = get_array(cmd, field, required=True)
    assert items is not None
    if not 1 <= len(items) <= MAX_WRITE_BATCH:
        raise MongoError(
            ErrorCode.InvalidLength,
            f"Write batch sizes must be between 1 and {MAX_WRITE_BATCH}. Got {len(items)} operations.",
        )
    if not all(map(isinstance, items, repeat(dict))):  # (one C-level pass: a batch may hold 100 000)
        raise MongoError(ErrorCode.TypeMismatch, f"BSON field '{next(iter(cmd))}.{field}' must be an object")
    return items


def _let_values(cmd: dict[str, Any]) -> dict[str, Any]:
    """The command's evaluated ``let`` ({} without one, skipping the evaluator's set-up)."""
    let = cmd.get("let")
    return {} if let is None else evaluate_let(let)


def write_reply(outcome: WriteOutcome, *, with_modified: bool = False) -> dict[str, Any]:
    """A write command's reply for ``outcome``: ``n``, for an update ``upserted`` and ``nModified``, and
    ``writeErrors``."""
    reply: dict[str, Any] = {"n": outcome.n}
    if with_modified:
        if outcome.upserted:
            reply["upserted"] = outcome.upserted
        reply["nModified"] = outcome.n_modified
    if outcome.write_errors:
        reply["writeErrors"] = outcome.write_errors
    return reply


def cursor_reply(
    ctx: CommandContext,
    ns: str,
    docs: list[Any],
    batch_size: int | None,
    single_batch: bool = False,
    collection: Any = None,
) -> dict[str, Any]:
    """``{cursor: {firstBatch, id, ns}}``, registering a cursor when documents remain; a find passes its
    ``collection`` (outside a transaction), whose drop or rename then kills the cursor, as in mongod."""
    lsid = None if ctx.session is None else ctx.session.id
    cursor_id, batch = ctx.state.cursors.first_batch(ns, docs, batch_size, single_batch, lsid)
    if cursor_id:
        cursor = ctx.state.cursors.cursors[int(cursor_id)]
        cursor.owner = ctx.connection.auth.user
        if ctx.store is None:
            cursor.collection = collection
    return {"cursor": {"firstBatch": batch, "id": cursor_id, "ns": ns}}


AGGREGATE_CURSOR = "$cmd.aggregate"


# -- reads ----------------------------------------------------------------------------------------------

_FIND_FIELDS = {
    "filter",
    "sort",
    "projection",
    "hint",
    "skip",
    "limit",
    "batchSize",
    "singleBatch",
    "max",
    "min",
    "returnKey",
    "showRecordId",
    "tailable",
    "oplogReplay",
    "noCursorTimeout",
    "awaitData",
    "allowPartialResults",
    "collation",
    "allowDiskUse",
    "let",
    "readOnce",
    "ntoreturn",
}
_FIND_KEY_OPTIONS = frozenset({"max", "min", "returnKey", "showRecordId"})
_FIND_TAILING_SET = frozenset({"tailable", "awaitData"})  # oplogReplay is a no-op since mongod 4.4
# Options that change what a find_one by _id or by a sole one-field index returns: with none of them
# (and limit 1) the express path answers.
_EXPRESS_BLOCKERS = frozenset(_FIND_FIELDS - {"filter", "limit", "batchSize", "singleBatch", "ntoreturn"})


# A driver's find_one: these fields (and generic ones) at most, as the express lane takes them.
_FIND_ONE_FIELDS = frozenset({"find", "filter", "limit", "singleBatch"})
_NOT_EXPRESS: dict[str, Any] = {}  # the lane's answer when express_first found no express shape


@command("find", in_transaction=True)
def find(ctx: CommandContext, cmd: dict[str, Any]) -> dict[str, Any]:
    """Query a collection; the first batch comes back with a cursor for the rest."""
    reply = _find_one_express(ctx, cmd)
    if reply is not None and reply is not _NOT_EXPRESS:
        return reply
    express_tried = reply is _NOT_EXPRESS
    check_fields(cmd, _FIND_FIELDS)
    name = collection_name(ctx, cmd)
    if ctx.db == "local" and is_oplog(ctx, name):
        return oplog_find(ctx, cmd)
    if not _FIND_TAILING_SET.isdisjoint(cmd) and (cmd.get("tailable") or cmd.get("awaitData")):
        check_collation(cmd.get("collation"))
        return tailable_find(ctx, cmd, name)
    check_collation(cmd.get("collation"))
    coll = resolve_namespace(ctx.catalog, ctx.db, name)
    if isinstance(coll, ViewChain):
        return find_on_view(ctx, cmd, coll)
    if coll is None and name == PROFILE_COLLECTION:  # the profiler's in-memory ring (server/profiler.py)
        coll = ctx.state.profiler.ring(ctx.db)
    hint = cmd.get("hint")
    if hint is not None:
        check_hint(coll, hint)
    limit = get_int(cmd, "limit")
    filter_ = get_doc(cmd, "filter") or {}
    projection = get_doc(cmd, "projection")
    sort = get_doc(cmd, "sort")
    skip = non_negative("skip", get_int(cmd, "skip"))
    limit = non_negative("limit", limit)
    variables = _let_values(cmd)
    batch_size = get_int(cmd, "batchSize")
    if batch_size is not None:
        non_negative("batchSize", batch_size)
    single_batch = get_bool(cmd, "singleBatch")
    ns = f"{ctx.db}.{name}"
    collator = collator_for(cmd.get("collation"), coll)
    if limit == 1 and not express_tried and _EXPRESS_BLOCKERS.isdisjoint(cmd) and collator.is_simple:
        found = express_first(coll, filter_, ctx.point_index)
        if found is not None:
            docs = [StoredDocument(raw) for raw in found]
            return cursor_reply(ctx, ns, docs, batch_size, single_batch, coll)
    spec = FindSpec(filter_, projection, sort, skip, limit, hint, variables, namespace=ns)
    with using(collator):
        if not _FIND_KEY_OPTIONS.isdisjoint(cmd):
            docs = find_with_key_options(
                coll,
                spec,
                get_doc(cmd, "min"),
                get_doc(cmd, "max"),
                get_bool(cmd, "returnKey"),
                get_bool(cmd, "showRecordId"),
            )
        else:
            docs = find_documents(coll, spec)
    return cursor_reply(ctx, ns, docs, batch_size, single_batch, coll)


def _find_one_express(ctx: CommandContext, cmd: dict[str, Any]) -> dict[str, Any] | None:
    """The reply to a driver's find_one (``filter``, ``limit: 1``, maybe ``singleBatch``, nothing else
    but generic fields) on a collection of the simple collation whose filter ``express_first`` answers;
    ``_NOT_EXPRESS`` when the filter is no express shape (the general path need not ask again), None
    for anything else. It skips the option parsing that has nothing to find in such a command; every
    value it does not take as it is (a wrong type, a view, a missing collection) goes to the general
    path, which checks the command in mongod's order and answers alike."""
    filter_ = cmd.get("filter")
    if (
        filter_.__class__ is not dict
        or cmd.get("limit") != 1
        or cmd["limit"].__class__ is not int
        or cmd.get("singleBatch", False).__class__ is not bool
        or not _FIND_ONE_FIELDS.issuperset(cmd.keys() - GENERIC_FIELDS)
        or ctx.db == "local"
    ):
        return None
    name = collection_name(ctx, cmd)
    coll = ctx.catalog.collection(ctx.db, name)
    if coll is None or "collation" in coll.options:
        return None
    found = express_first(coll, filter_, ctx.point_index)
    if found is None:
        return _NOT_EXPRESS
    batch = [StoredDocument(raw) for raw in found]
    return {"cursor": {"firstBatch": batch, "id": Int64(0), "ns": f"{ctx.db}.{name}"}}


@command("getMore", in_transaction=True)
def get_more(ctx: CommandContext, cmd: dict[str, Any]) -> dict[str, Any]:
    """The next batch of an open cursor."""
    check_fields(cmd, {"collection", "batchSize", "term", "lastKnownCommittedOpTime"})
    cursor_id = cmd["getMore"]
    if not isinstance(cursor_id, int) or isinstance(cursor_id, bool):
        raise MongoError(
            ErrorCode.TypeMismatch, "BSON field 'getMore.getMore' is the wrong type, expected type 'long'"
        )
    name = get_string(cmd, "collection", required=True)
    assert name is not None
    if name != AGGREGATE_CURSOR:  # a collectionless aggregate's cursor (a database change stream)
        validate_collection_name(ctx.db, name)
    batch_size = get_int(cmd, "batchSize")
    if batch_size is not None and batch_size < 0:
        raise MongoError(
            ErrorCode.BadValue, f"Batch size for getMore must be non-negative, but received: {batch_size}"
        )
    ns = f"{ctx.db}.{name}"
    lsid = None if ctx.session is None else ctx.session.id
    cursor = ctx.state.cursors.cursors.get(int(cursor_id))
    if cursor is not None and cursor.collection is not None:
        check_collection_alive(ctx.state.catalog, ctx.state.cursors, cursor)
    if cursor is not None and cursor.source is not None or "maxTimeMS" in cmd:
        return get_more_awaiting(ctx, int(cursor_id), ns, batch_size or None, cmd.get("maxTimeMS"))
    next_id, batch = ctx.state.cursors.get_more(int(cursor_id), ns, batch_size or None, lsid)
    return {"cursor": {"nextBatch": batch, "id": next_id, "ns": ns}}


@command("killCursors", in_transaction=True)
def kill_cursors(ctx: CommandContext, cmd: dict[str, Any]) -> dict[str, Any]:
    """Close cursors by id."""
    check_fields(cmd, {"cursors"})
    if cmd.get("killCursors") != AGGREGATE_CURSOR:
        collection_name(ctx, cmd)
    ids = get_array(cmd, "cursors", required=True) or []
    killed, not_found = ctx.state.cursors.kill([int(i) for i in ids])
    return {"cursorsKilled": killed, "cursorsNotFound": not_found, "cursorsAlive": [], "cursorsUnknown": []}


@command("count")
def count(ctx: CommandContext, cmd: dict[str, Any]) -> dict[str, Any]:
    """Count matching documents (skip/limit applied; a negative limit counts as its absolute value)."""
    check_fields(cmd, {"query", "limit", "skip", "hint", "collation", "fields"})
    name = collection_name(ctx, cmd)
    check_collation(cmd.get("collation"))
    coll = resolve_namespace(ctx.catalog, ctx.db, name)
    check_hint(coll.base if isinstance(coll, ViewChain) else coll, cmd.get("hint"))
    skip = get_int(cmd, "skip") or 0
    if skip < 0:
        raise MongoError(ErrorCode.BadValue, "skip value is negative in count query")
    limit = abs(get_int(cmd, "limit") or 0)
    spec = FindSpec(
        get_doc(cmd, "query") or {},
        skip=skip,
        limit=limit,
        hint=cmd.get("hint"),
        namespace=f"{ctx.db}.{name}",
    )
    if isinstance(coll, ViewChain):
        with using(view_collator(cmd.get("collation"), coll.definition)):
            return {"n": count_view(ctx.catalog, coll, spec)}
    with using(collator_for(cmd.get("collation"), coll)):
        return {"n": count_documents(coll, spec)}


@command("distinct", in_transaction=True)
def distinct(ctx: CommandContext, cmd: dict[str, Any]) -> dict[str, Any]:
    """Distinct values of one field among matching documents."""
    check_fields(cmd, {"key", "query", "collation", "hint"})
    name = collection_name(ctx, cmd)
    check_collation(cmd.get("collation"))
    key = get_string(cmd, "key", required=True)
    assert key is not None
    coll = resolve_namespace(ctx.catalog, ctx.db, name)
    if isinstance(coll, ViewChain):
        check_hint(coll.base, cmd.get("hint"))
        with using(view_collator(cmd.get("collation"), coll.definition)):
            return {"values": distinct_view(ctx.catalog, coll, key, get_doc(cmd, "query") or {})}
    check_hint(coll, cmd.get("hint"))
    with using(collator_for(cmd.get("collation"), coll)):
        return {"values": distinct_values(coll, key, get_doc(cmd, "query") or {}, hint=cmd.get("hint"))}


# -- writes ---------------------------------------------------------------------------------------------


@command("insert", writes=True, in_transaction=True, retryable=True)
def insert(ctx: CommandContext, cmd: dict[str, Any]) -> dict[str, Any]:
    """Insert documents; ``_id`` is generated (first) where missing."""
    check_fields(cmd, {"documents", "ordered", "bypassDocumentValidation"})
    name = collection_name(ctx, cmd)
    refuse_view(ctx.catalog, ctx.db, name)
    docs = _check_batch(cmd, "documents")
    durable = needs_fsync(cmd)
    bypass = get_bool(cmd, "bypassDocumentValidation")
    outcome = insert_documents(ctx.catalog, ctx.db, name, docs, get_bool(cmd, "ordered", True), bypass)
    request_durability(ctx, durable)
    return write_reply(outcome)


_UPDATE_STATEMENT_FIELDS = frozenset(
    {"q", "u", "upsert", "multi", "arrayFilters", "hint", "collation", "c", "upsertSupplied"}
)


def _check_statement(
    raw: dict[str, Any], where: str, allowed: frozenset[str], required: tuple[str, ...]
) -> None:
    """mongod's checks of one write statement (``where``: ``update.updates`` …): an unknown field (40415),
    a missing required one (40414), a ``q`` that is no object."""
    if not allowed.issuperset(raw):
        for key in raw:
            if key not in allowed:
                raise MongoError(40415, f"BSON field '{where}.{key}' is an unknown field.")
    for key in required:
        if key not in raw:
            raise MongoError(40414, f"BSON field '{where}.{key}' is missing but a required field")
    if not isinstance(raw["q"], dict):
        raise MongoError(
            ErrorCode.TypeMismatch, f"BSON field '{where}.q' is the wrong type, expected type 'object'"
        )


def _update_statement(raw: dict[str, Any], variables: dict[str, Any]) -> UpdateStatement:
    _check_statement(raw, "update.updates", _UPDATE_STATEMENT_FIELDS, ("q", "u"))
    if not isinstance(raw["u"], (dict, list)):
        raise MongoError(ErrorCode.FailedToParse, "Update argument must be either an object or an array")
    check_collation(raw.get("collation"))
    filters = raw.get("arrayFilters")
    if filters is not None and not isinstance(filters, list):
        raise MongoError(ErrorCode.TypeMismatch, "BSON field 'update.updates.arrayFilters' is the wrong type")
    return UpdateStatement(
        raw["q"],
        raw["u"],
        bool(raw.get("upsert")),
        bool(raw.get("multi")),
        filters,
        variables,
        raw.get("c"),
        raw.get("hint"),
        collation=raw.get("collation"),
    )


@command("update", writes=True, in_transaction=True, retryable=True)
def update(ctx: CommandContext, cmd: dict[str, Any]) -> dict[str, Any]:
    """Apply update statements: operator, replacement or pipeline updates, with upsert and multi."""
    check_fields(cmd, {"updates", "ordered", "bypassDocumentValidation", "let"})
    name = collection_name(ctx, cmd)
    refuse_view(ctx.catalog, ctx.db, name)
    variables = _let_values(cmd)
    raws = _check_batch(cmd, "updates")  # a statement's bad hint is its own write error, as in mongod
    statements = [_update_statement(raw, variables) for raw in raws]
    if get_bool(cmd, "bypassDocumentValidation"):
        for statement in statements:
            statement.bypass_validation = True
    durable = needs_fsync(cmd)
    outcome = update_documents(ctx.catalog, ctx.db, name, statements, get_bool(cmd, "ordered", True))
    request_durability(ctx, durable)
    return write_reply(outcome, with_modified=True)


_DELETE_STATEMENT_FIELDS = frozenset({"q", "limit", "collation", "hint"})


def _delete_statement(raw: dict[str, Any]) -> tuple[dict[str, Any], int, Any, Any]:
    _check_statement(raw, "delete.deletes", _DELETE_STATEMENT_FIELDS, ("q", "limit"))
    check_collation(raw.get("collation"))
    limit = raw["limit"]
    if isinstance(limit, bool) or limit not in (0, 1):
        raise MongoError(
            ErrorCode.FailedToParse, f"The limit field in delete objects must be 0 or 1. Got {limit}"
        )
    return raw["q"], int(limit), raw.get("hint"), raw.get("collation")


@command("delete", writes=True, in_transaction=True, retryable=True)
def delete(ctx: CommandContext, cmd: dict[str, Any]) -> dict[str, Any]:
    """Delete the first (limit 1) or all (limit 0) matching documents per statement.

    ``bypassDocumentValidation`` is accepted (a safeBool, as every write command's IDL has it) and has
    nothing to bypass: a delete writes no document a validator could check."""
    check_fields(cmd, {"deletes", "ordered", "let", "bypassDocumentValidation"})
    get_bool(cmd, "bypassDocumentValidation")
    name = collection_name(ctx, cmd)
    refuse_view(ctx.catalog, ctx.db, name)
    variables = _let_values(cmd)
    raws = _check_batch(cmd, "deletes")  # a statement's bad hint is its own write error, as in mongod
    statements = [_delete_statement(raw) for raw in raws]
    durable = needs_fsync(cmd)
    ordered = get_bool(cmd, "ordered", True)
    outcome = delete_documents(ctx.catalog, ctx.db, name, statements, ordered, variables)
    request_durability(ctx, durable)
    return write_reply(outcome)


_FAM_FIELDS = {
    "query",
    "sort",
    "remove",
    "update",
    "new",
    "fields",
    "upsert",
    "bypassDocumentValidation",
    "arrayFilters",
    "hint",
    "collation",
    "let",
}


@command("findAndModify", "findandmodify", writes=True, in_transaction=True, retryable=True)
def find_and_modify_cmd(ctx: CommandContext, cmd: dict[str, Any]) -> dict[str, Any]:
    """Update or remove one document and return it (before or after the change)."""
    check_fields(cmd, _FAM_FIELDS)
    name = collection_name(ctx, cmd)
    refuse_view(ctx.catalog, ctx.db, name)
    check_collation(cmd.get("collation"))
    remove = get_bool(cmd, "remove")
    new = get_bool(cmd, "new")
    upsert = get_bool(cmd, "upsert")
    update_spec = cmd.get("update")
    if remove:
        if update_spec is not None:
            raise MongoError(ErrorCode.FailedToParse, "Cannot specify both an update and remove=true")
        if upsert:
            raise MongoError(ErrorCode.FailedToParse, "Cannot specify both upsert=true and remove=true ")
        if new:
            raise MongoError(
                ErrorCode.FailedToParse,
                "Cannot specify both new=true and remove=true; 'remove' always returns the deleted document",
            )
    elif update_spec is None:
        raise MongoError(ErrorCode.FailedToParse, "Either an update or remove=true must be specified")
    elif not isinstance(update_spec, (dict, list)):
        raise MongoError(ErrorCode.FailedToParse, "Update argument must be either an object or an array")
    filters = get_array(cmd, "arrayFilters")
    if isinstance(update_spec, list) and filters is not None:
        raise MongoError(ErrorCode.FailedToParse, "Cannot specify arrayFilters and a pipeline update")
    coll = ctx.catalog.collection(ctx.db, name)
    check_hint(coll, cmd.get("hint"))
    durable = needs_fsync(cmd)
    spec = FindAndModifySpec(
        query=get_doc(cmd, "query") or {},
        sort=get_doc(cmd, "sort"),
        remove=remove,
        update=update_spec,
        new=new,
        fields=get_doc(cmd, "fields"),
        upsert=upsert,
        array_filters=filters,
        hint=cmd.get("hint"),
        variables=_let_values(cmd),
        bypass_validation=get_bool(cmd, "bypassDocumentValidation"),
    )
    with using(collator_for(cmd.get("collation"), coll)):
        reply = find_and_modify(ctx.catalog, ctx.db, name, spec)
    request_durability(ctx, durable)
    return reply
