"""explain: ``{explain: {find|aggregate|count|distinct|update|delete|findAndModify …}, verbosity}``.

The inner command's fields are checked here as its own handler would, then the engine describes (and for
the statistics verbosities, runs without writing) the plan the command would use.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any

from docdb import MONGODB_VERSION, __version__
from docdb.engine.collation import using
from docdb.engine.explain import (
    VERBOSITIES,
    explain_aggregate,
    explain_count,
    explain_distinct,
    explain_find,
    explain_write,
)
from docdb.engine.namespaces import validate_collection_name
from docdb.engine.reads import FindSpec, validate_filter
from docdb.engine.views import view_definition
from docdb.engine.writes import UpdateStatement, would_update
from docdb.errors import ErrorCode, MongoError
from docdb.server.commands.query_options import check_collation, collator_for
from docdb.server.context import CommandContext
from docdb.server.params import GENERIC_FIELDS, check_fields, get_doc, get_int, get_string, non_negative
from docdb.server.registry import command

SERVER_PARAMETERS = {
    "internalQueryFacetBufferSizeBytes": 104857600,
    "internalQueryFacetMaxOutputDocSizeBytes": 104857600,
    "internalLookupStageIntermediateDocumentMaxSizeBytes": 104857600,
    "internalDocumentSourceGroupMaxMemoryBytes": 104857600,
    "internalQueryMaxBlockingSortMemoryUsageBytes": 104857600,
    "internalQueryProhibitBlockingMergeOnMongoS": 0,
    "internalQueryMaxAddToSetBytes": 104857600,
    "internalDocumentSourceSetWindowFieldsMaxMemoryBytes": 104857600,
    "internalQueryFrameworkControl": "trySbeRestricted",
}


def server_info(ctx: CommandContext) -> dict[str, Any]:
    port = int(ctx.connection.local.rsplit(":", 1)[-1]) if ":" in ctx.connection.local else 27017
    return {
        "host": socket.gethostname(),
        "port": port,
        "version": MONGODB_VERSION,
        "gitVersion": f"docdb-{__version__}",
    }


def _find(ctx: CommandContext, name: str, cmd: dict[str, Any], verbosity: str) -> dict[str, Any]:
    check_collation(cmd.get("collation"))
    spec = FindSpec(
        filter=get_doc(cmd, "filter") or {},
        projection=get_doc(cmd, "projection"),
        sort=get_doc(cmd, "sort"),
        skip=non_negative("skip", get_int(cmd, "skip")),
        limit=abs(get_int(cmd, "limit") or 0),
        hint=cmd.get("hint"),
    )
    return explain_find(ctx.catalog.collection(ctx.db, name), f"{ctx.db}.{name}", spec, verbosity)


def _count(ctx: CommandContext, name: str, cmd: dict[str, Any], verbosity: str) -> dict[str, Any]:
    check_collation(cmd.get("collation"))
    spec = FindSpec(
        get_doc(cmd, "query") or {},
        skip=non_negative("skip", get_int(cmd, "skip")),
        limit=abs(get_int(cmd, "limit") or 0),
        hint=cmd.get("hint"),
    )
    return explain_count(ctx.catalog.collection(ctx.db, name), f"{ctx.db}.{name}", spec, verbosity)


def _distinct(ctx: CommandContext, name: str, cmd: dict[str, Any], verbosity: str) -> dict[str, Any]:
    check_collation(cmd.get("collation"))
    key = get_string(cmd, "key", required=True)
    assert key is not None
    coll = ctx.catalog.collection(ctx.db, name)
    query = get_doc(cmd, "query") or {}
    return explain_distinct(coll, f"{ctx.db}.{name}", key, query, verbosity, cmd.get("hint"))


def _statement(cmd: dict[str, Any], field: str) -> dict[str, Any]:
    items = cmd.get(field)
    if not isinstance(items, list) or len(items) != 1 or not isinstance(items[0], dict):
        raise MongoError(
            ErrorCode.InvalidLength,
            f"explained {next(iter(cmd))} must have exactly one statement in '{field}'",
        )
    return items[0]


def _update(ctx: CommandContext, name: str, cmd: dict[str, Any], verbosity: str) -> dict[str, Any]:
    raw = _statement(cmd, "updates")
    st = UpdateStatement(
        raw.get("q") or {},
        raw.get("u") or {},
        bool(raw.get("upsert")),
        bool(raw.get("multi")),
        raw.get("arrayFilters"),
    )
    spec = FindSpec(st.q, limit=0 if st.multi else 1, hint=raw.get("hint"))
    coll = ctx.catalog.collection(ctx.db, name)
    return explain_write(
        coll, f"{ctx.db}.{name}", "UPDATE", spec, verbosity, lambda rows: would_update(st, rows)
    )


def _delete(ctx: CommandContext, name: str, cmd: dict[str, Any], verbosity: str) -> dict[str, Any]:
    raw = _statement(cmd, "deletes")
    limit = raw.get("limit", 0)
    spec = FindSpec(raw.get("q") or {}, limit=1 if limit == 1 else 0, hint=raw.get("hint"))
    validate_filter(spec.filter)
    coll = ctx.catalog.collection(ctx.db, name)
    return explain_write(
        coll, f"{ctx.db}.{name}", "DELETE", spec, verbosity, lambda rows: {"nWouldDelete": len(rows)}
    )


def _find_and_modify(ctx: CommandContext, name: str, cmd: dict[str, Any], verbosity: str) -> dict[str, Any]:
    query = get_doc(cmd, "query") or {}
    spec = FindSpec(query, sort=get_doc(cmd, "sort"), limit=1, hint=cmd.get("hint"))
    coll = ctx.catalog.collection(ctx.db, name)
    ns = f"{ctx.db}.{name}"
    if cmd.get("remove"):
        return explain_write(coll, ns, "DELETE", spec, verbosity, lambda rows: {"nWouldDelete": len(rows)})
    st = UpdateStatement(
        query, cmd.get("update") or {}, bool(cmd.get("upsert")), False, cmd.get("arrayFilters")
    )
    return explain_write(coll, ns, "UPDATE", spec, verbosity, lambda rows: would_update(st, rows))


def _aggregate(ctx: CommandContext, name: str, cmd: dict[str, Any], verbosity: str) -> dict[str, Any]:
    check_collation(cmd.get("collation"))
    pipeline = cmd.get("pipeline")
    if not isinstance(pipeline, list):
        raise MongoError(
            ErrorCode.TypeMismatch, "BSON field 'aggregate.pipeline' is the wrong type, expected type 'array'"
        )
    return explain_aggregate(ctx.catalog.collection(ctx.db, name), f"{ctx.db}.{name}", pipeline, verbosity)


# The commands explain can describe.  # sorted alphabetically
EXPLAINABLE: dict[str, Callable[[CommandContext, str, dict[str, Any], str], dict[str, Any]]] = {
    "aggregate": _aggregate,
    "count": _count,
    "delete": _delete,
    "distinct": _distinct,
    "find": _find,
    "findAndModify": _find_and_modify,
    "findandmodify": _find_and_modify,
    "update": _update,
}


def _collation_of(inner: dict[str, Any]) -> Any:
    """The explained command's ``collation`` (an update's or delete's is in its one statement)."""
    for field in ("updates", "deletes"):
        items = inner.get(field)
        if isinstance(items, list) and len(items) == 1 and isinstance(items[0], dict):
            return items[0].get("collation")
    return inner.get("collation")


