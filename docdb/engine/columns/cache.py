"""Columns per collection, built on first use and dropped when the collection changes.

Why drop instead of update in step with writes: a write then costs one integer increment
(``Collection.version``), so writes stay exactly as fast as without columns, and a column set is always a
consistent snapshot of one version. A query after a write rebuilds the columns it needs in one decoding
pass, which costs about what one row scan costs (measured in bench/bench_columns.py), so the first query
on a changed collection is no slower than the row path and the later ones are vectorized.

Memory is bounded by ``ColumnSettings.max_bytes`` (``--column-cache-mb``): least recently used column
sets are dropped first. ``min_docs``: smaller collections keep the row path, where building arrays would
cost more than it saves.
"""

from __future__ import annotations

import weakref
from collections import OrderedDict
from typing import Any

import bson

from docdb.bson_codec import CODEC_OPTIONS
from docdb.engine.collection import Collection
from docdb.engine.columns.column import Column, build_column, path_value
from docdb.engine.columns.settings import SETTINGS, ColumnSettings

__all__ = ["SETTINGS", "ColumnSet", "ColumnSettings", "cached_bytes", "column_set"]

DECODE_CHUNK = 8192  # documents decoded at once while building columns


class ColumnSet:
    """The columns of one collection at one version; ``raws`` are the documents, row by row."""

    __slots__ = ("version", "raws", "columns", "nbytes")

    def __init__(self, version: int, raws: list[bytes]) -> None:
        self.version = version
        self.raws = raws
        self.columns: dict[str, Column] = {}
        self.nbytes = len(raws) * 8

    def __len__(self) -> int:
        return len(self.raws)

    def ensure(self, paths: set[str]) -> None:
        """Build the missing columns of ``paths`` in one decoding pass over the documents, a chunk at a
        time: only ``DECODE_CHUNK`` decoded documents exist at once, so the transient memory of a build
        stays small however large the collection (the values are kept, the documents are not)."""
        missing = [p for p in sorted(paths) if p not in self.columns]
        if not missing:
            return
        values: dict[str, list[Any]] = {path: [] for path in missing}
        split = {path: path.split(".") for path in missing if "." in path}
        raws = self.raws
        for start in range(0, len(raws), DECODE_CHUNK):
            docs = bson.decode_all(b"".join(raws[start : start + DECODE_CHUNK]), CODEC_OPTIONS)
            for path in missing:
                parts = split.get(path)
                if parts is not None:
                    values[path].extend([path_value(doc, parts) for doc in docs])
                else:
                    values[path].extend([doc.get(path, _MISSING) for doc in docs])
        for path in missing:
            column = build_column(path, values.pop(path))
            self.columns[path] = column
            self.nbytes += column.nbytes

    def __getitem__(self, path: str) -> Column:
        return self.columns[path]


_MISSING: Any = path_value({}, ["x"])  # the MISSING sentinel, as path_value returns it

# Collections holding a column set, least recently used first (weak: a dropped collection's columns go
# with it).
_LRU: OrderedDict[int, weakref.ref[Collection]] = OrderedDict()


def column_set(coll: Collection, paths: set[str]) -> ColumnSet | None:
    """The collection's current columns for ``paths`` (built as needed), or None when the column path
    should not serve it (disabled, too small, or the columns would not fit in the memory bound)."""
    if not SETTINGS.enabled or len(coll) < SETTINGS.min_docs:
        return None
    columns = coll.columns
    if columns is None or columns.version != coll.version:
        columns = coll.columns = ColumnSet(coll.version, list(coll.docs.values()))
    key = id(coll)
    _LRU[key] = weakref.ref(coll, lambda _ref, key=key: _LRU.pop(key, None))
    _LRU.move_to_end(key)
    estimate = columns.nbytes + sum(len(columns) * 31 for p in paths if p not in columns.columns)
    if estimate > SETTINGS.max_bytes:
        return None
    _evict(SETTINGS.max_bytes - estimate, keep=key)
    columns.ensure(paths)
    return columns


def _held() -> list[tuple[int, Collection]]:
    found = []
    for key, ref in list(_LRU.items()):
        coll = ref()
        if coll is not None and coll.columns is not None:
            found.append((key, coll))
    return found


def _evict(budget: int, keep: int) -> None:
    """Drop least recently used column sets until the others fit in ``budget`` bytes."""
    held = [(key, coll) for key, coll in _held() if key != keep]
    total = sum(coll.columns.nbytes for _, coll in held)
    for key, coll in held:
        if total <= budget:
            return
        total -= coll.columns.nbytes
        coll.columns = None
        _LRU.pop(key, None)


def cached_bytes() -> int:
    """Bytes held by every cached column set (the benchmark reports it)."""
    return sum(coll.columns.nbytes for _, coll in _held())
