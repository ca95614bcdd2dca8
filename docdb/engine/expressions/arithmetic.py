"""Arithmetic operators with MongoDB's numeric widening and date arithmetic."""

from __future__ import annotations

import decimal
import math
from collections.abc import Callable
from typing import Any

from docdb.engine.expressions.core import MISSING, simple, type_name
from docdb.engine.expressions.dates_util import date_to_ms, is_date, ms_to_date
from docdb.engine.expressions.numeric import (
    DECIMAL,
    DOUBLE,
    INT,
    INT32_MIN,
    INT64_MIN,
    LONG,
    NOT_NUMBER,
    box,
    box_int,
    make_decimal,
    num_kind,
    to_decimal,
    to_float,
)
from docdb.errors import ErrorCode, MongoError


def _nullish(value: Any) -> bool:
    return value is None or value is MISSING


def _sum(values: list, kind: int) -> Any:
    if kind == DECIMAL:
        return make_decimal(sum((to_decimal(x) for x in values), decimal.Decimal(0)))
    if kind == DOUBLE:
        return (
            math.fsum(to_float(x) for x in values)
            if all(math.isfinite(x) for x in values)
            else sum(to_float(x) for x in values)
        )
    return box_int(sum(int(x) for x in values), kind)


def add(*values: Any) -> Any:
    numbers = []
    date = None
    kind = INT
    for value in values:
        if _nullish(value):
            return None
        k = num_kind(value)
        if k == NOT_NUMBER:
            if is_date(value):
                if date is not None:
                    raise MongoError(16612, "only one date allowed in an $add expression")
                date = value
                continue
            raise MongoError(16554, f"$add only supports numeric or date types, not {type_name(value)}")
        kind = max(kind, k)
        numbers.append(value)
    if date is None:
        return _sum(numbers, kind)
    total = 0
    for n in numbers:
        total += _round_ms(n)
    return ms_to_date(date_to_ms(date) + total)


def _round_ms(value: Any) -> int:
    kind = num_kind(value)
    if kind == DOUBLE:
        if not math.isfinite(value):
            raise MongoError(ErrorCode.Overflow, "date overflow in $add")
        return int(math.floor(value + 0.5)) if value >= 0 else -int(math.floor(-value + 0.5))
    if kind == DECIMAL:
        return int(to_decimal(value).to_integral_value(decimal.ROUND_HALF_EVEN))
    return int(value)


def subtract(left: Any, right: Any) -> Any:
    if _nullish(left) or _nullish(right):
        return None
    lk, rk = num_kind(left), num_kind(right)
    if lk != NOT_NUMBER and rk != NOT_NUMBER:
        kind = max(lk, rk)
        if kind == DECIMAL:
            return make_decimal(to_decimal(left) - to_decimal(right))
        if kind == DOUBLE:
            return to_float(left) - to_float(right)
        return box_int(int(left) - int(right), kind)
    if is_date(left):
        if is_date(right):
            return box_int(date_to_ms(left) - date_to_ms(right), LONG)
        if rk != NOT_NUMBER:
            return ms_to_date(date_to_ms(left) - _round_ms(right))
    if is_date(right) and lk != NOT_NUMBER:
        raise MongoError(16556, f"can't $subtract date from {type_name(left)}")
    raise MongoError(16556, f"can't $subtract {type_name(right)} from {type_name(left)}")


def multiply(*values: Any) -> Any:
    kind = INT
    for value in values:
        if _nullish(value):
            return None
        k = num_kind(value)
        if k == NOT_NUMBER:
            raise MongoError(16555, f"$multiply only supports numeric types, not {type_name(value)}")
        kind = max(kind, k)
    if kind == DECIMAL:
        product = decimal.Decimal(1)
        for value in values:
            product = product * to_decimal(value)
        return make_decimal(product)
    if kind == DOUBLE:
        result = 1.0
        for value in values:
            result *= to_float(value)
        return result
    total = 1
    for value in values:
        total *= int(value)
    return box_int(total, kind)


def _two_numbers(name: str, left: Any, right: Any, code: int) -> int:
    lk, rk = num_kind(left), num_kind(right)
    if lk == NOT_NUMBER or rk == NOT_NUMBER:
        raise MongoError(
            code, f"{name} only supports numeric types, not {type_name(left)} and {type_name(right)}"
        )
    return max(lk, rk)


def divide(left: Any, right: Any) -> Any:
    if _nullish(left) or _nullish(right):
        return None
    kind = _two_numbers("$divide", left, right, 16609)
    if kind == DECIMAL:
        divisor = to_decimal(right)
        if divisor == 0:
            raise MongoError(ErrorCode.BadValue, "can't $divide by zero")
        return make_decimal(to_decimal(left) / divisor)
    divisor = to_float(right)
    if divisor == 0:
        raise MongoError(ErrorCode.BadValue, "can't $divide by zero")
    return to_float(left) / divisor


