"""The text score a ``$text`` match carries to projections, sorts and pipeline stages.

A matched document is decoded into a ``ScoredDocument``: a dict that also holds its score, so every
consumer reads the score from the document it already has, and nothing else in the engine changes.
"""

from __future__ import annotations

from typing import Any

from docdb.errors import MongoError

NO_SCORE = 40218


class ScoredDocument(dict):
    """A document matched by ``$text``, with its score."""

    __slots__ = ("text_score",)

    def __init__(self, doc: dict[str, Any], score: float) -> None:
        super().__init__(doc)
        self.text_score = score


def text_score(doc: Any) -> float:
    """The score of a ``$text`` match; mongod's 40218 for a document no ``$text`` matched."""
    score = getattr(doc, "text_score", None)
    if score is None:
        raise MongoError(NO_SCORE, "query requires text score metadata, but it is not available")
    return score


def with_score_of(source: Any, doc: dict[str, Any]) -> dict[str, Any]:
    """``doc`` carrying ``source``'s score (a stage that builds a new document keeps the metadata)."""
    score = getattr(source, "text_score", None)
    if score is None or isinstance(doc, ScoredDocument):
        return doc
    return ScoredDocument(doc, score)


def is_text_score_meta(value: Any) -> bool:
    return isinstance(value, dict) and len(value) == 1 and value.get("$meta") == "textScore"


def uses_text_score(value: Any) -> bool:
    """True when ``{$meta: "textScore"}`` appears anywhere in ``value`` (a pipeline, a stage)."""
    if isinstance(value, dict):
        return is_text_score_meta(value) or any(uses_text_score(v) for v in value.values())
    if isinstance(value, list):
        return any(uses_text_score(v) for v in value)
    return False


def check_score_available(pipeline: list[Any], has_text: bool) -> None:
    """mongod refuses, before running, a pipeline that reads the text score without a ``$text`` match."""
    if not has_text and uses_text_score(pipeline):
        raise MongoError(NO_SCORE, "query requires text score metadata, but it is not available")
