"""Object operators ($mergeObjects $getField $setField $unsetField), $rand, and the array forms of the
group accumulators ($sum $avg $min $max $stdDevPop $stdDevSamp and $firstN/$lastN/$maxN/$minN)."""

from __future__ import annotations

import math
import random
from typing import Any

from docdb.engine.bson_order import compare
from docdb.engine.collation import active
from docdb.engine.expressions.core import (
    MISSING,
    Evaluator,
    Scope,
    Variables,
    compile_args,
    compile_node,
    is_constant,
    register,
    simple,
    type_name,
)
from docdb.engine.expressions.numeric import as_int, num_kind
from docdb.errors import MongoError


def _nullish(value: Any) -> bool:
    return value is None or value is MISSING


def merge_objects(*values: Any) -> dict:
    out: dict = {}
    for value in values:
        if _nullish(value):
            continue
        if not isinstance(value, dict):
            raise MongoError(
                40400,
                f"$mergeObjects requires object inputs, but input {value!r} is of type {type_name(value)}",
            )
        out.update(value)
    return out


def _field_name(name: str, spec: Any) -> str:
    if not isinstance(spec, str):
        if isinstance(spec, dict) and len(spec) == 1 and next(iter(spec)) == "$literal":
            spec = spec["$literal"]
        if not isinstance(spec, str):
            raise MongoError(
                5654601, f"{name} requires 'field' to evaluate to type String, but got {type_name(spec)}"
            )
        return spec
    if spec.startswith("$"):
        raise MongoError(
            5654602, f"{name}: 'field' cannot be a field path; use $literal for a dollar-prefixed name"
        )
    return spec


@register("$getField")
def _get_field(args: Any, scope: Scope) -> Evaluator:
    if isinstance(args, dict) and "field" in args:
        for key in args:
            if key not in ("field", "input"):
                raise MongoError(3041701, f"$getField found an unknown argument: {key}")
        field = _field_name("$getField", args["field"])
        source = compile_node(args.get("input", "$$CURRENT"), scope)
    else:
        if isinstance(args, dict) and not next(iter(args), "").startswith("$"):
            raise MongoError(3041702, "$getField requires 'field' to be specified")
        field = _field_name("$getField", args)
        source = compile_node("$$CURRENT", scope)

    def evaluate(doc: Any, v: Variables) -> Any:
        value = source(doc, v)
        if _nullish(value):
            return None if value is None else MISSING
        if not isinstance(value, dict):
            raise MongoError(
                3041705, f"$getField requires 'input' to evaluate to type Object, but got {type_name(value)}"
            )
        return value.get(field, MISSING)

    return evaluate


def _set_field_op(name: str, unset: bool) -> None:
    @register(name)
    def compile_set(args: Any, scope: Scope) -> Evaluator:
        allowed = ("field", "input") if unset else ("field", "input", "value")
        if not isinstance(args, dict):
            raise MongoError(4161100, f"{name} only supports an object as its argument")
        for key in args:
            if key not in allowed:
                raise MongoError(4161101, f"{name} found an unknown argument: {key}")
        for key in allowed:
            if key not in args:
                raise MongoError(4161102, f"{name} requires '{key}' to be specified")
        field = _field_name(name, args["field"])
        source = compile_node(args["input"], scope)
        value_fn = None if unset else compile_node(args["value"], scope)

        def evaluate(doc: Any, v: Variables) -> Any:
            value = source(doc, v)
            if _nullish(value):
                return None
            if not isinstance(value, dict):
                raise MongoError(4161105, f"{name} requires 'input' to evaluate to type Object")
            out = dict(value)
            new = MISSING if value_fn is None else value_fn(doc, v)
            if new is MISSING:
                out.pop(field, None)
            else:
                out[field] = new
            return out

        return evaluate


_set_field_op("$setField", False)
_set_field_op("$unsetField", True)


def _numbers(values: list) -> list:
    return [x for x in values if num_kind(x) >= 0]


def _operand_values(args: list[Any]) -> list:
    """Single array argument: its elements; several arguments: the arguments themselves."""
    if len(args) == 1:
        only = args[0]
        return only if isinstance(only, list) else ([] if _nullish(only) else [only])
    return [x for x in args if not _nullish(x)]


