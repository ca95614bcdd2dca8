"""``column_rows``' numpy half: the rows of a COLLSCAN filter, from the collection's columns."""

from __future__ import annotations

from typing import Any

import numpy as np

from docdb.engine.collation import active
from docdb.engine.collection import Collection
from docdb.engine.columns.cache import ColumnSet, column_set
from docdb.engine.columns.filters import Unsupported, compile_column_filter


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
