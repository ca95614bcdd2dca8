"""Why a document fails a validator: the ``errInfo.details`` mongod 7.0 builds for query operators.

mongod annotates each node of the parsed validator and walks the tree once for the failing document
(doc_validation_error.cpp). This module redoes that walk over the validator *document*, which is already
known to be valid: a filter is split into clauses as mongod's parser splits it (one clause per path
operator, a lone clause is not wrapped in ``$and``), each clause is matched on its own with
``compile_filter``, and the explanation is written in the normal or the inverted sense (under ``$not``,
``$nor``, ``$ne``, ``$nin``, ``$exists: false``). Only the failing path runs this: never a hot path.
"""

from __future__ import annotations

import re
from typing import Any

from bson.regex import Regex

from docdb.engine.bson_types import bson_type_alias
from docdb.engine.matcher import compile_filter
from docdb.engine.query.compile import is_expression_document

Clause = tuple[str, Any, Any, dict[str, Any]]  # (path or "", operator, argument, specifiedAs)

_NUMBERS = ("decimal", "double", "int", "long")
# operator -> (normal reason, inverted reason, expected types or None, traverse a leaf array)  # sorted
_LEAVES: dict[str, tuple[str, str, tuple[str, ...] | None, bool]] = {
    "$all": (
        "array did not contain all specified values",
        "array did contain all specified values",
        None,
        False,
    ),
    "$bitsAllClear": (
        "bitwise operator failed to match",
        "bitwise operator matched successfully",
        ("binData", *_NUMBERS),
        True,
    ),
    "$elemMatch": (
        "array did not satisfy the child predicate",
        "array did satisfy the child predicate",
        ("array",),
        False,
    ),
    "$eq": ("comparison failed", "comparison succeeded", None, True),
    "$exists": ("path does not exist", "path does exist", None, True),
    "$gt": ("comparison failed", "comparison succeeded", None, True),
    "$in": ("no matching value found in array", "matching value found in array", None, True),
    "$mod": (
        "$mod did not evaluate to expected remainder",
        "$mod did evaluate to expected remainder",
        _NUMBERS,
        True,
    ),
    "$regex": (
        "regular expression did not match",
        "regular expression did match",
        ("regex", "string", "symbol"),
        True,
    ),
    "$size": (
        "array length was not equal to given size",
        "array length was equal to given size",
        ("array",),
        False,
    ),
    "$type": ("type did not match", "type did match", None, True),
}
for _op in ("$bitsAllSet", "$bitsAnyClear", "$bitsAnySet"):
    _LEAVES[_op] = _LEAVES["$bitsAllClear"]
for _op in ("$gte", "$lt", "$lte"):
    _LEAVES[_op] = _LEAVES["$gt"]
# operators parsed as NOT(<positive operator>): the explanation is the positive one, inverted
_NEGATED = {"$ne": "$eq", "$nin": "$in"}


def explain_filter(spec: dict[str, Any], doc: dict[str, Any]) -> dict[str, Any]:
    """``errInfo.details`` for ``doc``, which fails the validator ``spec``."""
    return _explain_document(spec, doc, False) or {}


def _explain_document(spec: dict[str, Any], doc: dict[str, Any], inverted: bool) -> dict[str, Any] | None:
    clauses = split_clauses(spec)
    if len(clauses) == 1:
        return _explain_clause(clauses[0], doc, inverted)
    return _explain_tree("$and", [_clause_filter(c) for c in clauses], clauses, doc, inverted)


def split_clauses(spec: dict[str, Any]) -> list[Clause]:
    """The top-level clauses of a filter in mongod's parse order (``$comment`` is none)."""
    clauses: list[Clause] = []
    for name, value in spec.items():
        if name == "$comment":
            continue
        if name.startswith("$"):
            clauses.append(("", name, value, {name: value}))
        elif is_expression_document(value, False):
            for op, arg in value.items():
                if op == "$options":
                    continue
                if op == "$regex":
                    shown = {k: v for k, v in value.items() if k in ("$regex", "$options")}
                    clauses.append((name, op, arg, {name: shown}))
                else:
                    clauses.append((name, op, arg, {name: {op: arg}}))
        elif isinstance(value, (Regex, re.Pattern)):
            clauses.append((name, "$regex", value, {name: value}))
        else:
            clauses.append((name, "$eq", value, {name: value}))
    return clauses


def _clause_filter(clause: Clause) -> dict[str, Any]:
    return clause[3]


def _matches(spec: dict[str, Any], doc: dict[str, Any]) -> bool:
    try:
        return compile_filter(spec)(doc)
    except Exception:  # an evaluation error (mongod: explained as a failure)
        return False


def _explain_tree(
    name: str, branches: list[dict[str, Any]], clauses: list[Clause] | None, doc: dict, inverted: bool
) -> dict[str, Any]:
    """``$and`` / ``$or`` / ``$nor`` over ``branches`` (filter documents)."""
    out: dict[str, Any] = {"operatorName": name}
    child_inverted = not inverted if name == "$nor" else inverted
    entries = []
    for index, branch in enumerate(branches):
        if name == "$and" and not inverted or name == "$or" and inverted or name == "$nor" and not inverted:
            # these need to know which children contribute: the failing ones (or matching, inverted)
            if _matches(branch, doc) != child_inverted:
                continue
        if clauses is not None:
            details = _explain_clause(clauses[index], doc, child_inverted)
        else:
            details = _explain_document(branch, doc, child_inverted)
        if details is not None:
            entries.append({"index": index, "details": details})
    satisfied = inverted
    out["clausesSatisfied" if satisfied else "clausesNotSatisfied"] = entries
    return out


