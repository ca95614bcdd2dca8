"""A command document as mongod prints it in "not authorized ... to execute command { ... }".

mongod's BSONObj::toString: ``{ field: value, ... }``, strings in double quotes, doubles with a decimal
point, ``ObjectId('...')``, ``UUID("...")``, ``new Date(ms)``, ``Timestamp(t, i)``.
"""

from __future__ import annotations

import datetime
import json
import math
import uuid
from typing import Any

from bson.binary import Binary
from bson.decimal128 import Decimal128
from bson.int64 import Int64
from bson.max_key import MaxKey
from bson.min_key import MinKey
from bson.objectid import ObjectId
from bson.regex import Regex
from bson.timestamp import Timestamp

from docdb.errors import ErrorCode, MongoError

_EPOCH = datetime.datetime(1970, 1, 1)


def _double(value: float) -> str:
    if math.isnan(value):
        return "nan.0"
    if math.isinf(value):
        return "inf.0" if value > 0 else "-inf.0"
    if value == int(value) and abs(value) < 1e16:
        return f"{int(value)}.0"
    return repr(value)


def format_value(value: Any) -> str:
    """One BSON value in mongod's shell-like text."""
    t = type(value)
    if t is str:
        return json.dumps(value, ensure_ascii=False)
    if t is bool:
        return "true" if value else "false"
    if t is int or t is Int64:
        return str(int(value))
    if t is float:
        return _double(value)
    if value is None:
        return "null"
    if isinstance(value, dict):
        return format_document(value)
    if isinstance(value, list):
        return "[ " + ", ".join(format_value(v) for v in value) + " ]" if value else "[]"
    if t is ObjectId:
        return f"ObjectId('{value}')"
    if t is uuid.UUID:
        return f'UUID("{value}")'
    if isinstance(value, Binary):
        if value.subtype == 4 and len(value) == 16:
            return f'UUID("{uuid.UUID(bytes=bytes(value))}")'
        return f"BinData({value.subtype}, {bytes(value).hex().upper()})"
    if isinstance(value, bytes):
        return f"BinData(0, {value.hex().upper()})"
    if isinstance(value, datetime.datetime):
        moment = (
            value.replace(tzinfo=None)
            if value.tzinfo is None
            else value.astimezone(datetime.timezone.utc).replace(tzinfo=None)
        )
        return f"new Date({int((moment - _EPOCH).total_seconds() * 1000)})"
    if t is Timestamp:
        return f"Timestamp({value.time}, {value.inc})"
    if t is Decimal128:
        return f'NumberDecimal("{value}")'
    if t is Regex:
        return f"/{value.pattern}/{value.flags if isinstance(value.flags, str) else ''}"
    if t is MinKey:
        return "MinKey"
    if t is MaxKey:
        return "MaxKey"
    return str(value)


def format_document(doc: dict[str, Any]) -> str:
    if not doc:
        return "{}"
    return "{ " + ", ".join(f"{key}: {format_value(value)}" for key, value in doc.items()) + " }"


def unauthorized(db: str, cmd: dict[str, Any]) -> MongoError:
    """mongod's Unauthorized (13) for an authenticated caller lacking a privilege ``cmd`` needs; a
    password in the command is shown as "xxx", as mongod redacts createUser/updateUser's ``pwd``."""
    if "pwd" in cmd:
        cmd = {**cmd, "pwd": "xxx"}
    return MongoError(
        ErrorCode.Unauthorized, f"not authorized on {db} to execute command {format_document(cmd)}"
    )
