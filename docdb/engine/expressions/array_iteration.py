"""Array operators that bind a variable per element ($filter $map $reduce) or reorder ($zip $sortArray)."""

from __future__ import annotations

import functools
from typing import Any

from docdb.engine.expressions.core import (
    MISSING,
    Evaluator,
    Scope,
    Variables,
    check_variable_name,
    compile_node,
    register,
    type_name,
)
from docdb.engine.expressions.logic import truthy
from docdb.engine.expressions.numeric import as_int, num_kind
from docdb.errors import MongoError


def _nullish(value: Any) -> bool:
    return value is None or value is MISSING


def _object_args(
    name: str, args: Any, allowed: tuple[str, ...], required: tuple[str, ...], code: int
) -> dict:
    if not isinstance(args, dict):
        raise MongoError(code, f"{name} only supports an object as its argument")
    for key in args:
        if key not in allowed:
            raise MongoError(code + 1, f"Unrecognized parameter to {name}: {key}")
    for key in required:
        if key not in args:
            raise MongoError(code + 2, f"Missing '{key}' parameter to {name}")
    return args


def _as_name(args: dict, default: str) -> str:
    name = args.get("as", default)
    if not isinstance(name, str):
        raise MongoError(16866, "empty variable names are not allowed")
    check_variable_name(name)
    return name


@register("$filter")
def _filter(args: Any, scope: Scope) -> Evaluator:
    _object_args("$filter", args, ("input", "as", "cond", "limit"), ("input", "cond"), 28646)
    name = _as_name(args, "this")
    source = compile_node(args["input"], scope)
    cond = compile_node(args["cond"], scope.bind(name))
    limit = compile_node(args["limit"], scope) if "limit" in args else None

    def evaluate(doc: Any, v: Variables) -> Any:
        array = source(doc, v)
        if _nullish(array):
            return None
        if not isinstance(array, list):
            raise MongoError(28651, f"input to $filter must be an array not {type_name(array)}")
        cap = len(array)
        if limit is not None:
            raw = limit(doc, v)
            if raw is not None:
                cap = as_int(raw) if num_kind(raw) >= 0 else None
                if cap is None or cap <= 0:
                    raise MongoError(327391, f"$filter: limit must be greater than 0: {raw}")
        out = []
        inner = v.bind({name: None})
        for item in array:
            inner.values[name] = item
            if truthy(cond(doc, inner)):
                out.append(item)
                if len(out) >= cap:
                    break
        return out

    return evaluate


@register("$map")
def _map(args: Any, scope: Scope) -> Evaluator:
    _object_args("$map", args, ("input", "as", "in"), ("input", "in"), 16878)
    name = _as_name(args, "this")
    source = compile_node(args["input"], scope)
    body = compile_node(args["in"], scope.bind(name))

    def evaluate(doc: Any, v: Variables) -> Any:
        array = source(doc, v)
        if _nullish(array):
            return None
        if not isinstance(array, list):
            raise MongoError(16883, f"input to $map must be an array not {type_name(array)}")
        inner = v.bind({name: None})
        out = []
        for item in array:
            inner.values[name] = item
            value = body(doc, inner)
            out.append(None if value is MISSING else value)
        return out

    return evaluate


@register("$reduce")
def _reduce(args: Any, scope: Scope) -> Evaluator:
    _object_args("$reduce", args, ("input", "initialValue", "in"), ("input", "initialValue", "in"), 40075)
    source = compile_node(args["input"], scope)
    initial = compile_node(args["initialValue"], scope)
    body = compile_node(args["in"], scope.bind("this", "value"))

    def evaluate(doc: Any, v: Variables) -> Any:
        array = source(doc, v)
        if _nullish(array):
            return None
        if not isinstance(array, list):
            raise MongoError(40080, f"$reduce requires that 'input' be an array, found: {type_name(array)}")
        acc = initial(doc, v)
        inner = v.bind({"this": None, "value": None})
        for item in array:
            inner.values["this"] = item
            inner.values["value"] = acc
            acc = body(doc, inner)
        return acc

    return evaluate


