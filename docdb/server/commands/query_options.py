"""Options shared by read and write commands: ``collation`` and ``hint``."""

from __future__ import annotations

from typing import Any

from docdb.engine.collection import Collection
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
    """Accept hints naming the ``_id`` index or ``$natural``; others name an index that does not exist."""
    if hint is None or hint == {} or hint == "":
        return
    if hint in ("_id_",) or hint == {"_id": 1} or (isinstance(hint, dict) and list(hint) == ["$natural"]):
        return
    if coll is None:
        return
    raise MongoError(ErrorCode.BadValue, "hint provided does not correspond to an existing index")
