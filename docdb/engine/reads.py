"""Query execution over one collection: find, count, distinct.

The filter, sort and projection are compiled once per command, then run over the documents. A filter that
is a plain ``_id`` equality is answered by a direct lookup instead of a scan.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from bson.raw_bson import RawBSONDocument
from bson.regex import Regex
from docdb.engine.projection import compile_projection
from docdb.engine.sort import compile_sort

from docdb.bson_codec import decode_document
from docdb.engine.bson_order import hash_key, sort_key
from docdb.engine.collection import Collection
from docdb.engine.matcher import compile_filter
from docdb.engine.paths import MISSING, lookup_values
from docdb.errors import ErrorCode, MongoError


@dataclass(slots=True)
class FindSpec:
    """A find's shape after parameter checks; ``limit`` 0 means no limit."""

    filter: dict[str, Any]
    projection: dict[str, Any] | None = None
    sort: dict[str, Any] | None = None
    skip: int = 0
    limit: int = 0


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


def iter_matches(coll: Collection | None, spec: dict[str, Any]) -> Iterator[tuple[bytes, dict[str, Any]]]:
    """``(raw, decoded)`` of every document matching ``spec``, in natural order. Compiles ``spec`` first,
    so a bad filter raises even on a missing collection."""
    predicate = compile_filter(spec)
    if coll is None:
        return
    is_id, id_value = id_equality(spec)
    if is_id:
        raw = coll.get_raw(id_value)
        if raw is not None:
            doc = decode_document(raw)
            if predicate(doc):
                yield raw, doc
        return
    for raw, doc in coll.scan():
        if predicate(doc):
            yield raw, doc


def _natural_direction(sort: dict[str, Any] | None) -> int:
    if sort and len(sort) == 1 and "$natural" in sort:
        direction = sort["$natural"]
        if direction not in (1, -1):
            raise MongoError(ErrorCode.BadValue, "$natural sort cannot be set to a value other than -1 or 1.")
        return int(direction)
    return 0


def ordered_matches(coll: Collection | None, spec: FindSpec) -> list[tuple[bytes, dict[str, Any]]]:
    """Matches after sort, skip and limit, as ``(raw, decoded)``."""
    natural = _natural_direction(spec.sort)
    key = None if natural else compile_sort(spec.sort)
    if key is None and natural != -1:
        out: list[tuple[bytes, dict[str, Any]]] = []
        wanted = spec.skip + spec.limit if spec.limit else None
        for item in iter_matches(coll, spec.filter):
            out.append(item)
            if wanted is not None and len(out) >= wanted:
                break
        return out[spec.skip :]
    matches = list(iter_matches(coll, spec.filter))
    if natural == -1:
        matches.reverse()
    elif key is not None:
        matches.sort(key=lambda item: key(item[1]))
    end = spec.skip + spec.limit if spec.limit else None
    return matches[spec.skip : end]


def find_documents(coll: Collection | None, spec: FindSpec) -> list[Any]:
    """The documents a find returns: stored bytes as-is, or projected dicts."""
    project = compile_projection(spec.projection, query=spec.filter) if spec.projection else None
    rows = ordered_matches(coll, spec)
    if project is None:
        return [RawBSONDocument(raw) for raw, _ in rows]
    return [project(doc) for _, doc in rows]


def count_documents(coll: Collection | None, spec: FindSpec) -> int:
    if not spec.filter and coll is not None:
        total = max(len(coll) - spec.skip, 0)
        return min(total, spec.limit) if spec.limit else total
    return len(ordered_matches(coll, FindSpec(spec.filter, skip=spec.skip, limit=spec.limit)))


def distinct_values(coll: Collection | None, key: str, spec: dict[str, Any]) -> list[Any]:
    """Distinct values of ``key`` (arrays contribute their elements), in BSON order as mongod returns them."""
    seen: dict[Any, Any] = {}
    for _, doc in iter_matches(coll, spec):
        for value in lookup_values(doc, key, traverse_leaf=False):
            if value is MISSING:
                continue
            items = value if isinstance(value, list) else [value]
            for item in items:
                seen.setdefault(hash_key(item), item)
    return sorted(seen.values(), key=sort_key)