def mod(left: Any, right: Any) -> Any:
    if _nullish(left) or _nullish(right):
        return None
    kind = _two_numbers("$mod", left, right, 16611)
    if kind == DECIMAL:
        divisor = to_decimal(right)
        if divisor == 0:
            raise MongoError(16610, "can't $mod by zero")
        return make_decimal(to_decimal(left) % divisor)
    if kind == DOUBLE:
        divisor = to_float(right)
        if divisor == 0:
            raise MongoError(16610, "can't $mod by zero")
        return math.fmod(to_float(left), divisor)
    a, b = int(left), int(right)
    if b == 0:
        raise MongoError(16610, "can't $mod by zero")
    return box_int(int(math.copysign(abs(a) % abs(b), a)) if a else 0, kind)


def _single_numeric(name: str, value: Any) -> int:
    kind = num_kind(value)
    if kind == NOT_NUMBER:
        raise MongoError(28765, f"{name} only supports numeric types, not {type_name(value)}")
    return kind


def abs_(value: Any) -> Any:
    if _nullish(value):
        return None
    kind = _single_numeric("$abs", value)
    if kind == DECIMAL:
        return make_decimal(abs(to_decimal(value)))
    if kind == DOUBLE:
        return abs(value)
    if kind == LONG and int(value) == INT64_MIN:
        raise MongoError(28680, "can't take $abs of long long min")
    if kind == INT and value == INT32_MIN:
        return box_int(-value, LONG)
    return box_int(abs(int(value)), kind)


def _rounder(name: str, rounding: str, func: Any) -> Any:
    def apply(value: Any) -> Any:
        if _nullish(value):
            return None
        kind = _single_numeric(name, value)
        if kind == DECIMAL:
            d = to_decimal(value)
            return make_decimal(d.to_integral_value(rounding) if d.is_finite() else d)
        if kind == DOUBLE:
            return float(func(value)) if math.isfinite(value) else value
        return value

    return apply


def _float_fn(name: str, func: Any, domain: Any, domain_error: Any) -> Any:
    """sqrt/exp/ln/log10: double result (decimal in, decimal out); ``domain`` rejects bad inputs."""

    def apply(value: Any) -> Any:
        if _nullish(value):
            return None
        kind = _single_numeric(name, value)
        if kind == DECIMAL:
            d = to_decimal(value)
            if not d.is_nan() and not domain(d):
                raise domain_error(value)
            return make_decimal(func(d, True))
        x = to_float(value)
        if not math.isnan(x) and not domain(x):
            raise domain_error(value)
        return func(x, False)

    return apply


def _dec_or(fn_float: Any, fn_dec: Any) -> Any:
    return lambda x, is_dec: fn_dec(x) if is_dec else fn_float(x)


def _safe_log(x: float) -> float:
    return math.log(x) if x != math.inf else math.inf


_PREC34 = decimal.Context(prec=34)


def _decimal_fn(method: str) -> Callable[[decimal.Decimal], decimal.Decimal]:
    """A ``Decimal`` method (``ln``, ``log10``, ``exp``, ``sqrt``) computed to decimal128's 34 digits.

    >>> _decimal_fn("sqrt")(decimal.Decimal(2))
    Decimal('1.414213562373095048801688724209698')
    """
    return lambda d: getattr(d, method)(context=_PREC34)


_ln_dec = _decimal_fn("ln")


def _exp_float(x: float) -> float:
    try:
        return math.exp(x)
    except OverflowError:
        return math.inf


def log(value: Any, base: Any) -> Any:
    if _nullish(value) or _nullish(base):
        return None
    if num_kind(value) == NOT_NUMBER:
        raise MongoError(28756, f"$log's argument must be numeric, not {type_name(value)}")
    if num_kind(base) == NOT_NUMBER:
        raise MongoError(28757, f"$log's base must be numeric, not {type_name(base)}")
    if DECIMAL in (num_kind(value), num_kind(base)):
        x, b = to_decimal(value), to_decimal(base)
        if not x > 0:
            raise MongoError(28758, f"$log's argument must be a positive number, but {value} was passed")
        if not b > 0 or b == 1:
            raise MongoError(
                28759, f"$log's base must be a positive number not equal to 1, but {base} was passed"
            )
        return make_decimal(_ln_dec(x) / _ln_dec(b))
    x, b = to_float(value), to_float(base)
    if math.isnan(x):
        return x
    if math.isnan(b):
        return b
    if not x > 0:
        raise MongoError(28758, f"$log's argument must be a positive number, but {value} was passed")
    if not b > 0 or b == 1:
        raise MongoError(
            28759, f"$log's base must be a positive number not equal to 1, but {base} was passed"
        )
    return _safe_log(x) / _safe_log(b)


