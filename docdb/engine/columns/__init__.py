"""The columnar execution path: unindexed filters and ``$match`` + ``$group`` answered with numpy.

Entry points for the planner and the aggregation runner. Each returns None whenever the columns cannot
give exactly the row engine's answer (a filter shape it does not serve, arrays on a path, Decimal128, ...),
and the caller then runs the row path: the answer never changes, only the speed. Why numpy: it is the
smallest well-kept vectorized library (one wheel, no services), and its typed arrays let every MongoDB
rule be written down explicitly (type brackets, null vs missing, exact integer sums) rather than inherited
from another system's semantics (SQL NULLs, Arrow's or DuckDB's cross-type casts).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from docdb.engine.collection import Collection
from docdb.engine.columns.cache import SETTINGS, ColumnSet, cached_bytes, column_set
from docdb.engine.columns.filters import Unsupported, compile_column_filter
from docdb.engine.columns.group import compile_column_group, run_column_group

__all__ = ["SETTINGS", "cached_bytes", "column_group", "column_rows"]


def column_rows(
    coll: Collection, spec: dict[str, Any], *, build: bool = True
) -> tuple[ColumnSet, np.ndarray] | None:
    """The rows (ascending positions in natural order) matching ``spec``, or None for the row path.

    ``build`` False serves only from columns already built for the collection's current version (a
    write's filter: building columns that the write itself makes stale would cost more than a scan).
    """
    compiled = compile_column_filter(spec)
    if compiled is None:
        return None
    if not build and (coll.columns is None or coll.columns.version != coll.version):
        return None
    columns = column_set(coll, set(compiled.paths))
    if columns is None:
        return None
    try:
        mask = compiled.mask(columns.__getitem__, len(columns))
    except Unsupported:
        return None
    return columns, np.flatnonzero(mask)


def column_group(coll: Collection, spec: dict[str, Any], group: Any) -> list[dict[str, Any]] | None:
    """``$match: spec`` then ``$group: group`` over ``coll`` as group documents, or None for the row path."""
    compiled_group = compile_column_group(group)
    compiled_filter = compile_column_filter(spec)
    if compiled_group is None or compiled_filter is None:
        return None
    columns = column_set(coll, set(compiled_filter.paths) | compiled_group.paths)
    if columns is None:
        return None
    try:
        rows = np.flatnonzero(compiled_filter.mask(columns.__getitem__, len(columns)))
    except Unsupported:
        return None
    return run_column_group(compiled_group, columns, rows)
