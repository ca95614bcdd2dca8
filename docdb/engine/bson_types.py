"""BSON type numbers and aliases of decoded Python values, as MongoDB names them in errors and ``$type``."""

from __future__ import annotations

import datetime
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
from bson.timestamp import Timestamp

# (BSON type number, alias) by Python class; bool before int because bool subclasses int.
_BY_CLASS: dict[type, tuple[int, str]] = {
    float: (1, "double"),
    str: (2, "string"),
    dict: (3, "object"),
    list: (4, "array"),
    bytes: (5, "binData"),
    Binary: (5, "binData"),
    ObjectId: (7, "objectId"),
    bool: (8, "bool"),
    datetime.datetime: (9, "date"),
    DatetimeMS: (9, "date"),
    type(None): (10, "null"),
    Regex: (11, "regex"),
    DBRef: (3, "object"),
    Code: (13, "javascript"),
    int: (16, "int"),
    Timestamp: (17, "timestamp"),
    Int64: (18, "long"),
    Decimal128: (19, "decimal"),
    MinKey: (-1, "minKey"),
    MaxKey: (127, "maxKey"),
}


def bson_type(value: Any) -> tuple[int, str]:
    """``(type number, alias)`` of a decoded value; Python ints outside int32 are longs, as BSON encodes them.

    >>> bson_type(1), bson_type(2**40), bson_type(True)
    ((16, 'int'), (18, 'long'), (8, 'bool'))
    """
    cls = type(value)
    found = _BY_CLASS.get(cls)
    if found is None:
        for base, entry in _BY_CLASS.items():
            if isinstance(value, base):
                found = entry
                break
        else:
            return (-2, cls.__name__)
    if found[0] == 16 and not -(2**31) <= value < 2**31:
        return (18, "long")
    if found[0] == 13 and value.scope is not None:
        return (15, "javascriptWithScope")
    return found


def bson_type_alias(value: Any) -> str:
    return bson_type(value)[1]
