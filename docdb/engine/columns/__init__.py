"""The columnar execution path: unindexed filters and ``$match`` + ``$group`` answered with numpy.

Entry points: ``column_rows`` (the planner's COLLSCAN) and ``column_group`` (the aggregation runner).
Each returns None whenever the columns cannot give exactly the row engine's answer (a filter shape it does
not serve, arrays on a path, Decimal128, ...), and the caller then runs the row path: the answer never
changes, only the speed. Why numpy: it is the smallest well-kept vectorized library (one wheel, no
services), and its typed arrays let every MongoDB rule be written down explicitly (type brackets, null vs
missing, exact integer sums) rather than inherited from another system's semantics (SQL NULLs, Arrow's or
DuckDB's cross-type casts).

This module imports no numpy: the entry points below first make the checks that need none (the path is
enabled, the collection has ``min_docs`` documents, the collation is simple), and only then import the
numpy modules (``rows``, ``group``). A server that never scans a large collection never loads numpy, and
start-up does not pay for it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from docdb.engine.collation import active
from docdb.engine.columns.settings import SETTINGS

if TYPE_CHECKING:
    import numpy as np

    from docdb.engine.collection import Collection
    from docdb.engine.columns.cache import ColumnSet

__all__ = ["SETTINGS", "cached_bytes", "column_group", "column_rows"]


def _may_serve(coll: Collection) -> bool:
    """False where the column path would decline anyway, before building or compiling anything."""
    return SETTINGS.enabled and len(coll) >= SETTINGS.min_docs and active().is_simple


def column_rows(
    coll: Collection, spec: dict[str, Any], *, build: bool = True
) -> tuple[ColumnSet, np.ndarray] | None:
    """The rows matching ``spec`` from the columns, or None for the row path (see ``rows.column_rows``)."""
    if not _may_serve(coll):
        return None
    from docdb.engine.columns.rows import column_rows as rows_from_columns

    return rows_from_columns(coll, spec, build=build)


def column_group(coll: Collection, spec: dict[str, Any], group: Any) -> list[dict[str, Any]] | None:
    """``$match: spec`` then ``$group: group`` from the columns, or None for the row path (see
    ``group.column_group``)."""
    if not _may_serve(coll):
        return None
    from docdb.engine.columns.group import column_group as group_from_columns

    return group_from_columns(coll, spec, group)


def cached_bytes() -> int:
    """Bytes held by every cached column set (the benchmark reports it)."""
    from docdb.engine.columns.cache import cached_bytes as held

    return held()
