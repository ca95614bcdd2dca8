"""From a filter to index bounds: the top-level conjuncts a field's index can answer, as intervals.

Intervals live in ``sort_key`` space (ascending), so one comparator decides membership. A range is
type-bracketed as in mongod (``$gt: 5`` is ``(5, inf.0]``, never strings). A predicate is *exact* when the
bounds alone decide it; everything else stays in the residual filter that FETCH applies. Unanalyzable
parts ($or, $expr, $ne, regexes, array equality, …) simply give no bounds: the plan is then a superset
scan plus the full filter, never a wrong answer.
"""

from __future__ import annotations

import datetime
import math
import re
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from bson.max_key import MaxKey
from bson.min_key import MinKey
from bson.objectid import ObjectId
from bson.regex import Regex

from docdb.engine.bson_order import (
    RANK_BOOL,
    RANK_DATE,
    RANK_NULL,
    RANK_NUMBER,
    RANK_OBJECT,
    RANK_OBJECTID,
    RANK_STRING,
    is_nan,
    sort_key,
    type_rank,
)
from docdb.engine.indexing.keys import HIGHEST, LOWEST, UNDEFINED_KEY
from docdb.engine.key_format import format_value
from docdb.engine.query.compile import is_expression_document

_RANGE_OPS = ("$gt", "$gte", "$lt", "$lte")
_ANALYZED_OPS = frozenset({"$eq", "$in", *_RANGE_OPS})
_EPOCH = datetime.datetime(1970, 1, 1)


class _Shown:
    """A bound printed literally in ``indexBounds`` (``MinKey``, ``inf.0``, ``undefined``)."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


class Interval(NamedTuple):
    """``lo``..``hi`` in ``sort_key`` space; ``lo_shown``/``hi_shown`` are what explain prints. A named
    tuple: every query builds some, and a tuple is made several times faster than a frozen dataclass."""

    lo: tuple
    lo_incl: bool
    hi: tuple
    hi_incl: bool
    lo_shown: Any
    hi_shown: Any

    def contains(self, k: tuple) -> bool:
        if k < self.lo or (k == self.lo and not self.lo_incl):
            return False
        return k < self.hi or (k == self.hi and self.hi_incl)

    @property
    def is_point(self) -> bool:
        return self.lo == self.hi and self.lo_incl and self.hi_incl

    def text(self, descending: bool = False) -> str:
        """mongod's ``indexBounds`` string, e.g. ``(5, inf.0]`` (reversed for a descending field)."""
        lo, hi = _show(self.lo_shown), _show(self.hi_shown)
        if descending:
            return f"{'[' if self.hi_incl else '('}{hi}, {lo}{']' if self.lo_incl else ')'}"
        return f"{'[' if self.lo_incl else '('}{lo}, {hi}{']' if self.hi_incl else ')'}"


def _show(value: Any) -> str:
    """A bound as mongod prints it in ``indexBounds``: doubles keep their ``.0`` (``inf.0``, ``5.0``).

    >>> _show(math.inf), _show(5.0), _show(5), _show("a")
    ('inf.0', '5.0', '5', '"a"')
    """
    if isinstance(value, _Shown):
        return value.text
    if type(value) is float:
        if math.isnan(value):
            return "nan.0"
        if math.isinf(value):
            return "inf.0" if value > 0 else "-inf.0"
        return f"{int(value)}.0" if value.is_integer() and abs(value) < 1e16 else repr(value)
    return format_value(value)


FULL = Interval(LOWEST, True, HIGHEST, True, _Shown("MinKey"), _Shown("MaxKey"))
UNDEFINED_POINT = Interval(UNDEFINED_KEY, True, UNDEFINED_KEY, True, _Shown("undefined"), _Shown("undefined"))


def point(value: Any) -> Interval:
    k = sort_key(value)
    return Interval(k, True, k, True, value, value)


