"""Values rendered as strings the way mongod renders them ($toString, $concat-free coercions, "
"$dateToString)."""

from __future__ import annotations

import math
from typing import Any

from bson.decimal128 import Decimal128
from bson.objectid import ObjectId
from bson.timestamp import Timestamp

from docdb.engine.expressions.core import MISSING, type_name
from docdb.engine.expressions.dates_util import UTC, date_to_ms, is_date, to_local
from docdb.errors import MongoError


def format_double(value: float) -> str:
    """A double as ``$toString`` prints it: C's ``%g`` (6 significant digits), as mongod's string builder.

    >>> format_double(1.0), format_double(0.1), format_double(1e21), format_double(1.23456789)
    ('1', '0.1', '1e+21', '1.23457')
    >>> format_double(-0.0), format_double(1e-7)
    ('-0', '1e-07')
    """
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return format(value, "g")


def coerce_double(value: float) -> str:
    """A double coerced to a string by $toUpper, $substr…: plain ``%g``, so ``nan``/``inf`` in lower case.

    >>> coerce_double(2.5), coerce_double(float("inf")), coerce_double(float("nan"))
    ('2.5', 'inf', 'nan')
    """
    return format(value, "g")


def format_decimal(value: Decimal128) -> str:
    return str(value)


def iso_date(value: Any) -> str:
    """``2020-01-02T03:04:05.006Z`` for a BSON date."""
    ms = date_to_ms(value)
    local = to_local(ms, UTC)
    return local.strftime("%Y-%m-%dT%H:%M:%S.") + f"{(ms % 1000):03d}Z"


def coerce_to_string(name: str, value: Any) -> str:
    """Argument coercion used by $toUpper/$substr…: null/missing -> "", numbers/dates printed, else 16007."""
    if isinstance(value, str):
        return value
    if value is None or value is MISSING:
        return ""
    cls = type(value)
    if cls is float:
        return coerce_double(value)
    if cls is Decimal128:
        return format_decimal(value)
    if cls is not bool and isinstance(value, int):
        return str(int(value))
    if is_date(value):
        return iso_date(value)
    if isinstance(value, Timestamp):
        return f"Timestamp({value.time}, {value.inc})"
    raise MongoError(16007, f"can't convert from BSON type {type_name(value)} to String")


def to_string(value: Any) -> str:
    """$toString / $convert to "string" (ObjectId hex, bools, dates in ISO)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, ObjectId):
        return str(value)
    if isinstance(value, float):
        return format_double(value)
    return coerce_to_string("$toString", value)
