"""The point-write lane: a driver's plain ``update`` of one document by ``_id`` and its ``insert``, run from
dispatch to the engine without the generic steps that provably find nothing to do for them.

What qualifies (``lane_reply`` decides before anything changes, else the command takes the general
path as before):

- the server: no fail point set, no replica set (its clock and retryable writes are not in the lane),
  ``requireApiVersion`` off, no open transaction holding a document (``catalog.intents`` empty);
- the command: only the fields PyMongo sends for ``update_one``/``insert_one`` on a standalone with the
  default write concern (``update``/``insert``, ``updates``/``documents``, ``ordered`` as a bool,
  ``lsid`` as drivers send it, ``$db`` as a string); so no ``writeConcern`` (no fsync to wait for), no
  ``txnNumber``/``autocommit``/``startTransaction``/``readConcern`` (no session step beyond touching the
  session), no ``let``/``bypassDocumentValidation``/``comment``/``maxTimeMS``/API parameters;
- the target: an existing collection that ``writes.plain_collection`` takes (no index, validator, cap,
  time series or collation), so no view and no implicit creation;
- an update: one statement ``{q: {_id: <int, string or ObjectId>}, u: <top-level $set/$inc/... of
  scalars>}`` with ``multi``/``upsert`` absent or false; an insert: one document (a batch's cost is per
  document, in the engine: it takes the general path).

What it skips, and why that is safe for such a command: the registry lookup's error, the generic-field
type checks (each field present was checked above: ``$db`` a string, a driver's ``lsid``), the replica-set
clock, API-version and admin-only checks, fail points (none set), the transaction step (no transaction
field: it would only touch the session, which the lane does), the handler's option parsing (every
option it reads is absent or checked above) and ``writeConcern`` (absent). What it keeps, in the general
path's order: ``command_counts`` and ``opcounters``, ``authorize`` with ``--auth``, the session touch,
then the engine; dispatch still times it (``answer_command``), profiles it and counts it in the metrics
(``account_command``).
When the engine's plain step declines (a duplicate ``_id``, ``$inc`` of a string, a document too large …)
nothing has changed and the lane calls the command's own handler, which answers exactly as the general
path does, write errors included. ``DOCDB_WRITE_LANE=0`` in the environment turns the lane off (tests
compare both paths).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from docdb.bson_codec import encode_document
from docdb.engine.update import compile_simple_update
from docdb.engine.writes import POINT_ID_TYPES, insert_one_plain, plain_collection, update_plain_by_id
from docdb.server.auth.authorize import authorize
from docdb.server.context import CommandContext
from docdb.server.generic_fields import is_driver_lsid
from docdb.server.registry import REGISTRY

ENABLED = os.environ.get("DOCDB_WRITE_LANE", "1") != "0"


class CannedReply(dict):
    """A reply the lane gives unchanged to every command it ends alike, with its BSON made once: the
    connection sends ``encoded`` instead of encoding it again. Shared, so it refuses changes."""

    __slots__ = ("encoded",)

    def __init__(self, fields: dict[str, Any]) -> None:
        super().__init__(fields)
        self.encoded = encode_document(fields)

    def __setitem__(self, key: str, value: Any) -> None:
        raise TypeError("a canned reply is shared by many commands and cannot change")


UPDATED_ONE = CannedReply({"n": 1, "nModified": 1, "ok": 1.0})
INSERTED_ONE = CannedReply({"n": 1, "ok": 1.0})
# an update's reply by its (matched, modified)
_UPDATE_REPLIES = {
    (1, 1): UPDATED_ONE,
    (1, 0): CannedReply({"n": 1, "nModified": 0, "ok": 1.0}),
    (0, 0): CannedReply({"n": 0, "nModified": 0, "ok": 1.0}),
}

_UPDATE_FIELDS = frozenset({"update", "updates", "ordered", "lsid", "$db"})
_INSERT_FIELDS = frozenset({"insert", "documents", "ordered", "lsid", "$db"})
_STATEMENT_FIELDS = frozenset({"q", "u", "multi", "upsert"})


def lane_reply(
    ctx: CommandContext,
    body: dict[str, Any],
    name: str,
    otherwise: Callable[[CommandContext, dict[str, Any]], dict[str, Any]],
) -> dict[str, Any]:
    """The reply to ``body`` (an ``update`` or ``insert``) by the lane, or by ``otherwise`` (dispatch's
    general path) when it does not qualify, with nothing done or counted by the lane. Errors raised once
    it runs (Unauthorized, a storage failure) are the caller's to turn into replies, as for any command."""
    lane = _LANES.get(name)
    state = ctx.state
    if (  # the server-wide conditions: a few attribute reads per write command
        lane is None
        or not ENABLED
        or state.fail_points
        or state.replica_set is not None
        or state.parameters.require_api_version
        or state.catalog.intents
    ):
        return otherwise(ctx, body)
    reply = lane(ctx, body)
    return otherwise(ctx, body) if reply is None else reply