def _bracket(rank: int) -> tuple[Interval, bool]:
    """The interval of every value of one canonical type (ranges never cross types)."""
    if rank == RANK_NUMBER:
        return Interval(
            (RANK_NUMBER, 1, -math.inf), True, (RANK_NUMBER, 1, math.inf), True, -math.inf, math.inf
        ), True
    if rank == RANK_STRING:
        return Interval(sort_key(""), True, sort_key({}), False, "", {}), True
    if rank == RANK_OBJECT:
        return Interval(sort_key({}), True, sort_key([]), False, {}, []), True
    if rank == RANK_OBJECTID:
        lo, hi = ObjectId(b"\0" * 12), ObjectId(b"\xff" * 12)
        return Interval(sort_key(lo), True, sort_key(hi), True, lo, hi), True
    if rank == RANK_BOOL:
        return Interval(sort_key(False), True, sort_key(True), True, False, True), True
    if rank == RANK_DATE:
        lo, hi = -(2**63), 2**63 - 1
        return Interval(
            (RANK_DATE, lo), True, (RANK_DATE, hi), True, _Shown(f"new Date({lo})"), _Shown(f"new Date({hi})")
        ), True
    return Interval((rank,), True, (rank + 0.5,), False, _Shown("MinKey"), _Shown("MaxKey")), False


def _range(op: str, value: Any) -> Interval | None:
    if is_nan(value) or isinstance(value, (MinKey, MaxKey, list, Regex, re.Pattern)) or value is None:
        return None
    bracket, _ = _bracket(type_rank(value))
    k = sort_key(value)
    if op in ("$gt", "$gte"):
        return Interval(k, op == "$gte", bracket.hi, bracket.hi_incl, value, bracket.hi_shown)
    return Interval(bracket.lo, bracket.lo_incl, k, op == "$lte", bracket.lo_shown, value)


def _equality(value: Any) -> tuple[list[Interval] | None, bool]:
    """Intervals for ``path == value`` and whether they are exact."""
    if isinstance(value, (list, Regex, re.Pattern)):
        return None, False
    if value is None:
        return [UNDEFINED_POINT, point(None)], False
    return [point(value)], not is_nan(value)


def intersect(a: list[Interval], b: list[Interval]) -> list[Interval]:
    """The intervals both lists allow."""
    out = []
    for x in a:
        for y in b:
            lo, lo_incl, lo_shown = (x.lo, x.lo_incl, x.lo_shown)
            if y.lo > lo or (y.lo == lo and not y.lo_incl):
                lo, lo_incl, lo_shown = y.lo, y.lo_incl, y.lo_shown
            hi, hi_incl, hi_shown = (x.hi, x.hi_incl, x.hi_shown)
            if y.hi < hi or (y.hi == hi and not y.hi_incl):
                hi, hi_incl, hi_shown = y.hi, y.hi_incl, y.hi_shown
            if lo < hi or (lo == hi and lo_incl and hi_incl):
                out.append(Interval(lo, lo_incl, hi, hi_incl, lo_shown, hi_shown))
    return out


def union(intervals: list[Interval]) -> list[Interval]:
    """Sorted, with duplicates and overlaps merged."""
    ordered = sorted(intervals, key=lambda i: (i.lo, not i.lo_incl))
    out: list[Interval] = []
    for item in ordered:
        if out:
            last = out[-1]
            if item.lo < last.hi or (item.lo == last.hi and (item.lo_incl or last.hi_incl)):
                if item.hi > last.hi or (item.hi == last.hi and item.hi_incl and not last.hi_incl):
                    out[-1] = Interval(
                        last.lo, last.lo_incl, item.hi, item.hi_incl, last.lo_shown, item.hi_shown
                    )
                continue
        out.append(item)
    return out


_HOLDS_STRINGS = (str, dict, list)


