"""Query execution over one collection: find, count, distinct.

The filter, sort and projection are compiled once per command, then run over the documents. The planner
(``docdb.engine.planner``) picks the access path: a direct ``_id`` lookup, an index scan, or a scan.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import Any

from docdb.bson_codec import StoredDocument
from docdb.engine.collation import active
from docdb.engine.collection import Collection
from docdb.engine.geo.plan import plan_near
from docdb.engine.geo.scan import plan_geo_scan
from docdb.engine.indexing.covering import covered_rows, plan_covered
from docdb.engine.matcher import compile_filter
from docdb.engine.paths import MISSING, lookup_values
from docdb.engine.planner import QueryPlans, plan_query, quick_plan
from docdb.engine.projection import compile_projection
from docdb.engine.sort import compile_sort
from docdb.engine.text.meta import NO_SCORE, is_text_score_meta
from docdb.engine.text.search import plan_text, split_text_filter
from docdb.errors import ErrorCode, MongoError


@dataclass(slots=True)
class FindSpec:
    """A find's shape after parameter checks; ``limit`` 0 means no limit; ``hint`` as the command sent it."""

    filter: dict[str, Any]
    projection: dict[str, Any] | None = None
    sort: dict[str, Any] | None = None
    skip: int = 0
    limit: int = 0
    hint: Any = None
    variables: dict[str, Any] | None = None  # the command's evaluated ``let``
    namespace: str = ""  # "db.coll", for the errors that name a missing collection


def split_cursor_prefix(
    pipeline: list[Any], variables: dict[str, Any] | None = None
) -> tuple[FindSpec, list[Any]]:
    """A pipeline's leading ``$match`` stages (and a ``$sort`` right after them) as the find that feeds
    the rest — planned like any find, so indexes serve it — and the stages left. Used to run an aggregate
    and to explain it, so both describe the same plan.

    >>> spec, rest = split_cursor_prefix([{"$match": {"a": 1}}, {"$sort": {"b": -1}}, {"$limit": 2}])
    >>> spec.filter, spec.sort, rest
    ({'a': 1}, {'b': -1}, [{'$limit': 2}])
    """
    filters: list[dict[str, Any]] = []
    position = 0
    while position < len(pipeline) and _stage_arg(pipeline[position], "$match") is not None:
        filters.append(pipeline[position]["$match"])
        position += 1
    sort = _stage_arg(pipeline[position], "$sort") if position < len(pipeline) else None
    if sort is not None and all(d in (1, -1) or is_text_score_meta(d) for d in sort.values()):
        position += 1
    else:
        sort = None
    spec_filter = filters[0] if len(filters) == 1 else ({"$and": filters} if filters else {})
    return FindSpec(spec_filter, sort=sort, variables=variables), pipeline[position:]


def _stage_arg(stage: Any, name: str) -> dict[str, Any] | None:
    if isinstance(stage, dict) and len(stage) == 1 and isinstance(stage.get(name), dict):
        return stage[name]
    return None


def iter_matches(
    coll: Collection | None,
    spec: dict[str, Any],
    hint: Any = None,
    variables: dict[str, Any] | None = None,
    *,
    build_columns: bool = False,
) -> Iterator[tuple[bytes, dict[str, Any]]]:
    """``(raw, decoded)`` of every document matching ``spec`` in the planner's order (see ``_planned``).
    Writes call it with ``build_columns`` False (the default): see ``engine.columns.column_rows``."""
    plans, predicate = _planned(coll, spec, None, hint, variables)
    return plans.winner.run(coll, predicate, build_columns=build_columns)


def _planned(
    coll: Collection | None,
    spec: dict[str, Any],
    sort: dict[str, Any] | None,
    hint: Any,
    variables: dict[str, Any] | None,
    namespace: str = "",
) -> tuple[QueryPlans, Callable[[dict[str, Any]], bool]]:
    """The plans for ``spec`` and the predicate the winner runs. A quick plan needs neither the filter
    compiled nor a predicate (its filters are always valid and its plans exact); any other filter is
    compiled first, so a bad one raises even on a missing collection. A ``$text`` filter is the text
    plan's, with the rest of the filter as its predicate."""
    text = split_text_filter(spec)
    if text is not None:
        if hint not in (None, {}, ""):
            raise MongoError(ErrorCode.BadValue, "text and hint not allowed in same query")
        operand, rest = text
        rest_predicate = compile_filter(rest, variables=variables) if rest else _always
        return QueryPlans(plan_text(coll, operand, rest, sort, namespace), []), rest_predicate  # type: ignore[arg-type]
    if coll is not None and hint in (None, {}, ""):
        quick = quick_plan(coll, spec, sort)
        if quick is not None:
            return quick, _exact_plan_needs_no_predicate
    near = plan_near(coll, spec, variables)  # $near/$nearSphere: nearest first from a geo index
    if near is not None:
        return near
    if coll is not None:
        geo_scan = plan_geo_scan(coll, spec, hint, variables)  # $geoWithin/$geoIntersects by a geo index
        if geo_scan is not None:
            return geo_scan
    predicate = compile_filter(spec, variables=variables)
    return plan_query(coll, spec, sort, hint), predicate


def validate_filter(spec: dict[str, Any], variables: dict[str, Any] | None = None) -> None:
    """Raise the filter's errors up front; a ``$text`` in it is checked when the text plan is made."""
    text = split_text_filter(spec)
    compile_filter(text[1] if text is not None else spec, variables=variables)


