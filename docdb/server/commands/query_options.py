"""Options shared by read and write commands: ``collation`` and ``hint``."""

from __future__ import annotations

from typing import Any

from docdb.engine.collation import SIMPLE, Collator, cached_collation, operation_collator
from docdb.engine.collection import Collection
from docdb.engine.planner import validate_hint
from docdb.errors import ErrorCode, MongoError


def check_collation(collation: Any) -> None:
    """Raise as mongod does for a bad ``collation`` option (BadValue 2 for an unknown locale, …)."""
    if collation is not None:
        cached_collation(collation)


def collator_for(collation: Any, coll: Any) -> Collator:
    """The collator an operation on ``coll`` runs under: its ``collation``, else the collection's."""
    return operation_collator(collation, coll)


def view_collator(collation: Any, definition: dict[str, Any]) -> Collator:
    """The collator of an operation on a view: the view's own (simple when it has none); an operation
    asking for another gets mongod's OptionNotSupportedOnView 167."""
    own = cached_collation(definition["collation"]) if "collation" in definition else SIMPLE
    if collation is not None and not cached_collation(collation).same_as(own):
        raise MongoError(ErrorCode.OptionNotSupportedOnView, "Cannot override a view's default collation")
    return own


def check_hint(coll: Collection | None, hint: Any) -> None:
    """BadValue 2 when ``hint`` (an index name or key pattern) names no index of ``coll``; ``$natural`` is
    always accepted, and a missing collection accepts any hint (it has nothing to scan), as in mongod."""
    validate_hint(coll, hint)
