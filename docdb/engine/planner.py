"""Choosing how to answer a query, and running the choice: IDHACK, COLLSCAN or an index scan.

The rule is simple and explainable (no trial runs): among the usable indexes, prefer the longest prefix of
equality (point) bounds, then a range on the next field, then one whose order serves the sort, then the
shorter key pattern, then the older index. With none of these, scan the collection. A plan always applies
the whole filter to the documents it fetches, so bounds only ever narrow the scan.
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass, field
from itertools import product
from typing import TYPE_CHECKING, Any

from bson.int64 import Int64
from bson.objectid import ObjectId
from bson.regex import Regex

from docdb.bson_codec import decode_document
from docdb.engine import interrupts
from docdb.engine.bson_order import RANK_NUMBER, hash_key, sort_key
from docdb.engine.collation import SIMPLE, Collator, active
from docdb.engine.collection import Collection
from docdb.engine.columns import column_rows
from docdb.engine.indexing.bounds import FULL, FilterAnalysis, Interval, analyze_filter, point
from docdb.engine.indexing.hashed import HASHED, hash64, hashed_field, hashed_intervals
from docdb.engine.indexing.index import Index
from docdb.engine.indexing.keys import HIGH, invert, split_key
from docdb.engine.indexing.spec import direction
from docdb.engine.indexing.wildcard import WildcardKeyMaker, WildcardView, views
from docdb.engine.interrupts import pinned_range
from docdb.engine.matcher import compile_filter, match_all
from docdb.errors import ErrorCode, MongoError

if TYPE_CHECKING:
    from docdb.engine.columns.cache import ColumnSet

MAX_POINT_COMBINATIONS = 10_000  # beyond this many equality prefixes, scan ranges and check instead


@dataclass(slots=True)
class Stats:
    """What executionStats reports for one run."""

    keys_examined: int = 0
    docs_examined: int = 0
    seeks: int = 0
    dups_dropped: int = 0
    n_returned: int = 0
    started: float = field(default_factory=time.perf_counter)

    def millis(self) -> int:
        return int((time.perf_counter() - self.started) * 1000)


@dataclass(slots=True)
class Plan:
    """One way to produce the filter's documents; ``kind`` is EOF, IDHACK, COLLSCAN or IXSCAN."""

    kind: str
    direction: int = 1
    index: Index | None = None
    bounds: list[list[Interval]] = field(default_factory=list)
    provides_sort: bool = False
    residual: list[dict[str, Any]] = field(default_factory=list)
    id_value: Any = None
    stats: Stats = field(default_factory=Stats)
    column_scan: bool = False  # a COLLSCAN the columnar path answered (explain: COLUMN_SCAN)

    def run(
        self,
        coll: Collection | None,
        predicate: Callable[[dict], bool],
        decode: bool = True,
        build_columns: bool = True,
    ) -> Iterator[tuple[bytes, Any]]:
        """``(raw, decoded)`` of matching documents, in this plan's order, lazily. With ``decode`` False
        an _id lookup, an index scan whose bounds decide the filter, or a column scan yields
        ``(raw, None)``: nothing needs the decoded document. ``build_columns`` False lets a scan use only
        columns already built (writes: see ``engine.columns.column_rows``)."""
        if coll is None or self.kind == "EOF":
            return iter(())
        if self.kind == "COLLSCAN" and not decode and predicate is match_all:
            return self._every_document(coll)
        if self.kind == "IDHACK":
            return self._id_lookup(coll, decode)
        if self.kind == "COLLSCAN":
            if self.direction > 0 and self.residual:
                found = column_rows(coll, self.residual[0], build=build_columns)
                if found is not None:
                    return self._column_scan(coll, *found, decode)
            return self._collection_scan(coll, predicate)
        return self._index_scan(coll, predicate, decode)

    def _column_scan(
        self, coll: Collection, columns: ColumnSet, rows: Any, decode: bool
    ) -> Iterator[tuple[bytes, Any]]:
        """A COLLSCAN answered from columns: every document examined (as a scan does), only the matches
        touched."""
        self.column_scan = True
        stats = self.stats
        stats.docs_examined = len(columns)
        raws = columns.raws
        countdown = 1
        for row in rows.tolist():
            countdown -= 1
            if not countdown:
                countdown = interrupts.check()
            raw = raws[row]
            stats.n_returned += 1
            yield raw, decode_document(raw) if decode else None

    def _id_lookup(self, coll: Collection, decode: bool) -> Iterator[tuple[bytes, Any]]:
        # The filter is exactly {_id: v} (id_equality), and docs are keyed by hash_key(_id), which is
        # equal exactly when the values compare equal: the document found is the match.
        stats = self.stats
        coll.id_accesses += 1
        raw = coll.docs.get(hash_key(self.id_value))
        stats.keys_examined = stats.docs_examined = int(raw is not None)
        if raw is not None:
            stats.n_returned += 1
            yield raw, decode_document(raw) if decode else None

    def _every_document(self, coll: Collection) -> Iterator[tuple[bytes, None]]:
        """An empty filter whose documents are sent as stored (a dump, ``find({})``): nothing is decoded."""
        stats = self.stats
        values = list(coll.docs.values())
        if self.direction < 0:
            values.reverse()
        countdown = 1
        for raw in values:  # a snapshot: the checkpoints may let other commands write meanwhile
            countdown -= 1
            if not countdown:
                countdown = interrupts.check()
            stats.docs_examined += 1
            stats.n_returned += 1
            yield raw, None

    def _collection_scan(
        self, coll: Collection, predicate: Callable[[dict], bool]
    ) -> Iterator[tuple[bytes, Any]]:
        stats = self.stats
        values = list(coll.docs.values())
        if self.direction < 0:
            values.reverse()
        countdown = 1
        for raw in values:  # a snapshot: the checkpoints may let other commands write meanwhile
            countdown -= 1
            if not countdown:
                countdown = interrupts.check()
            stats.docs_examined += 1
            doc = decode_document(raw)
            if predicate(doc):
                stats.n_returned += 1
                yield raw, doc

    def _index_scan(
        self, coll: Collection, predicate: Callable[[dict], bool], decode: bool
    ) -> Iterator[tuple[bytes, Any]]:
        index = self.index
        assert index is not None
        index.accesses += 1
        stats = self.stats
        docs = coll.docs
        dedup = index.is_multikey
        width = len(index.fields)
        exact = not self.residual  # the bounds alone decide the filter: no need to run it
        seen: set[Hashable] = set()
        for start, end, checks in _scan_ranges(index, self.bounds, self.direction):
            stats.seeks += 1
            if exact and not decode and not checks and not dedup:  # the common case, in fewer steps
                for entry in pinned_range(index.scan(start, end, self.direction < 0)):
                    stats.keys_examined += 1
                    raw = docs.get(entry[-1])
                    if raw is not None:
                        stats.docs_examined += 1
                        stats.n_returned += 1
                        yield raw, None
                continue
            for entry in pinned_range(index.scan(start, end, self.direction < 0)):
                stats.keys_examined += 1
                if checks:
                    comps = split_key(entry, width)[0]
                    if not all(any(iv.contains(comps[pos]) for iv in ivs) for pos, ivs in checks):
                        continue
                hk = entry[-1]
                if dedup:
                    if hk in seen:
                        stats.dups_dropped += 1
                        continue
                    seen.add(hk)
                raw = docs.get(hk)
                if raw is None:
                    continue
                stats.docs_examined += 1
                if exact and not decode:
                    stats.n_returned += 1
                    yield raw, None
                    continue
                doc = decode_document(raw)
                if exact or predicate(doc):
                    stats.n_returned += 1
                    yield raw, doc