def _natural_direction(sort: dict[str, Any] | None) -> int:
    if sort and len(sort) == 1 and "$natural" in sort:
        direction = sort["$natural"]
        if direction not in (1, -1):
            raise MongoError(ErrorCode.BadValue, "$natural sort cannot be set to a value other than -1 or 1.")
        return int(direction)
    return 0


@dataclass(slots=True)
class FindRun:
    """A find's rows with the plans behind them (explain reads ``plans`` and their stats)."""

    rows: list[tuple[bytes, dict[str, Any]]]
    plans: QueryPlans
    sorted_in_memory: bool
    covered: bool = False  # rows are (None, projected document) built from index keys


def run_find(
    coll: Collection | None,
    spec: FindSpec,
    need_docs: bool = True,
    project: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> FindRun:
    """Plan and run a find: matches after sort, skip and limit, as ``(raw, decoded)`` (decoded may be
    None when ``need_docs`` is False and the plan never had to decode). With the find's compiled
    projection (``project``), a plan the index covers answers projected documents from its keys."""
    sort = spec.sort
    natural = _natural_direction(sort) if sort else 0
    key = compile_sort(sort, text_score=True) if sort and not natural else None  # checked below
    hint = spec.hint
    if natural and split_text_filter(spec.filter) is not None:
        raise MongoError(ErrorCode.BadValue, "text and $natural sort not allowed in same query")
    if natural and hint in (None, {}, ""):
        hint = {"$natural": natural}
    plans, predicate = _planned(
        coll, spec.filter, None if natural else sort, hint, spec.variables, spec.namespace
    )
    plan = plans.winner
    wants_score = _wants_score(sort) or _wants_score(spec.projection)
    if plan.kind == "TEXT":
        plan.wants_score = wants_score  # type: ignore[attr-defined]
    elif wants_score:
        raise MongoError(NO_SCORE, "query requires text score metadata, but it is not available")
    sorts_in_memory = key is not None and not plan.provides_sort
    cover = plan_covered(plan, spec.projection, sorts_in_memory) if coll is not None else None
    if cover is not None:
        assert coll is not None
        if project is None:
            project = compile_projection(spec.projection, query=spec.filter, variables=spec.variables)
        covered = covered_rows(plan, coll, cover, project)
        out: list[Any] = list(islice(covered, spec.skip + spec.limit if spec.limit else None))
        return FindRun(out[spec.skip :], plans, False, covered=True)
    rows_iter = plan.run(coll, predicate, need_docs or sorts_in_memory)
    if not sorts_in_memory:
        out = list(islice(rows_iter, spec.skip + spec.limit if spec.limit else None))
        return FindRun(out[spec.skip :], plans, False)
    matches = list(rows_iter)
    matches.sort(key=lambda item: key(item[1]))
    end = spec.skip + spec.limit if spec.limit else None
    return FindRun(matches[spec.skip : end], plans, True)


def _wants_score(spec: dict[str, Any] | None) -> bool:
    return bool(spec) and any(is_text_score_meta(value) for value in spec.values())  # type: ignore[union-attr]


def _always(doc: dict[str, Any]) -> bool:
    return True


def _exact_plan_needs_no_predicate(doc: dict[str, Any]) -> bool:
    raise AssertionError("a quick plan ran the filter")


def ordered_matches(coll: Collection | None, spec: FindSpec) -> list[tuple[bytes, dict[str, Any]]]:
    """Matches after sort, skip and limit, as ``(raw, decoded)``."""
    return run_find(coll, spec).rows


def find_documents(coll: Collection | None, spec: FindSpec) -> list[Any]:
    """The documents a find returns: stored bytes as-is, or projected dicts."""
    project = (
        compile_projection(spec.projection, query=spec.filter, variables=spec.variables)
        if spec.projection
        else None
    )
    run = run_find(coll, spec, need_docs=project is not None, project=project)
    if project is None:
        return [StoredDocument(raw) for raw, _ in run.rows]
    if run.covered:
        return [doc for _, doc in run.rows]
    return [project(doc) for _, doc in run.rows]


def count_documents(coll: Collection | None, spec: FindSpec) -> int:
    if not spec.filter and coll is not None:
        total = max(len(coll) - spec.skip, 0)
        return min(total, spec.limit) if spec.limit else total
    query = FindSpec(spec.filter, skip=spec.skip, limit=spec.limit, hint=spec.hint, namespace=spec.namespace)
    return len(ordered_matches(coll, query))


def distinct_values(coll: Collection | None, key: str, spec: dict[str, Any], hint: Any = None) -> list[Any]:
    """Distinct values of ``key`` (arrays contribute their elements), in BSON order as mongod returns them."""
    return distinct_of((doc for _, doc in iter_matches(coll, spec, hint, build_columns=True)), key)


def distinct_of(docs: Iterable[dict[str, Any]], key: str) -> list[Any]:
    """Distinct values of ``key`` among ``docs`` (a view's output, or a collection's matches); under a
    collation, values equal by it count once (the first seen stands for them)."""
    collator = active()
    hash_key, sort_key = collator.hash_key, collator.sort_key
    seen: dict[Any, Any] = {}
    for doc in docs:
        for value in lookup_values(doc, key, traverse_leaf=False):
            if value is MISSING:
                continue
            items = value if isinstance(value, list) else [value]
            for item in items:
                seen.setdefault(hash_key(item), item)
    return sorted(seen.values(), key=sort_key)
