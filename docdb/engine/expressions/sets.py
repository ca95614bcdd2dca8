"""Set operators ($setUnion $setIntersection $setDifference $setEquals $setIsSubset) and
$anyElementTrue / $allElementsTrue: arrays read as sets of distinct values under MongoDB equality."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from docdb.engine.bson_order import hash_key
from docdb.engine.expressions.core import MISSING, collated, simple, type_name
from docdb.engine.expressions.logic import truthy
from docdb.errors import MongoError


def _nullish(value: Any) -> bool:
    return value is None or value is MISSING


def _dedupe(values: Any, hk: Callable[[Any], Any] = hash_key) -> list:
    seen: set = set()
    out = []
    for value in values:
        key = hk(value)
        if key not in seen:
            seen.add(key)
            out.append(value)
    return out


def set_union(*arrays: Any, hk: Callable[[Any], Any] = hash_key) -> Any:
    for array in arrays:
        if _nullish(array):
            return None
        if not isinstance(array, list):
            raise MongoError(
                17043,
                f"All operands of $setUnion must be arrays. One argument is of type: {type_name(array)}",
            )
    return _dedupe((item for array in arrays for item in array), hk)


def set_intersection(*arrays: Any, hk: Callable[[Any], Any] = hash_key) -> Any:
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
    result = _dedupe(arrays[0], hk)
    for array in arrays[1:]:
        keys = {hk(item) for item in array}
        result = [item for item in result if hk(item) in keys]
    return result


def set_difference(left: Any, right: Any, hk: Callable[[Any], Any] = hash_key) -> Any:
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
    keys = {hk(item) for item in right}
    return [item for item in _dedupe(left, hk) if hk(item) not in keys]


def set_equals(*arrays: Any, hk: Callable[[Any], Any] = hash_key) -> bool:
    keysets = []
    for array in arrays:
        if not isinstance(array, list):
            raise MongoError(
                17044,
                f"All operands of $setEquals must be arrays. One argument is of type: {type_name(array)}",
            )
        keysets.append({hk(item) for item in array})
    return all(keys == keysets[0] for keys in keysets)


def set_is_subset(left: Any, right: Any, hk: Callable[[Any], Any] = hash_key) -> bool:
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
    return {hk(item) for item in left} <= {hk(item) for item in right}


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


def _under(fn: Callable[..., Any]) -> Callable[[Any], Callable[..., Any]]:
    """For ``collated``: ``fn`` itself without a collation, else ``fn`` with the collator's hash key."""
    return lambda collator: fn if collator.is_simple else functools.partial(fn, hk=collator.hash_key)


collated("$setDifference", _under(set_difference), 2)
collated("$setEquals", _under(set_equals), 2, None)
collated("$setIntersection", _under(set_intersection), 0, None)
collated("$setIsSubset", _under(set_is_subset), 2)
collated("$setUnion", _under(set_union), 0, None)
