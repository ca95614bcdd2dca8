"""MongoDB's numeric typing: int32 < long < double < decimal, widening on overflow.

Arithmetic is done on Python numbers and the result is boxed back into the widest input kind, so that
``int + int`` overflowing 32 bits becomes a long and ``long + long`` overflowing 64 bits a double, as
mongod does. Decimal128 math uses the IEEE 754-2008 decimal128 context (34 digits).
"""

from __future__ import annotations

import decimal
import math
from typing import Any

from bson.decimal128 import Decimal128, create_decimal128_context
from bson.int64 import Int64

INT, LONG, DOUBLE, DECIMAL = 0, 1, 2, 3
NOT_NUMBER = -1
INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
DEC_CTX = create_decimal128_context()


def num_kind(value: Any) -> int:
    """INT/LONG/DOUBLE/DECIMAL for a number, NOT_NUMBER otherwise (bool is never a number).

    >>> num_kind(1), num_kind(Int64(1)), num_kind(2**40), num_kind(1.5), num_kind(True)
    (0, 1, 1, 2, -1)
    """
    cls = type(value)
    if cls is int:
        return INT if INT32_MIN <= value <= INT32_MAX else LONG
    if cls is float:
        return DOUBLE
    if cls is Int64:
        return LONG
    if cls is Decimal128:
        return DECIMAL
    return NOT_NUMBER


def is_number(value: Any) -> bool:
    return num_kind(value) != NOT_NUMBER


def box_int(value: int, kind: int) -> Any:
    """An integer result in the narrowest type allowed by ``kind``, widening on overflow.

    >>> box_int(5, INT), type(box_int(2**31, INT)).__name__, box_int(2**63, LONG)
    (5, 'Int64', 9.223372036854776e+18)
    """
    if kind == INT and INT32_MIN <= value <= INT32_MAX:
        return int(value)
    if INT64_MIN <= value <= INT64_MAX:
        return Int64(value)
    return float(value)


def to_decimal(value: Any) -> decimal.Decimal:
    """A number as a Python Decimal; doubles are rounded to 15 significant digits as mongod does."""
    cls = type(value)
    if cls is Decimal128:
        return value.to_decimal()
    if cls is float:
        if math.isnan(value):
            return decimal.Decimal("NaN")
        if math.isinf(value):
            return decimal.Decimal("Infinity" if value > 0 else "-Infinity")
        return DEC_CTX.create_decimal(f"{value:.14e}")
    return decimal.Decimal(int(value))


def make_decimal(value: decimal.Decimal) -> Decimal128:
    return Decimal128(DEC_CTX.create_decimal(value))


def to_float(value: Any) -> float:
    if type(value) is Decimal128:
        return float(value.to_decimal())
    return float(value)


def box(value: Any, kind: int) -> Any:
    """Box a Python number computed for ``kind`` (int for INT/LONG, float, or Decimal)."""
    if kind == DECIMAL:
        return make_decimal(value)
    if kind == DOUBLE:
        return float(value)
    return box_int(value, kind)


def as_int(value: Any) -> int | None:
    """The integral value of a number if it has one exactly (1.0 -> 1), else None."""
    kind = num_kind(value)
    if kind in (INT, LONG):
        return int(value)
    if kind == DOUBLE:
        return int(value) if math.isfinite(value) and value == int(value) else None
    if kind == DECIMAL:
        d = value.to_decimal()
        return int(d) if d.is_finite() and d == d.to_integral_value() else None
    return None
