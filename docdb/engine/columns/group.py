"""``$group`` over columns: group ids by vectorized factorizing, accumulators by sorted segment sums.

Served: ``_id`` a field path (or a constant), accumulators ``$sum`` (of a path or a number), ``$avg``,
``$min``, ``$max``, ``$first``, ``$last`` of a path, and ``$count``. Anything else — or data the arrays
would get wrong — returns None and the row engine groups instead. Results equal the row engine's, value
for value and type for type, because the final values come from the same accumulator classes
(``Sum``/``Avg``) fed with exact totals, and original values (group ids, $min/$max/$first/$last) are
read back from the documents themselves:

- integer sums are exact int64 sums (refused if they could overflow);
- double sums: the row engine's compensated sum equals the exact sum whenever every partial sum is
  representable, which holds when all values are multiples of one power of two and the sum of their
  magnitudes stays below 2**53 of those units; other doubles go to the row engine;
- groups come out in the order their first document appears, as the row engine's dict keeps them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from docdb.bson_codec import decode_document
from docdb.engine.aggregation.accumulators import Avg, Sum
from docdb.engine.bson_order import MISSING
from docdb.engine.collation import active
from docdb.engine.collection import Collection
from docdb.engine.columns.cache import ColumnSet, column_set
from docdb.engine.columns.column import EXACT_FLOAT_INT, T_NUMBER, T_STRING, Column
from docdb.engine.columns.filters import Unsupported, compile_column_filter
from docdb.engine.expressions.numeric import DOUBLE, INT, LONG
from docdb.engine.paths import get_path

_PATH_OPS = ("$sum", "$avg", "$min", "$max", "$first", "$last")


@dataclass(frozen=True, slots=True)
class ColumnGroup:
    """A compiled ``$group`` the columns can serve: its key path (None: one group) and accumulators."""

    key_path: str | None
    key_constant: Any
    accumulators: list[tuple[str, str, str | None, Any]]  # (field, op, path or None, constant)

    @property
    def paths(self) -> set[str]:
        found = {path for _, _, path, _ in self.accumulators if path is not None}
        if self.key_path is not None:
            found.add(self.key_path)
        return found


def _field_path(arg: Any) -> str | None:
    if isinstance(arg, str) and arg.startswith("$") and not arg.startswith("$$") and len(arg) > 1:
        path = arg[1:]
        if not any(part.startswith("$") or not part for part in path.split(".")):
            return path
    return None


def compile_column_group(spec: Any) -> ColumnGroup | None:
    """The served form of a ``$group`` spec (already validated by the pipeline compiler), or None."""
    if not isinstance(spec, dict) or "_id" not in spec:
        return None
    key = spec["_id"]
    key_path = _field_path(key)
    if key_path is None and (isinstance(key, (dict, list)) or (isinstance(key, str) and key.startswith("$"))):
        return None
    accumulators = []
    for name, acc in spec.items():
        if name == "_id":
            continue
        if not isinstance(acc, dict) or len(acc) != 1:
            return None
        op, arg = next(iter(acc.items()))
        if op == "$count" and arg == {}:
            accumulators.append((name, "$sum", None, 1))
            continue
        path = _field_path(arg)
        if op in _PATH_OPS and path is not None:
            accumulators.append((name, op, path, None))
        elif op == "$sum" and type(arg) is int:
            accumulators.append((name, op, None, arg))
        else:
            return None
    return ColumnGroup(key_path, None if key_path else key, accumulators)


def run_column_group(group: ColumnGroup, columns: ColumnSet, rows: np.ndarray) -> list[dict[str, Any]] | None:
    """The group documents for the matching ``rows`` (ascending row numbers), or None to fall back."""
    try:
        return _run(group, columns, rows)
    except Unsupported:
        return None


def _run(group: ColumnGroup, columns: ColumnSet, rows: np.ndarray) -> list[dict[str, Any]]:
    if len(rows) == 0:
        return []
    codes = (
        np.zeros(len(rows), dtype=np.int64)
        if group.key_path is None
        else _factorize(columns[group.key_path], rows)
    )
    # number groups in first-seen order: first[c] is the first position holding code c (writing positions
    # in reverse leaves the first one), and groups are ranked by it
    first = np.full(int(codes.max()) + 1, len(rows), dtype=np.int64)
    first[codes[::-1]] = np.arange(len(rows) - 1, -1, -1)
    present = np.flatnonzero(first < len(rows))
    order = present[np.argsort(first[present], kind="stable")]
    ngroups = len(order)
    rank = np.empty(len(first), dtype=np.int64)
    rank[order] = np.arange(ngroups)
    small = np.uint16 if ngroups <= 1 << 16 else np.int64  # stable argsort of uint16 is a radix sort
    gid = rank[codes].astype(small)
    by_group = np.argsort(gid, kind="stable")  # grouped, in row order within each group
    counts = np.bincount(gid, minlength=ngroups)
    bounds = np.concatenate(([0], np.cumsum(counts)))
    first_rows = rows[first[order]]
    decoded: dict[int, dict[str, Any]] = {}

    def doc_at(row: int) -> dict[str, Any]:
        found = decoded.get(row)
        if found is None:
            found = decoded[row] = decode_document(columns.raws[row])
        return found

    segments = _Segments(rows, gid.astype(np.int64), by_group, bounds, counts, ngroups, doc_at)
    results = [_accumulate(acc, columns, segments) for acc in group.accumulators]
    out: list[dict[str, Any]] = []
    for g in range(ngroups):
        if group.key_path is None:
            key = group.key_constant
        else:
            key = _value(doc_at(int(first_rows[g])), group.key_path)
        doc = {"_id": key}
        for (name, _, _, _), values in zip(group.accumulators, results, strict=True):
            doc[name] = values[g]
        out.append(doc)
    return out


@dataclass(frozen=True, slots=True)
class _Segments:
    """The matching rows split into groups: ``by_group`` orders positions group by group (row order
    inside), ``bounds[g]:bounds[g+1]`` is group g's slice of it."""

    rows: np.ndarray
    gid: np.ndarray
    by_group: np.ndarray
    bounds: np.ndarray
    counts: np.ndarray
    ngroups: int
    doc_at: Any


