"""``$bucketAuto``: sort by the groupBy value, cut into about equal buckets, optionally round boundaries.

Mongod's procedure, which decides where every boundary lands: each bucket takes ``round(n / buckets)``
documents (at least one; the last bucket takes the rest), then absorbs the following documents with the
same value, so equal values never straddle two buckets. A bucket's ``max`` is the next bucket's first
value (the last bucket's is its own largest value). With ``granularity`` the bucket also absorbs values
below its rounded-up maximum, ``max`` is that rounded value (or, when it is 0, the next value rounded
down) and ``min`` is the previous bucket's ``max`` (the first bucket's is its smallest value rounded down).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from typing import Any

from docdb.engine.aggregation.granularity import Rounder, get_rounder
from docdb.engine.aggregation.pipeline import StageContext, StageFn, register_stage
from docdb.engine.aggregation.stages_group import GroupSpec
from docdb.engine.bson_order import compare, sort_key
from docdb.engine.expressions.core import MISSING, Evaluator, Scope, Variables, compile_node, type_name
from docdb.engine.expressions.numeric import NOT_NUMBER, as_int, num_kind, to_float
from docdb.engine.query.bson_text import format_value
from docdb.errors import MongoError

_DEFAULT_OUTPUT = {"count": {"$sum": 1}}


def _parse_group_by(value: Any, scope: Scope) -> Evaluator:
    """A ``$path`` or an operator object (``{$add: …}``); mongod refuses anything else with 40239."""
    is_path = isinstance(value, str) and len(value) > 1 and value.startswith("$")
    is_operator = isinstance(value, dict) and str(next(iter(value), "")).startswith("$")
    if not (is_path or is_operator):
        raise MongoError(
            40239,
            "The $bucketAuto 'groupBy' field must be defined as a $-prefixed path or an expression object, "
            f"but found: {format_value(value)}",
        )
    return compile_node(value, scope)


def _parse_buckets(value: Any) -> int:
    if num_kind(value) == NOT_NUMBER:
        raise MongoError(
            40241,
            f"The $bucketAuto 'buckets' field must be a numeric value, but found type: {type_name(value)}",
        )
    count = as_int(value)
    if count is None or not -(2**31) <= count < 2**31:
        raise MongoError(
            40242,
            "The $bucketAuto 'buckets' field must be representable as a 32-bit integer, but found "
            f"{to_float(value):g}",
        )
    return count


def _parse_granularity(value: Any) -> Rounder:
    if not isinstance(value, str):
        raise MongoError(
            40261, f"The $bucketAuto 'granularity' field must be a string, but found type: {type_name(value)}"
        )
    return get_rounder(value)


def _check_rounded_key(key: Any) -> None:
    """Values to be rounded must be non-negative numbers (checked as each document arrives)."""
    if num_kind(key) == NOT_NUMBER:
        raise MongoError(
            40258,
            "$bucketAuto can specify a 'granularity' with numeric boundaries only, but found a value with "
            f"type: {type_name(key)}",
        )
    number = to_float(key)
    if math.isnan(number):
        raise MongoError(
            40259, "$bucketAuto can specify a 'granularity' with numeric boundaries only, but found a NaN"
        )
    if number < 0:
        raise MongoError(
            40260,
            "$bucketAuto can specify a 'granularity' with non-negative numbers only, "
            "but found a negative number",
        )


def _cut(keys: list, buckets: int, rounder: Rounder | None) -> Iterator[tuple[int, int, Any, Any]]:
    """(start, end, min, max) of each bucket over the sorted ``keys``."""
    n = len(keys)
    size = max(1, math.floor(n / buckets + 0.5))
    start, number, previous_max = 0, 0, None
    while start < n and number < buckets:
        number += 1
        end = n if number == buckets else min(n, start + size)
        highest = keys[end - 1]
        if rounder is None:
            while end < n and compare(highest, keys[end]) == 0:
                end += 1
            low, high = keys[start], keys[end] if end < n else highest
        else:
            boundary = rounder.round_up(highest)
            while end < n and (compare(boundary, keys[end]) > 0 or compare(highest, keys[end]) == 0):
                highest = keys[end]
                end += 1
            high = rounder.round_down(keys[end]) if to_float(boundary) == 0.0 and end < n else boundary
            low = rounder.round_down(keys[start]) if previous_max is None else previous_max
        previous_max = high
        yield start, end, low, high
        start = end


@register_stage("$bucketAuto")
def _bucket_auto(spec: Any, sctx: StageContext) -> StageFn:
    if not isinstance(spec, dict):
        raise MongoError(
            40240, f"The argument to $bucketAuto must be an object, but found type: {type_name(spec)}"
        )
    group_by: Evaluator | None = None
    buckets: int | None = None
    rounder: Rounder | None = None
    output = _DEFAULT_OUTPUT
    for key, value in spec.items():
        if key == "groupBy":
            group_by = _parse_group_by(value, sctx.scope)
        elif key == "buckets":
            buckets = _parse_buckets(value)
        elif key == "output":
            if not isinstance(value, dict):
                raise MongoError(
                    40244,
                    f"The $bucketAuto 'output' field must be an object, but found type: {type_name(value)}",
                )
            output = value or _DEFAULT_OUTPUT
        elif key == "granularity":
            rounder = _parse_granularity(value)
        else:
            raise MongoError(40245, f"Unrecognized option to $bucketAuto: {key}")
    if group_by is None or buckets is None:
        raise MongoError(40246, "$bucketAuto requires 'groupBy' and 'buckets' to be specified")
    if buckets <= 0:
        raise MongoError(
            40243, f"The $bucketAuto 'buckets' field must be greater than 0, but found: {buckets}"
        )
    group_spec = GroupSpec(output, sctx.scope)
    value_fn = group_by

    def run(docs: Iterable[dict], v: Variables) -> Iterator[dict]:
        local = v.with_root(None)
        pairs = []
        for doc in docs:
            local.root = doc
            value = value_fn(doc, local)
            if rounder is not None:
                _check_rounded_key(value)
            pairs.append((None if value is MISSING else value, doc))
        pairs.sort(key=lambda pair: sort_key(pair[0]))
        keys = [key for key, _doc in pairs]
        for start, end, low, high in _cut(keys, buckets, rounder):
            states = group_spec.new_states()
            for _key, doc in pairs[start:end]:
                local.root = doc
                for state, arg in zip(states, group_spec.args, strict=True):
                    state.add(arg(doc, local))
            yield {"_id": {"min": low, "max": high}, **group_spec.results(states)}

    return run
