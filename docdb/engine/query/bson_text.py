"""BSON values rendered the way mongod's ``BSONElement::toString`` does, for error messages.

Clients read these messages (``Cannot create field 'b' in element {a: 1}``), so the shapes follow
mongod: ``{ a: 1, b: "x" }``, ``[ 1, 2 ]``, doubles with a fractional part (``1.0``), ``ObjectId('…')``.
"""

from __future__ import annotations

import datetime
import math
import re
from typing import Any

from bson.binary import Binary
from bson.code import Code
from bson.datetime_ms import DatetimeMS
from bson.dbref import DBRef
from bson.decimal128 import Decimal128
from bson.max_key import MaxKey
from bson.min_key import MinKey
from bson.objectid import ObjectId
from bson.regex import Regex
from bson.timestamp import Timestamp

from docdb.engine.bson_order import datetime_to_ms, regex_flags_text, regex_pattern_text


def format_double(value: float) -> str:
    """mongod's rendering of a double.

    >>> format_double(1.0), format_double(2.5), format_double(float("nan")), format_double(-math.inf)
    ('1.0', '2.5', 'nan.0', '-inf')
    """
    if math.isnan(value):
        return "nan.0"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    if value == int(value) and abs(value) < 1e16:
        return f"{int(value)}.0" if value or math.copysign(1, value) > 0 else "-0.0"
    return repr(value)


def format_value(value: Any) -> str:
    """A value as mongod prints it inside messages.

    >>> format_value({"a": [1, "x", None], "b": {}})
    '{ a: [ 1, "x", null ], b: {} }'
    """
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, float):
        return format_double(value)
    if isinstance(value, Code):
        return str(value)
    if isinstance(value, (int, str)):
        return f'"{value}"' if isinstance(value, str) else str(int(value))
    if isinstance(value, DBRef):
        value = value.as_doc()
    if isinstance(value, dict):
        if not value:
            return "{}"
        return "{ " + ", ".join(format_element(k, v) for k, v in value.items()) + " }"
    if isinstance(value, (list, tuple)):
        if not value:
            return "[]"
        return "[ " + ", ".join(format_value(v) for v in value) + " ]"
    return _format_other(value)


def _format_other(value: Any) -> str:
    if isinstance(value, Decimal128):
        return f'NumberDecimal("{value}")'
    if isinstance(value, ObjectId):
        return f"ObjectId('{value}')"
    if isinstance(value, datetime.datetime):
        return f"new Date({datetime_to_ms(value)})"
    if isinstance(value, DatetimeMS):
        return f"new Date({int(value)})"
    if isinstance(value, Timestamp):
        return f"Timestamp({value.time}, {value.inc})"
    if isinstance(value, (Regex, re.Pattern)):
        return f"/{regex_pattern_text(value)}/{regex_flags_text(value)}"
    if isinstance(value, bytes):
        subtype = value.subtype if isinstance(value, Binary) else 0
        return f"BinData({subtype}, {bytes(value).hex().upper()})"
    if isinstance(value, MinKey):
        return "MinKey"
    if isinstance(value, MaxKey):
        return "MaxKey"
    return str(value)


def format_element(name: str, value: Any) -> str:
    """``name: value`` as mongod prints one element.

    >>> format_element("_id", 1)
    '_id: 1'
    """
    return f"{name}: {format_value(value)}"
