"""The one aggregation-expression evaluator, shared by aggregation stages and ``$expr`` in queries.

``compile_expression(spec)`` validates the whole expression up front and returns ``fn(doc, variables)``;
evaluation errors are MongoErrors with mongod's codes. Operator families live in their own modules,
each registering into :data:`core.OPERATORS` on import.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from docdb.engine.expressions import (  # noqa: F401  (operator families register themselves)
    arithmetic,
    array_iteration,
    arrays,
    date_arithmetic,
    dates,
    logic,
    metadata,
    objects,
    sets,
    strings,
    types,
)
from docdb.engine.expressions.core import MISSING, OPERATORS, Scope, Variables, compile_node, is_constant
from docdb.engine.expressions.logic import truthy
from docdb.engine.js import function_expr  # noqa: F401,E402  ($function registers itself)

__all__ = ["MISSING", "OPERATORS", "Variables", "compile_expression", "evaluate", "is_constant", "truthy"]


def compile_expression(
    spec: Any, *, allow_vars: frozenset[str] | None = None
) -> Callable[[Any, Variables], Any]:
    """Compile an aggregation expression once; call the result as ``fn(doc, variables)`` per document.

    ``allow_vars``: the user variables in scope (``let`` names); when given, other ``$$names`` are rejected
    at compile time (17276). The result may be MISSING (a field that does not exist).
    """
    return compile_node(spec, Scope(allow_vars))


def evaluate(spec: Any, doc: Any = None, variables: dict[str, Any] | None = None) -> Any:
    """Compile and evaluate once against ``doc`` (also ``$$ROOT``); a convenience for tests and tools."""
    doc = {} if doc is None else doc
    return compile_expression(spec)(doc, Variables(doc, dict(variables or {})))
