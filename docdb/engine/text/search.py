"""Running a ``$text`` filter: the text plan (mongod's TEXT_MATCH over TEXT_OR/OR over IXSCANs).

The plan looks up each search term's postings, sums the terms' scores per document (in term order, as
mongod's TEXT_OR does), then fetches documents best score first and keeps those that pass the text
matcher (phrases, negations, case/diacritic sensitivity) and the rest of the filter. Yielding best first
lets a ``{$meta: "textScore"}`` sort with a limit decode only the documents it returns.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterator
from typing import Any

from docdb.bson_codec import decode_document
from docdb.engine.planner import Stats
from docdb.engine.text.index import TextIndex
from docdb.engine.text.meta import ScoredDocument, is_text_score_meta
from docdb.engine.text.query import TextQuery, parse_text_params, query_language
from docdb.errors import ErrorCode, MongoError


def split_text_filter(spec: dict[str, Any]) -> tuple[Any, dict[str, Any]] | None:
    """``(text operand, the rest of the filter)`` when ``spec`` has ``$text`` at its top level (or in
    a top-level ``$and``), else None."""
    if not isinstance(spec, dict):
        return None
    count = _count_text(spec)
    if count == 0:
        return None
    if count > 1:
        raise MongoError(ErrorCode.BadValue, "Too many text expressions")
    if "$text" in spec:
        return spec["$text"], {k: v for k, v in spec.items() if k != "$text"}
    clauses = spec.get("$and")
    if isinstance(clauses, list):
        for position, clause in enumerate(clauses):
            if isinstance(clause, dict) and "$text" in clause:
                inner = {k: v for k, v in clause.items() if k != "$text"}
                others = [c for i, c in enumerate(clauses) if i != position] + ([inner] if inner else [])
                rest = {k: v for k, v in spec.items() if k != "$and"}
                if others:
                    rest["$and"] = others
                return clause["$text"], rest
    if _count_text(spec.get("$nor")):
        raise MongoError(ErrorCode.BadValue, "text expression not allowed in nor")
    if _count_text(spec.get("$or")):
        raise MongoError(ErrorCode.NotImplemented, "$text under $or is not supported by docdb")
    return None  # deeper ($elemMatch, a field's operators): the filter compiler refuses it


def _count_text(value: Any) -> int:
    """``$text`` operators in a filter (the operand of one is not searched: it is no filter)."""
    if isinstance(value, dict):
        return sum(1 if k == "$text" else _count_text(v) for k, v in value.items())
    if isinstance(value, list):
        return sum(_count_text(v) for v in value)
    return 0


def find_text_index(coll: Any, namespace: str) -> TextIndex:
    """The collection's text index, or mongod's IndexNotFound 27."""
    if coll is None:
        detail = f" (no such collection '{namespace}')" if namespace else ""
        raise MongoError(ErrorCode.IndexNotFound, f"text index required for $text query{detail}")
    found = [index for index in coll.indexes.values() if isinstance(index, TextIndex)]
    if not found:
        raise MongoError(ErrorCode.IndexNotFound, "text index required for $text query")
    return found[0]


def sorts_by_score_only(sort: dict[str, Any] | None) -> bool:
    return bool(sort) and len(sort) == 1 and is_text_score_meta(next(iter(sort.values())))


class TextPlan:
    """The plan of a ``$text`` filter; duck-types ``planner.Plan`` for reads and explain."""

    kind = "TEXT"
    direction = 1
    bounds: list = []
    id_value = None

    def __init__(self, index: TextIndex, query: TextQuery, rest: dict[str, Any], sort: dict[str, Any] | None):
        self.index = index
        self.query = query
        self.residual = [rest] if rest else []
        self.provides_sort = sorts_by_score_only(sort)
        self.wants_score = self.provides_sort  # set by the find when its projection or sort reads it
        self.index_prefix: dict[str, Any] = {}  # a compound index's prefix values (explain)
        self.stats = Stats()

    def run(
        self,
        coll: Any,
        predicate: Callable[[dict], bool] | None,
        decode: bool = True,
        build_columns: bool = True,
    ) -> Iterator[tuple[bytes, Any]]:
        """Matches best score first; ``build_columns`` is Plan.run's (a text plan reads no columns)."""
        index = self.index
        index.accesses += 1
        stats = self.stats
        scores: dict[Any, float] | None = None
        for term in self.query.terms:
            postings = index.postings.get(term)
            if not postings:
                continue
            stats.keys_examined += len(postings)
            if scores is None:
                scores = dict(postings)  # 0.0 + score is score: the first term's postings as they are
                continue
            get = scores.get
            for hk, score in postings.items():
                scores[hk] = get(hk, 0.0) + score
        if scores is None:
            return iter(())
        ranked = _best_first(scores)
        if not decode and not self.residual and not self.query.needs_document_check:
            return self._raw(coll, ranked)  # nothing reads the documents: send the stored bytes
        return self._fetch(coll, ranked, predicate)

    def _raw(self, coll: Any, ranked: Iterator[tuple[Any, float]]) -> Iterator[tuple[bytes, Any]]:
        stats = self.stats
        docs = coll.docs
        for hk, _ in ranked:
            raw = docs.get(hk)
            if raw is not None:
                stats.docs_examined += 1
                stats.n_returned += 1
                yield raw, None

    def _fetch(
        self, coll: Any, ranked: Iterator[tuple[Any, float]], predicate: Callable[[dict], bool] | None
    ) -> Iterator[tuple[bytes, Any]]:
        stats = self.stats
        docs = coll.docs
        check = self.query.matches if self.query.needs_document_check else None
        spec = self.index.text
        for hk, score in ranked:
            raw = docs.get(hk)
            if raw is None:
                continue
            stats.docs_examined += 1
            doc = decode_document(raw)
            if check is not None and not check(spec, doc):
                continue
            if predicate is not None and not predicate(doc):
                continue
            stats.n_returned += 1
            yield raw, ScoredDocument(doc, score)


