"""``$bucketAuto`` granularity: round bucket boundaries to a preferred-number series, as mongod does.

A rounder maps a non-negative number to the next series value strictly above it (``round_up``) or the
previous one strictly below it (``round_down``); series values are scaled by powers of ten (or are powers
of two). The arithmetic mirrors mongod's step by step, because clients see the boundaries: doubles are
scaled by repeated ``* 10.0`` / ``/ 10.0`` (so ``6.3`` in R5 below 10 comes out as ``6.300000000000001``),
Decimal128 inputs stay Decimal128 with the series as 15-digit decimals (``4.00000000000000``), integers
go through the double path, and zero is returned unchanged. ``POWERSOF2`` answers what ``$pow: [2, n]``
answers (an int for integer inputs and for doubles >= 0.5).
"""

from __future__ import annotations

import bisect
import decimal
import math
from collections.abc import Callable
from typing import Any

from bson.decimal128 import Decimal128

from docdb.engine.expressions.arithmetic import power
from docdb.engine.expressions.core import type_name
from docdb.engine.expressions.numeric import DEC_CTX, DECIMAL, DOUBLE, NOT_NUMBER, num_kind, to_float
from docdb.errors import MongoError

# The series of mongod's granularity_rounder_preferred_numbers (Renard, 1-2-5 and E series), sorted by name.
SERIES: dict[str, tuple[int, ...]] = {
    "1-2-5": (10, 20, 50),
    "E12": (10, 12, 15, 18, 22, 27, 33, 39, 47, 56, 68, 82),
    "E192": (
        *(100, 101, 102, 104, 105, 106, 107, 109, 110, 111, 113, 114, 115, 117, 118, 120, 121, 123),
        *(124, 126, 127, 129, 130, 132, 133, 135, 137, 138, 140, 142, 143, 145, 147, 149, 150, 152),
        *(154, 156, 158, 160, 162, 164, 165, 167, 169, 172, 174, 176, 178, 180, 182, 184, 187, 189),
        *(191, 193, 196, 198, 200, 203, 205, 208, 210, 213, 215, 218, 221, 223, 226, 229, 232, 234),
        *(237, 240, 243, 246, 249, 252, 255, 258, 261, 264, 267, 271, 274, 277, 280, 284, 287, 291),
        *(294, 298, 301, 305, 309, 312, 316, 320, 324, 328, 332, 336, 340, 344, 348, 352, 357, 361),
        *(365, 370, 374, 379, 383, 388, 392, 397, 402, 407, 412, 417, 422, 427, 432, 437, 442, 448),
        *(453, 459, 464, 470, 475, 481, 487, 493, 499, 505, 511, 517, 523, 530, 536, 542, 549, 556),
        *(562, 569, 576, 583, 590, 597, 604, 612, 619, 626, 634, 642, 649, 657, 665, 673, 681, 690),
        *(698, 706, 715, 723, 732, 741, 750, 759, 768, 777, 787, 796, 806, 816, 825, 835, 845, 856),
        *(866, 876, 887, 898, 909, 920, 931, 942, 953, 965, 976, 988),
    ),
    "E24": (10, 11, 12, 13, 15, 16, 18, 20, 22, 24, 27, 30, 33, 36, 39, 43, 47, 51, 56, 62, 68, 75, 82, 91),
    "E48": (
        *(100, 105, 110, 115, 121, 127, 133, 140, 147, 154, 162, 169, 178, 187, 196, 205, 215, 226),
        *(237, 249, 261, 274, 287, 301, 316, 332, 348, 365, 383, 402, 422, 442, 464, 487, 511, 536),
        *(562, 590, 619, 649, 681, 715, 750, 787, 825, 866, 909, 953),
    ),
    "E6": (10, 15, 22, 33, 47, 68),
    "E96": (
        *(100, 102, 105, 107, 110, 113, 115, 118, 121, 124, 127, 130, 133, 137, 140, 143, 147, 150),
        *(154, 158, 162, 165, 169, 174, 178, 182, 187, 191, 196, 200, 205, 210, 215, 221, 226, 232),
        *(237, 243, 249, 255, 261, 267, 274, 280, 287, 294, 301, 309, 316, 324, 332, 340, 348, 357),
        *(365, 374, 383, 392, 402, 412, 422, 432, 442, 453, 464, 475, 487, 499, 511, 523, 536, 549),
        *(562, 576, 590, 604, 619, 634, 649, 665, 681, 698, 715, 732, 750, 768, 787, 806, 825, 845),
        *(866, 887, 909, 931, 953, 976),
    ),
    "R10": (100, 125, 160, 200, 250, 315, 400, 500, 630, 800),
    "R20": (
        *(100, 112, 125, 140, 160, 180, 200, 224, 250, 280),
        *(315, 355, 400, 450, 500, 560, 630, 710, 800, 900),
    ),
    "R40": (
        *(100, 106, 112, 118, 125, 132, 140, 150, 160, 170, 180, 190, 200, 212, 224, 236, 250, 265),
        *(280, 300, 315, 355, 375, 400, 425, 450, 475, 500, 530, 560, 600, 630, 670, 710, 750, 800),
        *(850, 900, 950),
    ),
    "R5": (10, 16, 25, 40, 63),
    "R80": (
        *(103, 109, 115, 122, 128, 136, 145, 155, 165, 175, 185, 195, 206, 218, 230, 243, 258, 272),
        *(290, 307, 325, 345, 365, 387, 412, 437, 462, 487, 515, 545, 575, 615, 650, 690, 730, 775),
        *(825, 875, 925, 975),
    ),
}

