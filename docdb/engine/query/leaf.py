"""Element tests: MongoDB's ``matchesSingleElement`` for each leaf operator, built once per filter.

Every builder returns a ``test(value) -> bool`` that never raises; ``value`` may be MISSING. Comparison
operators only compare within one canonical type (``{$gt: 1}`` never matches a string), except for
null-vs-missing and MinKey/MaxKey, exactly as ComparisonMatchExpressionBase does.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

from bson.decimal128 import Decimal128
from bson.int64 import Int64
from bson.max_key import MaxKey
from bson.min_key import MinKey

from docdb.engine.bson_order import (
    MISSING,
    RANK_MAXKEY,
    RANK_MINKEY,
    hash_key,
    is_finite_number,
    is_nan,
    number_value,
    type_rank,
)
from docdb.engine.collation import active
from docdb.engine.query.types import bson_type

Test = Callable[[Any], bool]

_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "$gt": operator.gt,
    "$gte": operator.ge,
    "$lt": operator.lt,
    "$lte": operator.le,
}


def always(result: bool) -> Test:
    return lambda value: result


def _number_test(op: Callable[[Any, Any], bool], rhs: Any) -> Test:
    """Comparison against a non-NaN number: exact across int/long/double/decimal, NaN never matches."""
    rhs = number_value(rhs)

    def test(value: Any) -> bool:
        cls = value.__class__
        if cls is int or cls is float or cls is Int64:
            return op(value, rhs)
        if cls is Decimal128:
            number = value.to_decimal()
            return not number.is_nan() and op(number, rhs)
        return False

    return test


_STRING_HOLDERS = (str, dict, list)


def eq_test(rhs: Any) -> Test:
    """``{$eq: rhs}`` on one value (a regex rhs is compared as a value, not matched)."""
    if rhs is None:
        return lambda value: value is None or value is MISSING
    cls = rhs.__class__
    if cls in _STRING_HOLDERS and not (collator := active()).is_simple:
        collated = collator.hash_key
        wanted = collated(rhs)
        return lambda value: value is not MISSING and collated(value) == wanted
    if cls is str:
        return lambda value: value == rhs and value.__class__ is str
    if cls is bool:
        return lambda value: value is rhs
    if cls in (int, float, Int64, Decimal128):
        if is_nan(rhs):
            return is_nan
        return _number_test(operator.eq, rhs)
    key = hash_key(rhs)
    return lambda value: value is not MISSING and hash_key(value) == key


def compare_test(op_name: str, rhs: Any) -> Test:
    """``$gt``/``$gte``/``$lt``/``$lte`` on one value, with MongoDB's type-bracketing rules."""
    op = _OPS[op_name]
    inclusive = op_name in ("$gte", "$lte")
    if rhs is None:
        if inclusive:
            return lambda value: value is None or value is MISSING
        return always(False)
    if isinstance(rhs, (MinKey, MaxKey)):
        rhs_rank = RANK_MINKEY if isinstance(rhs, MinKey) else RANK_MAXKEY
        other_matches = (rhs_rank == RANK_MINKEY) == (op_name in ("$gt", "$gte"))

        def extreme(value: Any) -> bool:
            if value is not MISSING and type_rank(value) == rhs_rank:
                return inclusive
            return other_matches

        return extreme
    cls = rhs.__class__
    if cls in (int, float, Int64, Decimal128):
        if is_nan(rhs):
            return is_nan if inclusive else always(False)
        return _number_test(op, rhs)
    collator = active()
    if cls is str and collator.is_simple:
        return lambda value: value.__class__ is str and op(value, rhs)
    rank = type_rank(rhs)
    keyer = collator.sort_key
    key = keyer(rhs)

    def generic(value: Any) -> bool:
        return value is not MISSING and type_rank(value) == rank and op(keyer(value), key)

    return generic


def in_test(equalities: list, regex_tests: list[Test]) -> Test:
    """``$in``: hash lookup for the equalities (null also matches missing), then the regexes."""
    hasher = active().hash_key
    keys = frozenset(hasher(item) for item in equalities if item is not None)
    has_null = any(item is None for item in equalities)

    def test(value: Any) -> bool:
        if value is None or value is MISSING:
            return has_null
        if hasher(value) in keys:
            return True
        for regex in regex_tests:
            if regex(value):
                return True
        return False

    return test


def exists_test(value: Any) -> bool:
    return value is not MISSING


def size_test(size: int) -> Test:
    return lambda value: value.__class__ is list and len(value) == size


def type_test(codes: frozenset[int]) -> Test:
    return lambda value: value is not MISSING and bson_type(value) in codes


def mod_test(divisor: int, remainder: int) -> Test:
    """``$mod``: the value truncated to an integer, C-style remainder (sign of the dividend)."""

    def test(value: Any) -> bool:
        cls = value.__class__
        if cls is int or cls is Int64:
            number = int(value)
        elif cls is float or cls is Decimal128:
            if not is_finite_number(value):
                return False
            number = int(number_value(value))
        else:
            return False
        result = abs(number) % abs(divisor)
        return (-result if number < 0 else result) == remainder

    return test


def _bit_positions_of(mask: int) -> list[int]:
    return [bit for bit in range(mask.bit_length()) if mask >> bit & 1]


def bits_test(op_name: str, positions: list[int]) -> Test:
    """``$bitsAllSet`` & co. on integral numbers (two's complement, sign-extended) and binData."""
    want_set = op_name in ("$bitsAllSet", "$bitsAnySet")
    want_all = op_name in ("$bitsAllSet", "$bitsAllClear")

    def test(value: Any) -> bool:
        cls = value.__class__
        if cls is int or cls is Int64:
            number = int(value)
        elif cls is float or cls is Decimal128:
            if not is_finite_number(value):
                return False
            real = number_value(value)
            if real != int(real) or not -(2**63) <= int(real) < 2**63:
                return False
            number = int(real)
        elif isinstance(value, bytes):
            number = int.from_bytes(value, "little")
            limit = len(value) * 8
            bits = [(p < limit and number >> p & 1 == 1) == want_set for p in positions]
            return all(bits) if want_all else any(bits)
        else:
            return False
        bits = [(number >> p & 1 == 1) == want_set for p in positions]
        return all(bits) if want_all else any(bits)

    return test


def mask_positions(mask: Any) -> list[int]:
    """Bit positions of a numeric or binData mask."""
    if isinstance(mask, bytes):
        return _bit_positions_of(int.from_bytes(mask, "little"))
    return _bit_positions_of(int(mask))