def _in_index_order(interval: Interval, desc: bool) -> tuple[Any, bool, Any, bool]:
    """``(low, low inclusive, high, high inclusive)`` of ``interval`` in the index's own order."""
    if desc:
        return invert(interval.hi), interval.hi_incl, invert(interval.lo), interval.lo_incl
    return interval.lo, interval.lo_incl, interval.hi, interval.hi_incl


def _index_space(intervals: list[Interval], desc: bool) -> list[Interval]:
    """``intervals`` as the index orders them (inverted for a descending field), for per-key checks."""
    if not desc:
        return intervals
    out = []
    for iv in intervals:
        lo, lo_incl, hi, hi_incl = _in_index_order(iv, True)
        out.append(Interval(lo, lo_incl, hi, hi_incl, iv.hi_shown, iv.lo_shown))
    return out


def _scan_ranges(
    index: Index, bounds: list[list[Interval]], direction: int
) -> list[tuple[tuple, tuple, list]]:
    """``(start, end, checks)`` per contiguous index range, in scan order; ``checks`` are the later
    fields' intervals each entry must still satisfy."""
    desc = index.maker.descending
    n = len(bounds)
    if n == 1 and len(bounds[0]) == 1:  # one field, one interval: one range, nothing to check
        low, low_incl, high, high_incl = _in_index_order(bounds[0][0], desc[0])
        return [(low if low_incl else low + (HIGH,), high + (HIGH,) if high_incl else high, [])]
    prefix_len = 0
    combos = 1
    while prefix_len < n - 1 and all(iv.is_point for iv in bounds[prefix_len]):
        if combos * len(bounds[prefix_len]) > MAX_POINT_COMBINATIONS:
            break
        combos *= len(bounds[prefix_len])
        prefix_len += 1
    prefixes_per_field = []
    for pos in range(prefix_len):
        comps = [_in_index_order(iv, desc[pos])[0] for iv in bounds[pos]]
        prefixes_per_field.append(sorted(comps))
    range_pos = prefix_len
    ranges = sorted(
        (_in_index_order(iv, desc[range_pos]) for iv in bounds[range_pos]), key=lambda r: (r[0], not r[1])
    )
    checks = [
        (pos, _index_space(bounds[pos], desc[pos]))
        for pos in range(range_pos + 1, n)
        if bounds[pos] != [FULL]
    ]
    out = []
    for combo in product(*prefixes_per_field):
        prefix = sum(combo, ())
        for low, low_incl, high, high_incl in ranges:
            start = prefix + (low if low_incl else low + (HIGH,))
            end = prefix + (high + (HIGH,) if high_incl else high)
            out.append((start, end, checks))
    if direction < 0:
        out.reverse()
    return out