FIRST_BATCH = 32  # matches ranked by a partial selection before the rest are sorted


def _best_first(scores: dict[Any, float]) -> Iterator[tuple[Any, float]]:
    """``(hash key, score)`` best score first, ties in index order (``sorted``'s stable order), lazily:
    a search that wants the best few (a sort by score with a limit) never sorts all the matches."""
    score = scores.__getitem__
    first = heapq.nlargest(FIRST_BATCH, scores, key=score)  # == sorted(..., reverse=True)[:n]
    for hk in first:
        yield hk, scores[hk]
    if len(first) < len(scores):
        for hk in sorted(scores, key=score, reverse=True)[len(first) :]:
            yield hk, scores[hk]


def plan_text(
    coll: Any, operand: Any, rest: dict[str, Any], sort: dict[str, Any] | None, namespace: str = ""
) -> TextPlan:
    """The text plan for ``{$text: operand, **rest}``; raises mongod's errors for a bad operand, a
    missing text index, an unsupported language or a compound index's missing prefix equality."""
    params = parse_text_params(operand)
    index = find_text_index(coll, namespace)
    query = TextQuery(params, query_language(params, index.text.default_language))
    prefix: dict[str, Any] = {}
    for field in index.text.extra_before:
        found = _equality(rest, field)
        if found is not _ABSENT:
            prefix[field] = found
        else:
            raise MongoError(
                ErrorCode.NoQueryExecutionPlans,
                "error processing query: planner returned error :: caused by :: failed to use text "
                "index to satisfy $text query (if text index is compound, are equality predicates given "
                "for all prefix fields?)",
            )
    plan = TextPlan(index, query, rest, sort)
    plan.index_prefix = prefix
    return plan


def _equality(spec: dict[str, Any], field: str) -> Any:
    """The value ``spec`` requires ``field`` to equal, or ``_ABSENT``."""
    value = spec.get(field, _ABSENT)
    if value is not _ABSENT:
        if isinstance(value, dict) and value and next(iter(value)).startswith("$"):
            return value["$eq"] if set(value) == {"$eq"} else _ABSENT
        return value
    clauses = spec.get("$and")
    for clause in clauses if isinstance(clauses, list) else []:
        found = _equality(clause, field) if isinstance(clause, dict) else _ABSENT
        if found is not _ABSENT:
            return found
    return _ABSENT


_ABSENT = object()