def _explain_clause(clause: Clause, doc: dict[str, Any], inverted: bool) -> dict[str, Any] | None:
    path, op, arg, shown = clause
    if not path:
        return _explain_pathless(op, arg, shown, doc, inverted)
    if op in _NEGATED:
        return _explain_leaf(path, op, _NEGATED[op], shown, doc, not inverted)
    if op == "$exists" and not _true_value(arg):
        return _explain_leaf(path, op, "$exists", shown, doc, not inverted)
    if op == "$not":
        return _explain_not(path, arg, doc, inverted)
    if op in _LEAVES:
        return _explain_leaf(path, op, op, shown, doc, inverted)
    return {"operatorName": op, "specifiedAs": shown}


def _true_value(value: Any) -> bool:
    return bool(value) if not isinstance(value, dict) else True


def _explain_not(path: str, arg: Any, doc: dict[str, Any], inverted: bool) -> dict[str, Any]:
    """``{path: {$not: ...}}``: a one-operator ``$not`` explains that operator, several an ``$and``."""
    inner = {path: arg}
    if isinstance(arg, dict):
        clauses = split_clauses({path: arg})
    else:
        clauses = [(path, "$regex", arg, inner)]
    if len(clauses) == 1:
        details = _explain_clause(clauses[0], doc, not inverted)
    else:
        details = _explain_tree("$and", [c[3] for c in clauses], clauses, doc, not inverted)
    out: dict[str, Any] = {"operatorName": "$not"}
    if details is not None:
        out["details"] = details
    return out


def _explain_pathless(op: str, arg: Any, shown: dict, doc: dict, inverted: bool) -> dict[str, Any] | None:
    if op in ("$and", "$or", "$nor"):
        return _explain_tree(op, list(arg), None, doc, inverted)
    if op == "$expr":
        out: dict[str, Any] = {"operatorName": "$expr", "specifiedAs": shown}
        from docdb.engine.expressions import Variables, compile_expression

        try:
            result = compile_expression(arg)(doc, Variables(None, {}).with_root(doc))
        except Exception as error:  # noqa: BLE001 (mongod reports the evaluation failure itself)
            out["reason"] = "failed to evaluate aggregation expression"
            code = getattr(error, "code", 1)
            out["details"] = {"code": code, "errmsg": getattr(error, "errmsg", str(error))}
            return out
        out["reason"] = "expression did match" if inverted else "expression did not match"
        if result is not _missing():
            out["expressionResult"] = result
        return out
    if op == "$jsonSchema":
        if inverted:
            return {"operatorName": "$jsonSchema", "reason": "schema matched"}
        from docdb.engine.validation.explain_schema import explain_schema

        return explain_schema(arg, doc)
    if op in ("$alwaysFalse", "$alwaysTrue"):
        reason = "expression always evaluates to true" if inverted else "expression always evaluates to false"
        return {"operatorName": op, "specifiedAs": shown, "reason": reason}
    return {"operatorName": op, "specifiedAs": shown}


def _missing() -> Any:
    from docdb.engine.expressions import MISSING

    return MISSING


def values_at(doc: Any, path: str, traverse_leaf: bool) -> list[Any] | None:
    """The values a path operator considers (mongod's ElementPath), None when the path is missing.

    >>> values_at({"a": [{"b": 1}, {"b": [2, 3]}]}, "a.b", True), values_at({"a": 1}, "b", True)
    ([1, 2, 3], None)
    """
    parts = path.split(".")
    found: list[Any] = []
    exists = False

    def walk(value: Any, index: int) -> None:
        nonlocal exists
        if index == len(parts):
            exists = True
            if traverse_leaf and isinstance(value, list):
                found.extend(value)
            else:
                found.append(value)
            return
        part = parts[index]
        if isinstance(value, dict):
            if part in value:
                walk(value[part], index + 1)
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, dict):
                    walk(item, index)
            if part.isdigit() and int(part) < len(value):
                walk(value[int(part)], index + 1)

    walk(doc, 0)
    return found if exists else None


def add_considered(out: dict[str, Any], values: list[Any] | None) -> None:
    """``consideredValue`` for one value, ``consideredValues`` for several (or none)."""
    if values is None:
        return
    if len(values) == 1:
        out["consideredValue"] = values[0]
    else:
        out["consideredValues"] = values


def add_considered_types(out: dict[str, Any], values: list[Any] | None) -> None:
    if not values:
        return
    types = sorted({bson_type_alias(value) for value in values})
    if len(types) == 1:
        out["consideredType"] = types[0]
    else:
        out["consideredTypes"] = types


def _explain_leaf(
    path: str, op: str, kind: str, shown: dict, doc: dict[str, Any], inverted: bool
) -> dict[str, Any]:
    normal, inverse, expected, traverse = _LEAVES[kind]
    out: dict[str, Any] = {"operatorName": op, "specifiedAs": shown}
    if kind == "$exists":
        out["reason"] = inverse if inverted else normal
        return out
    values = values_at(doc, path, traverse)
    if values is None:
        out["reason"] = "field was missing"
    elif expected is not None and not any(bson_type_alias(v) in expected for v in values):
        out["reason"] = "type did not match"
        add_considered_types(out, values)
        if len(expected) == 1:
            out["expectedType"] = expected[0]
        else:
            out["expectedTypes"] = list(expected)
    else:
        out["reason"] = inverse if inverted else normal
    add_considered(out, values)
    if kind == "$type":
        add_considered_types(out, values)
    return out
