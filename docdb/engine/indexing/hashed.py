"""Hashed indexes: mongod's 64-bit hash of a BSON value, and the keys and bounds of a hashed field.

The hash is mongod's ``BSONElementHasher::hash64`` with seed 0 (what ``convertShardKeyToHashed`` and a
hashed index use), computed from the value's BSON bytes so that it depends on exactly what mongod sees:
MD5 over the little-endian int32 seed, then per element its canonical type (int32), for an embedded
element its field name with the NUL, and the value — numbers squashed to the int64 of
``safeNumberLongForHash``, documents and arrays as their elements followed by the end marker (canonical
type 0). The digest's first 8 bytes, little-endian, are the signed result.

A hashed key pattern allows one hashed field (31303) and no ``unique`` (16764). Each document has exactly
one key: any array met on an indexed path is refused (16766), a missing field keys as null. The key of a
hashed field is the hash as a number component, so the sorted index machinery holds it unchanged; a
query's equality values become hashed points, never exact (different values may share a hash: ``42`` and
``42.5`` do), so the whole filter is still applied to what the scan fetches.
"""

from __future__ import annotations

import hashlib
import math
import struct
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import bson
from bson.int64 import Int64

from docdb.bson_codec import CODEC_OPTIONS, decode_document
from docdb.engine.bson_order import MISSING, RANK_NUMBER, sort_key
from docdb.engine.indexing.bounds import Interval, union
from docdb.engine.indexing.keys import NULL_KEY, KeyMaker, fast_sort_key, invert
from docdb.engine.key_format import format_value
from docdb.errors import MongoError

HASHED = "hashed"
_SEED = struct.pack("<i", 0)
_LONG_MIN, _LONG_MAX = -(2**63), 2**63 - 1
# BSON type byte -> canonical type (bsontypes.h canonicalizeBSONType).
_CANONICAL = {1: 10, 16: 10, 18: 10, 19: 10, 2: 15, 14: 15, 3: 20, 4: 25, 5: 30, 6: 0, 7: 35, 8: 40}
_CANONICAL |= {9: 45, 10: 5, 11: 50, 12: 55, 13: 60, 15: 65, 17: 47, 0xFF: -1, 0x7F: 127}
_FIXED = {1: 8, 16: 4, 18: 8, 19: 16, 6: 0, 7: 12, 8: 1, 9: 8, 10: 0, 17: 8, 0xFF: 0, 0x7F: 0}
_EOO = struct.pack("<i", 0)
_STR_PREFIX = _SEED + struct.pack("<i", 15)
_INT32 = struct.Struct("<i").pack
_INT64 = struct.Struct("<q").pack
_first_long = struct.Struct("<q8x").unpack
try:  # CPython's own MD5: for the few dozen bytes of a value, twice as fast as OpenSSL's (its set-up)
    from _md5 import md5 as _md5
except ImportError:  # an interpreter built without it
    _md5 = hashlib.md5
_NUMBER_PREFIX = _SEED + struct.pack("<i", 10)


def hash64(value: Any) -> int:
    """mongod's ``convertShardKeyToHashed(value)``: a signed 64-bit int (null for a missing value).

    >>> hash64(42), hash64(42.9), hash64("abc")
    (-944302157085130861, -944302157085130861, 8478485326885698097)
    """
    t = type(value)
    if t is str:  # the common scalars without encoding a document: canonical type, then the value
        raw = value.encode()
        return _first_long(_md5(_STR_PREFIX + _INT32(len(raw) + 1) + raw + b"\0").digest())[0]
    if (t is int or t is Int64) and _LONG_MIN <= value <= _LONG_MAX:
        return _first_long(_md5(_NUMBER_PREFIX + _INT64(value)).digest())[0]
    if value is MISSING:
        value = None
    data = bson.encode({"": value}, codec_options=CODEC_OPTIONS)
    md5 = _md5(_SEED)
    _element(md5, data, 4, False)
    return int.from_bytes(md5.digest()[:8], "little", signed=True)


def _element(md5: Any, data: bytes, pos: int, with_name: bool) -> int:
    """Feed the element at ``pos`` to ``md5``; returns where the next element starts."""
    kind = data[pos]
    name_end = data.index(b"\0", pos + 1)
    md5.update(struct.pack("<i", _CANONICAL[kind]))
    if with_name:
        md5.update(data[pos + 1 : name_end + 1])
    start = name_end + 1
    if kind in (3, 4):
        return _document(md5, data, start)
    if kind == 15:  # code with scope: the code string (with its NUL), then the scope's elements
        code_len = struct.unpack_from("<i", data, start + 4)[0]
        md5.update(data[start + 8 : start + 8 + code_len])
        _document(md5, data, start + 8 + code_len)
        return start + struct.unpack_from("<i", data, start)[0]
    end = start + _value_size(kind, data, start)
    if kind in (1, 16, 18, 19):
        md5.update(struct.pack("<q", _as_long(kind, data[start:end])))
    else:
        md5.update(data[start:end])
    return end


