"""The filter matcher's public API: ``compile_filter`` and ``filter_equality_fields``.

The implementation lives in ``docdb.engine.query`` (split by operator family); this module is the
stable entry point the collection code calls.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from typing import Any

from bson.decimal128 import Decimal128
from bson.int64 import Int64
from bson.objectid import ObjectId
from bson.regex import Regex

from docdb.engine.collation import Collator, using
from docdb.engine.query.compile import (
    FilterScope,
    Leaf,
    compile_document,
    is_expression_document,
    path_predicate,
)
from docdb.engine.query.leaf import eq_test

__all__ = ["compile_filter", "compile_filter_scoped", "equality_pairs", "filter_equality_fields"]


def match_all(doc: dict) -> bool:
    """The predicate of an empty filter: one object, so a plan can tell it needs no document at all."""
    return True


def compile_filter(
    spec: dict | None, *, variables: dict[str, Any] | None = None, collator: Collator | None = None
) -> Callable[[dict], bool]:
    """Compile a MongoDB filter once; the returned predicate never raises (``$expr`` evaluation errors
    such as ``$divide`` by zero excepted, as in mongod).

    ``variables``: the command's evaluated ``let`` values (see ``query.let.evaluate_let``), which ``$expr``
    reads as ``$$name``; using any other user variable fails here with 17276. Raises MongoError
    (BadValue, FailedToParse, NotImplemented, …) for a filter mongod would reject.

    >>> match = compile_filter({"a": 5, "b": {"$gt": 3}})
    >>> match({"a": [1, 5], "b": 4.5}), match({"a": 5, "b": "9"})
    (True, False)
    >>> compile_filter({"$expr": {"$gt": ["$a", "$$low"]}}, variables={"low": 2})({"a": 3})
    True

    ``collator``: how strings compare (default: the operation's, ``collation.active()``).
    """
    if collator is not None:
        with using(collator):
            return compile_filter(spec, variables=variables)
    if spec is None or (spec.__class__ is dict and not spec):
        return match_all
    if not variables:
        if spec.__class__ is dict and len(spec) == 1:
            fast = _plain_equality(spec)
            if fast is not None:
                return fast
        return compile_document(spec, top=True)
    from docdb.engine.expressions import Variables

    scope = FilterScope(frozenset(variables), Variables(None, dict(variables)))
    return compile_document(spec, top=True, scope=scope)


# Values whose equality test is a plain comparison: never an operator document, regex, array or DBRef.
_PLAIN_VALUE_TYPES = frozenset(
    {str, int, float, bool, type(None), Int64, Decimal128, ObjectId, datetime.datetime}
)


def _plain_equality(spec: dict) -> Callable[[dict], bool] | None:
    """The predicate of a one-field ``{path: plain value}`` filter, built directly: what
    ``compile_document`` builds for it (one equality leaf on the path), without its general parse.

    >>> _plain_equality({"a.b": 1})({"a": [{"b": 1.0}]}), _plain_equality({"a": {"$gt": 1}})
    (True, None)
    """
    ((name, value),) = spec.items()
    if value.__class__ not in _PLAIN_VALUE_TYPES or name.startswith("$"):
        return None
    return path_predicate(name, Leaf(eq_test(value)))


def compile_filter_scoped(spec: dict, names: frozenset[str]) -> Callable[[dict, Any], bool]:
    """Compile a filter whose variables change per run, e.g. ``$match`` in a ``$lookup`` pipeline.

    ``names`` are the user variables in scope at compile time; the result is ``match(doc, variables)``
    with ``variables`` an ``expressions.Variables`` holding their current values.

    >>> from docdb.engine.expressions import Variables
    >>> match = compile_filter_scoped({"$or": [{"$expr": {"$eq": ["$a", "$$x"]}}]}, frozenset({"x"}))
    >>> match({"a": 1}, Variables(None, {"x": 1})), match({"a": 1}, Variables(None, {"x": 2}))
    (True, False)
    """
    scope = FilterScope(names)
    predicate = compile_document(spec, top=True, scope=scope)

    def match(doc: dict, variables: Any) -> bool:
        scope.variables = variables
        return predicate(doc)

    return match


def filter_equality_fields(spec: dict) -> dict[str, Any]:
    """The equality constraints at the top of a filter (through $and, one-branch $or, $eq, one-item $in).

    Used to seed upserts and to find the ``_id`` fast path. Regexes and other operators are skipped.

    >>> filter_equality_fields({"a": 1, "b.c": {"$eq": 2}, "$and": [{"d": 3}], "e": {"$gt": 1}})
    {'a': 1, 'b.c': 2, 'd': 3}
    """
    fields: dict[str, Any] = {}
    for path, value in equality_pairs(spec):
        fields.setdefault(path, value)
    return fields


def equality_pairs(spec: dict) -> list[tuple[str, Any]]:
    """Like ``filter_equality_fields`` but keeps repeats (``{a: 1, $and: [{a: 1}]}`` names ``a`` twice)."""
    fields: list[tuple[str, Any]] = []
    _collect(spec, fields)
    return fields


def _collect(spec: dict, fields: list[tuple[str, Any]]) -> None:
    for name, value in spec.items():
        if name == "$and" and isinstance(value, list):
            for item in value:
                if isinstance(item, dict):
                    _collect(item, fields)
        elif name == "$or" and isinstance(value, list) and len(value) == 1 and isinstance(value[0], dict):
            _collect(value[0], fields)
        elif name.startswith("$"):
            continue
        elif is_expression_document(value, False):
            _collect_operators(name, value, fields)
        elif not isinstance(value, (Regex, re.Pattern)):
            fields.append((name, value))


def _collect_operators(name: str, ops: dict, fields: list[tuple[str, Any]]) -> None:
    if "$eq" in ops and not isinstance(ops["$eq"], (Regex, re.Pattern)):
        fields.append((name, ops["$eq"]))
    elif "$in" in ops and isinstance(ops["$in"], list) and len(ops["$in"]) == 1:
        only = ops["$in"][0]
        if not isinstance(only, (Regex, re.Pattern)):
            fields.append((name, only))