# -- choosing -------------------------------------------------------------------------------------------


def id_equality(spec: dict[str, Any]) -> tuple[bool, Any]:
    """``(True, v)`` when ``spec`` is exactly ``{_id: v}`` with a plain ``v`` (no operator, regex, array)."""
    if len(spec) != 1 or "_id" not in spec:
        return False, None
    value = spec["_id"]
    if isinstance(value, (list, Regex)):
        return False, None
    if isinstance(value, dict) and any(k.startswith("$") for k in value):
        return False, None
    return True, value


@dataclass(slots=True)
class Candidate:
    index: Index
    bounds: list[list[Interval]]
    eq_prefix: int
    ranged: int
    sort_direction: int
    exact_paths: set[str]

    def score(self) -> tuple:
        return (self.eq_prefix, self.ranged, self.sort_direction != 0, -len(self.bounds))


def _candidate(
    index: Index, analysis: FilterAnalysis, sort: dict[str, Any] | None, collator: Collator = SIMPLE
) -> Candidate:
    bounds: list[list[Interval]] = []
    exact: set[str] = set()
    eq_prefix = 0
    ranged = 0
    counting_eq = True
    hashed = hashed_field(index.key_pattern)
    for name in index.fields:
        path = analysis.paths.get(name)
        multikey = name in index.multikey
        foreign = not index.collator.same_as(collator)
        if foreign:  # a hinted index of another collation: scan it all
            intervals = [FULL]
        elif path is None:
            intervals = [FULL]
        else:
            intervals = path.intervals(multikey, None if collator.is_simple else collator)
        if name == "$_path" and isinstance(index, WildcardView):
            intervals = [point(index.path)]
        if name == hashed:
            intervals = hashed_intervals(intervals, FULL)
        bounds.append(intervals)
        exact_ok = not foreign and name != hashed
        if exact_ok and path is not None and path.constraints and path.is_exact(multikey):
            exact.add(name)
        if counting_eq and intervals and all(iv.is_point for iv in intervals) and intervals != [FULL]:
            eq_prefix += 1
            continue
        if counting_eq and intervals != [FULL]:
            ranged = 1
        counting_eq = False
    return Candidate(index, bounds, eq_prefix, ranged, _sort_direction(index, bounds, sort), exact)


