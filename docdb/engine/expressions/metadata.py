"""``{$meta: <name>}``: per-document metadata. ``textScore`` is the score of a ``$text`` match, read
from the stage's current document (``$$ROOT``); the other kinds mongod knows are not supported here."""

from __future__ import annotations

from typing import Any

from docdb.engine.expressions.core import Evaluator, Scope, Variables, register
from docdb.engine.text.meta import text_score
from docdb.errors import ErrorCode, MongoError

_OTHER_KINDS = frozenset(
    {
        "geoNearDistance",
        "geoNearPoint",
        "indexKey",
        "randVal",
        "recordId",
        "searchHighlights",
        "searchScore",
        "searchScoreDetails",
        "searchSequenceToken",
        "sortKey",
        "vectorSearchScore",
    }
)


@register("$meta")
def _meta(arg: Any, scope: Scope) -> Evaluator:
    if not isinstance(arg, str):
        raise MongoError(17307, "$meta only supports string arguments")
    if arg in _OTHER_KINDS:
        raise MongoError(ErrorCode.NotImplemented, f"$meta '{arg}' is not supported by docdb")
    if arg != "textScore":
        raise MongoError(17308, f"Unsupported argument to $meta: {arg}")

    def evaluate(doc: Any, v: Variables) -> Any:
        return text_score(v.root if v.root is not None else doc)

    return evaluate