def _factorize(column: Column, rows: np.ndarray) -> np.ndarray:
    """Group codes for ``rows``: numbers by value (1 == 1.0), strings by value, null and missing together."""
    if not column.numbers_exact:
        raise Unsupported
    tags = column.tags[rows]
    if not (tags <= T_STRING).all():  # missing, null, number, string
        raise Unsupported
    numbers = tags == T_NUMBER
    strings = tags == T_STRING
    if numbers.all():
        values = column.num[rows]
        low, high = values.min(), values.max()
        if (values == np.floor(values)).all() and high - low < 1 << 20:  # small integers: no sort needed
            return (values - low).astype(np.int64)
    codes = np.zeros(len(rows), dtype=np.int64)  # null/missing: code 0
    if numbers.any():
        _, inverse = np.unique(column.num[rows][numbers], return_inverse=True)  # NaNs are one group
        codes[numbers] = inverse.reshape(-1) + 1
    if strings.any():
        codes[strings] = column.codes[rows][strings].astype(np.int64) + 2 + len(rows)
    return codes


def _accumulate(acc: tuple[str, str, str | None, Any], columns: ColumnSet, seg: _Segments) -> list[Any]:
    _, op, path, constant = acc
    if path is None:  # $sum of a constant int: the row engine adds it once per document
        return [_finish_sum(int(c) * constant, 0.0, INT) for c in seg.counts]
    column = columns[path]
    if column.has_array:
        raise Unsupported
    if op in ("$first", "$last"):
        pick = seg.bounds[:-1] if op == "$first" else seg.bounds[1:] - 1
        return [_value(seg.doc_at(int(seg.rows[seg.by_group[i]])), path) for i in pick]
    tags = column.tags[seg.rows]
    if op in ("$min", "$max"):
        return _extremes(op, column, tags, seg, path)
    if column.has_decimal:
        raise Unsupported
    numeric = tags == T_NUMBER
    kinds = np.where(numeric, column.kinds[seg.rows], -1)
    int_sums = _int_sums(column.ints[seg.rows], numeric & (kinds != DOUBLE), seg)
    double_sums = _double_sums(column.num[seg.rows], numeric & (kinds == DOUBLE), seg)
    top_kind = _top_kinds(kinds, seg)
    numeric_counts = np.bincount(seg.gid, weights=numeric, minlength=seg.ngroups).astype(np.int64)
    results = []
    for g in range(seg.ngroups):
        total = _finish_sum(int(int_sums[g]), float(double_sums[g]), max(int(top_kind[g]), INT))
        results.append(total if op == "$sum" else _finish_avg(total, int(numeric_counts[g])))
    return results


def _top_kinds(kinds: np.ndarray, seg: _Segments) -> np.ndarray:
    """Per group, the widest numeric kind seen (INT < LONG < DOUBLE; -1: no number), as ``Sum`` tracks
    it: one ``bincount`` per kind (``np.maximum.at`` costs tens of ns a row)."""
    top = np.full(seg.ngroups, -1, dtype=np.int64)
    for kind in (INT, LONG, DOUBLE):  # widening order: a later kind overrides an earlier one
        seen = np.bincount(seg.gid, weights=kinds == kind, minlength=seg.ngroups) > 0
        top[seen] = kind
    return top


