"""The express path: ``find_one`` by ``_id``, or by a field with a sole one-field index, without plans.

The two hot shapes of ``quick_plan`` answered by one dictionary lookup or one index search, with none of
the general machinery (filter compilation, plan objects, generators) that makes up most of a point
query's cost. mongod 7.0 has the same shortcut for ``_id`` (IDHACK) and 8.0 extends it ("express") to
single-field equality. The answer, and the access counts ``$indexStats`` reports, are those of the plan
``plan_query`` would pick.
"""

from __future__ import annotations

from typing import Any

from docdb.engine.bson_order import RANK_NUMBER, hash_key
from docdb.engine.collection import Collection
from docdb.engine.indexing.hashed import HashedKeyMaker, holds, holds_element, probe
from docdb.engine.indexing.index import Index
from docdb.engine.indexing.keys import HIGH
from docdb.engine.planner import id_equality, point_range, sole_point_index


def express_first(
    coll: Collection | None, spec: dict[str, Any], known: Index | None = None
) -> list[bytes] | None:
    """The stored bytes of the first document (in the planned order) matching ``spec``, as a list of
    at most one: what a find with limit 1 returns. None when ``spec`` is not an express shape. ``known``:
    ``sole_point_index(coll, spec)`` if the caller has it already (used only if it is one of ``coll``'s)."""
    if coll is None or len(spec) != 1:
        return None
    is_id, id_value = id_equality(spec)
    if is_id:
        coll.id_accesses += 1
        raw = coll.docs.get(hash_key(id_value))
        return [] if raw is None else [raw]
    if known is not None and coll.indexes.get(known.name) is known and known.fields[0] in spec:
        index: Index | None = known
    else:
        index = sole_point_index(coll, spec)
    if index is None:
        return None
    ((path, value),) = spec.items()
    if index.maker.__class__ is HashedKeyMaker:
        entry, raw = _first_hashed(coll, index, path, value)
    else:
        entry = next(index.scan(*point_range(index, value), False), None)
        raw = None if entry is None else coll.docs.get(entry[-1])
    if entry is not None and raw is None:  # never so while Collection keeps both in step: let the
        return None  # planned scan, which steps over such entries, answer
    index.accesses += 1
    return [] if raw is None else [raw]


def _first_hashed(coll: Collection, index: Index, path: str, value: Any) -> tuple[tuple | None, bytes | None]:
    """``(entry, stored bytes)`` of the first entry of a one-field hashed ``index`` whose document holds
    ``value`` at ``path``, or ``(None, None)``. The hash's first entry comes from ``index.points`` (one
    dict lookup, see points.py); a hash is shared by other values (42 and 42.5), so each candidate is
    checked: by comparing the document's bytes with the value's element first, decoding the document only
    when they differ (an equal number of another type, or another value with the same hash). When the
    first candidate does not hold the value, the sorted entries are scanned from the hash on."""
    h, element = probe(path, value)
    docs = coll.docs
    points = index.points
    if points is not None:
        entry = points.get(h)
        if entry is None:  # no document has this hash
            return None, None
        raw = docs.get(entry[-1])
        if raw is None or (element is not None and holds_element(raw, element)) or holds(raw, path, value):
            return entry, raw
    key = (RANK_NUMBER, 1, h)
    for entry in index.scan(key, key + (HIGH,), False):
        raw = docs.get(entry[-1])
        if raw is None or (element is not None and holds_element(raw, element)) or holds(raw, path, value):
            return entry, raw
    return None, None
