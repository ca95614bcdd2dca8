"""Command ``let`` parameters: evaluated once per command into constants that ``$expr`` reads as ``$$name``.

mongod (Variables::seedVariablesWithLetParameters) parses each value as an expression that may use
the variables defined before it and ``$$NOW``, folds it, and refuses one that is not constant (a field
path, ``$$ROOT``, ``$rand``) with 31474.
"""

from __future__ import annotations

from typing import Any

from docdb.engine.query.bson_text import format_element
from docdb.errors import ErrorCode, MongoError

_NOT_CONSTANT_VARIABLES = frozenset({"ROOT", "CURRENT"})
_NOT_CONSTANT_OPERATORS = frozenset({"$rand"})


def evaluate_let(let: Any, base: dict[str, Any] | None = None) -> dict[str, Any]:
    """The values of a ``let`` document, in order (each may use earlier ones and those in ``base``).

    >>> evaluate_let({"a": {"$add": [1, 2]}, "b": {"$multiply": ["$$a", 2]}})
    {'a': 3, 'b': 6}
    """
    from docdb.engine.expressions import MISSING, Variables, compile_expression

    values: dict[str, Any] = dict(base or {})
    if let is None:
        return values
    if not isinstance(let, dict):
        raise MongoError(ErrorCode.TypeMismatch, "BSON field 'let' is the wrong type, expected type 'object'")
    from docdb.engine.expressions.core import check_variable_name

    variables = Variables(None, values)
    for name, spec in let.items():
        check_variable_name(name)
        if not _is_constant(spec):
            raise MongoError(
                31474, f"Command let Expression does not evaluate to constant {format_element(name, spec)}"
            )
        value = compile_expression(spec, allow_vars=frozenset(values))({}, variables)
        values[name] = None if value is MISSING else value
    return values


def _is_constant(spec: Any) -> bool:
    """False when ``spec`` reads the current document or is random (so mongod cannot fold it)."""
    if isinstance(spec, str):
        if spec.startswith("$$"):
            return spec[2:].split(".")[0] not in _NOT_CONSTANT_VARIABLES
        return not spec.startswith("$")
    if isinstance(spec, list):
        return all(_is_constant(item) for item in spec)
    if isinstance(spec, dict):
        if "$literal" in spec:
            return True
        if any(key in _NOT_CONSTANT_OPERATORS for key in spec):
            return False
        return all(_is_constant(value) for value in spec.values())
    return True