def _document(md5: Any, data: bytes, start: int) -> int:
    end = start + struct.unpack_from("<i", data, start)[0]
    pos = start + 4
    while data[pos] != 0:
        pos = _element(md5, data, pos, True)
    md5.update(_EOO)  # the end marker: canonical type 0, no name, no value
    return end


def _value_size(kind: int, data: bytes, start: int) -> int:
    fixed = _FIXED.get(kind)
    if fixed is not None:
        return fixed
    if kind in (2, 13, 14):
        return 4 + struct.unpack_from("<i", data, start)[0]
    if kind == 5:
        return 5 + struct.unpack_from("<i", data, start)[0]
    if kind == 11:
        pattern_end = data.index(b"\0", start)
        return data.index(b"\0", pattern_end + 1) + 1 - start
    if kind == 12:
        return 4 + struct.unpack_from("<i", data, start)[0] + 12
    raise ValueError(f"unexpected BSON type {kind}")


def _as_long(kind: int, raw: bytes) -> int:
    """``safeNumberLongForHash``: truncate toward zero, NaN is 0, out of range clamps (2**63 as a double
    wraps to -2**63, as older servers did)."""
    if kind == 16:
        return struct.unpack("<i", raw)[0]
    if kind == 18:
        return struct.unpack("<q", raw)[0]
    if kind == 1:
        number: float | Decimal = struct.unpack("<d", raw)[0]
        if number == 2.0**63:
            return _LONG_MIN
    else:
        number = bson.decimal128.Decimal128.from_bid(raw).to_decimal()
    if number != number:
        return 0
    if number >= 2**63:
        return _LONG_MAX
    if number < -(2**63):
        return _LONG_MIN
    return int(number) if not isinstance(number, float) or math.isfinite(number) else 0


def hashed_field(key: dict[str, Any]) -> str | None:
    """The hashed field of a key pattern, or None."""
    return next((f for f, v in key.items() if v == HASHED), None)


def check_hashed_spec(spec: dict[str, Any]) -> None:
    """mongod's refusals of a hashed key pattern: ``unique`` (16764), more than one hashed field (31303)."""
    if spec.get("unique"):
        raise MongoError(16764, "Currently hashed indexes cannot guarantee uniqueness. Use a regular index.")
    count = sum(1 for v in spec["key"].values() if v == HASHED)
    if count > 1:
        raise MongoError(
            31303,
            f"A maximum of one index field is allowed to be hashed but found {count} for 'key' "
            + format_value(spec["key"]),
        )


def _array_error(path: str) -> MongoError:
    return MongoError(
        16766,
        "Error: hashed indexes do not currently support array values. Found array at path: " + path,
    )


def _value_at(doc: dict, parts: list[str]) -> Any:
    """The value at a dotted path, MISSING when absent; raises 16766 on an array met on the way."""
    value: Any = doc
    for i, part in enumerate(parts):
        if isinstance(value, list):
            raise _array_error(".".join(parts[:i]))
        if not isinstance(value, dict):
            return MISSING
        value = value.get(part, MISSING)
    if isinstance(value, list):
        raise _array_error(".".join(parts))
    return value


class HashedKeyMaker(KeyMaker):
    """One key per document: the hashed field's hash, the other fields' values as they are."""

    __slots__ = ("hashed_position",)

    def __init__(
        self,
        fields: list[str],
        descending: list[bool],
        sparse: bool,
        partial: Callable[[dict], bool] | None,
        hashed_position: int,
    ) -> None:
        super().__init__(fields, descending, sparse, partial)
        self.hashed_position = hashed_position
        self.single = False
        self.top_level = None  # index builds take ``keys`` document by document

    def keys(self, doc: dict) -> tuple[list[tuple], list[tuple[str, str]]]:
        if self.partial is not None and not self.partial(doc):
            return [], []
        if len(self.parts) == 1 and len(self.parts[0]) == 1 and not self.sparse:  # {field: "hashed"}
            value = doc.get(self.fields[0], MISSING)
            if type(value) is list:
                raise _array_error(self.fields[0])
            return [(RANK_NUMBER, 1, hash64(value))], []
        key: tuple = ()
        present = False
        for pos, (parts, desc) in enumerate(zip(self.parts, self.descending, strict=True)):
            value = _value_at(doc, parts)
            present = present or value is not MISSING
            if pos == self.hashed_position:
                component = (RANK_NUMBER, 1, hash64(value))
            else:
                component = NULL_KEY if value is MISSING else fast_sort_key(value)
            key += invert(component) if desc else component
        if self.sparse and not present:
            return [], []
        return [key], []

    def column_keys(self, decoded: list[dict]) -> list[tuple] | None:
        """The keys of a chunk of documents for a lone top-level hashed field (an index build), or None
        when a document needs ``keys`` (an array, a partial or sparse index, a dotted or compound key)."""
        if len(self.parts) != 1 or len(self.parts[0]) != 1 or self.sparse or self.partial is not None:
            return None
        name = self.fields[0]
        values = [doc.get(name) for doc in decoded]
        if any(type(v) is list for v in values):
            return None
        return [(RANK_NUMBER, 1, hash64(v)) for v in values]

    def key_values(self, doc: dict, key: tuple) -> dict[str, Any]:
        out = {}
        for pos, (name, parts) in enumerate(zip(self.fields, self.parts, strict=True)):
            value = _value_at(doc, parts)
            value = None if value is MISSING else value
            out[name] = Int64(hash64(value)) if pos == self.hashed_position else value
        return out