def _sort_direction(index: Index, bounds: list[list[Interval]], sort: dict[str, Any] | None) -> int:
    """1 or -1 when scanning ``index`` that way yields ``sort`` order, else 0."""
    if not sort:
        return 0
    fields = [(f, -1 if direction(index.key_pattern[f]) < 0 else 1) for f in index.fields]
    wanted = [(f, 1 if d == 1 else -1) for f, d in sort.items()]
    if any(not isinstance(d, (int, float)) or isinstance(d, bool) for _, d in sort.items()):
        return 0
    for way in (1, -1):
        i = j = 0
        while j < len(wanted):
            if i >= len(fields):
                break
            f, d = fields[i]
            if f == wanted[j][0] and index.key_pattern[f] == HASHED:
                break
            if f == wanted[j][0] and d * way == wanted[j][1] and f not in index.multikey:
                i += 1
                j += 1
            elif all(iv.is_point for iv in bounds[i]) and len(bounds[i]) == 1:
                i += 1
            else:
                break
        if j == len(wanted):
            return way
    return 0


def _implies(analysis: FilterAnalysis, partial: dict[str, Any]) -> bool:
    """True when every document the query matches is in a partial index with filter ``partial``: each
    conjunct of ``partial`` appears in the query, or the query's equality value satisfies it."""
    query = analysis.conjuncts
    wanted = analyze_filter(partial)
    if any(part not in analysis.opaque for part in wanted.opaque):
        return False
    for name, condition in wanted.conjuncts:
        if (name, condition) in query:
            continue
        test = compile_filter({name: condition})
        equal = [c["$eq"] for n, c in query if n == name and "$eq" in c]
        if any(test({name: value}) for value in equal if "." not in name):
            continue
        return False
    return True


def _has_numeric_part(fields: list[str]) -> bool:
    for name in fields:
        for part in name.split("."):
            if part.isdigit():
                return True
    return False


def _plannable_at_all(index: Index) -> bool:
    """Hidden indexes, those with a numeric path part (``a.0``) and special ones (text, geo: they fill
    themselves and serve only their own operators) are never planned."""
    return (
        getattr(index, "plannable", True)
        and not index.hidden
        and not index.builds_itself
        and not _has_numeric_part(index.fields)
    )


def _usable(index: Index, analysis: FilterAnalysis) -> bool:
    if not _plannable_at_all(index):
        return False
    if index.partial is not None and not _implies(analysis, index.partial):
        return False
    if index.sparse:
        return any(
            (p := analysis.paths.get(f)) is not None and p.constraints and not p.can_match_missing
            for f in index.fields
        )
    return True


def _find_hinted(coll: Collection, hint: Any) -> Index | None:
    if isinstance(hint, str):
        if hint == "_id_":
            return coll.indexes_by_id()
        found = coll.indexes.get(hint)
    else:
        if not isinstance(hint, dict):
            raise MongoError(ErrorCode.BadValue, "hint must be a string or an object")
        if list(hint) == ["_id"] and direction(hint["_id"]) == 1:
            return coll.indexes_by_id()
        found = next((i for i in coll.indexes.values() if i.matches_pattern(hint)), None)
    if found is None or found.hidden:
        raise MongoError(ErrorCode.BadValue, "hint provided does not correspond to an existing index")
    return found


