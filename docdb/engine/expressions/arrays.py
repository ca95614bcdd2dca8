"""Array operators ($size $filter $map $reduce $slice $zip …) and set operators ($setUnion …)."""

from __future__ import annotations

import functools
from typing import Any

from docdb.engine.bson_order import compare, hash_key, values_equal
from docdb.engine.expressions.core import (
    MISSING,
    Evaluator,
    Scope,
    Variables,
    check_variable_name,
    compile_node,
    register,
    simple,
    type_name,
)
from docdb.engine.expressions.logic import truthy
from docdb.engine.expressions.numeric import as_int, num_kind
from docdb.errors import MongoError


def _nullish(value: Any) -> bool:
    return value is None or value is MISSING


def _int32(value: Any) -> int | None:
    number = as_int(value)
    if number is None or not -(2**31) <= number < 2**31:
        return None
    return number


def size(value: Any) -> int:
    if not isinstance(value, list):
        raise MongoError(17124, f"The argument to $size must be an array. Type of: {type_name(value)}")
    return len(value)


def array_elem_at(array: Any, index: Any) -> Any:
    if _nullish(array) or _nullish(index):
        return None
    if not isinstance(array, list):
        raise MongoError(28689, f"$arrayElemAt's first argument must be an array, but is {type_name(array)}")
    if num_kind(index) < 0:
        raise MongoError(
            28690, f"$arrayElemAt's second argument must be a numeric value, but is {type_name(index)}"
        )
    i = _int32(index)
    if i is None:
        raise MongoError(
            28691, f"$arrayElemAt's second argument must be representable as a 32-bit integer: {index}"
        )
    if -len(array) <= i < len(array):
        return array[i]
    return MISSING


def _end(name: str, last: bool) -> Any:
    def apply(array: Any) -> Any:
        if _nullish(array):
            return array
        if not isinstance(array, list):
            raise MongoError(28689, f"{name}'s argument must be an array, but is {type_name(array)}")
        if not array:
            return MISSING
        return array[-1] if last else array[0]

    return apply


def in_(value: Any, array: Any) -> bool:
    if not isinstance(array, list):
        raise MongoError(40081, f"$in requires an array as a second argument, found: {type_name(array)}")
    return any(values_equal(value, item) for item in array)


def slice_(array: Any, first: Any, second: Any = MISSING) -> Any:
    if _nullish(array) or _nullish(first) or (second is not MISSING and second is None):
        return None
    if not isinstance(array, list):
        raise MongoError(
            28724, f"First argument to $slice must be an array, but is of type: {type_name(array)}"
        )
    if num_kind(first) < 0 or _int32(first) is None:
        raise MongoError(
            28725, f"Second argument to $slice must be a numeric value, but is of type: {type_name(first)}"
        )
    start = _int32(first)
    if second is MISSING:
        return array[start:] if start < 0 else array[:start]
    if num_kind(second) < 0 or _int32(second) is None:
        raise MongoError(
            28726, f"Third argument to $slice must be numeric, but is of type: {type_name(second)}"
        )
    count = _int32(second)
    if count <= 0:
        raise MongoError(28727, f"Third argument to $slice must be positive: {second}")
    if start < 0:
        start = max(0, len(array) + start)
    return array[start : start + count]


def concat_arrays(*arrays: Any) -> Any:
    out: list = []
    for array in arrays:
        if _nullish(array):
            return None
        if not isinstance(array, list):
            raise MongoError(28664, f"$concatArrays only supports arrays, not {type_name(array)}")
        out.extend(array)
    return out


def range_(start: Any, end: Any, step: Any = 1) -> list:
    checks = ((start, "starting value", 34443), (end, "ending value", 34445), (step, "step value", 34447))
    numbers = []
    for value, what, code in checks:
        if num_kind(value) < 0:
            raise MongoError(
                code, f"$range requires a numeric {what}, found value of type: {type_name(value)}"
            )
        number = _int32(value)
        if number is None:
            raise MongoError(
                code + 1,
                f"$range requires a {what} that can be represented as a 32-bit integer, found value: {value}",
            )
        numbers.append(number)
    if numbers[2] == 0:
        raise MongoError(34449, "$range requires a non-zero step value")
    return list(range(*numbers))


def reverse_array(array: Any) -> Any:
    if _nullish(array):
        return None
    if not isinstance(array, list):
        raise MongoError(
            34435, f"The argument to $reverseArray must be an array, but was of type: {type_name(array)}"
        )
    return array[::-1]


def index_of_array(array: Any, search: Any, start: Any = MISSING, end: Any = MISSING) -> Any:
    if _nullish(array):
        return None
    if not isinstance(array, list):
        raise MongoError(
            40090, f"$indexOfArray requires an array as a first argument, found: {type_name(array)}"
        )
    begin, stop = 0, len(array)
    for value, code, which in ((start, 40096, "starting"), (end, 40097, "ending")):
        if value is MISSING:
            continue
        number = as_int(value)
        if number is None:
            raise MongoError(
                code,
                f"$indexOfArray requires an integral {which} index, found a value of type: "
                f"{type_name(value)}",
            )
        if number < 0:
            raise MongoError(code + 2, f"$indexOfArray requires a nonnegative {which} index, found: {number}")
        if which == "starting":
            begin = number
        else:
            stop = min(stop, number)
    for i in range(begin, stop):
        if values_equal(array[i], search):
            return i
    return -1


