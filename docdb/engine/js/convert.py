"""BSON values <-> the JSON text the JavaScript side revives (``prelude.py``), both directions.

What mongod's JavaScript sees: doubles and int32 as JS numbers, int64 as ``NumberLong``, ObjectId,
Date, Decimal128 as ``NumberDecimal``, BinData, Timestamp, RegExp, MinKey/MaxKey, Code as ``Code``.
What comes back: JS numbers become doubles (as in mongod), ``NumberInt`` an int32, ``NumberLong`` an
int64, the other shell types their BSON type, functions ``Code``. A JS ``undefined`` in an object drops
the field; in an array or as a result it is null.
"""

from __future__ import annotations

import base64
import datetime
import json
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
from bson.timestamp import Timestamp

from docdb.engine.bson_order import MISSING

TAG = "\u0001"
_EPOCH = datetime.datetime(1970, 1, 1)
_INT32_MIN, _INT32_MAX = -(2**31), 2**31 - 1


def _tag(*parts: Any) -> dict:
    return {TAG: list(parts)}


def to_plain(value: Any) -> Any:
    """``value`` as JSON-serialisable data with tagged objects for what JSON cannot say."""
    t = type(value)
    if t is str or t is bool or value is None:
        return value
    if t is float:
        if math.isfinite(value):
            return value
        return _tag("dbl", "NaN" if value != value else ("Infinity" if value > 0 else "-Infinity"))
    if t is int:
        return value if _INT32_MIN <= value <= _INT32_MAX else _tag("long", str(value))
    if t is dict:
        return {k: to_plain(v) for k, v in value.items() if v is not MISSING}
    if t is list or t is tuple:
        return [to_plain(v) for v in value]
    if isinstance(value, Int64):
        return _tag("long", str(int(value)))
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        return to_plain(int(value))
    if isinstance(value, float):
        return to_plain(float(value))
    if isinstance(value, ObjectId):
        return _tag("oid", str(value))
    if isinstance(value, datetime.datetime):
        naive = value.replace(tzinfo=None) - (value.utcoffset() or datetime.timedelta())
        return _tag("date", (naive - _EPOCH) // datetime.timedelta(milliseconds=1))
    if isinstance(value, DatetimeMS):
        return _tag("date", int(value))
    if isinstance(value, Decimal128):
        return _tag("dec", str(value))
    if isinstance(value, Binary):
        return _tag("bin", value.subtype, base64.b64encode(bytes(value)).decode())
    if isinstance(value, bytes):
        return _tag("bin", 0, base64.b64encode(value).decode())
    if isinstance(value, Timestamp):
        return _tag("ts", value.time, value.inc)
    if isinstance(value, Regex):
        return _tag("re", value.pattern, _flags(value.flags))
    if isinstance(value, re.Pattern):
        return _tag("re", value.pattern, _flags(value.flags))
    if isinstance(value, Code):
        return _tag("code", str(value))
    if isinstance(value, MinKey):
        return _tag("min")
    if isinstance(value, MaxKey):
        return _tag("max")
    if isinstance(value, DBRef):
        return to_plain(value.as_doc().to_dict())
    if value is MISSING:
        return None
    if isinstance(value, dict):
        return {k: to_plain(v) for k, v in value.items()}
    return str(value)


def _flags(flags: Any) -> str:
    if isinstance(flags, str):
        return "".join(c for c in flags if c in "imsu")
    out = ""
    if flags & re.IGNORECASE:
        out += "i"
    if flags & re.MULTILINE:
        out += "m"
    if flags & re.DOTALL:
        out += "s"
    return out


def dumps(value: Any) -> str:
    """The JSON text ``__in`` revives into ``value``."""
    return json.dumps(to_plain(value), ensure_ascii=False, separators=(",", ":"))


def _revive(obj: dict) -> Any:
    parts = obj.get(TAG)
    if parts is None or len(obj) != 1:
        return obj
    kind = parts[0]
    if kind == "oid":
        return ObjectId(parts[1])
    if kind == "date":
        ms = int(parts[1]) if parts[1] is not None else 0
        try:
            return _EPOCH + datetime.timedelta(milliseconds=ms)
        except OverflowError:
            return DatetimeMS(ms)
    if kind == "long":
        return Int64(int(parts[1]))
    if kind == "int":
        return int(parts[1])
    if kind == "dbl":
        return float(parts[1].replace("Infinity", "inf"))
    if kind == "dec":
        return Decimal128(parts[1])
    if kind == "bin":
        return Binary(base64.b64decode(parts[2]), int(parts[1]))
    if kind == "ts":
        return Timestamp(int(parts[1]), int(parts[2]))
    if kind == "re":
        return Regex(parts[1], parts[2])
    if kind == "code":
        return Code(parts[1])
    if kind == "min":
        return MinKey()
    if kind == "max":
        return MaxKey()
    return obj


def loads(text: str | None) -> Any:
    """The BSON value for the JSON text ``__out`` made (JS numbers are doubles)."""
    if text is None:
        return None
    return json.loads(text, parse_int=float, object_hook=_revive)
