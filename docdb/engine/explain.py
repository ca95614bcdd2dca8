"""explain: the plan tree (and, when asked, execution statistics) in mongod 7.0's classic-engine shape.

Stages are built from the plan the reads really use, so explain never describes a different execution
than the query gets: EOF, IDHACK, COLLSCAN, or FETCH over IXSCAN, then SORT (in memory only when the index
order does not serve it), SKIP, LIMIT and PROJECTION_* on top; writes wrap it in UPDATE or DELETE,
count in COUNT. Executing for statistics never writes: update/delete report what they would do.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from typing import Any

from docdb.engine.collation import active
from docdb.engine.collection import Collection
from docdb.engine.indexing.bounds import analyze_filter
from docdb.engine.planner import Plan, QueryPlans
from docdb.engine.reads import FindRun, FindSpec, run_find, split_cursor_prefix
from docdb.engine.text.explain import parsed_text, text_stage
from docdb.engine.text.search import split_text_filter

VERBOSITIES = ("queryPlanner", "executionStats", "allPlansExecution")
SORT_MEM_LIMIT = 104_857_600


def parsed_query(spec: dict[str, Any]) -> dict[str, Any]:
    """mongod's normalized filter: ``{a: {$eq: 1}}``, several conjuncts under ``$and``.

    >>> parsed_query({"a": 1, "b": {"$gt": 2}})
    {'$and': [{'a': {'$eq': 1}}, {'b': {'$gt': 2}}]}
    """
    text = split_text_filter(spec)
    if text is not None:
        return _conjunction([*_split(parsed_query(text[1])), {"$text": text[0]}])
    analysis = analyze_filter(spec)
    parts = [{name: cond} for name, cond in analysis.conjuncts] + analysis.opaque
    return _conjunction(parts)


def _parsed_text_query(spec: dict[str, Any], plan: Any) -> dict[str, Any] | None:
    """A ``$text`` filter's parsedQuery: the search with its language and flags filled in."""
    text = split_text_filter(spec) if plan.kind == "TEXT" else None
    if text is None:
        return None
    return _conjunction([*_split(parsed_query(text[1])), parsed_text(plan)])


def _conjunction(parts: list[dict[str, Any]]) -> dict[str, Any]:
    if not parts:
        return {}
    if len(parts) == 1:
        return parts[0]
    return {"$and": parts}


def query_hash(spec: dict[str, Any], sort: dict[str, Any] | None, projection: dict[str, Any] | None) -> str:
    """A stable 8-hex-digit id of the query's shape (field names and operators, not values)."""
    shape = _shape(spec), _shape(sort or {}), _shape(projection or {})
    return f"{zlib.crc32(repr(shape).encode()):08X}"


def _shape(value: Any) -> Any:
    if isinstance(value, dict):
        return tuple((k, _shape(v)) for k, v in value.items())
    if isinstance(value, list):
        return tuple(_shape(v) for v in value)
    return type(value).__name__


# -- the stage tree -------------------------------------------------------------------------------------


def _index_stage(plan: Plan, stats: bool, covered: bool = False) -> dict[str, Any]:
    index = plan.index
    assert index is not None
    multikey_paths = {f: sorted(index.multikey.get(f, ())) for f in index.fields}
    stage: dict[str, Any] = {
        "stage": "IXSCAN",
        "keyPattern": dict(index.key_pattern),
        "indexName": index.name,
        **({} if index.collator.spec is None else {"collation": index.collator.spec}),
        "isMultiKey": index.is_multikey,
        "multiKeyPaths": multikey_paths,
        "isUnique": index.unique or index.name == "_id_",
        "isSparse": index.sparse,
        "isPartial": index.partial is not None,
        "indexVersion": 2,
        "direction": "forward" if plan.direction > 0 else "backward",
        "indexBounds": {
            field: [iv.text(flip) for iv in (reversed(ivs) if flip else ivs)]
            for field, ivs, flip in zip(index.fields, plan.bounds, _flips(plan), strict=True)
        },
    }
    if stats:
        s = plan.stats
        returned = s.n_returned if covered else s.docs_examined  # what the next stage took from it
        _add_work(stage, returned, s.keys_examined)
        stage.update(
            keysExamined=s.keys_examined,
            seeks=s.seeks,
            dupsTested=s.keys_examined if index.is_multikey else 0,
        )
        stage["dupsDropped"] = s.dups_dropped
    return stage