def array_to_object(array: Any) -> Any:
    if _nullish(array):
        return None
    if not isinstance(array, list):
        raise MongoError(40386, f"$arrayToObject requires an array input, found: {type_name(array)}")
    out: dict = {}
    if not array:
        return out
    as_pairs = isinstance(array[0], list)
    for item in array:
        if as_pairs:
            if not isinstance(item, list) or len(item) != 2:
                raise MongoError(
                    40397 if isinstance(item, list) else 40398,
                    "$arrayToObject requires an array of size 2 arrays,found array of size: "
                    + str(len(item) if isinstance(item, list) else 0),
                )
            key, value = item
            if not isinstance(key, str):
                raise MongoError(
                    40395,
                    "$arrayToObject requires an array of key-value pairs, where the key must "
                    f"be of type string. Found key type: {type_name(key)}",
                )
        else:
            if not isinstance(item, dict) or set(item) != {"k", "v"}:
                raise MongoError(
                    40392 if isinstance(item, dict) else 40398,
                    "$arrayToObject requires an object keys of 'k' and 'v'. Found incorrect number of keys:"
                    + str(len(item) if isinstance(item, dict) else 0),
                )
            key, value = item["k"], item["v"]
            if not isinstance(key, str):
                raise MongoError(
                    40394,
                    "$arrayToObject requires an object with keys 'k' and 'v', where the value "
                    f"of 'k' must be of type string. Found type: {type_name(key)}",
                )
        if "\0" in key:
            raise MongoError(4940400, "Key field cannot contain an embedded null byte")
        out[key] = value
    return out


def object_to_array(value: Any) -> Any:
    if _nullish(value):
        return None
    if not isinstance(value, dict):
        raise MongoError(40390, f"$objectToArray requires a document input, found: {type_name(value)}")
    return [{"k": k, "v": v} for k, v in value.items()]


def is_array(value: Any) -> bool:
    return isinstance(value, list)


def _dedupe(values: Any) -> list:
    seen: set = set()
    out = []
    for value in values:
        key = hash_key(value)
        if key not in seen:
            seen.add(key)
            out.append(value)
    return out


def set_union(*arrays: Any) -> Any:
    for array in arrays:
        if _nullish(array):
            return None
        if not isinstance(array, list):
            raise MongoError(
                17043,
                f"All operands of $setUnion must be arrays. One argument is of type: {type_name(array)}",
            )
    return _dedupe(item for array in arrays for item in array)


def set_intersection(*arrays: Any) -> Any:
    for array in arrays:
        if _nullish(array):
            return None
        if not isinstance(array, list):
            raise MongoError(
                17047,
                "All operands of $setIntersection must be arrays. One argument is of type: "
                f"{type_name(array)}",
            )
    if not arrays:
        return []
    result = _dedupe(arrays[0])
    for array in arrays[1:]:
        keys = {hash_key(item) for item in array}
        result = [item for item in result if hash_key(item) in keys]
    return result


def set_difference(left: Any, right: Any) -> Any:
    if _nullish(left) or _nullish(right):
        return None
    if not isinstance(left, list):
        raise MongoError(
            17048,
            f"both operands of $setDifference must be arrays. First argument is of type: {type_name(left)}",
        )
    if not isinstance(right, list):
        raise MongoError(
            17049,
            f"both operands of $setDifference must be arrays. Second argument is of type: {type_name(right)}",
        )
    keys = {hash_key(item) for item in right}
    return [item for item in _dedupe(left) if hash_key(item) not in keys]


def set_equals(*arrays: Any) -> bool:
    keysets = []
    for array in arrays:
        if not isinstance(array, list):
            raise MongoError(
                17044,
                f"All operands of $setEquals must be arrays. One argument is of type: {type_name(array)}",
            )
        keysets.append({hash_key(item) for item in array})
    return all(keys == keysets[0] for keys in keysets)


def set_is_subset(left: Any, right: Any) -> bool:
    if not isinstance(left, list):
        raise MongoError(
            17046,
            f"both operands of $setIsSubset must be arrays. First argument is of type: {type_name(left)}",
        )
    if not isinstance(right, list):
        raise MongoError(
            17042,
            f"both operands of $setIsSubset must be arrays. Second argument is of type: {type_name(right)}",
        )
    return {hash_key(item) for item in left} <= {hash_key(item) for item in right}


def any_element_true(array: Any) -> bool:
    if not isinstance(array, list):
        raise MongoError(17041, f"$anyElementTrue's argument must be an array, but is {type_name(array)}")
    return any(truthy(item) for item in array)


def all_elements_true(array: Any) -> bool:
    if not isinstance(array, list):
        raise MongoError(17040, f"$allElementsTrue's argument must be an array, but is {type_name(array)}")
    return all(truthy(item) for item in array)


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
    from docdb.engine.expressions.core import walk

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


simple("$allElementsTrue", all_elements_true, 1)
simple("$anyElementTrue", any_element_true, 1)
simple("$arrayElemAt", array_elem_at, 2)
simple("$arrayToObject", array_to_object, 1)
simple("$concatArrays", concat_arrays, 0, None)
simple("$first", _end("$first", False), 1)
simple("$in", in_, 2)
simple("$indexOfArray", index_of_array, 2, 4)
simple("$isArray", is_array, 1)
simple("$last", _end("$last", True), 1)
simple("$objectToArray", object_to_array, 1)
simple("$range", range_, 2, 3)
simple("$reverseArray", reverse_array, 1)
simple("$setDifference", set_difference, 2)
simple("$setEquals", set_equals, 2, None)
simple("$setIntersection", set_intersection, 0, None)
simple("$setIsSubset", set_is_subset, 2)
simple("$setUnion", set_union, 0, None)
simple("$size", size, 1)
simple("$slice", slice_, 2, 3)