def _common(ctx: CommandContext, body: dict[str, Any], fields: frozenset[str], name: str) -> Any:
    """The target collection when ``body``'s generic fields and target qualify, else None."""
    if not fields.issuperset(body):
        return None
    if body.get("ordered", True).__class__ is not bool:
        return None
    if "$db" in body and body["$db"].__class__ is not str:
        return None
    lsid = body.get("lsid")
    if lsid is not None and not is_driver_lsid(lsid):
        return None
    target = body[name]
    if target.__class__ is not str:
        return None
    # (no name check: an existing collection's name passed validate_collection_name when it was made)
    colls = ctx.state.catalog.databases.get(ctx.db)
    coll = None if colls is None else colls.get(target)
    if coll is None or not plain_collection(ctx.state.catalog, coll):
        return None
    return coll


def _begin(ctx: CommandContext, body: dict[str, Any], name: str) -> Any:
    """The general path's steps before the handler, for a command the lane took: counters, authorization,
    the session. Returns the command's spec."""
    state = ctx.state
    spec = REGISTRY[name]
    counts = state.command_counts
    counts[name] = counts.get(name, 0) + 1
    state.opcounters[name] += 1  # (dispatch's _OPCOUNTER: insert and update count as themselves)
    if state.config.auth:
        authorize(ctx, spec, body)
    lsid = body.get("lsid")
    if lsid is not None:
        ctx.session = state.sessions.touch(bytes(lsid["id"]))  # session_id's, for a driver's lsid
    return spec


def _update(ctx: CommandContext, body: dict[str, Any]) -> dict[str, Any] | None:
    coll = _common(ctx, body, _UPDATE_FIELDS, "update")
    if coll is None:
        return None
    updates = body.get("updates")
    if updates.__class__ is not list or len(updates) != 1:
        return None
    statement = updates[0]
    if statement.__class__ is not dict or not _STATEMENT_FIELDS.issuperset(statement):
        return None
    if statement.get("multi", False) is not False or statement.get("upsert", False) is not False:
        return None
    query, spec = statement.get("q"), statement.get("u")
    if query.__class__ is not dict or len(query) != 1 or spec.__class__ is not dict:
        return None
    id_value = query.get("_id")
    if id_value.__class__ not in POINT_ID_TYPES:
        return None
    try:
        compiled = compile_simple_update(spec)  # remembered by shape; outside any operation: simple collation
    except Exception:  # the general path compiles it again and answers (nothing is counted yet)
        return None
    if not compiled.top_level:
        return None
    command = _begin(ctx, body, "update")
    done = update_plain_by_id(ctx.state.catalog, coll, id_value, compiled)
    if done is not None:
        return _UPDATE_REPLIES[done]
    reply = command.handler(ctx, body)  # a step failed: the handler answers, write error included
    reply["ok"] = 1.0
    return reply


def _insert(ctx: CommandContext, body: dict[str, Any]) -> dict[str, Any] | None:
    """A single document (insert_one): a batch's cost per document is the engine's (``_insert_plain``),
    so batches take the general path."""
    docs = body.get("documents")
    if docs.__class__ is not list or len(docs) != 1 or docs[0].__class__ is not dict:
        return None
    coll = _common(ctx, body, _INSERT_FIELDS, "insert")
    if coll is None:
        return None
    command = _begin(ctx, body, "insert")
    if insert_one_plain(ctx.state.catalog, coll, docs[0]):
        return INSERTED_ONE
    reply = command.handler(ctx, body)  # a duplicate _id, an _id not first, a document too large …
    reply["ok"] = 1.0
    return reply


_LANES: dict[str, Callable[[CommandContext, dict[str, Any]], dict[str, Any] | None]] = {
    "insert": _insert,
    "update": _update,
}
LANE_COMMANDS = frozenset(_LANES)
