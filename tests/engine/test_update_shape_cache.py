"""Compiled updates are shared by shape (``compile_update``'s cache): updates that differ only in an
argument's type or bits must never share one. Each is compiled twice (the second from the cache) and
applied; the result must be what the update itself asks for."""

from __future__ import annotations

import math
import struct

import bson
from bson.int64 import Int64

from docdb.engine.update import compile_simple_update, compile_update
from docdb.engine.updates.compile import _shape_key

OTHER_NAN = struct.unpack("<d", b"\x01\x00\x00\x00\x00\x00\xf8\x7f")[0]  # a NaN with other bits
ARGUMENTS = [1, 1.0, True, Int64(1), -0.0, 0.0, math.nan, OTHER_NAN]


def stored(value: object) -> bytes:
    return bson.encode({"v": value})


def test_one_field_updates_differing_only_in_type_or_bits_stay_apart() -> None:
    for op in ("$set", "$inc", "$max"):
        for arg in ARGUMENTS:
            if op == "$inc" and arg is True:
                continue  # not a number: refused, by both paths alike
            for compile_ in (compile_update, compile_simple_update, compile_update):
                new, _ = compile_({op: {"v": arg}}).apply({"_id": 1, "v": Int64(0)})
                if op == "$set":
                    assert stored(new["v"]) == stored(arg), (op, arg)  # the very type and bits
                else:
                    expected, _ = compile_update({op: {"v": arg}}, array_filters=[]).apply(
                        {"_id": 1, "v": Int64(0)}
                    )  # (array_filters: never cached)
                    assert stored(new["v"]) == stored(expected["v"]), (op, arg)


def test_flat_one_field_keys_never_equal_another_shape() -> None:
    one = _shape_key({"$set": {"a": 1}})
    assert one == ("$set", "a", int, 1)
    assert _shape_key({"$set": {"a": 1, "b": 2}}) != _shape_key({"$set": {"a": 1}, "$inc": {"b": 2}})
    assert one not in {_shape_key({"$set": {"a": 1, "b": 1}}), _shape_key({"$set": {"a": 1}, "$unset": {}})}
    assert _shape_key({"$set": {"a": [1]}}) is None and _shape_key({"a": 1}) is None