def _accumulator_expr(name: str, reduce: Any, under: Any = None) -> None:
    """``under(collator)``, when given, builds ``reduce`` at compile time for the operation's collator."""

    @register(name)
    def compile_acc(args: Any, scope: Scope) -> Evaluator:
        items = compile_args(args, scope)
        fn = reduce if under is None else under(active())
        return lambda doc, v: fn(_operand_values([item(doc, v) for item in items]))


def _sum(values: list) -> Any:
    from docdb.engine.aggregation.accumulators import sum_values

    return sum_values(_numbers(values))


def _avg(values: list) -> Any:
    from docdb.engine.aggregation.accumulators import avg_values

    return avg_values(_numbers(values))


def _extreme(sign: int, compare: Any = compare) -> Any:
    def pick(values: list) -> Any:
        best = MISSING
        for value in values:
            if _nullish(value):
                continue
            if best is MISSING or sign * compare(value, best) > 0:
                best = value
        return None if best is MISSING else best

    return pick


def _std_dev(sample: bool) -> Any:
    def compute(values: list) -> Any:
        numbers = [
            float(x.to_decimal()) if type(x).__name__ == "Decimal128" else float(x) for x in _numbers(values)
        ]
        count = len(numbers)
        if count == 0 or (sample and count == 1):
            return None
        mean = math.fsum(numbers) / count
        variance = math.fsum((x - mean) ** 2 for x in numbers) / (count - 1 if sample else count)
        return math.sqrt(variance)

    return compute


_accumulator_expr("$avg", _avg)
_accumulator_expr("$max", _extreme(1), lambda c: _extreme(1, c.compare))
_accumulator_expr("$min", _extreme(-1), lambda c: _extreme(-1, c.compare))
_accumulator_expr("$stdDevPop", _std_dev(False))
_accumulator_expr("$stdDevSamp", _std_dev(True))
_accumulator_expr("$sum", _sum)


def _n_op(name: str, pick: Any, under: Any = None) -> None:
    @register(name)
    def compile_n(args: Any, scope: Scope) -> Evaluator:
        chosen = pick if under is None else under(active())
        if not isinstance(args, dict) or set(args) != {"n", "input"}:
            raise MongoError(5787900, f"{name} requires an object with exactly 'n' and 'input' fields")
        n_fn = compile_node(args["n"], scope)
        source = compile_node(args["input"], scope)
        if is_constant(n_fn):
            check_n(name, n_fn.constant)  # type: ignore[attr-defined]

        def evaluate(doc: Any, v: Variables) -> Any:
            n = check_n(name, n_fn(doc, v))
            array = source(doc, v)
            if not isinstance(array, list):
                raise MongoError(
                    5788200, f"Input to {name} must be an array, but is of type: {type_name(array)}"
                )
            return chosen(array, n)

        return evaluate


def check_n(name: str, value: Any) -> int:
    """The ``n`` of $firstN & co: a positive integer (MongoDB 5787902/5787903/5787908)."""
    if num_kind(value) < 0:
        raise MongoError(5787902, f"Value for 'n' must be of integral type, but found {value!r}")
    n = as_int(value)
    if n is None:
        raise MongoError(5787903, f"Value for 'n' must be of integral type, but found {value!r}")
    if n <= 0:
        raise MongoError(5787908, f"'n' must be greater than 0, found {n}")
    return n


def _sorted_non_null(array: list, sign: int, compare: Any = compare) -> list:
    import functools

    values = [x for x in array if not _nullish(x)]
    return sorted(values, key=functools.cmp_to_key(lambda a, b: sign * compare(a, b)))


_n_op("$firstN", lambda array, n: array[:n])
_n_op("$lastN", lambda array, n: array[-n:])
_n_op(
    "$maxN",
    lambda array, n: _sorted_non_null(array, -1)[:n],
    lambda c: lambda array, n: _sorted_non_null(array, -1, c.compare)[:n],
)
_n_op(
    "$minN",
    lambda array, n: _sorted_non_null(array, 1)[:n],
    lambda c: lambda array, n: _sorted_non_null(array, 1, c.compare)[:n],
)
simple("$mergeObjects", merge_objects, 0, None)


@register("$rand")
def _rand(args: Any, scope: Scope) -> Evaluator:
    if args != {} and args != []:
        raise MongoError(3040500, "$rand does not currently accept arguments")
    return lambda doc, v: random.random()
