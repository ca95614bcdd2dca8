"""The explain tree of a ``$text`` plan, in mongod 7.0's shape: TEXT_MATCH (with the parsed search)
over TEXT_OR (when the score is wanted: it fetches and scores) or FETCH over OR (several terms) or over
one IXSCAN per term. Text IXSCANs print no bounds and scan backward, as mongod's do."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from docdb.engine.text.search import TextPlan

AddWork = Callable[[dict[str, Any], int, int], None]


def parsed_text(plan: TextPlan) -> dict[str, Any]:
    """The ``$text`` node of explain's ``parsedQuery``."""
    p = plan.query.params
    return {
        "$text": {
            "$search": p.search,
            "$language": plan.query.language,
            "$caseSensitive": p.case_sensitive,
            "$diacriticSensitive": p.diacritic_sensitive,
        }
    }


def text_stage(
    plan: TextPlan, residual: dict[str, Any] | None, stats: bool, add_work: AddWork
) -> dict[str, Any]:
    """The stage tree; ``residual`` is the parsed rest of the filter (None when there is none)."""
    s = plan.stats
    index = plan.index
    terms = plan.query.terms
    scans = [_ixscan(plan, stats, add_work) for _ in terms]
    if plan.wants_score:
        inner: dict[str, Any] = {"stage": "TEXT_OR"}
        if residual:
            inner["filter"] = residual
        if stats:
            add_work(inner, s.docs_examined, s.keys_examined)
            inner["docsExamined"] = s.docs_examined
        inner["inputStages"] = scans
    else:
        source: dict[str, Any]
        if len(scans) == 1:
            source = scans[0]
        else:
            source = {"stage": "OR"}
            if stats:
                add_work(source, s.docs_examined, s.keys_examined)
                source.update(dupsTested=s.keys_examined, dupsDropped=s.keys_examined - s.docs_examined)
            source["inputStages"] = scans
        inner = {"stage": "FETCH"}
        if residual:
            inner["filter"] = residual
        if stats:
            add_work(inner, s.docs_examined, s.docs_examined)
            inner.update(docsExamined=s.docs_examined, alreadyHasObj=0)
        inner["inputStage"] = source
    stage: dict[str, Any] = {
        "stage": "TEXT_MATCH",
        "indexPrefix": dict(plan.index_prefix),
        "indexName": index.name,
        "parsedTextQuery": plan.query.parsed(),
        "textIndexVersion": 3,
    }
    if stats:
        add_work(stage, s.n_returned, s.docs_examined)
        stage["docsRejected"] = s.docs_examined - s.n_returned
    stage["inputStage"] = inner
    return stage


def _ixscan(plan: TextPlan, stats: bool, add_work: AddWork) -> dict[str, Any]:
    index = plan.index
    stage: dict[str, Any] = {
        "stage": "IXSCAN",
        "keyPattern": dict(index.key_pattern),
        "indexName": index.name,
        "isMultiKey": True,
        "isUnique": False,
        "isSparse": False,
        "isPartial": index.partial is not None,
        "indexVersion": 2,
        "direction": "backward",
        "indexBounds": {},
    }
    if stats:
        add_work(stage, 0, 0)
    return stage
