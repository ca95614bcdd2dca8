"""$densify (fill gaps in a numeric or date sequence) and $fill (null/missing values by value, locf or
linear interpolation)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from docdb.engine.aggregation.pipeline import StageContext, StageFn, register_stage
from docdb.engine.aggregation.stages_window import compile_window_stage
from docdb.engine.bson_order import hash_key
from docdb.engine.expressions.core import MISSING, Variables, compile_node, type_name, walk
from docdb.engine.expressions.date_arithmetic import add_units
from docdb.engine.expressions.dates_util import UTC, date_to_ms, is_date, ms_to_date
from docdb.engine.expressions.numeric import num_kind, to_float
from docdb.errors import ErrorCode, MongoError

_UNITS = ("year", "quarter", "month", "week", "day", "hour", "minute", "second", "millisecond")


def _set_path(doc: dict, parts: list[str], value: Any) -> dict:
    out = dict(doc)
    if len(parts) == 1:
        out[parts[0]] = value
        return out
    child = out.get(parts[0])
    out[parts[0]] = _set_path(child if isinstance(child, dict) else {}, parts[1:], value)
    return out


@register_stage("$densify")
def _densify(spec: Any, sctx: StageContext) -> StageFn:
    if not isinstance(spec, dict):
        raise MongoError(ErrorCode.FailedToParse, "the $densify stage specification must be an object")
    for key in spec:
        if key not in ("field", "partitionByFields", "range"):
            raise MongoError(40415, f"BSON field '$densify.{key}' is an unknown field.")
    if "field" not in spec or "range" not in spec:
        raise MongoError(40414, "BSON field '$densify.field' is missing but a required field")
    field = spec["field"]
    if not isinstance(field, str) or field.startswith("$"):
        raise MongoError(5733600, "Cannot densify a field name that begins with '$'")
    partition_fields = spec.get("partitionByFields", [])
    if not isinstance(partition_fields, list) or not all(isinstance(f, str) for f in partition_fields):
        raise MongoError(ErrorCode.TypeMismatch, "BSON field '$densify.partitionByFields' is the wrong type")
    rng = spec["range"]
    if not isinstance(rng, dict) or "step" not in rng or "bounds" not in rng:
        raise MongoError(40414, "BSON field '$densify.range.step' is missing but a required field")
    step, unit, bounds = rng["step"], rng.get("unit"), rng["bounds"]
    if num_kind(step) < 0 or to_float(step) <= 0:
        raise MongoError(
            5733401, "the step parameter in a range statement must be a strictly positive numeric value"
        )
    if unit is not None and unit not in _UNITS:
        raise MongoError(ErrorCode.FailedToParse, f"unknown time unit value: {unit}")
    if unit is not None and int(to_float(step)) != to_float(step):
        raise MongoError(
            5733412,
            "The step parameter in a range satement must be a whole number when densifying a date range",
        )
    if bounds not in ("full", "partition"):
        if not isinstance(bounds, list) or len(bounds) != 2:
            raise MongoError(5733403, "a bounds array in a range statement must have exactly two elements")
        if unit is None and (num_kind(bounds[0]) < 0 or num_kind(bounds[1]) < 0):
            raise MongoError(5733402, "a bounding array in a range statement must contain two numeric values")
        if unit is not None and not (is_date(bounds[0]) and is_date(bounds[1])):
            raise MongoError(5733402, "a bounding array must contain two dates when densifying a date range")
    parts = field.split(".")
    part_paths = [f.split(".") for f in partition_fields]

    def advance(value: Any) -> Any:
        if unit is None:
            return value + step
        return ms_to_date(add_units(date_to_ms(value), unit, int(to_float(step)), UTC))

    def less(a: Any, b: Any) -> bool:
        return (date_to_ms(a) < date_to_ms(b)) if unit else to_float(a) < to_float(b)

    def check(value: Any) -> None:
        if unit is None and num_kind(value) < 0:
            raise MongoError(5733201, f"Densify field type must be numeric, found {type_name(value)}")
        if unit is not None and not is_date(value):
            raise MongoError(5733201, f"Densify field type must be a date, found {type_name(value)}")

    def partition_doc(doc: dict) -> dict:
        out: dict = {}
        for path in part_paths:
            value = walk(doc, path)
            if value is not MISSING:
                out = _set_path(out, path, value)
        return out

    def run(docs: Iterable[dict], v: Variables) -> Iterator[dict]:
        partitions: dict = {}
        passthrough = []
        for doc in docs:
            value = walk(doc, parts)
            if value is None or value is MISSING:
                passthrough.append(doc)
                continue
            check(value)
            key = tuple(hash_key(_nullable(walk(doc, p))) for p in part_paths)
            partitions.setdefault(key, []).append(doc)
        from docdb.engine.aggregation.sorting import compile_sort_key

        order = compile_sort_key({field: 1})
        all_values = [walk(d, parts) for rows in partitions.values() for d in rows]
        full_lo = min(all_values, key=_num(unit)) if all_values else None
        full_hi = max(all_values, key=_num(unit)) if all_values else None
        for rows in partitions.values():
            rows.sort(key=order)
            template = partition_doc(rows[0])
            if bounds == "full":
                lo, hi, inclusive = full_lo, full_hi, True
            elif bounds == "partition":
                lo, hi, inclusive = walk(rows[0], parts), walk(rows[-1], parts), True
            else:
                lo, hi, inclusive = bounds[0], bounds[1], False
            generated = []
            cursor = lo
            while less(cursor, hi) or (inclusive and _equal(cursor, hi, unit)):
                generated.append(cursor)
                cursor = advance(cursor)
            i = j = 0
            while i < len(rows) or j < len(generated):
                if j >= len(generated) or (i < len(rows) and less(walk(rows[i], parts), generated[j])):
                    yield rows[i]
                    i += 1
                elif i < len(rows) and _equal(walk(rows[i], parts), generated[j], unit):
                    yield rows[i]
                    i += 1
                    j += 1
                else:
                    yield _set_path(template, parts, generated[j])
                    j += 1
        yield from passthrough

    return run


def _equal(a: Any, b: Any, unit: Any) -> bool:
    return (date_to_ms(a) == date_to_ms(b)) if unit else to_float(a) == to_float(b)


def _num(unit: Any) -> Any:
    return (lambda x: date_to_ms(x)) if unit else to_float


def _nullable(value: Any) -> Any:
    return None if value is MISSING else value


@register_stage("$fill")
def _fill(spec: Any, sctx: StageContext) -> StageFn:
    if not isinstance(spec, dict):
        raise MongoError(ErrorCode.FailedToParse, "the $fill stage specification must be an object")
    for key in spec:
        if key not in ("partitionBy", "partitionByFields", "sortBy", "output"):
            raise MongoError(40415, f"BSON field '$fill.{key}' is an unknown field.")
    if "partitionBy" in spec and "partitionByFields" in spec:
        raise MongoError(
            6050204, "Maximum one of 'partitionBy' and 'partitionByFields' can be specified in '$fill'"
        )
    output = spec.get("output")
    if not isinstance(output, dict) or not output:
        raise MongoError(40414, "BSON field '$fill.output' is missing but a required field")
    window_outputs: dict = {}
    value_outputs: list = []
    for path, how in output.items():
        if not isinstance(how, dict) or len(how) != 1 or next(iter(how)) not in ("value", "method"):
            raise MongoError(6050203, "Exactly one of 'value' and 'method' must be specified in $fill output")
        if "value" in how:
            value_outputs.append((path, compile_node(how["value"], sctx.scope)))
        else:
            method = how["method"]
            if method not in ("linear", "locf"):
                raise MongoError(6050202, "Method must be either locf or linear")
            if "sortBy" not in spec:
                raise MongoError(6050201, "'sortBy' field is required if 'method' is used in '$fill'")
            window_outputs[path] = {"$linearFill" if method == "linear" else "$locf": "$" + path}
    window = None
    if window_outputs:
        window_spec: dict = {"sortBy": spec["sortBy"], "output": window_outputs}
        if "partitionBy" in spec:
            window_spec["partitionBy"] = spec["partitionBy"]
        elif "partitionByFields" in spec:
            window_spec["partitionBy"] = {f: "$" + f for f in spec["partitionByFields"]}
        window = compile_window_stage(window_spec, sctx, "$fill")
    elif "sortBy" in spec:
        from docdb.engine.aggregation.sorting import compile_sort_key

        order = compile_sort_key(spec["sortBy"])
    value_parts = [(path.split("."), fn) for path, fn in value_outputs]

    def run(docs: Iterable[dict], v: Variables) -> Iterator[dict]:
        stream: Iterable[dict] = docs
        if window is not None:
            stream = window(docs, v)
        elif "sortBy" in spec:
            stream = sorted(docs, key=order)
        local = v.with_root(None)
        for doc in stream:
            for parts, fn in value_parts:
                current = walk(doc, parts)
                if current is None or current is MISSING:
                    local.root = doc
                    doc = _set_path(doc, parts, fn(doc, local))
            yield doc

    return run
