"""Number arithmetic with MongoDB's result types, for $inc, $mul and $bit.

Result type is the wider operand type: int32 < int64 < double < decimal. int32 results that overflow are
promoted to int64; int64 results that overflow are an error (mongod refuses rather than wrapping).
Decimal arithmetic uses the 34-digit decimal128 context.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from bson.decimal128 import Decimal128, create_decimal128_context
from bson.int64 import Int64

from docdb.engine.expressions.numeric import DECIMAL, DOUBLE, NOT_NUMBER, num_kind
from docdb.engine.expressions.numeric import INT as INT32
from docdb.engine.expressions.numeric import LONG as INT64

_INT32_RANGE = range(-(2**31), 2**31)
_INT64_RANGE = range(-(2**63), 2**63)
_DECIMAL_CONTEXT = create_decimal128_context()


def number_kind(value: Any) -> int | None:
    """INT32/INT64/DOUBLE/DECIMAL for a BSON number, None otherwise (bool is not a number).

    >>> number_kind(1), number_kind(2**40), number_kind(Int64(1)), number_kind(1.0), number_kind(True)
    (0, 1, 1, 2, None)
    """
    kind = num_kind(value)
    return None if kind == NOT_NUMBER else kind


def _to_decimal(value: Any) -> Decimal:
    if isinstance(value, Decimal128):
        return value.to_decimal()
    if isinstance(value, float):
        return _DECIMAL_CONTEXT.create_decimal(repr(value))
    return Decimal(int(value))


def _integral(result: int, kind: int) -> Any:
    if kind == INT32 and result in _INT32_RANGE:
        return result
    if result in _INT64_RANGE:
        return Int64(result)
    raise OverflowError


def arithmetic(op: str, left: Any, right: Any) -> Any:
    """``left + right`` (op "add") or ``left * right`` (op "mul") with MongoDB's result type.

    Raises OverflowError when an int64 result does not fit.

    >>> results = arithmetic("add", 2**31 - 1, 1), arithmetic("add", 1, 0.5), arithmetic("mul", Int64(2), 3)
    >>> [(r, type(r).__name__) for r in results]
    [(2147483648, 'Int64'), (1.5, 'float'), (6, 'Int64')]
    """
    kind = max(number_kind(left), number_kind(right))
    if kind == DECIMAL:
        a, b = _to_decimal(left), _to_decimal(right)
        result = _DECIMAL_CONTEXT.add(a, b) if op == "add" else _DECIMAL_CONTEXT.multiply(a, b)
        return Decimal128(result)
    if kind == DOUBLE:
        a, b = float(left), float(right)
        return a + b if op == "add" else a * b
    a, b = int(left), int(right)
    return _integral(a + b if op == "add" else a * b, kind)


def zero_like(value: Any) -> Any:
    """The zero of ``value``'s type ($mul on a missing field stores it)."""
    kind = number_kind(value)
    if kind == DECIMAL:
        return Decimal128("0")
    if kind == DOUBLE:
        return 0.0
    return Int64(0) if kind == INT64 else 0


def bitwise(op: str, left: Any, right: Any) -> Any:
    """``and``/``or``/``xor`` on int32/int64 values; the result is int64 if either side is."""
    a, b = int(left), int(right)
    result = a & b if op == "and" else a | b if op == "or" else a ^ b
    kind = max(number_kind(left), number_kind(right))
    if kind == INT64:
        result = (result + 2**63) % 2**64 - 2**63
        return Int64(result)
    return (result + 2**31) % 2**32 - 2**31
