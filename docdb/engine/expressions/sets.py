"""Set operators ($setUnion $setIntersection $setDifference $setEquals $setIsSubset) and
$anyElementTrue / $allElementsTrue: arrays read as sets of distinct values under MongoDB equality."""

from __future__ import annotations

from typing import Any

from docdb.engine.bson_order import hash_key
from docdb.engine.expressions.core import MISSING, simple, type_name
from docdb.engine.expressions.logic import truthy
from docdb.errors import MongoError


def _nullish(value: Any) -> bool:
    return value is None or value is MISSING


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


simple("$allElementsTrue", all_elements_true, 1)
simple("$anyElementTrue", any_element_true, 1)
simple("$setDifference", set_difference, 2)
simple("$setEquals", set_equals, 2, None)
simple("$setIntersection", set_intersection, 0, None)
simple("$setIsSubset", set_is_subset, 2)
simple("$setUnion", set_union, 0, None)