def explain_reply(ctx: CommandContext, inner: dict[str, Any], verbosity: str) -> dict[str, Any]:
    """The whole explain reply for the inner command ``inner`` (also used by ``aggregate`` with
    ``explain: true``)."""
    command_name = next(iter(inner))
    handler = EXPLAINABLE.get(command_name)
    if handler is None:
        raise MongoError(ErrorCode.CommandNotFound, f"Explain failed due to unknown command: {command_name}")
    target = inner[command_name]
    if not isinstance(target, str):
        raise MongoError(ErrorCode.InvalidNamespace, f"Failed to parse namespace element: {command_name}")
    name = validate_collection_name(ctx.db, target)
    if (
        ctx.catalog.collection(ctx.db, name) is None
        and view_definition(ctx.catalog, ctx.db, name) is not None
    ):
        raise MongoError(ErrorCode.NotImplemented, "explain of a command on a view is not supported by docdb")
    with using(collator_for(_collation_of(inner), ctx.catalog.collection(ctx.db, name))):
        body = handler(ctx, name, inner, verbosity)
    if "explainVersion" not in body:
        body = {"explainVersion": "1", **body}
    body["command"] = {k: v for k, v in inner.items() if k not in GENERIC_FIELDS} | {"$db": ctx.db}
    body["serverInfo"] = server_info(ctx)
    body["serverParameters"] = dict(SERVER_PARAMETERS)
    return body


@command("explain")
def explain(ctx: CommandContext, cmd: dict[str, Any]) -> dict[str, Any]:
    """Describe how a command would run: ``queryPlanner``, ``executionStats`` or ``allPlansExecution``."""
    check_fields(cmd, {"verbosity"})
    inner = cmd["explain"]
    if not isinstance(inner, dict) or not inner:
        raise MongoError(ErrorCode.FailedToParse, "explain command requires a nested object")
    verbosity = cmd.get("verbosity", "allPlansExecution")
    if verbosity not in VERBOSITIES:
        raise MongoError(
            ErrorCode.BadValue, f"Enumeration value '{verbosity}' for field 'verbosity' is not a valid value."
        )
    return explain_reply(ctx, inner, verbosity)
