"""The columnar execution path: unindexed filters and ``$match`` + ``$group`` answered with numpy.

Entry points: ``column_rows`` here (the planner's COLLSCAN), ``group.column_group`` (the aggregation
runner; it lives beside the accumulators it reuses, so the planner does not import the pipeline).
Each returns None whenever the columns cannot
give exactly the row engine's answer (a filter shape it does not serve, arrays on a path, Decimal128, ...),
and the caller then runs the row path: the answer never changes, only the speed. Why numpy: it is the
smallest well-kept vectorized library (one wheel, no services), and its typed arrays let every MongoDB
rule be written down explicitly (type brackets, null vs missing, exact integer sums) rather than inherited
from another system's semantics (SQL NULLs, Arrow's or DuckDB's cross-type casts).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from docdb.engine.collation import active
from docdb.engine.collection import Collection
from docdb.engine.columns.cache import SETTINGS, ColumnSet, cached_bytes, column_set
from docdb.engine.columns.filters import Unsupported, compile_column_filter

__all__ = ["SETTINGS", "cached_bytes", "column_rows"]  # column_group: engine.columns.group


def column_rows(
    coll: Collection, spec: dict[str, Any], *, build: bool = True
) -> tuple[ColumnSet, np.ndarray] | None:
    """The rows (ascending positions in natural order) matching ``spec``, or None for the row path.

    ``build`` False serves only from columns already built for the collection's current version (a
    write's filter: building columns that the write itself makes stale would cost more than a scan).
    A non-simple collation (the operation's collator) always takes the row path: the columns compare
    strings by their code points only.
    """
    if not active().is_simple:
        return None
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