def _value(doc: dict[str, Any], path: str) -> Any:
    value = get_path(doc, path)
    return None if value is MISSING else value


def _int_sums(ints: np.ndarray, mask: np.ndarray, seg: _Segments) -> list[int]:
    """Exact per-group integer sums: in float64 while every total stays below 2**53, else in Python."""
    values = np.where(mask, ints, 0)
    if not values.any():
        return [0] * seg.ngroups
    if float(np.abs(values.astype(np.float64)).sum()) < EXACT_FLOAT_INT:
        return [int(x) for x in np.bincount(seg.gid, weights=values, minlength=seg.ngroups)]
    ordered = values[seg.by_group].tolist()
    return [sum(ordered[seg.bounds[g] : seg.bounds[g + 1]]) for g in range(seg.ngroups)]


def _double_sums(num: np.ndarray, mask: np.ndarray, seg: _Segments) -> np.ndarray:
    """Exact per-group sums of the doubles, when every partial sum is exact (see the module doc)."""
    values = np.where(mask, num, 0.0)
    if not values.any():
        return np.zeros(seg.ngroups)
    if not np.isfinite(values).all():
        raise Unsupported
    magnitude = float(np.abs(values).sum())
    for shift in (0, 1, 2, 3, 4, 8, 12, 16, 20, 24, 30):
        if magnitude * 2**shift >= EXACT_FLOAT_INT:
            break
        scaled = values * float(2**shift)
        if (scaled == np.floor(scaled)).all():  # every value, and so every partial sum, is exact
            return np.bincount(seg.gid, weights=scaled, minlength=seg.ngroups) / float(2**shift)
    raise Unsupported


def _finish_sum(ints: int, doubles: float, kind: int) -> Any:
    state = Sum()
    state.kind, state.ints, state.floats = kind, ints, doubles
    return state.result()


def _finish_avg(total: Any, count: int) -> Any:
    state = Avg()
    state.count = count
    state.sum = _Fixed(total)  # type: ignore[assignment]
    return state.result()


class _Fixed:
    """A finished sum, so that Avg's own finalisation (types, division) is the one that runs."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def result(self) -> Any:
        return self.value


def _extremes(op: str, column: Column, tags: np.ndarray, seg: _Segments, path: str) -> list[Any]:
    """$min/$max where each group's values are numbers (or null/missing, which are ignored); the first
    row holding the best value is read back, so the original type comes out."""
    if not column.numbers_exact or column.has_nan:
        raise Unsupported
    if not (tags <= T_NUMBER).all():  # missing, null, number: ordering across types is the row engine's
        raise Unsupported
    values = column.num[seg.rows]
    if np.isinf(values).any():
        raise Unsupported
    numeric = tags == T_NUMBER
    fill = np.inf if op == "$min" else -np.inf
    grouped = np.where(numeric, values, fill)[seg.by_group]
    reduce = np.minimum if op == "$min" else np.maximum
    best = reduce.reduceat(grouped, seg.bounds[:-1])
    group_of = np.repeat(np.arange(seg.ngroups), seg.counts)
    hits = np.flatnonzero(grouped == best[group_of])
    first_hit = np.full(seg.ngroups, -1, dtype=np.int64)
    first_hit[group_of[hits][::-1]] = hits[::-1]  # the first (lowest) position per group wins
    return [
        None
        if position < 0 or np.isinf(best[g])
        else _value(seg.doc_at(int(seg.rows[seg.by_group[position]])), path)
        for g, position in enumerate(first_hit.tolist())
    ]


def column_group(coll: Collection, spec: dict[str, Any], group: Any) -> list[dict[str, Any]] | None:
    """``$match: spec`` then ``$group: group`` over ``coll`` as group documents, or None for the row path
    (always under a non-simple collation: strings then match and group by the collator)."""
    if not active().is_simple:
        return None
    compiled_group = compile_column_group(group)
    compiled_filter = compile_column_filter(spec)
    if compiled_group is None or compiled_filter is None:
        return None
    columns = column_set(coll, set(compiled_filter.paths) | compiled_group.paths)
    if columns is None:
        return None
    try:
        rows = np.flatnonzero(compiled_filter.mask(columns.__getitem__, len(columns)))
    except Unsupported:
        return None
    return run_column_group(compiled_group, columns, rows)
