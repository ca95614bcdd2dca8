"""$currentOp: the server's operations in progress as documents, with mongod's option checks.

The operations are the server's (``server/current_op.py``); the pipeline reads them through the optional
``PipelineContext.current_ops`` callable, given the options. A pipeline run without one (the engine
alone) has no operations to list and refuses the stage, as a process without a service context would.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from docdb.engine.aggregation.pipeline import StageContext, StageFn, register_stage
from docdb.engine.bson_types import bson_type_alias
from docdb.engine.expressions.core import Variables
from docdb.errors import ErrorCode, MongoError

# Option -> its default, in mongod's order; every option is a boolean.
_OPTIONS = {
    "idleConnections": False,
    "idleSessions": True,
    "allUsers": False,
    "localOps": False,
    "truncateOps": False,
    "idleCursors": False,
    "backtrace": False,
}


def _options(spec: Any) -> dict[str, bool]:
    """The options of ``spec``; the type checks mongod makes first (while parsing the request) raise
    TypeMismatch, the rest FailedToParse."""
    if not isinstance(spec, dict):
        raise MongoError(
            ErrorCode.TypeMismatch,
            f"$currentOp options must be specified in an object, but found: {bson_type_alias(spec)}",
        )
    for name in ("allUsers", "localOps"):
        if name in spec and not isinstance(spec[name], bool):
            raise MongoError(
                ErrorCode.TypeMismatch,
                f"The '{name}' parameter of the $currentOp stage must be a boolean value, but found: "
                f"{bson_type_alias(spec[name])}",
            )
    return dict(_OPTIONS)


@register_stage("$currentOp")
def _current_op(spec: Any, sctx: StageContext) -> StageFn:
    options = _options(spec)
    if (sctx.ctx.db, sctx.is_collectionless) != ("admin", True):
        raise MongoError(
            ErrorCode.InvalidNamespace,
            "$currentOp must be run against the 'admin' database with {aggregate: 1}",
        )
    for name, value in spec.items():
        if name not in _OPTIONS:
            raise MongoError(ErrorCode.FailedToParse, f"Unrecognized option '{name}' in $currentOp stage.")
        if not isinstance(value, bool):
            raise MongoError(
                ErrorCode.FailedToParse,
                f"The '{name}' parameter of the $currentOp stage must be a boolean value, but found: "
                f"{bson_type_alias(value)}",
            )
        options[name] = value
    if sctx.in_facet:
        raise MongoError(40600, "$currentOp is not allowed to be used within a $facet stage")
    if sctx.in_lookup:
        raise MongoError(51047, "$currentOp is not allowed within a $lookup's sub-pipeline")
    if not sctx.is_first:
        raise MongoError(40602, "$currentOp is only valid as the first stage in a pipeline")
    source = getattr(sctx.ctx, "current_ops", None)
    if source is None:
        raise MongoError(ErrorCode.NotImplemented, "$currentOp needs a server's operations to list")

    def run(docs: Iterable[dict], v: Variables) -> Iterator[dict]:
        yield from source(options)

    return run