def _flips(plan: Plan) -> list[bool]:
    """Per field: are its bounds printed high to low (a descending field, or a backward scan)?"""
    assert plan.index is not None
    return [desc != (plan.direction < 0) for desc in plan.index.maker.descending]


def _add_work(stage: dict[str, Any], returned: int, works: int) -> None:
    """The common execution counters, inserted right after ``stage`` (mongod's field order)."""
    name = stage.pop("stage")
    rest = dict(stage)
    stage.clear()
    stage.update(
        stage=name,
        **({"filter": rest.pop("filter")} if "filter" in rest else {}),
        nReturned=returned,
        executionTimeMillisEstimate=0,
        works=works + 1,
        advanced=returned,
        needTime=max(works - returned, 0),
        needYield=0,
        saveState=0,
        restoreState=0,
        isEOF=1,
    )
    stage.update(rest)


def base_stage(plan: Plan, spec: dict[str, Any], stats: bool) -> dict[str, Any]:
    """The access stage(s): EOF, IDHACK, COLLSCAN, or FETCH over IXSCAN."""
    s = plan.stats
    if plan.kind.startswith("GEO_"):  # geo plans (engine/geo) describe themselves
        return plan.explain_stage(stats)  # type: ignore[attr-defined]
    if plan.kind == "TEXT":
        text = split_text_filter(spec)
        rest = parsed_query(text[1]) if text is not None and text[1] else None
        return text_stage(plan, rest, stats, _add_work)  # type: ignore[arg-type]
    if plan.kind == "EOF":
        stage: dict[str, Any] = {"stage": "EOF"}
        if stats:
            _add_work(stage, 0, 0)
        return stage
    if plan.kind == "IDHACK":
        stage = {"stage": "IDHACK"}
        if stats:
            _add_work(stage, s.n_returned, s.keys_examined)
            stage.update(keysExamined=s.keys_examined, docsExamined=s.docs_examined)
        return stage
    if plan.kind == "COLLSCAN":
        stage = {"stage": "COLUMN_SCAN" if plan.column_scan else "COLLSCAN"}
        if spec:
            stage["filter"] = parsed_query(spec)
        stage["direction"] = "forward" if plan.direction > 0 else "backward"
        if stats:
            _add_work(stage, s.n_returned, s.docs_examined)
            stage["docsExamined"] = s.docs_examined
        return stage
    fetch: dict[str, Any] = {"stage": "FETCH"}
    if plan.residual:
        fetch["filter"] = _conjunction(
            [part for item in plan.residual for part in _split(parsed_query(item))]
        )
    if stats:
        _add_work(fetch, s.n_returned, s.docs_examined)
        fetch.update(docsExamined=s.docs_examined, alreadyHasObj=0)
    fetch["inputStage"] = _index_stage(plan, stats)
    return fetch


def _split(query: dict[str, Any]) -> list[dict[str, Any]]:
    if list(query) == ["$and"]:
        return list(query["$and"])
    return [query] if query else []


def _wrap(
    stage_name: str, fields: dict[str, Any], child: dict[str, Any], returned: int | None
) -> dict[str, Any]:
    stage = {"stage": stage_name, **fields}
    if returned is not None:
        _add_work(stage, returned, returned)
    stage["inputStage"] = child
    return stage


def projection_stage_name(projection: dict[str, Any]) -> str:
    """PROJECTION_SIMPLE for top-level inclusions/exclusions, PROJECTION_DEFAULT otherwise."""
    simple = all(
        "." not in k and not isinstance(v, dict) and (isinstance(v, (bool, int, float)))
        for k, v in projection.items()
    )
    return "PROJECTION_SIMPLE" if simple else "PROJECTION_DEFAULT"


