"""BSON type codes and ``$type`` aliases, and the type of a decoded Python value."""

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
from bson.int64 import Int64
from bson.max_key import MaxKey
from bson.min_key import MinKey
from bson.objectid import ObjectId
from bson.regex import Regex
from bson.son import SON
from bson.timestamp import Timestamp

from docdb.errors import ErrorCode, MongoError

# sorted by code
TYPE_ALIASES: dict[str, int] = {
    "minKey": -1,
    "double": 1,
    "string": 2,
    "object": 3,
    "array": 4,
    "binData": 5,
    "undefined": 6,
    "objectId": 7,
    "bool": 8,
    "date": 9,
    "null": 10,
    "regex": 11,
    "dbPointer": 12,
    "javascript": 13,
    "symbol": 14,
    "javascriptWithScope": 15,
    "int": 16,
    "timestamp": 17,
    "long": 18,
    "decimal": 19,
    "maxKey": 127,
}
NUMBER_CODES = frozenset({1, 16, 18, 19})
VALID_CODES = frozenset(TYPE_ALIASES.values())
TYPE_NAMES = {code: name for name, code in TYPE_ALIASES.items()}

_SIMPLE: dict[type, int] = {
    float: 1,
    str: 2,
    dict: 3,
    SON: 3,
    DBRef: 3,
    list: 4,
    bytes: 5,
    Binary: 5,
    ObjectId: 7,
    bool: 8,
    datetime.datetime: 9,
    DatetimeMS: 9,
    type(None): 10,
    Regex: 11,
    re.Pattern: 11,
    Timestamp: 17,
    Int64: 18,
    Decimal128: 19,
    MinKey: -1,
    MaxKey: 127,
}


def bson_type(value: Any) -> int | None:
    """The BSON type code of a decoded value (None for MISSING).

    >>> bson_type(1), bson_type(2**40), bson_type(Int64(1)), bson_type(True)
    (16, 18, 18, 8)
    """
    code = _SIMPLE.get(type(value))
    if code is not None:
        return code
    if type(value) is int:
        return 16 if -(2**31) <= value < 2**31 else 18
    if isinstance(value, Code):
        return 13 if value.scope is None else 15
    for cls, cls_code in _SIMPLE.items():
        if isinstance(value, cls):
            return cls_code
    return None


def type_name(value: Any) -> str:
    """mongod's name for the type of ``value`` (``int``, ``string``, ``object`` …), for messages."""
    code = bson_type(value)
    return "missing" if code is None else TYPE_NAMES[code]


def parse_type_set(spec: Any, operator: str = "$type") -> frozenset[int]:
    """The set of type codes a ``$type`` argument names (a code, an alias, or an array of them)."""
    items = spec if isinstance(spec, list) else [spec]
    codes: set[int] = set()
    for item in items:
        if isinstance(item, str):
            if item == "number":
                codes |= NUMBER_CODES
            elif item in TYPE_ALIASES:
                codes.add(TYPE_ALIASES[item])
            else:
                raise MongoError(ErrorCode.BadValue, f"Unknown type name alias: {item}")
        elif isinstance(item, (int, float, Decimal128)) and not isinstance(item, bool):
            number = float(item.to_decimal()) if isinstance(item, Decimal128) else item
            if not math.isfinite(number) or number != int(number) or int(number) not in VALID_CODES:
                raise MongoError(ErrorCode.BadValue, f"Invalid numerical type code: {number}")
            codes.add(int(number))
        else:
            raise MongoError(ErrorCode.TypeMismatch, "type must be represented as a number or a string")
    if not codes:
        raise MongoError(ErrorCode.FailedToParse, f"{operator} must match at least one type")
    return frozenset(codes)
