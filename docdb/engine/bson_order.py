"""MongoDB's total order over BSON values: the one comparator for match, sort, indexes and $min/$max.

Values are ordered first by canonical type (MinKey < null < numbers < strings < objects < arrays < binData
< ObjectId < bool < date < timestamp < regex < code < MaxKey), then within a type. Numbers compare by
value across int32/int64/double/decimal (NaN equals NaN and sorts below every other number). Strings
compare by UTF-8 bytes, which for valid strings is the same as code point order, i.e. Python's ``<``.

``sort_key`` maps a value to a tuple whose Python ordering *is* this order, so ``compare`` is derived from
it and the two can never disagree. ``hash_key`` is the same idea for hashing: equal values (``1``,
``1.0``, ``Int64(1)``, ``Decimal128("1")``) give equal keys.
"""

from __future__ import annotations

import datetime
import math
import re
from collections.abc import Callable, Hashable
from decimal import Decimal
from itertools import repeat
from operator import attrgetter
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

# Canonical type ranks, MongoDB's BSONElement::canonicalType values.
RANK_MINKEY = -1
RANK_MISSING = 0
RANK_NULL = 5
RANK_NUMBER = 10
RANK_STRING = 15
RANK_OBJECT = 20
RANK_ARRAY = 25
RANK_BINDATA = 30
RANK_OBJECTID = 35
RANK_BOOL = 40
RANK_DATE = 45
RANK_TIMESTAMP = 47
RANK_REGEX = 50
RANK_CODE = 60
RANK_CODE_W_SCOPE = 65
RANK_MAXKEY = 100

_EPOCH = datetime.datetime(1970, 1, 1)
_NAN_KEY = (RANK_NUMBER, 0)
_REGEX_FLAG_LETTERS = ((re.IGNORECASE, "i"), (re.LOCALE, "l"), (re.MULTILINE, "m"), (re.DOTALL, "s"))
_REGEX_FLAG_LETTERS += ((re.UNICODE, "u"), (re.VERBOSE, "x"))


