"""Filters as boolean masks over columns, for the filter shapes whose answer the columns decide exactly.

``compile_column_filter(spec)`` returns a ``ColumnFilter`` (the paths it reads and a mask function) or
None for any shape it does not serve: then the row engine answers, and the answer is the same. The mask
function may also give up (``Unsupported``) once it sees the data, e.g. a column that holds arrays, where
MongoDB matches elements. Served: ``{path: literal}``, ``$eq $ne $gt $gte $lt $lte $in $nin $exists``,
``$and $or $nor``, on literals that are numbers, strings, booleans, dates and null. The filter was
already validated by ``compile_filter``: nothing here reports a user error.

Semantics kept (MongoDB's, with the simple collation): comparisons are type-bracketed (``$gt: 5`` matches
numbers only; ``$gt: "m"`` strings only), 1 == 1.0 == Int64(1), ``{a: null}`` matches null and missing,
``$ne``/``$nin`` are the complements of ``$eq``/``$in`` (so they match missing fields), ``$exists``
looks at presence only.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from bson.int64 import Int64

from docdb.engine.bson_order import datetime_to_ms
from docdb.engine.columns.column import (
    EXACT_FLOAT_INT,
    T_BOOL,
    T_DATE,
    T_MISSING,
    T_NULL,
    T_NUMBER,
    T_STRING,
    Column,
)

Mask = np.ndarray
Columns = Callable[[str], Column]
MaskFn = Callable[[Columns, int], Mask]


class Unsupported(Exception):
    """The columns cannot decide this filter exactly; the row engine must."""


@dataclass(frozen=True, slots=True)
class ColumnFilter:
    paths: frozenset[str]
    mask: MaskFn


_COMPARISONS = {"$gt": np.greater, "$gte": np.greater_equal, "$lt": np.less, "$lte": np.less_equal}


def compile_column_filter(spec: dict[str, Any]) -> ColumnFilter | None:
    """The mask for ``spec``, or None when the shape is not one the columns serve."""
    paths: set[str] = set()
    try:
        fn = _compile_and(spec, paths)
    except Unsupported:
        return None
    return ColumnFilter(frozenset(paths), fn)


def _compile_and(spec: dict[str, Any], paths: set[str]) -> MaskFn:
    parts = [_compile_clause(key, value, paths) for key, value in spec.items()]
    if not parts:
        return lambda cols, n: np.ones(n, dtype=np.bool_)
    if len(parts) == 1:
        return parts[0]
    return lambda cols, n: np.logical_and.reduce([p(cols, n) for p in parts])


def _compile_clause(key: str, value: Any, paths: set[str]) -> MaskFn:
    if key in ("$and", "$or", "$nor"):
        if not isinstance(value, list) or not value:
            raise Unsupported
        subs = [_compile_and(sub, paths) for sub in value]
        if key == "$and":
            return lambda cols, n: np.logical_and.reduce([s(cols, n) for s in subs])
        if key == "$or":
            return lambda cols, n: np.logical_or.reduce([s(cols, n) for s in subs])
        return lambda cols, n: ~np.logical_or.reduce([s(cols, n) for s in subs])
    if key.startswith("$") or not key or ".." in key or key.endswith("."):
        raise Unsupported
    paths.add(key)
    if isinstance(value, dict) and value and next(iter(value)).startswith("$"):
        ops = [_compile_operator(key, op, operand) for op, operand in value.items()]
        if len(ops) == 1:
            return ops[0]
        return lambda cols, n: np.logical_and.reduce([o(cols, n) for o in ops])
    return _equals(key, value)


def _compile_operator(path: str, op: str, operand: Any) -> MaskFn:
    if op == "$eq":
        return _equals(path, operand)
    if op == "$ne":
        eq = _equals(path, operand)
        return lambda cols, n: ~eq(cols, n)
    if op in _COMPARISONS:
        return _compare(path, op, operand)
    if op in ("$in", "$nin"):
        if not isinstance(operand, list):
            raise Unsupported
        eqs = [_equals(path, item) for item in operand]

        def any_equal(cols: Columns, n: int) -> Mask:
            if not eqs:
                return np.zeros(n, dtype=np.bool_)
            return np.logical_or.reduce([e(cols, n) for e in eqs])

        if op == "$in":
            return any_equal
        return lambda cols, n: ~any_equal(cols, n)
    if op == "$exists":
        present = bool(operand)

        def exists(cols: Columns, n: int) -> Mask:
            column = cols(path)
            if column.has_array and "." in path:
                raise Unsupported  # a path through an array exists if any element has it
            found = column.tags != T_MISSING
            return found if present else ~found

        return exists
    raise Unsupported


def _number(value: Any) -> float | None:
    """``value`` as an exact float64 when it is a plain number (not bool, NaN, Decimal128 or huge)."""
    cls = type(value)
    if cls is float:
        return None if math.isnan(value) else value
    if (cls is int or cls is Int64) and abs(value) <= EXACT_FLOAT_INT:
        return float(value)
    return None


def _checked(cols: Columns, path: str) -> Column:
    column = cols(path)
    if column.has_array:
        raise Unsupported
    return column


def _equals(path: str, value: Any) -> MaskFn:
    cls = type(value)
    if value is None:
        return lambda cols, n: np.isin(_checked(cols, path).tags, (T_NULL, T_MISSING))
    number = _number(value)
    if number is not None:

        def eq_number(cols: Columns, n: int) -> Mask:
            column = _checked(cols, path)
            if column.has_decimal or column.has_big_int:
                raise Unsupported
            return (column.tags == T_NUMBER) & (column.num == number)

        return eq_number
    if cls is str:

        def eq_string(cols: Columns, n: int) -> Mask:
            column = _checked(cols, path)
            position, found = column.string_code(value)
            if not found:
                return np.zeros(n, dtype=np.bool_)
            return column.codes == position

        return eq_string
    if cls is bool:
        return lambda cols, n: (_checked(cols, path).tags == T_BOOL) & (_checked(cols, path).bools == value)
    if cls is datetime.datetime:
        ms = datetime_to_ms(value)
        return lambda cols, n: (_checked(cols, path).tags == T_DATE) & (_checked(cols, path).dates == ms)
    raise Unsupported


def _compare(path: str, op: str, value: Any) -> MaskFn:
    ufunc = _COMPARISONS[op]
    number = _number(value)
    if number is not None:

        def cmp_number(cols: Columns, n: int) -> Mask:
            column = _checked(cols, path)
            if column.has_decimal or column.has_big_int or column.has_nan:
                raise Unsupported
            return (column.tags == T_NUMBER) & ufunc(column.num, number)

        return cmp_number
    if type(value) is str:

        def cmp_string(cols: Columns, n: int) -> Mask:
            column = _checked(cols, path)
            position, found = column.string_code(value)
            codes = column.codes
            strings = column.tags == T_STRING
            if op == "$gt":
                return strings & (codes >= position + int(found))
            if op == "$gte":
                return strings & (codes >= position)
            if op == "$lt":
                return strings & (codes < position)
            return strings & (codes < position + int(found))

        return cmp_string
    if type(value) is datetime.datetime:
        ms = datetime_to_ms(value)
        return lambda cols, n: (_checked(cols, path).tags == T_DATE) & ufunc(_checked(cols, path).dates, ms)
    raise Unsupported
