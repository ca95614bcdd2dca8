"""$setWindowFields: partition, sort, then compute each output field over a window of each document.

Windows are ``documents: [lower, upper]`` (positions relative to the current document) or
``range: [lower, upper]`` (values of the single sortBy field, with ``unit`` for dates). Accumulators are
recomputed per window from the group accumulator states: O(n * window), simple and exact.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from typing import Any

from docdb.engine.aggregation.accumulators import ACCUMULATORS, compile_accumulator
from docdb.engine.aggregation.pipeline import StageContext, StageFn, register_stage
from docdb.engine.aggregation.sorting import compile_sort_key, parse_sort_spec
from docdb.engine.bson_order import hash_key, sort_key
from docdb.engine.expressions.core import MISSING, Scope, Variables, compile_node, type_name, walk
from docdb.engine.expressions.dates_util import date_to_ms, is_date
from docdb.engine.expressions.numeric import num_kind, to_float
from docdb.errors import ErrorCode, MongoError

_RANK_OPS = ("$rank", "$denseRank", "$documentNumber")
_WINDOW_ONLY = ("$shift", "$derivative", "$integral", "$expMovingAvg", "$covariancePop", "$covarianceSamp")
_WINDOW_ONLY += ("$linearFill", "$locf")
_UNIT_MS = {"week": 604_800_000, "day": 86_400_000, "hour": 3_600_000, "minute": 60_000, "second": 1000}
_UNIT_MS["millisecond"] = 1


def _set_top(doc: dict, path: str, value: Any) -> dict:
    out = dict(doc)
    head, _, rest = path.partition(".")
    if not rest:
        out[head] = value
    else:
        child = out.get(head)
        out[head] = _set_top(child if isinstance(child, dict) else {}, rest, value)
    return out


class _Output:
    """One output field: an operator, its compiled argument, and its window bounds."""

    def __init__(self, path: str, spec: Any, scope: Scope, sort_fields: list | None) -> None:
        if not isinstance(spec, dict):
            raise MongoError(ErrorCode.FailedToParse, f"The field '{path}' must be an object")
        ops = [k for k in spec if k != "window"]
        if len(ops) != 1:
            raise MongoError(
                ErrorCode.FailedToParse, f"Expected exactly one function for window field '{path}'"
            )
        self.path = path
        self.op = ops[0]
        self.arg = spec[self.op]
        window = spec.get("window")
        self.kind = "documents"
        self.bounds: tuple[Any, Any] = ("unbounded", "unbounded")
        self.unit = None
        if self.op in _RANK_OPS or self.op in ("$shift", "$linearFill", "$locf"):
            if window is not None:
                raise MongoError(5371601, f"{self.op} does not accept a 'window' field")
            if not sort_fields:
                raise MongoError(
                    5371602,
                    f"{self.op} must be specified with a top level "
                    "sortBy expression with exactly one element",
                )
        if self.op in _RANK_OPS:
            if self.arg != {}:
                raise MongoError(5371603, f"{self.op} must be specified with an empty object")
            return
        if window is not None:
            self._parse_window(window, sort_fields)
        if self.op == "$shift":
            self._compile_shift(scope)
        elif self.op in ("$derivative", "$integral"):
            self._compile_rate(scope, sort_fields)
        elif self.op == "$expMovingAvg":
            self._compile_ema(scope, sort_fields)
        elif self.op in ("$covariancePop", "$covarianceSamp"):
            if not isinstance(self.arg, list) or len(self.arg) != 2:
                raise MongoError(ErrorCode.FailedToParse, f"{self.op} requires an array of two expressions")
            self.pair = [compile_node(a, scope) for a in self.arg]
        elif self.op in ("$linearFill", "$locf"):
            self.input = compile_node(self.arg, scope)
        elif self.op in ACCUMULATORS:
            self.factory, self.input = compile_accumulator(self.op, self.arg, scope)
        else:
            raise MongoError(ErrorCode.FailedToParse, f"Unrecognized window function, {self.op}")

    def _parse_window(self, window: Any, sort_fields: list | None) -> None:
        if not isinstance(window, dict):
            raise MongoError(ErrorCode.FailedToParse, "'window' field must be an object")
        for key in window:
            if key not in ("documents", "range", "unit"):
                raise MongoError(ErrorCode.FailedToParse, f"'window' has an invalid argument: {key}")
        if "documents" in window and "range" in window:
            raise MongoError(
                ErrorCode.FailedToParse, "Window bounds can only specify one of 'documents' or 'range'"
            )
        self.kind = "range" if "range" in window else "documents"
        bounds = window.get(self.kind)
        if not isinstance(bounds, list) or len(bounds) != 2:
            raise MongoError(ErrorCode.FailedToParse, f"Window bounds must be a 2-element array: {bounds!r}")
        for bound in bounds:
            if bound not in ("unbounded", "current") and num_kind(bound) < 0:
                raise MongoError(
                    ErrorCode.FailedToParse,
                    f"Window bounds must be 'unbounded', 'current', or a number: {bound!r}",
                )
            if self.kind == "documents" and num_kind(bound) >= 0 and int(bound) != bound:
                raise MongoError(ErrorCode.FailedToParse, "Numeric document-based bounds must be an integer")
        self.unit = window.get("unit")
        if self.unit is not None and self.unit not in _UNIT_MS:
            raise MongoError(ErrorCode.FailedToParse, f"Unknown time unit '{self.unit}' in window")
        if self.kind == "range" and (not sort_fields or len(sort_fields) != 1):
            raise MongoError(5339902, "Range-based bounds require sortBy a single field")
        if self.kind == "documents" and any(b != "unbounded" for b in bounds) and not sort_fields:
            raise MongoError(5339901, "Document-based bounds require a sortBy")
        self.bounds = (bounds[0], bounds[1])

    def _compile_shift(self, scope: Scope) -> None:
        arg = self.arg
        if not isinstance(arg, dict) or "output" not in arg or "by" not in arg:
            raise MongoError(ErrorCode.FailedToParse, "$shift requires 'output' and 'by' fields")
        by = arg["by"]
        if num_kind(by) < 0 or int(by) != by:
            raise MongoError(
                ErrorCode.FailedToParse, "'$shift:by' field must be an integer, but found " + repr(by)
            )
        self.by = int(by)
        self.input = compile_node(arg["output"], scope)
        self.default = compile_node(arg.get("default"), scope)

    def _compile_rate(self, scope: Scope, sort_fields: list | None) -> None:
        arg = self.arg
        if not isinstance(arg, dict) or "input" not in arg:
            raise MongoError(ErrorCode.FailedToParse, f"{self.op} requires an 'input' expression")
        if not sort_fields or len(sort_fields) != 1:
            raise MongoError(5624901, f"{self.op} requires a sortBy with exactly one field")
        self.input = compile_node(arg["input"], scope)
        self.rate_unit = arg.get("unit")
        if self.rate_unit is not None and self.rate_unit not in _UNIT_MS:
            raise MongoError(ErrorCode.FailedToParse, f"Unknown time unit '{self.rate_unit}'")
        if self.op == "$derivative" and self.bounds == ("unbounded", "unbounded"):
            raise MongoError(5624900, "$derivative requires explicit window bounds")

    def _compile_ema(self, scope: Scope, sort_fields: list | None) -> None:
        arg = self.arg
        if not isinstance(arg, dict) or "input" not in arg or ("N" in arg) == ("alpha" in arg):
            raise MongoError(
                ErrorCode.FailedToParse, "$expMovingAvg requires 'input' and exactly one of 'N' or 'alpha'"
            )
        if not sort_fields:
            raise MongoError(5433602, "$expMovingAvg requires an explicit 'sortBy'")
        self.input = compile_node(arg["input"], scope)
        if "N" in arg:
            n = arg["N"]
            if num_kind(n) < 0 or int(n) != n or n <= 0:
                raise MongoError(ErrorCode.FailedToParse, "'N' field must be an integer greater than zero")
            self.alpha = 2.0 / (int(n) + 1)
        else:
            alpha = arg["alpha"]
            if num_kind(alpha) < 0 or not 0 < to_float(alpha) < 1:
                raise MongoError(ErrorCode.FailedToParse, "'alpha' must be between 0 and 1 (exclusive)")
            self.alpha = to_float(alpha)


def _sort_value(doc: dict, sort_fields: list) -> Any:
    parts, _ = sort_fields[0]
    value = walk(doc, parts)
    return None if value is MISSING else value


def _window_indices(out: _Output, i: int, rows: list, sort_values: list | None) -> range:
    n = len(rows)
    low, high = out.bounds
    if out.kind == "documents":
        start = 0 if low == "unbounded" else i + (0 if low == "current" else int(low))
        end = n - 1 if high == "unbounded" else i + (0 if high == "current" else int(high))
        return range(max(0, start), min(n - 1, end) + 1)
    assert sort_values is not None
    here = _as_number(sort_values[i], out.unit)
    if here is None:
        return range(0)
    lo = -math.inf if low == "unbounded" else here + (0 if low == "current" else _scale(low, out.unit))
    hi = math.inf if high == "unbounded" else here + (0 if high == "current" else _scale(high, out.unit))
    indices = [
        j for j in range(n) if (x := _as_number(sort_values[j], out.unit)) is not None and lo <= x <= hi
    ]
    return range(indices[0], indices[-1] + 1) if indices else range(0)


def _scale(bound: Any, unit: str | None) -> float:
    return to_float(bound) * (_UNIT_MS[unit] if unit else 1)


def _as_number(value: Any, unit: str | None) -> float | None:
    if unit:
        if not is_date(value):
            raise MongoError(
                5429513,
                "Invalid range: Expected the sortBy field to be a Date, but it was " + type_name(value),
            )
        return float(date_to_ms(value))
    if num_kind(value) < 0:
        if value is None:
            return None
        raise MongoError(
            5429414, "Invalid range: Expected the sortBy field to be a number, but it was " + type_name(value)
        )
    return to_float(value)


def _compute(out: _Output, rows: list, sort_fields: list | None, v: Variables) -> list:
    n = len(rows)
    local = v.with_root(None)

    def eval_at(fn: Any, j: int) -> Any:
        local.root = rows[j]
        return fn(rows[j], local)

    if out.op in _RANK_OPS:
        keys = [_rank_key(row, sort_fields) for row in rows]
        results = []
        rank = dense = 0
        for i in range(n):
            if out.op == "$documentNumber":
                results.append(i + 1)
                continue
            if i == 0 or keys[i] != keys[i - 1]:
                rank = i + 1
                dense += 1
            results.append(rank if out.op == "$rank" else dense)
        return results
    if out.op == "$shift":
        results = []
        for i in range(n):
            j = i + out.by
            value = eval_at(out.input, j) if 0 <= j < n else eval_at(out.default, i)
            results.append(None if value is MISSING else value)
        return results
    if out.op == "$expMovingAvg":
        results, ema = [], None
        for i in range(n):
            value = eval_at(out.input, i)
            if num_kind(value) < 0:
                results.append(None)
                continue
            x = to_float(value)
            ema = x if ema is None else out.alpha * x + (1 - out.alpha) * ema
            results.append(ema)
        return results
    if out.op in ("$locf", "$linearFill"):
        values = [eval_at(out.input, i) for i in range(n)]
        return _fill_values(
            values, out.op, [_sort_value(r, sort_fields) for r in rows] if sort_fields else None
        )
    sort_values = [_sort_value(r, sort_fields) for r in rows] if sort_fields else None
    results = []
    for i in range(n):
        window = _window_indices(out, i, rows, sort_values)
        if out.op in ("$derivative", "$integral"):
            results.append(_rate(out, [(sort_values[j], eval_at(out.input, j)) for j in window]))
        elif out.op in ("$covariancePop", "$covarianceSamp"):
            pairs = [(eval_at(out.pair[0], j), eval_at(out.pair[1], j)) for j in window]
            results.append(_covariance(pairs, out.op == "$covarianceSamp"))
        else:
            state = out.factory()
            for j in window:
                state.add(eval_at(out.input, j))
            results.append(state.result())
    return results


def _rank_key(row: dict, sort_fields: list | None) -> Any:
    """What $rank/$denseRank compare: the sortBy field's value, not its sort key.

    The rows are already in ``$sort`` order; mongod ranks by value equality of the (single) sortBy
    field, so ``[1, 5]`` and ``[1, 7]`` rank apart although both sort by their smallest element.
    ``sort_key`` gives that equality (``1 == 1.0``) in hashable form.
    """
    return tuple(
        sort_key(None if (x := walk(row, parts)) is MISSING else x) for parts, _ in sort_fields or []
    )


def _rate(out: _Output, points: list) -> Any:
    usable = []
    for x, y in points:
        if num_kind(y) < 0:
            continue
        if out.rate_unit:
            if not is_date(x):
                raise MongoError(5624900, f"{out.op} with 'unit' expects the sortBy field to be a Date")
            xv = date_to_ms(x) / _UNIT_MS[out.rate_unit]
        else:
            if is_date(x):
                raise MongoError(5624901, f"{out.op} where the sortBy is a Date requires an 'unit'")
            if num_kind(x) < 0:
                continue
            xv = to_float(x)
        usable.append((xv, to_float(y)))
    if out.op == "$derivative":
        if len(usable) < 2:
            return None
        (x0, y0), (x1, y1) = usable[0], usable[-1]
        return None if x1 == x0 else (y1 - y0) / (x1 - x0)
    if not usable:
        return None
    return sum((b[0] - a[0]) * (a[1] + b[1]) / 2 for a, b in zip(usable, usable[1:], strict=False))


def _covariance(pairs: list, sample: bool) -> Any:
    points = [(to_float(x), to_float(y)) for x, y in pairs if num_kind(x) >= 0 and num_kind(y) >= 0]
    n = len(points)
    if n == 0 or (sample and n == 1):
        return None
    mx = sum(p[0] for p in points) / n
    my = sum(p[1] for p in points) / n
    return sum((x - mx) * (y - my) for x, y in points) / (n - 1 if sample else n)


def _fill_values(values: list, method: str, xs: list | None) -> list:
    """$locf carries the last non-null value forward; $linearFill interpolates between non-null neighbours."""
    out = [None if v is MISSING else v for v in values]
    if method == "$locf":
        last = None
        for i, value in enumerate(out):
            if value is None:
                out[i] = last
            else:
                last = value
        return out
    known = [i for i, value in enumerate(out) if value is not None]
    for a, b in zip(known, known[1:], strict=False):
        if b - a < 2:
            continue
        if num_kind(out[a]) < 0 or num_kind(out[b]) < 0:
            raise MongoError(5877701, "Value to be filled must be numeric")
        x0 = _x(xs, a)
        x1 = _x(xs, b)
        for i in range(a + 1, b):
            t = (_x(xs, i) - x0) / (x1 - x0) if x1 != x0 else 0
            out[i] = to_float(out[a]) + t * (to_float(out[b]) - to_float(out[a]))
    return out


def _x(xs: list | None, i: int) -> float:
    if xs is None:
        return float(i)
    value = xs[i]
    return float(date_to_ms(value)) if is_date(value) else to_float(value)


def compile_window_stage(spec: Any, sctx: StageContext, stage: str = "$setWindowFields") -> StageFn:
    if not isinstance(spec, dict):
        raise MongoError(ErrorCode.FailedToParse, f"the {stage} stage specification must be an object")
    for key in spec:
        if key not in ("partitionBy", "sortBy", "output"):
            raise MongoError(40415, f"BSON field '{stage}.{key}' is an unknown field.")
    if "output" not in spec:
        raise MongoError(40414, f"BSON field '{stage}.output' is missing but a required field")
    if not isinstance(spec["output"], dict):
        raise MongoError(
            ErrorCode.TypeMismatch, f"BSON field '{stage}.output' is the wrong type, expected object"
        )
    sort_spec = spec.get("sortBy")
    sort_fields = parse_sort_spec(sort_spec) if sort_spec is not None else None
    order = compile_sort_key(sort_spec) if sort_spec is not None else None
    partition = compile_node(spec["partitionBy"], sctx.scope) if "partitionBy" in spec else None
    outputs = [_Output(path, field, sctx.scope, sort_fields) for path, field in spec["output"].items()]

    def run(docs: Iterable[dict], v: Variables) -> Iterator[dict]:
        partitions: dict = {}
        local = v.with_root(None)
        for doc in docs:
            key = None
            if partition is not None:
                local.root = doc
                value = partition(doc, local)
                if isinstance(value, list):
                    raise MongoError(5722401, "$setWindowFields partitionBy must not evaluate to an array")
                key = hash_key(None if value is MISSING else value)
            partitions.setdefault(key, []).append(doc)
        for rows in partitions.values():
            if order is not None:
                rows.sort(key=order)
            columns = [(out.path, _compute(out, rows, sort_fields, v)) for out in outputs]
            for i, row in enumerate(rows):
                for path, column in columns:
                    row = _set_top(row, path, column[i])
                yield row

    return run


@register_stage("$setWindowFields")
def _set_window_fields(spec: Any, sctx: StageContext) -> StageFn:
    return compile_window_stage(spec, sctx)
