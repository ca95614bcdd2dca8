"""One field path of a collection as numpy arrays: what the vectorized filter and group paths read.

A column classifies every row's value at the path into a type class (``tags``) and keeps, per class, a
typed array: numbers as float64 (plus exact int64 for integers, and their BSON kind for ``$sum``'s output
type), strings as codes into their sorted distinct values (so ``$gt: "m"`` is an integer comparison in
BSON's byte order), booleans, and dates as int64 milliseconds. What a vectorized answer could get wrong is
recorded as a flag, and the callers then leave the query to the row engine: an array anywhere on the path
(MongoDB matches elements), a Decimal128 (float64 would round it), an integer beyond 2**53, NaN (its
order against numbers), values of other types (ObjectId, documents, ...) only where an operator would
have to order them.

Rows are positions in the collection's natural order when the column set was built (``ColumnSet.raws``).
"""

from __future__ import annotations

import bisect
import datetime
from typing import Any

import numpy as np
from bson.int64 import Int64

from docdb.engine.bson_order import MISSING, datetime_to_ms
from docdb.engine.expressions.numeric import DOUBLE, INT, LONG
from docdb.engine.paths import is_index

T_MISSING, T_NULL, T_NUMBER, T_STRING, T_BOOL, T_DATE, T_OTHER, T_ARRAY = range(8)
EXACT_FLOAT_INT = 2**53  # integers up to this magnitude are exact in float64


class Column:
    """The values at one path, one row per document (see the module docstring)."""

    __slots__ = (
        "path", "tags", "num", "kinds", "ints", "codes", "strings", "bools", "dates",
        "has_array", "has_decimal", "has_nan", "has_big_int", "nbytes",
    )  # fmt: skip

    def __init__(self, path: str, n: int) -> None:
        self.path = path
        self.tags = np.zeros(n, dtype=np.int8)
        self.num = np.full(n, np.nan)
        self.kinds = np.full(n, -1, dtype=np.int8)
        self.ints = np.zeros(n, dtype=np.int64)
        self.codes = np.full(n, -1, dtype=np.int32)
        self.strings: list[str] = []
        self.bools = np.zeros(n, dtype=np.bool_)
        self.dates = np.zeros(n, dtype=np.int64)
        self.has_array = self.has_decimal = self.has_nan = self.has_big_int = False
        self.nbytes = n * (1 + 8 + 1 + 8 + 4 + 1 + 8)

    @property
    def numbers_exact(self) -> bool:
        """True when comparing and grouping the numbers in float64 gives BSON's answers."""
        return not (self.has_array or self.has_decimal or self.has_big_int)

    def string_code(self, value: str) -> tuple[int, bool]:
        """Where ``value`` sorts among the column's strings, and whether it is one of them."""
        position = bisect.bisect_left(self.strings, value)
        return position, position < len(self.strings) and self.strings[position] == value


def path_value(doc: dict[str, Any], parts: list[str]) -> Any:
    """The value at ``parts`` or MISSING; a list met on the way (or at the end) is returned as a list,
    which classifies the row as an array: element matching is the row engine's job."""
    value: Any = doc
    for part in parts:
        if isinstance(value, dict):
            value = value.get(part, MISSING)
            if value is MISSING:
                return MISSING
        elif isinstance(value, list):
            return value if not is_index(part) else [value]
        else:
            return MISSING
    return value


def build_column(path: str, values: list[Any]) -> Column:
    """Classify ``values`` (one per row, MISSING where absent) into a column."""
    column = Column(path, len(values))
    classes = set(map(type, values))
    if classes <= {float}:
        column.tags[:] = T_NUMBER
        column.num = np.array(values, dtype=np.float64)
        column.kinds[:] = DOUBLE
        column.has_nan = bool(np.isnan(column.num).any())
        return column
    if classes <= {int}:
        try:
            ints = np.array(values, dtype=np.int64)
        except OverflowError:
            ints = None
        if ints is not None:
            column.tags[:] = T_NUMBER
            column.ints = ints
            column.num = ints.astype(np.float64)
            column.kinds[:] = INT  # a plain int is a BSON int32 (int64 decodes as Int64), as Sum counts it
            column.has_big_int = bool((np.abs(ints) > EXACT_FLOAT_INT).any())
            return column
    if classes <= {str}:
        column.tags[:] = T_STRING
        _encode_strings(column, values, np.ones(len(values), dtype=np.bool_))
        return column
    _classify_mixed(column, values)
    return column


def _encode_strings(column: Column, values: list[Any], is_string: np.ndarray) -> None:
    """Codes into the sorted distinct strings (Python's str order is code-point order, which is UTF-8
    byte order: BSON's order for strings under the simple collation)."""
    first_seen: dict[str, int] = {}
    add = first_seen.setdefault
    flags = is_string.tolist()
    raw_codes = [add(v, len(first_seen)) if s else -1 for v, s in zip(values, flags, strict=True)]
    distinct = list(first_seen)
    order = sorted(range(len(distinct)), key=distinct.__getitem__)
    remap = np.empty(len(distinct) + 1, dtype=np.int32)
    remap[np.array(order, dtype=np.int64)] = np.arange(len(distinct), dtype=np.int32)
    remap[-1] = -1
    column.codes = remap[np.array(raw_codes, dtype=np.int64)]
    column.strings = [distinct[i] for i in order]


def _classify_mixed(column: Column, values: list[Any]) -> None:
    """The general case, one value at a time."""
    tags, num, kinds, ints, bools, dates = (
        column.tags, column.num, column.kinds, column.ints, column.bools, column.dates,
    )  # fmt: skip
    is_string = np.zeros(len(values), dtype=np.bool_)
    for i, value in enumerate(values):
        cls = type(value)
        if value is MISSING:
            continue  # T_MISSING is 0
        if value is None:
            tags[i] = T_NULL
        elif cls is float:
            tags[i], num[i], kinds[i] = T_NUMBER, value, DOUBLE
            if value != value:
                column.has_nan = True
        elif cls is int or cls is Int64:
            tags[i], kinds[i] = T_NUMBER, LONG if cls is Int64 else INT
            if abs(value) > EXACT_FLOAT_INT:
                column.has_big_int = True
            if -(2**63) <= value < 2**63:
                ints[i], num[i] = value, float(value)
            else:
                column.has_big_int = True
        elif cls is str:
            tags[i] = T_STRING
            is_string[i] = True
        elif cls is bool:
            tags[i], bools[i] = T_BOOL, value
        elif cls is datetime.datetime:
            tags[i], dates[i] = T_DATE, datetime_to_ms(value)
        elif cls is list:
            tags[i] = T_ARRAY
            column.has_array = True
        else:
            tags[i] = T_OTHER
            if cls.__name__ == "Decimal128":
                column.has_decimal = True
    if is_string.any():
        _encode_strings(column, values, is_string)