def find_stages(spec: FindSpec, run: FindRun, stats: bool) -> dict[str, Any]:
    """The winning plan tree of a find (with execution counters when ``stats``)."""
    plan = run.plans.winner
    stage = _index_stage(plan, stats, covered=True) if run.covered else base_stage(plan, spec.filter, stats)
    n = len(run.rows)
    if run.sorted_in_memory:
        fields: dict[str, Any] = {"sortPattern": dict(spec.sort or {}), "memLimit": SORT_MEM_LIMIT}
        if spec.limit:
            fields["limitAmount"] = spec.skip + spec.limit
        fields["type"] = "simple"
        stage = _wrap("SORT", fields, stage, n + spec.skip if stats else None)
        if spec.skip:
            stage = _wrap("SKIP", {"skipAmount": spec.skip}, stage, n if stats else None)
    else:
        if spec.skip:
            stage = _wrap("SKIP", {"skipAmount": spec.skip}, stage, n if stats else None)
        if spec.limit:
            stage = _wrap("LIMIT", {"limitAmount": spec.limit}, stage, n if stats else None)
    if spec.projection:
        name = "PROJECTION_COVERED" if run.covered else projection_stage_name(spec.projection)
        stage = _wrap(name, {"transformBy": dict(spec.projection)}, stage, n if stats else None)
    return stage


def rejected_plans(plans: QueryPlans, spec: dict[str, Any]) -> list[dict[str, Any]]:
    return [base_stage(plan, spec, False) for plan in plans.rejected]


# -- the reply ------------------------------------------------------------------------------------------


def query_planner(
    ns: str,
    spec: dict[str, Any],
    winning: dict[str, Any],
    plans: QueryPlans,
    sort: dict[str, Any] | None = None,
    projection: dict[str, Any] | None = None,
) -> dict[str, Any]:
    shape_hash = query_hash(spec, sort, projection)
    collation = active().spec  # the query's collator (None: simple, which mongod does not show)
    return {
        "namespace": ns,
        "indexFilterSet": False,
        "parsedQuery": _parsed_text_query(spec, plans.winner) or parsed_query(spec),
        **({} if collation is None else {"collation": collation}),
        "queryHash": shape_hash,
        "planCacheKey": f"{zlib.crc32((shape_hash + ns).encode()):08X}",
        "maxIndexedOrSolutionsReached": False,
        "maxIndexedAndSolutionsReached": False,
        "maxScansToExplodeReached": False,
        "winningPlan": winning,
        "rejectedPlans": rejected_plans(plans, spec),
    }


def execution_stats(
    n_returned: int, plan: Plan, millis: int, stages: dict[str, Any], verbosity: str
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "executionSuccess": True,
        "nReturned": n_returned,
        "executionTimeMillis": millis,
        "totalKeysExamined": plan.stats.keys_examined,
        "totalDocsExamined": plan.stats.docs_examined,
        "executionStages": stages,
    }
    if verbosity == "allPlansExecution":
        out["allPlansExecution"] = []
    return out


def explain_find(coll: Collection | None, ns: str, spec: FindSpec, verbosity: str) -> dict[str, Any]:
    """``{queryPlanner, executionStats?}`` of a find (runs it only for the statistics verbosities)."""
    run = run_find(coll, spec)
    plan = run.plans.winner
    out = {
        "queryPlanner": query_planner(
            ns, spec.filter, find_stages(spec, run, False), run.plans, spec.sort, spec.projection
        )
    }
    if verbosity != "queryPlanner":
        stages = find_stages(spec, run, True)
        out["executionStats"] = execution_stats(len(run.rows), plan, plan.stats.millis(), stages, verbosity)
    return out