class _Missing:
    """The value of a field that does not exist (MongoDB's EOO); distinct from ``None`` (null)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"

    def __reduce__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


def regex_flags_text(value: Regex | re.Pattern) -> str:
    """The BSON option letters of a regex, sorted as BSON stores them.

    >>> regex_flags_text(Regex("a", "mi"))
    'im'
    """
    flags = value.flags
    if isinstance(flags, str):
        return "".join(sorted(flags))
    if isinstance(value, re.Pattern):
        flags &= ~re.UNICODE  # Python sets UNICODE on every str pattern; BSON has no such default.
    return "".join(letter for bit, letter in _REGEX_FLAG_LETTERS if flags & bit)


def regex_pattern_text(value: Regex | re.Pattern) -> str:
    pattern = value.pattern
    return pattern.decode() if isinstance(pattern, bytes) else pattern


def datetime_to_ms(value: datetime.datetime) -> int:
    """Milliseconds since the epoch of a naive-UTC (or aware) datetime, as BSON stores dates."""
    if value.tzinfo is not None:
        value = value.replace(tzinfo=None) - value.utcoffset()
    delta = value - _EPOCH
    return delta.days * 86_400_000 + delta.seconds * 1000 + delta.microseconds // 1000


def _rank_of_code(value: Code) -> int:
    return RANK_CODE if value.scope is None else RANK_CODE_W_SCOPE


_RANKS: dict[type, int] = {
    type(None): RANK_NULL,
    _Missing: RANK_MISSING,
    bool: RANK_BOOL,
    int: RANK_NUMBER,
    Int64: RANK_NUMBER,
    float: RANK_NUMBER,
    Decimal128: RANK_NUMBER,
    str: RANK_STRING,
    dict: RANK_OBJECT,
    SON: RANK_OBJECT,
    DBRef: RANK_OBJECT,
    list: RANK_ARRAY,
    tuple: RANK_ARRAY,
    bytes: RANK_BINDATA,
    Binary: RANK_BINDATA,
    ObjectId: RANK_OBJECTID,
    datetime.datetime: RANK_DATE,
    DatetimeMS: RANK_DATE,
    Timestamp: RANK_TIMESTAMP,
    Regex: RANK_REGEX,
    re.Pattern: RANK_REGEX,
    MinKey: RANK_MINKEY,
    MaxKey: RANK_MAXKEY,
}


def type_rank(value: Any) -> int:
    """MongoDB's canonical type rank of ``value`` (MISSING ranks 0, below null, like EOO).

    >>> type_rank(None) < type_rank(1) == type_rank(2.5) < type_rank("a") < type_rank({}) < type_rank([])
    True
    """
    rank = _RANKS.get(type(value))
    if rank is not None:
        return rank
    if isinstance(value, Code):
        return _rank_of_code(value)
    for cls, cls_rank in _RANKS.items():
        if isinstance(value, cls):
            return cls_rank
    raise TypeError(f"not a BSON value: {type(value).__name__}")


def is_nan(value: Any) -> bool:
    """True for a double or decimal NaN."""
    if type(value) is float:
        return value != value
    if type(value) is Decimal128:
        return value.to_decimal().is_nan()
    return False


def number_value(value: Any) -> int | float | Decimal:
    """A Python number comparing exactly like the BSON number ``value`` (decimal -> ``Decimal``)."""
    if type(value) is Decimal128:
        return value.to_decimal()
    return value


# --- sort keys -----------------------------------------------------------------------------------


def _key_float(value: float) -> tuple:
    return _NAN_KEY if value != value else (RANK_NUMBER, 1, value)


def _key_decimal(value: Decimal128) -> tuple:
    number = value.to_decimal()
    return _NAN_KEY if number.is_nan() else (RANK_NUMBER, 1, number)


def _key_document(value: dict) -> tuple:
    items = []
    for name, item in value.items():
        key = sort_key(item)
        items.append((key[0], name, key))
    return (RANK_OBJECT, tuple(items))


def _key_array(value: list | tuple) -> tuple:
    return (RANK_ARRAY, tuple([sort_key(item) for item in value]))


def _key_binary(value: bytes) -> tuple:
    subtype = value.subtype if isinstance(value, Binary) else 0
    return (RANK_BINDATA, len(value), subtype, bytes(value))


def _key_code(value: Code) -> tuple:
    if value.scope is None:
        return (RANK_CODE, str(value))
    return (RANK_CODE_W_SCOPE, str(value), _key_document(value.scope))


_KEYERS: dict[type, Callable[[Any], tuple]] = {
    type(None): lambda v: (RANK_NULL,),
    _Missing: lambda v: (RANK_MISSING,),
    bool: lambda v: (RANK_BOOL, v),
    int: lambda v: (RANK_NUMBER, 1, v),
    Int64: lambda v: (RANK_NUMBER, 1, v),  # an int subclass: same order, and index keys keep the type
    float: _key_float,
    Decimal128: _key_decimal,
    str: lambda v: (RANK_STRING, v),
    dict: _key_document,
    SON: _key_document,
    DBRef: lambda v: _key_document(v.as_doc()),
    list: _key_array,
    tuple: _key_array,
    bytes: _key_binary,
    Binary: _key_binary,
    ObjectId: lambda v: (RANK_OBJECTID, v.binary),
    datetime.datetime: lambda v: (RANK_DATE, datetime_to_ms(v)),
    DatetimeMS: lambda v: (RANK_DATE, int(v)),
    Timestamp: lambda v: (RANK_TIMESTAMP, v.time, v.inc),
    Regex: lambda v: (RANK_REGEX, regex_pattern_text(v), regex_flags_text(v)),
    re.Pattern: lambda v: (RANK_REGEX, regex_pattern_text(v), regex_flags_text(v)),
    Code: _key_code,
    MinKey: lambda v: (RANK_MINKEY,),
    MaxKey: lambda v: (RANK_MAXKEY,),
}


def sort_key(value: Any) -> tuple:
    """A tuple whose Python order equals MongoDB's order of ``value`` (see module docstring).

    >>> sorted([True, "a", 2, None, 1.5], key=sort_key)
    [None, 1.5, 2, 'a', True]
    """
    keyer = _KEYERS.get(type(value))
    if keyer is None:
        for cls, cls_keyer in _KEYERS.items():
            if cls is not bool and isinstance(value, cls):
                keyer = cls_keyer
                break
        else:
            raise TypeError(f"not a BSON value: {type(value).__name__}")
    return keyer(value)


def compare(a: Any, b: Any) -> int:
    """-1, 0 or 1 as ``a`` sorts before, equal to or after ``b`` in MongoDB's order.

    >>> compare(1, 1.0), compare(float("nan"), -math.inf), compare("b", "ab"), compare(False, 99)
    (0, -1, 1, 1)
    """
    ta, tb = type(a), type(b)
    if ta is tb and (ta is int or ta is str):
        return (a > b) - (a < b)
    ka, kb = sort_key(a), sort_key(b)
    return (ka > kb) - (ka < kb)


def values_equal(a: Any, b: Any) -> bool:
    """``compare(a, b) == 0`` with a fast path for the common scalar types."""
    ta, tb = type(a), type(b)
    if ta is tb and (ta is int or ta is str or ta is float):
        return a == b or (ta is float and a != a and b != b)
    return sort_key(a) == sort_key(b)


def hash_key(value: Any) -> Hashable:
    """A hashable key; two values get equal keys exactly when ``compare`` says they are equal.

    >>> len({hash_key(1), hash_key(1.0), hash_key(Int64(1)), hash_key(Decimal128("1")), hash_key(True)})
    2
    """
    t = type(value)
    if t is str or t is int:
        return value
    if t is float:
        return _NAN_KEY if value != value else value
    if t is Int64:
        return int(value)
    if t is Decimal128:
        number = value.to_decimal()
        return _NAN_KEY if number.is_nan() else number
    if t is ObjectId:  # the commonest _id: skip sort_key's table (same key it would build)
        return (RANK_OBJECTID, value.binary)
    return sort_key(value)


_object_id_binary = attrgetter("binary")


def object_id_keys(values: list[ObjectId]) -> list[Hashable]:
    """``hash_key`` of each of ``values``, all ObjectIds, by C-level iterators: an insert batch's
    driver-generated ``_id`` values cost no call of ``hash_key`` each.

    >>> oid = ObjectId()
    >>> object_id_keys([oid]) == [hash_key(oid)]
    True
    """
    return list(zip(repeat(RANK_OBJECTID), map(_object_id_binary, values)))


def is_finite_number(value: Any) -> bool:
    """True for a BSON number that is neither NaN nor infinite (never for bool)."""
    t = type(value)
    if t is int or t is Int64:
        return True
    if t is float:
        return math.isfinite(value)
    if t is Decimal128:
        return value.to_decimal().is_finite()
    return False