def _collated(iv: Interval, collator: Any) -> Interval:
    """``iv`` with its string (or string-holding) ends keyed by ``collator``'s sort key."""
    lo, hi = iv.lo, iv.hi
    if isinstance(iv.lo_shown, _HOLDS_STRINGS):
        lo = collator.sort_key(iv.lo_shown)
    if isinstance(iv.hi_shown, _HOLDS_STRINGS):
        hi = collator.sort_key(iv.hi_shown)
    return Interval(lo, iv.lo_incl, hi, iv.hi_incl, iv.lo_shown, iv.hi_shown)


@dataclass(slots=True)
class PathBounds:
    """What the filter says about one path: interval lists to intersect, and whether all are exact."""

    constraints: list[list[Interval]] = field(default_factory=list)
    exact: bool = True
    has_equality: bool = False
    can_match_missing: bool = False

    def intervals(self, multikey: bool, collator: Any = None) -> list[Interval]:
        """The bounds; on a multikey path only the first constraint (mongod cannot intersect there).
        With a ``collator`` (an index's non-simple one), in that collator's key space."""
        if not self.constraints:
            return [FULL]
        constraints = self.constraints
        if collator is not None:
            constraints = [union([_collated(iv, collator) for iv in c]) for c in constraints]
        result = constraints[0]
        if not multikey:
            for more in constraints[1:]:
                result = intersect(result, more)
        return union(result)

    def is_exact(self, multikey: bool) -> bool:
        return self.exact and (not multikey or len(self.constraints) <= 1)


@dataclass(slots=True)
class FilterAnalysis:
    """Per-path bounds of a filter's top-level conjuncts, and the conjuncts themselves (for explain)."""

    paths: dict[str, PathBounds] = field(default_factory=dict)
    conjuncts: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    opaque: list[dict[str, Any]] = field(default_factory=list)


def analyze_filter(spec: dict[str, Any]) -> FilterAnalysis:
    """Split ``spec`` (already validated by compile_filter) into indexable per-path constraints."""
    out = FilterAnalysis()
    _collect(spec, out)
    return out


def _collect(spec: dict[str, Any], out: FilterAnalysis) -> None:
    for name, value in spec.items():
        if name == "$and" and isinstance(value, list):
            for item in value:
                _collect(item, out)
        elif name.startswith("$"):
            out.opaque.append({name: value})
        elif is_expression_document(value, False):
            for op, operand in value.items():
                out.conjuncts.append((name, {op: operand}))
            _path_operators(name, value, out)
        else:
            out.conjuncts.append((name, {"$eq": value}))
            _add(out, name, *_equality(value), equality=True)


def _add(
    out: FilterAnalysis, path: str, intervals: list[Interval] | None, exact: bool, equality: bool
) -> None:
    bounds = out.paths.setdefault(path, PathBounds())
    if intervals is None:
        bounds.exact = False
        return
    bounds.constraints.append(intervals)
    bounds.exact = bounds.exact and exact
    bounds.has_equality = bounds.has_equality or equality
    if any(i.lo <= (RANK_NULL,) <= i.hi for i in intervals):
        bounds.can_match_missing = True


def _path_operators(path: str, ops: dict[str, Any], out: FilterAnalysis) -> None:
    if any(op not in _ANALYZED_OPS for op in ops):
        out.paths.setdefault(path, PathBounds()).exact = False
        if "$exists" in ops and not ops["$exists"] or "$ne" in ops or "$nin" in ops or "$not" in ops:
            out.paths[path].can_match_missing = True
    for op, operand in ops.items():
        if op == "$eq":
            _add(out, path, *_equality(operand), equality=True)
        elif op == "$in":
            if not isinstance(operand, list):
                continue
            intervals: list[Interval] = []
            exact = True
            for item in operand:
                found, item_exact = _equality(item)
                if found is None:
                    _add(out, path, None, False, False)
                    break
                intervals.extend(found)
                exact = exact and item_exact
            else:
                _add(out, path, union(intervals), exact, equality=len(operand) == 1)
        elif op in _RANGE_OPS:
            interval = _range(op, operand)
            _add(out, path, [interval] if interval is not None else None, interval is not None, False)