def explain_count(coll: Collection | None, ns: str, spec: FindSpec, verbosity: str) -> dict[str, Any]:
    """COUNT over the find plan; an unfiltered count is RECORD_STORE_FAST_COUNT (no scan at all)."""
    if coll is not None and not spec.filter and spec.hint in (None, {}, ""):
        winning: dict[str, Any] = {"stage": "RECORD_STORE_FAST_COUNT"}
        total = max(len(coll) - spec.skip, 0)
        n = min(total, spec.limit) if spec.limit else total
        out: dict[str, Any] = {"queryPlanner": _planner_only(ns, spec.filter, winning)}
        if verbosity != "queryPlanner":
            stage = {"stage": "RECORD_STORE_FAST_COUNT"}
            _add_work(stage, 0, 0)
            stage["nCounted"] = n
            stage["nSkipped"] = min(spec.skip, len(coll))
            out["executionStats"] = {
                "executionSuccess": True,
                "nReturned": 0,
                "executionTimeMillis": 0,
                "totalKeysExamined": 0,
                "totalDocsExamined": 0,
                "executionStages": stage,
                **({"allPlansExecution": []} if verbosity == "allPlansExecution" else {}),
            }
        return out
    run = run_find(coll, FindSpec(spec.filter, skip=spec.skip, limit=spec.limit, hint=spec.hint))
    plan = run.plans.winner
    count_fields = {"limitAmount": spec.limit} if spec.limit else {}
    if spec.skip:
        count_fields["skipAmount"] = spec.skip

    def tree(stats: bool) -> dict[str, Any]:
        stage = {"stage": "COUNT", **count_fields}
        if stats:
            _add_work(stage, 0, len(run.rows))
            stage.update(nCounted=len(run.rows), nSkipped=spec.skip)
        stage["inputStage"] = base_stage(plan, spec.filter, stats)
        return stage

    out = {"queryPlanner": query_planner(ns, spec.filter, tree(False), run.plans)}
    if verbosity != "queryPlanner":
        out["executionStats"] = execution_stats(0, plan, plan.stats.millis(), tree(True), verbosity)
    return out


def _planner_only(ns: str, spec: dict[str, Any], winning: dict[str, Any]) -> dict[str, Any]:
    return query_planner(ns, spec, winning, QueryPlans(Plan("EOF"), []))


def explain_distinct(
    coll: Collection | None, ns: str, key: str, spec: dict[str, Any], verbosity: str, hint: Any = None
) -> dict[str, Any]:
    """The plan that feeds distinct (a scan or an index scan over the filter)."""
    run = run_find(coll, FindSpec(spec, hint=hint))
    plan = run.plans.winner
    out = {"queryPlanner": query_planner(ns, spec, base_stage(plan, spec, False), run.plans)}
    if verbosity != "queryPlanner":
        stages = base_stage(plan, spec, True)
        out["executionStats"] = execution_stats(len(run.rows), plan, plan.stats.millis(), stages, verbosity)
    return out


def explain_write(
    coll: Collection | None,
    ns: str,
    kind: str,
    spec: FindSpec,
    verbosity: str,
    counters: Callable[[list[tuple[bytes, dict[str, Any]]]], dict[str, Any]],
) -> dict[str, Any]:
    """UPDATE or DELETE over the find plan of the write's filter; ``counters(rows)`` gives what the write
    would do (``nMatched``/``nWouldModify``… or ``nWouldDelete``) without doing it."""
    run = run_find(coll, spec)
    plan = run.plans.winner

    def tree(stats: bool) -> dict[str, Any]:
        inner = find_stages(FindSpec(spec.filter, sort=spec.sort, limit=spec.limit), run, stats)
        stage: dict[str, Any] = {"stage": kind}
        if stats:
            _add_work(stage, 0, len(run.rows))
            stage.update(counters(run.rows))
        stage["inputStage"] = inner
        return stage

    out = {"queryPlanner": query_planner(ns, spec.filter, tree(False), run.plans, spec.sort)}
    if verbosity != "queryPlanner":
        out["executionStats"] = execution_stats(0, plan, plan.stats.millis(), tree(True), verbosity)
    return out


def explain_aggregate(
    coll: Collection | None, ns: str, pipeline: list[Any], verbosity: str
) -> dict[str, Any]:
    """Leading ``$match`` stages (and a ``$sort`` right after them) run as the ``$cursor`` query; the
    rest of the pipeline is listed as given. A pipeline that is all query answers like a find."""
    spec, rest = split_cursor_prefix(pipeline)
    cursor = explain_find(coll, ns, spec, verbosity)
    if not rest:
        return cursor
    return {"explainVersion": "1", "stages": [{"$cursor": cursor}, *rest]}
