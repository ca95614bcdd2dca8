"""Comparison ($cmp $eq …), boolean ($and $or $not) and conditional ($cond $ifNull $switch) operators."""

from __future__ import annotations

from typing import Any

from bson.decimal128 import Decimal128

from docdb.engine.expressions.core import (
    MISSING,
    Evaluator,
    Scope,
    Variables,
    collated,
    compile_args,
    compile_node,
    register,
    simple,
)
from docdb.errors import MongoError


def truthy(value: Any) -> bool:
    """MongoDB's coercion to bool: false, null, missing and numeric zero are false; all else is true."""
    if value is None or value is MISSING or value is False:
        return False
    cls = type(value)
    if cls is bool:
        return True
    if cls is Decimal128:
        return not value.to_decimal().is_zero()
    if cls in (int, float) or isinstance(value, int):
        return value != 0
    return True


# Comparisons are built per expression from the operation's collator's ``compare`` (strings by ICU
# sort key under a collation; ``bson_order.compare`` itself otherwise, one call as before).
collated("$cmp", lambda c: c.compare, 2)
collated("$eq", lambda c: (lambda cmp: lambda a, b: cmp(a, b) == 0)(c.compare), 2)
collated("$gt", lambda c: (lambda cmp: lambda a, b: cmp(a, b) > 0)(c.compare), 2)
collated("$gte", lambda c: (lambda cmp: lambda a, b: cmp(a, b) >= 0)(c.compare), 2)
collated("$lt", lambda c: (lambda cmp: lambda a, b: cmp(a, b) < 0)(c.compare), 2)
collated("$lte", lambda c: (lambda cmp: lambda a, b: cmp(a, b) <= 0)(c.compare), 2)
collated("$ne", lambda c: (lambda cmp: lambda a, b: cmp(a, b) != 0)(c.compare), 2)
simple("$not", lambda a: not truthy(a), 1)


@register("$and")
def _and(args: Any, scope: Scope) -> Evaluator:
    items = compile_args(args, scope)
    return lambda doc, v: all(truthy(item(doc, v)) for item in items)


@register("$or")
def _or(args: Any, scope: Scope) -> Evaluator:
    items = compile_args(args, scope)
    return lambda doc, v: any(truthy(item(doc, v)) for item in items)


@register("$cond")
def _cond(args: Any, scope: Scope) -> Evaluator:
    if isinstance(args, dict):
        for key in args:
            if key not in ("if", "then", "else"):
                raise MongoError(17083, f"Unrecognized parameter to $cond: {key}")
        for key, code in (("if", 17080), ("then", 17081), ("else", 17082)):
            if key not in args:
                raise MongoError(code, f"Missing '{key}' parameter to $cond")
        parts = [args["if"], args["then"], args["else"]]
    else:
        parts = args if isinstance(args, list) else [args]
        if len(parts) != 3:
            raise MongoError(
                16020, f"Expression $cond takes exactly 3 arguments. {len(parts)} were passed in."
            )
    cond, then, other = (compile_node(p, scope) for p in parts)
    return lambda doc, v: then(doc, v) if truthy(cond(doc, v)) else other(doc, v)


@register("$ifNull")
def _if_null(args: Any, scope: Scope) -> Evaluator:
    items = compile_args(args, scope)
    if len(items) < 2:
        raise MongoError(1257300, "$ifNull needs at least two arguments, had: " + str(len(items)))
    *candidates, fallback = items

    def evaluate(doc: Any, v: Variables) -> Any:
        for item in candidates:
            value = item(doc, v)
            if value is not None and value is not MISSING:
                return value
        return fallback(doc, v)

    return evaluate


@register("$switch")
def _switch(args: Any, scope: Scope) -> Evaluator:
    if not isinstance(args, dict):
        raise MongoError(40060, f"$switch requires an object as an argument, found: {type(args).__name__}")
    branches: list[tuple[Evaluator, Evaluator]] = []
    default: Evaluator | None = None
    for key, value in args.items():
        if key == "branches":
            if not isinstance(value, list):
                raise MongoError(40061, "$switch expected an array for 'branches'")
            for branch in value:
                if not isinstance(branch, dict):
                    raise MongoError(40062, "$switch expected each branch to be an object")
                for bkey in branch:
                    if bkey not in ("case", "then"):
                        raise MongoError(40063, f"$switch found an unknown argument to a branch: {bkey}")
                if "case" not in branch:
                    raise MongoError(40064, "$switch requires each branch have a 'case' expression")
                if "then" not in branch:
                    raise MongoError(40065, "$switch requires each branch have a 'then' expression.")
                branches.append((compile_node(branch["case"], scope), compile_node(branch["then"], scope)))
        elif key == "default":
            default = compile_node(value, scope)
        else:
            raise MongoError(40067, f"$switch found an unknown argument: {key}")
    if not branches:
        raise MongoError(40068, "$switch requires at least one branch.")

    def evaluate(doc: Any, v: Variables) -> Any:
        for case, then in branches:
            if truthy(case(doc, v)):
                return then(doc, v)
        if default is None:
            raise MongoError(
                40066, "$switch could not find a matching branch for an input, and no default was specified."
            )
        return default(doc, v)

    return evaluate


@register("$let")
def _let(args: Any, scope: Scope) -> Evaluator:
    from docdb.engine.expressions.core import check_variable_name

    if not isinstance(args, dict):
        raise MongoError(16874, "$let only supports an object as its argument")
    for key in args:
        if key not in ("vars", "in"):
            raise MongoError(16875, f"Unrecognized parameter to $let: {key}")
    if "vars" not in args:
        raise MongoError(16876, "Missing 'vars' parameter to $let")
    if "in" not in args:
        raise MongoError(16877, "Missing 'in' parameter to $let")
    if not isinstance(args["vars"], dict):
        raise MongoError(10065, "invalid parameter: expected an object (vars)")
    bindings = []
    for name, spec in args["vars"].items():
        check_variable_name(name)
        bindings.append((name, compile_node(spec, scope)))
    body = compile_node(args["in"], scope.bind(*(name for name, _ in bindings)))

    def evaluate(doc: Any, v: Variables) -> Any:
        return body(doc, v.bind({name: fn(doc, v) for name, fn in bindings}))

    return evaluate
