"""Updates applied to a stored document's bytes: ``$inc``/``$set`` of a number at a top-level field whose
type and size the result keeps (a counter's ``{$inc: {n: 1}}``), without decoding and re-encoding it.

Why: for a small document the decode, the update's Python steps, the encode and the size checks cost
several times the few byte operations that change an int32 in place. The result is the same bytes that
``CompiledUpdate.apply`` plus ``encode_stored`` give, or nothing: ``patch`` answers None whenever the
general path could do anything else (the field missing or of another type, an int32 sum outside int32,
an int64 overflow, a document with more than ``MAX_WALK`` fields before the target), and the caller then
takes that path, which decides and reports as always.
"""

from __future__ import annotations

import struct
from typing import Any

from docdb.engine.bson_bytes import value_size

_INT32 = struct.Struct("<i")
_INT64 = struct.Struct("<q")
_DOUBLE = struct.Struct("<d")
_INT32_MIN, _INT32_MAX = -(2**31), 2**31 - 1
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1

MAX_WALK = 24  # elements read before giving up: past that, the C decoder is cheaper than this walk

# A plan step: (the field's name as BSON writes it, NUL included; "$inc" or "$set"; the argument).
Step = tuple[bytes, str, Any]


def plan(actions: list[Any]) -> tuple[Step, ...] | None:
    """The steps of an operator update (its compiled ``actions``) when each is a ``$inc`` or ``$set`` of an
    int32 (a Python int) or a double at a top-level field other than ``_id``; None otherwise."""
    steps = []
    for action in actions:
        if action.op not in ("$inc", "$set") or len(action.parts) != 1 or action.parts[0] == "_id":
            return None
        arg = action.payload
        if not (arg.__class__ is float or (arg.__class__ is int and _INT32_MIN <= arg <= _INT32_MAX)):
            return None
        steps.append((action.parts[0].encode() + b"\x00", action.op, arg))
    return tuple(steps)


def patch(raw: bytes, steps: tuple[Step, ...]) -> bytes | None:
    """``raw`` with ``steps`` applied (``raw`` itself when no value changes), or None when the result
    would differ in size or type, or the general path must decide. ``raw``'s first element is its
    ``_id``, an int32, an ObjectId or a string (the caller checked its type byte). One function, no call
    per step: it runs for every point update."""
    id_type = raw[4]  # the element after _id starts after 4 + "\x10_id\x00" + the value:
    after_id = 13 if id_type == 0x10 else 21 if id_type == 0x07 else 13 + _INT32.unpack_from(raw, 9)[0]
    new = raw
    for name, op, arg in steps:
        if new.startswith(name, after_id + 1):  # the field right after _id: where a counter often is
            kind, start = new[after_id], after_id + 1 + len(name)
        else:
            at = _value_at(new, name, after_id)
            if at is None:
                return None
            kind, start = at
        if kind == 0x10:  # int32: stays one if the argument is an int32 and the sum fits
            if arg.__class__ is not int:
                return None
            current = _INT32.unpack_from(new, start)[0]
            result = current + arg if op == "$inc" else arg
            if not _INT32_MIN <= result <= _INT32_MAX:
                return None
            if result != current:
                new = new[:start] + _INT32.pack(result) + new[start + 4 :]
        elif kind == 0x12:  # int64: $inc of an int32 keeps it one unless it overflows ($set makes an int32)
            if op != "$inc" or arg.__class__ is not int:
                return None
            current = _INT64.unpack_from(new, start)[0]
            result = current + arg
            if not _INT64_MIN <= result <= _INT64_MAX:
                return None
            if result != current:
                new = new[:start] + _INT64.pack(result) + new[start + 8 :]
        elif kind == 0x01:  # double: stays one for any int32 or double argument of $inc, a double one of $set
            if op == "$set" and arg.__class__ is not float:
                return None
            current = _DOUBLE.unpack_from(new, start)[0]
            result = current + float(arg) if op == "$inc" else arg
            # the general path's "same value": -0.0 and 0.0 differ, NaNs do not
            if not (
                (result == current and str(result) == str(current))
                or (result != result and current != current)
            ):
                new = new[:start] + _DOUBLE.pack(result) + new[start + 8 :]
        else:
            return None
    return new


def _value_at(raw: bytes, name: bytes, pos: int) -> tuple[int, int] | None:
    """``(type byte, offset of the value)`` of the top-level element called ``name`` (NUL included) at or
    after the element at ``pos``, or None when it is absent, past ``MAX_WALK`` elements, or the bytes hold
    a type this walk does not read."""
    end = len(raw) - 1
    for _ in range(MAX_WALK):
        if pos >= end:
            return None
        if raw.startswith(name, pos + 1):  # the name and its NUL: this very element
            return raw[pos], pos + 1 + len(name)
        value = raw.index(0, pos + 1) + 1
        size = value_size(raw, raw[pos], value)
        if size is None:  # regex, DBPointer: left to the C decoder
            return None
        pos = value + size
    return None
