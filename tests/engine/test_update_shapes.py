"""Compiled updates remembered by shape, and the top-level path: same results as a fresh compile."""

import math
import struct

import pytest
from bson.int64 import Int64

from docdb.engine.update import compile_update
from docdb.engine.updates.compile import _compile_update


def both(spec, doc):
    """The cached compile's result and a fresh compile's, each applied to its own copy of ``doc``."""
    return compile_update(spec).apply(dict(doc)), _compile_update(spec).apply(dict(doc))


def test_same_shape_is_compiled_once():
    assert compile_update({"$inc": {"n": 1}}) is compile_update({"$inc": {"n": 1}})


@pytest.mark.parametrize(
    "first,second",
    [
        pytest.param({"$set": {"n": 1}}, {"$set": {"n": True}}, id="bool-vs-int"),
        pytest.param({"$inc": {"n": 1}}, {"$inc": {"n": Int64(1)}}, id="long-vs-int"),
        pytest.param({"$inc": {"n": 1}}, {"$inc": {"n": 1.0}}, id="double-vs-int"),
        pytest.param({"$inc": {"n": 0.0}}, {"$inc": {"n": -0.0}}, id="signed-zero"),
        pytest.param({"$set": {"a": 1}}, {"$setOnInsert": {"a": 1}}, id="operator"),
        pytest.param({"$set": {"a": 1}}, {"$set": {"b": 1}}, id="path"),
    ],
)
def test_equal_values_of_other_types_are_other_shapes(first, second):
    assert compile_update(first) is not compile_update(second)


def test_signed_zero_is_written_as_sent():
    compile_update({"$inc": {"n": 0.0}})
    new, _ = compile_update({"$inc": {"n": -0.0}}).apply({"_id": 1, "n": -0.0})
    assert math.copysign(1, new["n"]) == -1


def test_nan_bits_are_kept():
    quiet = struct.unpack("<d", b"\x00\x00\x00\x00\x00\x00\xf8\x7f")[0]
    negative = struct.unpack("<d", b"\x00\x00\x00\x00\x00\x00\xf8\xff")[0]
    compile_update({"$set": {"x": quiet}})
    new, _ = compile_update({"$set": {"x": negative}}).apply({"_id": 1})
    assert struct.pack("<d", new["x"]) == b"\x00\x00\x00\x00\x00\x00\xf8\xff"


def test_replacements_and_array_filters_are_not_remembered():
    assert compile_update({"a": {"b": 1}}) is not compile_update({"a": {"b": 1}})
    spec = {"$set": {"a.$[x]": 1}}
    filters = [{"x": 1}]
    assert compile_update(spec, array_filters=filters) is not compile_update(spec, array_filters=filters)


@pytest.mark.parametrize(
    "spec,doc,expected,modified",
    [
        pytest.param({"$inc": {"n": 1}}, {"_id": 1, "n": 1}, {"_id": 1, "n": 2}, True, id="inc"),
        pytest.param({"$inc": {"n": 0}}, {"_id": 1, "n": 1}, {"_id": 1, "n": 1}, False, id="inc-zero"),
        pytest.param({"$inc": {"n": 0.0}}, {"_id": 1, "n": 1}, {"_id": 1, "n": 1.0}, True, id="inc-type"),
        pytest.param({"$set": {"a": 1}}, {"_id": 1, "a": 1}, {"_id": 1, "a": 1}, False, id="set-same"),
        pytest.param({"$set": {"a": 1}}, {"_id": 1, "a": 1.0}, {"_id": 1, "a": 1}, True, id="set-type"),
        pytest.param({"$unset": {"a": ""}}, {"_id": 1}, {"_id": 1}, False, id="unset-missing"),
        pytest.param({"$unset": {"a": ""}}, {"_id": 1, "a": None}, {"_id": 1}, True, id="unset"),
        pytest.param({"$set": {"b": 1}}, {"_id": 1}, {"_id": 1, "b": 1}, True, id="new-field"),
        pytest.param({"$max": {"a": 5}}, {"_id": 1, "a": 7}, {"_id": 1, "a": 7}, False, id="max-kept"),
        pytest.param(
            {"$set": {"a": float("nan")}},
            {"_id": 1, "a": float("nan")},
            {"_id": 1, "a": math.nan},
            False,
            id="nan-same",
        ),
        pytest.param(
            {"$mul": {"n": 2}, "$set": {"s": "x"}},
            {"_id": 1, "n": 3, "s": "x", "d": {"e": [1]}},
            {"_id": 1, "n": 6, "s": "x", "d": {"e": [1]}},
            True,
            id="two-operators",
        ),
    ],
)
def test_top_level_path_matches_the_general_one(spec, doc, expected, modified):
    cached, fresh = both(spec, doc)
    assert repr(cached) == repr(fresh) == repr((expected, modified))


def test_top_level_path_leaves_the_input_alone():
    doc = {"_id": 1, "n": 1, "d": {"e": [1]}}
    new, _ = compile_update({"$inc": {"n": 1}, "$unset": {"x": 1}}).apply(doc)
    assert doc == {"_id": 1, "n": 1, "d": {"e": [1]}}
    assert new == {"_id": 1, "n": 2, "d": {"e": [1]}}


def test_top_level_id_change_is_refused():
    with pytest.raises(Exception) as exc:
        compile_update({"$set": {"_id": 2}}).apply({"_id": 1})
    assert exc.value.code == 66
