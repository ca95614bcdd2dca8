"""Values printed the way mongod prints them inside error messages (E11000 ``dup key: { … }``)."""

from __future__ import annotations

import datetime
import math
from typing import Any

from bson.binary import Binary
from bson.decimal128 import Decimal128
from bson.int64 import Int64
from bson.objectid import ObjectId
from bson.regex import Regex
from bson.timestamp import Timestamp


def format_value(value: Any) -> str:
    """mongod's ``BSONElement::toString`` style for the common types.

    >>> format_value({"a": 1, "b": "x"}), format_value(ObjectId("5f1d7f9e8e4b3c6a2d1e0f00"))
    ('{ a: 1, b: "x" }', "ObjectId('5f1d7f9e8e4b3c6a2d1e0f00')")
    """
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Int64):
        return str(int(value))
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan.0"
        if math.isinf(value):
            return "inf.0" if value > 0 else "-inf.0"
        return repr(value) if value != int(value) else f"{int(value)}.0"
    if isinstance(value, str):
        return '"' + value.replace('"', '\\"') + '"'
    if isinstance(value, dict):
        if not value:
            return "{}"
        return "{ " + ", ".join(f"{k}: {format_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list):
        return "[ " + ", ".join(format_value(v) for v in value) + " ]" if value else "[]"
    if isinstance(value, ObjectId):
        return f"ObjectId('{value}')"
    if isinstance(value, Decimal128):
        return f'NumberDecimal("{value}")'
    if isinstance(value, datetime.datetime):
        return f"new Date({int(value.replace(tzinfo=datetime.timezone.utc).timestamp() * 1000)})"
    if isinstance(value, Timestamp):
        return f"Timestamp({value.time}, {value.inc})"
    if isinstance(value, Regex):
        return f"/{value.pattern}/{value.flags if isinstance(value.flags, str) else ''}"
    if isinstance(value, (bytes, Binary)):
        subtype = getattr(value, "subtype", 0)
        return f"BinData({subtype}, {bytes(value).hex().upper()})"
    return str(value)


def duplicate_key_message(ns: str, index_name: str, key_value: dict[str, Any]) -> str:
    """The E11000 errmsg.

    >>> duplicate_key_message("test.c", "_id_", {"_id": 1})
    'E11000 duplicate key error collection: test.c index: _id_ dup key: { _id: 1 }'
    """
    return (
        f"E11000 duplicate key error collection: {ns} index: {index_name} dup key: {format_value(key_value)}"
    )
