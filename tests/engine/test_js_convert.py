"""The BSON <-> JavaScript bridge in-process: what round-trips unchanged, what JS numbers become, and the
shell types' behaviour inside the engine."""

from __future__ import annotations

import datetime
import math
import re

import pytest
from bson import Decimal128, Int64, ObjectId
from bson.binary import Binary
from bson.code import Code
from bson.max_key import MaxKey
from bson.min_key import MinKey
from bson.regex import Regex
from bson.timestamp import Timestamp

from docdb.engine.js import JsScope
from docdb.errors import ErrorCode, MongoError

IDENTITY = "function(x) { return x; }"


def test_round_trip_of_every_bson_type() -> None:
    scope = JsScope()
    fn = scope.compile(IDENTITY)
    value = {
        "oid": ObjectId("5f1d7d2d9d3b2c1a2b3c4d5e"),
        "date": datetime.datetime(2021, 5, 6, 7, 8, 9, 123000),
        "long": Int64(-(2**62)),
        "int": 7,
        "double": 2.5,
        "dec": Decimal128("1.10"),
        "bin": Binary(b"\x00\x01\xff", 4),
        "ts": Timestamp(1700000000, 3),
        "re": Regex("^a.c$", "i"),
        "code": Code("function() {}"),
        "min": MinKey(),
        "max": MaxKey(),
        "str": "héllo \u0001 \u2603",
        "null": None,
        "bool": True,
        "nested": {"a": [1, {"b": [ObjectId("5f1d7d2d9d3b2c1a2b3c4d5e")]}]},
    }
    out = scope.call(fn, [value])
    assert out == {**value, "int": 7.0, "nested": {"a": [1.0, value["nested"]["a"][1]]}}
    assert type(out["int"]) is float
    assert type(out["long"]) is Int64
    assert isinstance(out["re"], Regex) and (out["re"].pattern, out["re"].flags) == ("^a.c$", re.IGNORECASE)


def test_non_finite_numbers_and_integers_out_of_int32() -> None:
    scope = JsScope()
    fn = scope.compile(IDENTITY)
    nan, inf, ninf, big = scope.call(fn, [[math.nan, math.inf, -math.inf, 2**40]])
    assert math.isnan(nan) and (inf, ninf) == (math.inf, -math.inf)
    assert (big, type(big)) == (2**40, Int64)


def test_shell_types_inside_the_engine() -> None:
    scope = JsScope()
    fn = scope.compile(
        "function(o, n) { return [o.str, o.toString(), n.toNumber() + 1, n.toString(), "
        "NumberInt('12'), new NumberLong('9223372036854775807'), ObjectId().str.length, "
        "tojson({a: [1, 'x']}), typeof emit]; }"
    )
    out = scope.call(fn, [ObjectId("5f1d7d2d9d3b2c1a2b3c4d5e"), Int64(41)])
    assert out == [
        "5f1d7d2d9d3b2c1a2b3c4d5e",
        'ObjectId("5f1d7d2d9d3b2c1a2b3c4d5e")',
        42.0,
        "NumberLong(41)",
        12,
        Int64(2**63 - 1),
        24.0,
        '{ "a" : [ 1, "x" ] }',
        "undefined",
    ]


def test_undefined_results() -> None:
    scope = JsScope()
    assert scope.call(scope.compile("function() {}"), []) is None
    assert scope.call(scope.compile("function() { return {a: undefined, b: [undefined]}; }"), []) == {
        "b": [None]
    }


def test_function_sources_mongod_accepts_and_refuses() -> None:
    scope = JsScope()
    assert scope.call(scope.compile("function() { return 1; };  "), []) == 1.0
    with pytest.raises(MongoError) as exc:
        scope.compile("42")
    assert exc.value.code == ErrorCode.JSInterpreterFailure
    with pytest.raises(MongoError) as exc:
        scope.compile("function (")
    assert (exc.value.code, exc.value.errmsg.split(":")[0]) == (ErrorCode.JSInterpreterFailure, "SyntaxError")