@register("$zip")
def _zip(args: Any, scope: Scope) -> Evaluator:
    if not isinstance(args, dict):
        raise MongoError(34460, f"$zip only supports an object as an argument, found {type_name(args)}")
    for key in args:
        if key not in ("inputs", "useLongestLength", "defaults"):
            raise MongoError(34464, f"$zip found an unknown argument: {key}")
    inputs_spec = args.get("inputs")
    if not isinstance(inputs_spec, list):
        raise MongoError(34461, f"inputs must be an array of expressions, found {type_name(inputs_spec)}")
    if not inputs_spec:
        raise MongoError(34465, "$zip requires at least one input array")
    longest = args.get("useLongestLength", False)
    if not isinstance(longest, bool):
        raise MongoError(34463, f"useLongestLength must be a bool, found {type_name(longest)}")
    defaults_spec = args.get("defaults")
    if defaults_spec is not None:
        if not longest:
            raise MongoError(34466, "cannot specify defaults unless useLongestLength is true")
        if not isinstance(defaults_spec, list):
            raise MongoError(
                34462, f"defaults must be an array of expressions, found {type_name(defaults_spec)}"
            )
        if len(defaults_spec) != len(inputs_spec):
            raise MongoError(34467, "defaults and inputs must be the same length")
    inputs = [compile_node(item, scope) for item in inputs_spec]
    defaults = [compile_node(item, scope) for item in defaults_spec] if defaults_spec else None

    def evaluate(doc: Any, v: Variables) -> Any:
        arrays = []
        for item in inputs:
            array = item(doc, v)
            if _nullish(array):
                return None
            if not isinstance(array, list):
                raise MongoError(34468, f"$zip found a non-array expression in input: {array!r}")
            arrays.append(array)
        fill = [d(doc, v) for d in defaults] if defaults else [None] * len(arrays)
        length = max(map(len, arrays)) if longest else min(map(len, arrays))
        return [[a[i] if i < len(a) else fill[j] for j, a in enumerate(arrays)] for i in range(length)]

    return evaluate


@register("$sortArray")
def _sort_array(args: Any, scope: Scope) -> Evaluator:
    if not isinstance(args, dict):
        raise MongoError(2942500, f"$sortArray requires an object as an argument, found: {type_name(args)}")
    for key in args:
        if key not in ("input", "sortBy"):
            raise MongoError(2942501, f"$sortArray found an unknown argument: {key}")
    if "input" not in args:
        raise MongoError(2942502, "$sortArray requires 'input' to be specified")
    if "sortBy" not in args:
        raise MongoError(2942503, "$sortArray requires 'sortBy' to be specified")
    source = compile_node(args["input"], scope)
    key = array_sort_key(args["sortBy"])

    def evaluate(doc: Any, v: Variables) -> Any:
        array = source(doc, v)
        if _nullish(array):
            return None
        if not isinstance(array, list):
            raise MongoError(
                2942504,
                f"The input argument to $sortArray must be an array, but was of type: {type_name(array)}",
            )
        return sorted(array, key=key)

    return evaluate


def array_sort_key(sort_by: Any) -> Any:
    """A sort key for $sortArray: ``1``/``-1`` sorts whole values, ``{field: ±1}`` sorts "
    "documents by fields."""
    from docdb.engine.collation import active
    from docdb.engine.expressions.core import walk

    compare = active().compare  # strings order by the operation's collation
    if sort_by in (1, -1) and not isinstance(sort_by, bool):
        direction = int(sort_by)
        return functools.cmp_to_key(lambda a, b: direction * compare(a, b))
    if not isinstance(sort_by, dict) or not sort_by:
        raise MongoError(2942505, "$sortArray requires sortBy to be an object or 1/-1")
    fields = []
    for path, direction in sort_by.items():
        if direction not in (1, -1) or isinstance(direction, bool):
            raise MongoError(15975, "$sort key ordering must be 1 (for ascending) or -1 (for descending)")
        fields.append((path.split("."), int(direction)))

    def cmp(a: Any, b: Any) -> int:
        for parts, direction in fields:
            va = walk(a, parts) if isinstance(a, dict) else MISSING
            vb = walk(b, parts) if isinstance(b, dict) else MISSING
            result = compare(_sort_value(va), _sort_value(vb))
            if result:
                return direction * result
        return 0

    return functools.cmp_to_key(cmp)


def _sort_value(value: Any) -> Any:
    return None if value is MISSING else value