def validate_hint(coll: Collection | None, hint: Any) -> None:
    """Raise BadValue 2 as mongod does when ``hint`` (a name or key pattern) names no usable index."""
    if coll is None or hint in (None, {}, "") or is_natural_hint(hint):
        return
    _find_hinted(coll, hint)


def is_natural_hint(hint: Any) -> bool:
    return isinstance(hint, dict) and list(hint) == ["$natural"]


@dataclass(slots=True)
class QueryPlans:
    """The winning plan and the candidates it beat (explain lists them as rejectedPlans)."""

    winner: Plan
    rejected: list[Plan]


def plan_query(
    coll: Collection | None, spec: dict[str, Any], sort: dict[str, Any] | None = None, hint: Any = None
) -> QueryPlans:
    """Choose how to find ``spec``'s documents (already validated) in ``coll``, honouring ``hint``."""
    if coll is None:
        return QueryPlans(Plan("EOF"), [])
    if hint in (None, {}, ""):
        hint = None
    if hint is not None and is_natural_hint(hint):
        direction = hint["$natural"]
        return QueryPlans(Plan("COLLSCAN", direction=-1 if direction < 0 else 1, residual=[spec]), [])
    if hint is None:
        quick = quick_plan(coll, spec, sort)
        if quick is not None:
            return quick
    analysis = analyze_filter(spec)
    collator = active()
    if hint is None:
        plannable = _plannable(coll, analysis, sort, collator)
        candidates = [
            c
            for c in (_candidate(i, analysis, sort, collator) for i in plannable)
            if c.eq_prefix or c.ranged or c.sort_direction
        ]
    else:
        hinted = _find_hinted(coll, hint)
        if not getattr(hinted, "plannable", True):  # a text index serves only $text
            raise MongoError(ErrorCode.BadValue, "hint provided does not correspond to an existing index")
        if isinstance(hinted.maker, WildcardKeyMaker):  # a wildcard index answers through a path's view
            wildcard = _wildcard_views(coll, hinted, analysis)
            if not wildcard:
                raise MongoError(ErrorCode.NoQueryExecutionPlans, "No query solutions")
            hinted = wildcard[0]  # type: ignore[assignment]
        candidates = [_candidate(hinted, analysis, sort, collator)]
    if not candidates:
        return QueryPlans(Plan("COLLSCAN", residual=[spec] if spec else []), [])
    if len(candidates) == 1:
        plans = [_index_plan(candidates[0], analysis)]
    else:
        ranked = sorted(enumerate(candidates), key=lambda item: (item[1].score(), -item[0]), reverse=True)
        plans = [_index_plan(c, analysis) for _, c in ranked]
    winner = plans[0]
    if winner.index is not None and not winner.index.built:
        coll.build_index(winner.index)
    return QueryPlans(winner, plans[1:])


def quick_plan(coll: Collection, spec: dict[str, Any], sort: dict[str, Any] | None) -> QueryPlans | None:
    """The plan for the two hot shapes of filter, found before any analysis: ``{_id: v}`` (IDHACK) and,
    without a sort, ``{path: scalar}`` with a sole one-field index on ``path``. Both are always valid
    filters and their plans are exact (they return exactly the matches, so need no predicate). None for
    any other filter, or when a hint decides, or under a collation. Runs on unvalidated filters."""
    if len(spec) != 1 or not active().is_simple:
        return None
    is_id, id_value = id_equality(spec)
    if is_id:  # the hot path of find_one/update_one by _id
        return QueryPlans(Plan("IDHACK", id_value=id_value), [])
    if not sort:
        index = sole_point_index(coll, spec)
        if index is not None:
            value = next(iter(spec.values()))
            if index.key_pattern[index.fields[0]] == HASHED:
                return None  # a hashed point is no exact plan: the general rule plans it
            return QueryPlans(Plan("IXSCAN", index=index, bounds=[[point(value)]]), [])
    return None


