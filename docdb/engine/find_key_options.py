"""find's index-level options: ``min``/``max`` (bounds on the hinted index's keys), ``returnKey`` (the
index keys instead of the document) and ``showRecordId`` (the document's record id as ``$recordId``).

Record ids: docdb keeps no storage record ids, so a document's record id is its 1-based position in the
collection's natural (insertion) order when the query runs, an Int64 as in mongod. Like WiredTiger's
ids they increase with insertion order and an update keeps them; unlike them, a delete renumbers the
documents after it, and they are not persisted.
"""

from __future__ import annotations

from functools import cmp_to_key
from typing import Any

from bson.int64 import Int64

from docdb.engine.bson_order import compare, hash_key
from docdb.engine.collection import Collection
from docdb.engine.indexing.index import Index
from docdb.engine.paths import MISSING, get_path
from docdb.engine.planner import _find_hinted, is_natural_hint
from docdb.engine.projection import compile_projection
from docdb.engine.reads import FindSpec, run_find
from docdb.engine.sort import compile_sort
from docdb.errors import MongoError


def _key_values(pattern: dict[str, Any], doc: dict[str, Any]) -> list[Any]:
    values = []
    for path in pattern:
        value = get_path(doc, path)
        values.append(None if value is MISSING else value)
    return values


def _compare_keys(left: list[Any], right: list[Any], directions: list[int]) -> int:
    for a, b, sign in zip(left, right, directions, strict=False):
        result = compare(a, b)
        if result:
            return result * sign
    return 0


def _bound_index(coll: Collection | None, hint: Any, low: dict | None, high: dict | None) -> Index | None:
    """The hinted index that ``min``/``max`` bound, checked as mongod's planner checks it."""
    if hint in (None, {}, "") or is_natural_hint(hint):
        raise MongoError(51173, "When using min()/max() a hint of which index to use must be provided")
    if low is not None and high is not None and list(low) != list(high):
        raise MongoError(51176, "min() and max() must have the same field names")
    if coll is None:
        return None
    index = _find_hinted(coll, hint)
    assert index is not None
    fields = list(index.key_pattern)
    for bound in (low, high):
        if bound is not None and list(bound) != fields:
            raise MongoError(51174, "The index chosen is not compatible with min/max")
    return index


def find_with_key_options(
    coll: Collection | None,
    spec: FindSpec,
    low: dict[str, Any] | None,
    high: dict[str, Any] | None,
    return_key: bool,
    show_record_id: bool,
) -> list[dict[str, Any]]:
    """The documents of a find that uses any of min, max, returnKey or showRecordId."""
    index = None
    if low is not None or high is not None:
        index = _bound_index(coll, spec.hint, low, high)
    run = run_find(coll, FindSpec(spec.filter, hint=spec.hint, variables=spec.variables))
    rows = run.rows
    if index is None:
        index = run.plans.winner.index
    if index is not None:
        pattern = index.key_pattern
        directions = [-1 if isinstance(d, (int, float)) and d < 0 else 1 for d in pattern.values()]
        lo = list(low.values()) if low is not None else None
        hi = list(high.values()) if high is not None else None
        if lo is not None and hi is not None and _compare_keys(lo, hi, directions) >= 0:
            raise MongoError(
                51175,
                "The value provided for min() does not come before the value provided for max() in the "
                "hinted index",
            )
        keyed = [(_key_values(pattern, doc), raw, doc) for raw, doc in rows]
        keyed.sort(key=cmp_to_key(lambda a, b: _compare_keys(a[0], b[0], directions)))
        rows = [
            (raw, doc)
            for key, raw, doc in keyed
            if (lo is None or _compare_keys(key, lo, directions) >= 0)
            and (hi is None or _compare_keys(key, hi, directions) < 0)
        ]
    if spec.sort:
        key = compile_sort(spec.sort)
        rows.sort(key=lambda row: key(row[1]))
    end = spec.skip + spec.limit if spec.limit else None
    rows = rows[spec.skip : end]
    positions = _record_ids(coll) if show_record_id else {}
    project = compile_projection(spec.projection, query=spec.filter) if spec.projection else None
    out = []
    for _, doc in rows:
        if return_key:
            result = (
                dict(zip(index.key_pattern, _key_values(index.key_pattern, doc), strict=True))
                if index
                else {}
            )
        else:
            result = project(doc) if project is not None else doc
        if show_record_id:
            result = {**result, "$recordId": positions[hash_key(doc["_id"])]}
        out.append(result)
    return out


def _record_ids(coll: Collection | None) -> dict[Any, Int64]:
    if coll is None:
        return {}
    return {key: Int64(position) for position, key in enumerate(coll.docs, start=1)}
