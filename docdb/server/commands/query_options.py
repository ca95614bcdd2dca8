"""Options shared by read and write commands: ``collation`` and ``hint``."""

from __future__ import annotations

from typing import Any

from docdb.engine.collection import Collection
from docdb.engine.planner import validate_hint
from docdb.errors import ErrorCode, MongoError


def check_collation(collation: Any) -> None:
    """Only the simple (binary) collation exists here; any other is refused, never silently ignored."""
    if collation is None:
        return
    if not isinstance(collation, dict):
        raise MongoError(ErrorCode.TypeMismatch, "collation must be an object")
    if collation.get("locale") != "simple" or len(collation) > 1:
        raise MongoError(
            ErrorCode.NotImplemented, "collation other than {locale: 'simple'} is not supported by docdb"
        )


def check_hint(coll: Collection | None, hint: Any) -> None:
    """BadValue 2 when ``hint`` (an index name or key pattern) names no index of ``coll``; ``$natural`` is
    always accepted, and a missing collection accepts any hint (it has nothing to scan), as in mongod."""
    validate_hint(coll, hint)