def holds(raw: bytes | None, path: str, value: Any) -> bool:
    """Does the stored document ``raw`` of a hashed index hold ``value`` (a plain scalar) at ``path``?
    Its values on the path are never arrays (the index refuses them), so equality is the BSON order's."""
    if raw is None:
        return True  # let the caller see the missing document
    try:
        found = _value_at(decode_document(raw), path.split("."))
    except MongoError:
        return False
    return found is not MISSING and sort_key(found) == sort_key(value)


_INT32_RANGE = range(-(2**31), 2**31)
_unpack_int32 = struct.Struct("<i").unpack_from
# BSON type byte -> bytes between the element's name and its int32 length that count toward its size
# (strings, code and symbol count the length word itself apart; documents, arrays and code with scope
# include it; binary adds its subtype byte).
_LENGTH_PREFIXED = {2: 4, 13: 4, 14: 4, 3: 0, 4: 0, 15: 0, 5: 5}


def probe(path: str, value: Any) -> tuple[int, bytes | None]:
    r"""``(hash64(value), element)``: the hash a hashed field holds for ``value``, and, for a top-level
    ``path`` and a string or integer ``value``, the exact BSON element ``{path: value}`` a document
    holding it that way has (None otherwise). The string's hash input and its BSON value are the same
    bytes, so both come from one encoding.

    >>> probe("s", "abc")
    (8478485326885698097, b'\x02s\x00\x04\x00\x00\x00abc\x00')
    """
    t = type(value)
    top = "." not in path
    if t is str:
        data = value.encode()
        payload = _INT32(len(data) + 1) + data + b"\0"
        h = _first_long(_md5(_STR_PREFIX + payload).digest())[0]
        return h, b"\x02" + path.encode() + b"\0" + payload if top else None
    if (t is int or t is Int64) and _LONG_MIN <= value <= _LONG_MAX:
        h = _first_long(_md5(_NUMBER_PREFIX + _INT64(value)).digest())[0]
        if not top:
            return h, None
        if t is int and value in _INT32_RANGE:  # how PyMongo encodes an int
            return h, b"\x10" + path.encode() + b"\0" + _INT32(value)
        return h, b"\x12" + path.encode() + b"\0" + _INT64(value)
    return hash64(value), None


def holds_element(raw: bytes, element: bytes) -> bool:
    """Does the stored document ``raw`` have ``element`` (from ``probe``) as one of its top-level
    elements? A False answer says nothing more: the document may hold an equal value of another type
    (42 as a double) and needs ``holds``. Cheaper than decoding the document: C searches for the bytes,
    and a walk over the element headers before each match to tell a top-level element from bytes
    inside another element's value."""
    at = raw.find(element)
    pos = 4
    while at != -1:
        while pos < at:
            start = raw.index(0, pos + 1) + 1
            kind = raw[pos]
            extra = _LENGTH_PREFIXED.get(kind)
            if extra is not None:
                pos = start + extra + _unpack_int32(raw, start)[0]
            else:
                fixed = _FIXED.get(kind)
                if fixed is None:  # regex, DBPointer: let ``holds`` decide
                    return False
                pos = start + fixed
        if pos == at:
            return True
        at = raw.find(element, pos)
    return False


def hashed_point(value: Any) -> Interval:
    """The point interval of the key a hashed field holds for ``value``."""
    h = hash64(value)
    k = (RANK_NUMBER, 1, h)
    return Interval(k, True, k, True, Int64(h), Int64(h))


def hashed_intervals(intervals: list[Interval], full: Interval) -> list[Interval]:
    """A hashed field's bounds for a predicate whose plain bounds are ``intervals``: each equality value
    hashed, or every key when the predicate is not a set of equalities (a range, a regex)."""
    if not intervals or not all(iv.is_point for iv in intervals):
        return [full]
    out = []
    for iv in intervals:
        shown = iv.lo_shown
        if iv.lo == (0,):  # null's companion point ``undefined``
            out.append(_undefined_point())
        else:
            out.append(hashed_point(shown))
    return union(out)


def _undefined_point() -> Interval:
    md5 = _md5(_SEED + _EOO)
    h = int.from_bytes(md5.digest()[:8], "little", signed=True)
    k = (RANK_NUMBER, 1, h)
    return Interval(k, True, k, True, Int64(h), Int64(h))