def power(base: Any, exponent: Any) -> Any:
    if _nullish(base) or _nullish(exponent):
        return None
    bk, ek = num_kind(base), num_kind(exponent)
    if bk == NOT_NUMBER:
        raise MongoError(28762, f"$pow's base must be numeric, not {type_name(base)}")
    if ek == NOT_NUMBER:
        raise MongoError(28763, f"$pow's exponent must be numeric, not {type_name(exponent)}")
    kind = max(bk, ek)
    if kind == DECIMAL:
        b, e = to_decimal(base), to_decimal(exponent)
        if b == 0 and e < 0:
            raise MongoError(28764, "$pow cannot take a base of 0 and a negative exponent")
        with decimal.localcontext() as ctx:
            ctx.prec = 34
            return make_decimal(b**e)
    if kind == DOUBLE:
        b, e = to_float(base), to_float(exponent)
        if b == 0 and e < 0:
            raise MongoError(28764, "$pow cannot take a base of 0 and a negative exponent")
        try:
            return math.pow(b, e)
        except (OverflowError, ValueError):
            return b**e if b >= 0 else math.nan
    b, e = int(base), int(exponent)
    if b == 0 and e < 0:
        raise MongoError(28764, "$pow cannot take a base of 0 and a negative exponent")
    if e < 0:
        if b in (1, -1):
            return box_int(b**e if b == 1 else (1 if e % 2 == 0 else -1), kind)
        return float(b) ** e
    if abs(b) > 1 and e > 64:
        return float(b) ** e if abs(b) < 1e10 else math.copysign(math.inf, b if e % 2 else 1)
    return box_int(b**e, kind)


def _place(name: str, place: Any) -> int | None:
    if _nullish(place):
        return None
    from docdb.engine.expressions.numeric import as_int

    p = as_int(place)
    if p is None:
        raise MongoError(16004, f'{name} requires "place" argument to be an integer between -20 and 100')
    if not -20 <= p <= 100:
        raise MongoError(51155, f"cannot apply {name} with precision value {p} value must be in [-20, 100]")
    return p


def _round_to(name: str, rounding: str) -> Any:
    def apply(value: Any, place: Any = 0) -> Any:
        p = _place(name, place)
        if _nullish(value) or p is None:
            return None
        kind = _single_numeric(name, value)
        quantum = decimal.Decimal(1).scaleb(-p)
        if kind == DECIMAL:
            d = to_decimal(value)
            if not d.is_finite():
                return value
            with decimal.localcontext() as ctx:
                ctx.prec = 200
                return make_decimal(d.quantize(quantum, rounding) if p >= 0 else _round_neg(d, p, rounding))
        if kind == DOUBLE:
            if not math.isfinite(value):
                return value
            d = decimal.Decimal(repr(value))
            with decimal.localcontext() as ctx:
                ctx.prec = 200
                r = d.quantize(quantum, rounding) if p >= 0 else _round_neg(d, p, rounding)
            return float(r)
        if p >= 0:
            return value
        r = int(_round_neg(decimal.Decimal(int(value)), p, rounding))
        return box_int(r, kind)

    return apply


def _round_neg(d: decimal.Decimal, p: int, rounding: str) -> decimal.Decimal:
    scale = decimal.Decimal(10) ** (-p)
    return (d / scale).quantize(decimal.Decimal(1), rounding) * scale


simple("$abs", abs_, 1)
simple("$add", add, 0, None)
simple("$ceil", _rounder("$ceil", decimal.ROUND_CEILING, math.ceil), 1)
simple("$divide", divide, 2)
simple("$exp", _float_fn("$exp", _dec_or(_exp_float, _decimal_fn("exp")), lambda x: True, None), 1)
simple("$floor", _rounder("$floor", decimal.ROUND_FLOOR, math.floor), 1)
simple(
    "$ln",
    _float_fn(
        "$ln",
        _dec_or(_safe_log, _ln_dec),
        lambda x: x > 0,
        lambda v: MongoError(28766, f"$ln's argument must be a positive number, but {v} was passed"),
    ),
    1,
)
simple("$log", log, 2)
simple(
    "$log10",
    _float_fn(
        "$log10",
        _dec_or(lambda x: math.log10(x) if x != math.inf else x, _decimal_fn("log10")),
        lambda x: x > 0,
        lambda v: MongoError(28761, f"$log10's argument must be a positive number, but {v} was passed"),
    ),
    1,
)
simple("$mod", mod, 2)
simple("$multiply", multiply, 0, None)
simple("$pow", power, 2)
simple("$round", _round_to("$round", decimal.ROUND_HALF_EVEN), 1, 2)
simple(
    "$sqrt",
    _float_fn(
        "$sqrt",
        _dec_or(math.sqrt, _decimal_fn("sqrt")),
        lambda x: x >= 0,
        lambda v: MongoError(28714, "$sqrt's argument must be greater than or equal to 0"),
    ),
    1,
)
simple("$subtract", subtract, 2)
simple("$trunc", _round_to("$trunc", decimal.ROUND_DOWN), 1, 2)

__all__ = ["add", "subtract", "multiply", "divide", "box"]
