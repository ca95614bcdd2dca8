"""Array operators on whole arrays ($size $arrayElemAt $slice $in $range $indexOfArray …)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from docdb.engine.bson_order import values_equal
from docdb.engine.expressions.core import (
    MISSING,
    collated,
    simple,
    type_name,
)
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


def in_(value: Any, array: Any, equal: Callable[[Any, Any], bool] = values_equal) -> bool:
    if not isinstance(array, list):
        raise MongoError(40081, f"$in requires an array as a second argument, found: {type_name(array)}")
    return any(equal(value, item) for item in array)


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


def index_of_array(
    array: Any, search: Any, start: Any = MISSING, end: Any = MISSING, *, equal: Callable = values_equal
) -> Any:
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
        if equal(array[i], search):
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


simple("$arrayElemAt", array_elem_at, 2)
simple("$arrayToObject", array_to_object, 1)
simple("$concatArrays", concat_arrays, 0, None)
simple("$first", _end("$first", False), 1)
collated("$in", lambda c: in_ if c.is_simple else (lambda v, a: in_(v, a, c.values_equal)), 2)
collated(
    "$indexOfArray",
    lambda c: index_of_array if c.is_simple else functools.partial(index_of_array, equal=c.values_equal),
    2,
    4,
)
simple("$isArray", is_array, 1)
simple("$last", _end("$last", True), 1)
simple("$objectToArray", object_to_array, 1)
simple("$range", range_, 2, 3)
simple("$reverseArray", reverse_array, 1)
simple("$size", size, 1)
simple("$slice", slice_, 2, 3)