# Scalar types whose equality is one exact point interval (``_equality``): no null (it also matches
# undefined and missing), no NaN, no arrays, regexes or documents (which may be operator documents).
_POINT_TYPES = frozenset({str, int, float, bool, ObjectId, datetime.datetime, Int64})


def sole_point_index(coll: Collection, spec: dict[str, Any]) -> Index | None:
    """For a one-field ``spec`` ``{path: scalar}`` (no sort, no hint), the index the general rule picks
    found without analysing the filter, when exactly one index starts with ``path`` and it is that field
    alone: it is then the only candidate (``_plannable``), its bounds one exact point, and there is
    nothing to reject. Built if it was not yet. None when that is not the case (the general rule decides)."""
    ((name, value),) = spec.items()
    if type(value) not in _POINT_TYPES or value != value or name.startswith("$"):
        return None
    found: Index | None = None
    for index in coll.indexes.values():
        if index.fields[0] == name:
            if found is not None:
                return None
            found = index
    if found is None or len(found.fields) != 1 or not found.collator.is_simple or found.builds_itself:
        return None
    options = found.spec  # partial, hidden (SpecOptions) and _plannable_at_all, inline: once a query
    if options.get("partialFilterExpression") is not None or options.get("hidden"):
        return None
    numeric_part = name.isdigit() if "." not in name else _has_numeric_part([name])
    if numeric_part or not getattr(found, "plannable", True):
        return None
    if not found.built:
        coll.build_index(found)
    return found


def point_range(index: Index, value: Any) -> tuple[tuple, tuple]:
    """``(start, end)`` of the entries of a one-field ``index`` whose key equals ``value``: what
    ``_scan_ranges`` gives for the one point interval, without building it."""
    if index.key_pattern[index.fields[0]] == HASHED:
        key = (RANK_NUMBER, 1, hash64(value))
        return key, key + (HIGH,)
    key = sort_key(value)
    if index.maker.descending[0]:
        key = invert(key)
    return key, key + (HIGH,)


def _plannable(
    coll: Collection, analysis: FilterAnalysis, sort: dict[str, Any] | None, collator: Collator
) -> list[Index]:
    """The indexes worth a candidate, ``_id_`` first. Without a sort, an index whose first field the
    filter does not constrain gets no bounds (no equality prefix, no range), so its candidate would be
    dropped: it is left out before the work of building one."""
    paths = analysis.paths
    id_index = coll.indexes_by_id()
    found: list[Index] = []
    for i in coll.indexes.values():
        if i.builds_itself:  # text and geo indexes serve only their own operators
            continue
        if not i.collator.same_as(collator):  # an index of another collation orders strings otherwise
            continue
        if isinstance(i.maker, WildcardKeyMaker):
            found.extend(_wildcard_views(coll, i, analysis))  # type: ignore[arg-type]
        elif (sort or i.fields[0] in paths) and _usable(i, analysis):
            found.append(i)
    if not collator.is_simple:  # the _id index orders strings binary: no use to a collated query
        return found
    return [id_index, *found] if sort or "_id" in paths else found


def _wildcard_views(coll: Collection, index: Index, analysis: FilterAnalysis) -> list[WildcardView]:
    """A wildcard index's views for the filter's paths (see wildcard.py), built first if it was not."""
    if index.hidden:
        return []
    if not index.built:
        coll.build_index(index)
    found = views(index, analysis.paths, lambda path: True)
    for view in found:
        view.built = True
    return [v for v in found if _usable(v, analysis)]  # type: ignore[arg-type]


def _index_plan(c: Candidate, analysis: FilterAnalysis) -> Plan:
    residual = [{name: cond} for name, cond in analysis.conjuncts if name not in c.exact_paths]
    residual.extend(analysis.opaque)
    return Plan(
        "IXSCAN",
        direction=c.sort_direction or 1,
        index=c.index,
        bounds=c.bounds,
        provides_sort=c.sort_direction != 0,
        residual=residual,
    )
