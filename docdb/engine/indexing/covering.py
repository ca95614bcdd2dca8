"""Covered finds: a projection answered from index keys alone, with no document fetched.

mongod's rules, as its planner applies them to a PROJECTION_COVERED plan: the find runs one index scan
whose bounds decide the whole filter (nothing left to check on the document), the index is not multikey
nor collated (its string keys are ICU sort keys, not the strings),
the projection includes only top-level fields that are fields of the index (and excludes ``_id`` unless
``_id`` is one of them), and the index order serves any sort. The output document holds the projected
fields in the index's key order, built from the key (a field missing from the document was indexed as
null, and comes back null, as from mongod's covered projection).

Index keys keep what a value needs to come back as itself (``int``/``Int64``/``float``/``Decimal128``,
strings, dates, ObjectIds, booleans, timestamps, null, MinKey/MaxKey). A key holding something else
(a NaN, an embedded document, binary data, a regex …) is answered by fetching that one document, and
counted in ``docsExamined``, so the statistics say what happened.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from bson.datetime_ms import DatetimeMS
from bson.decimal128 import Decimal128
from bson.int64 import Int64
from bson.max_key import MaxKey
from bson.min_key import MinKey
from bson.objectid import ObjectId
from bson.timestamp import Timestamp

from docdb.bson_codec import decode_document
from docdb.engine.bson_order import (
    RANK_BOOL,
    RANK_DATE,
    RANK_MAXKEY,
    RANK_MINKEY,
    RANK_NULL,
    RANK_NUMBER,
    RANK_OBJECTID,
    RANK_STRING,
    RANK_TIMESTAMP,
)
from docdb.engine.collection import Collection
from docdb.engine.indexing.keys import split_key
from docdb.engine.planner import Plan, _scan_ranges  # one range computation for both scans

_EPOCH = datetime.datetime(1970, 1, 1)
_MAX_DATETIME_MS = 253402300799999  # 9999-12-31T23:59:59.999, the last date a datetime can hold
_MIN_DATETIME_MS = -62135596800000  # 0001-01-01


class _NotInKey(Exception):
    """The key component does not determine the stored value (the document must be fetched)."""


@dataclass(slots=True, frozen=True)
class CoveredProjection:
    """Which key positions become which output fields, in key order."""

    fields: tuple[tuple[int, str], ...]


def plan_covered(
    plan: Plan, projection: dict[str, Any] | None, sorts_in_memory: bool
) -> CoveredProjection | None:
    """The covered projection for ``plan``, or None when mongod's rules (module doc) do not allow one."""
    if not projection or plan.kind != "IXSCAN" or plan.residual or sorts_in_memory:
        return None
    index = plan.index
    if index is None or index.is_multikey:
        return None
    if not index.collator.is_simple:
        return None  # a collated index keys strings by their ICU sort key: it cannot give them back
    included: set[str] = set()
    id_included = True
    for name, value in projection.items():
        if isinstance(value, bool) or (isinstance(value, (int, float)) and value == value):
            if not value:
                if name != "_id":
                    return None  # an exclusion projection needs the whole document
                id_included = False
                continue
        else:
            return None  # $slice, $elemMatch, expressions, literals: not a plain inclusion
        if "." in name or name.startswith("$") or not name:
            return None
        included.add(name)
    if id_included:
        included.add("_id")
    if not included <= set(index.fields):
        return None
    return CoveredProjection(tuple((pos, name) for pos, name in enumerate(index.fields) if name in included))


def covered_rows(
    plan: Plan, coll: Collection, cover: CoveredProjection, project: Callable[[dict], dict]
) -> Iterator[tuple[None, dict[str, Any]]]:
    """``(None, projected document)`` per index entry in bounds, from the key; a key that cannot give
    back its values falls back to the document (``project`` applied to it)."""
    index = plan.index
    assert index is not None
    index.accesses += 1
    stats = plan.stats
    width = len(index.fields)
    descending = index.maker.descending
    wanted = [(pos, name, descending[pos]) for pos, name in cover.fields]
    for start, end, checks in _scan_ranges(index, plan.bounds, plan.direction):
        stats.seeks += 1
        for entry in index.scan(start, end, plan.direction < 0):
            stats.keys_examined += 1
            comps = split_key(entry, width)[0]
            if checks and not all(any(iv.contains(comps[pos]) for iv in ivs) for pos, ivs in checks):
                continue
            try:
                doc = {name: key_value(comps[pos], desc) for pos, name, desc in wanted}
            except _NotInKey:
                raw = coll.docs.get(entry[-1])
                if raw is None:
                    continue
                stats.docs_examined += 1
                doc = project(decode_document(raw))
            stats.n_returned += 1
            yield None, doc


def key_value(comp: tuple, descending: bool) -> Any:
    """The BSON value an index key component was made from (raises _NotInKey when it cannot say).

    >>> from docdb.engine.bson_order import sort_key
    >>> from docdb.engine.indexing.keys import invert
    >>> [type(key_value(sort_key(v), False)).__name__ for v in (Int64(5), 5, 2.5, "é")]
    ['Int64', 'int', 'float', 'str']
    >>> key_value(invert(sort_key("ab")), True), type(key_value(invert(sort_key(Int64(-3))), True))
    ('ab', <class 'bson.int64.Int64'>)
    """
    rank = comp[0]
    if descending:
        rank = -rank if rank not in (1, 0) else (RANK_MINKEY if rank == 1 else 0)
    if rank == RANK_NUMBER:
        if comp[1] == 0:
            raise _NotInKey  # NaN: a double or a decimal, the key does not say which
        value = comp[2]
        if descending:
            value = Int64(-value) if value.__class__ is Int64 else -value
        return Decimal128(value) if isinstance(value, Decimal) else value
    if rank == RANK_STRING:
        return "".join(chr(-c) for c in comp[1][:-1]) if descending else comp[1]
    if rank == RANK_NULL:
        return None
    if rank == RANK_OBJECTID:
        return ObjectId(bytes(-b for b in comp[1][:-1]) if descending else comp[1])
    if rank == RANK_BOOL:
        return bool(-comp[1] if descending else comp[1])
    if rank == RANK_DATE:
        return _date(-comp[1] if descending else comp[1])
    if rank == RANK_TIMESTAMP:
        return Timestamp(-comp[1], -comp[2]) if descending else Timestamp(comp[1], comp[2])
    if rank == RANK_MINKEY:
        return MinKey()
    if rank == RANK_MAXKEY:
        return MaxKey()
    raise _NotInKey


def _date(millis: int) -> datetime.datetime | DatetimeMS:
    """A BSON date as the codec decodes it: a datetime in range, else DatetimeMS."""
    if _MIN_DATETIME_MS <= millis <= _MAX_DATETIME_MS:
        return _EPOCH + datetime.timedelta(milliseconds=millis)
    return DatetimeMS(millis)
