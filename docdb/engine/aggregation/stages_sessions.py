"""$listLocalSessions and $listSessions: the server's logical session records as documents.

The records are the server's (``server/sessions.py``); the pipeline reads them through the optional
``PipelineContext.sessions`` callable, given the ``(user, db)`` pairs wanted (None: every user). A
pipeline run without one (the engine alone) answers as mongod without a session cache does.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from docdb.engine.aggregation.pipeline import StageContext, StageFn, register_stage
from docdb.engine.bson_types import bson_type_alias
from docdb.engine.expressions.core import Variables
from docdb.errors import ErrorCode, MongoError


def _wanted_users(stage: str, spec: Any) -> list[tuple[str, str]] | None:
    """The ``(user, db)`` pairs whose sessions ``spec`` asks for (None: all users; ``("", "")``: no
    authenticated user)."""
    if not isinstance(spec, dict):
        raise MongoError(
            ErrorCode.TypeMismatch,
            f"{stage} options must be specified in an object, but found: {bson_type_alias(spec)}",
        )
    for key in spec:
        if key not in ("allUsers", "users"):
            raise MongoError(40415, f"BSON field '{stage}.{key}' is an unknown field.")
    all_users = spec.get("allUsers", False)
    if not isinstance(all_users, bool):
        raise MongoError(ErrorCode.TypeMismatch, f"BSON field '{stage}.allUsers' is the wrong type")
    users = spec.get("users")
    if users is not None and not isinstance(users, list):
        raise MongoError(ErrorCode.TypeMismatch, f"BSON field '{stage}.users' is the wrong type")
    if all_users and users:
        raise MongoError(
            ErrorCode.UnsupportedFormat,
            f"{stage} may not specify {{allUsers:true}} and {{users:[...]}} at the same time",
        )
    if all_users:
        return None
    if not users:
        return [("", "")]  # the caller's own sessions: no authenticated user
    wanted = []
    for user in users:
        if (
            not isinstance(user, dict)
            or not isinstance(user.get("user"), str)
            or not isinstance(user.get("db"), str)
        ):
            raise MongoError(40414, f"BSON field '{stage}.users.user' is missing but a required field")
        wanted.append((user["user"], user["db"]))
    return wanted


def _session_source(stage: str, spec: Any, sctx: StageContext) -> StageFn:
    if sctx.in_facet:
        raise MongoError(40600, f"{stage} is not allowed to be used within a $facet stage")
    if sctx.in_lookup:
        raise MongoError(51047, f"{stage} is not allowed within a $lookup's sub-pipeline")
    if not sctx.is_first:
        raise MongoError(40602, f"{stage} is only valid as the first stage in a pipeline")
    wanted = _wanted_users(stage, spec)
    records = getattr(sctx.ctx, "sessions", None)
    if records is None:
        raise MongoError(
            31111, f"The {stage} stage is not allowed in this context :: missing a LogicalSessionCache"
        )

    def run(docs: Iterable[dict], v: Variables) -> Iterator[dict]:
        yield from records(wanted)

    return run


@register_stage("$listLocalSessions")
def _list_local_sessions(spec: Any, sctx: StageContext) -> StageFn:
    if not sctx.is_collectionless:
        raise MongoError(
            ErrorCode.InvalidNamespace,
            "$listLocalSessions must be run against the database with {aggregate: 1}, not a collection",
        )
    return _session_source("$listLocalSessions", spec, sctx)


@register_stage("$listSessions")
def _list_sessions(spec: Any, sctx: StageContext) -> StageFn:
    if (sctx.ctx.db, sctx.ctx.collection) != ("config", "system.sessions"):
        raise MongoError(
            ErrorCode.InvalidNamespace,
            "$listSessions must be run against the 'system.sessions' collection in the 'config' database.",
        )
    return _session_source("$listSessions", spec, sctx)