_TEN = decimal.Decimal(10)


def _check(value: Any, codes: tuple[int, int, int]) -> None:
    """mongod's preconditions of a rounder: a number, not NaN, not negative (codes differ per rounder)."""
    if num_kind(value) == NOT_NUMBER:
        raise MongoError(
            codes[0],
            f"A granularity rounder can only round numeric values, but found type: {type_name(value)}",
        )
    number = to_float(value)
    if math.isnan(number):
        raise MongoError(codes[1], "A granularity rounder cannot round NaN")
    if number < 0:
        raise MongoError(codes[2], "A granularity rounder can only round non-negative numbers")


def _decimal15(number: int) -> decimal.Decimal:
    """A series value as mongod's ``Decimal128(double)`` makes it: exactly 15 significant digits.

    >>> _decimal15(10), _decimal15(630)
    (Decimal('10.0000000000000'), Decimal('630.000000000000'))
    """
    exact = decimal.Decimal(number)
    return exact.quantize(decimal.Decimal(1).scaleb(exact.adjusted() - 14))


class PreferredNumbers:
    """A Renard, 1-2-5 or E series rounder."""

    _CODES = (40262, 40263, 40268)

    def __init__(self, name: str, series: tuple[int, ...]) -> None:
        self.name = name
        self.series = tuple(float(n) for n in series)
        self.decimal_series = tuple(_decimal15(n) for n in series)

    def round_up(self, value: Any) -> Any:
        """The smallest scaled series value strictly greater than ``value`` (zero stays as it is)."""
        return self._round(value, self._round_up)

    def round_down(self, value: Any) -> Any:
        """The largest scaled series value strictly less than ``value`` (zero stays as it is)."""
        return self._round(value, self._round_down)

    def _round(self, value: Any, step: Callable[[Any, tuple], Any]) -> Any:
        _check(value, self._CODES)
        if to_float(value) == 0.0 or _infinite(value):
            return value
        if num_kind(value) == DECIMAL:
            with decimal.localcontext(DEC_CTX):
                return Decimal128(DEC_CTX.create_decimal(step(value.to_decimal(), self.decimal_series)))
        return step(float(value), self.series)

    @staticmethod
    def _round_up(number: Any, series: tuple) -> Any:
        multiplier = type(number)(1)
        ten = type(number)(10)
        while number >= series[-1] * multiplier:
            multiplier *= ten
        while number < series[0] * multiplier:
            previous_min = series[0] * multiplier
            multiplier /= ten
            if number >= series[-1] * multiplier:
                return previous_min
        scaled = [n * multiplier for n in series]
        return scaled[bisect.bisect_right(scaled, number)]

    @staticmethod
    def _round_down(number: Any, series: tuple) -> Any:
        multiplier = type(number)(1)
        ten = type(number)(10)
        while number <= series[0] * multiplier:
            multiplier /= ten
        while number > series[-1] * multiplier:
            previous_max = series[-1] * multiplier
            multiplier *= ten
            if number <= series[0] * multiplier:
                return previous_max
        scaled = [n * multiplier for n in series]
        return scaled[bisect.bisect_left(scaled, number) - 1]


class PowersOfTwo:
    """The ``POWERSOF2`` rounder: boundaries are ``$pow: [2, n]``."""

    name = "POWERSOF2"
    _CODES = (40265, 40266, 40267)

    def round_up(self, value: Any) -> Any:
        """The smallest power of two strictly greater than ``value`` (zero stays as it is)."""
        return self._round(value, up=True)

    def round_down(self, value: Any) -> Any:
        """The largest power of two strictly less than ``value`` (zero stays as it is)."""
        return self._round(value, up=False)

    def _round(self, value: Any, up: bool) -> Any:
        _check(value, self._CODES)
        if to_float(value) == 0.0 or _infinite(value):
            return value
        kind = num_kind(value)
        if kind == DOUBLE:
            log2 = math.log2(value)
            return power(2, int(math.floor(log2) + 1 if up else math.ceil(log2) - 1))
        if kind == DECIMAL:
            with decimal.localcontext(DEC_CTX):
                log2 = float(value.to_decimal().ln() / decimal.Decimal(2).ln())
            exponent = int(math.floor(log2) + 1 if up else math.ceil(log2) - 1)
            return power(2, Decimal128(decimal.Decimal(exponent)))
        number = int(value)
        bits = number.bit_length()
        if up:
            return power(2, bits)
        return power(2, bits - 2 if number & (number - 1) == 0 else bits - 1)


def _infinite(value: Any) -> bool:
    """Infinity has no series neighbour (mongod loops forever on it); it is its own boundary here."""
    return math.isinf(to_float(value))


Rounder = PreferredNumbers | PowersOfTwo

ROUNDERS: dict[str, Rounder] = {name: PreferredNumbers(name, series) for name, series in SERIES.items()}
ROUNDERS["POWERSOF2"] = PowersOfTwo()


def get_rounder(name: str) -> Rounder:
    """The rounder called ``name`` ("R5" … "POWERSOF2"); 40257 for any other name."""
    rounder = ROUNDERS.get(name)
    if rounder is None:
        raise MongoError(40257, f"Unknown rounding granularity '{name}'")
    return rounder
