"""The express path's hashed lookup helpers: ``probe`` hashes as ``hash64`` and builds the element a
stored document holds for the value; ``holds_element`` finds it only as a top-level element."""

from __future__ import annotations

import bson
import pytest
from bson.binary import Binary
from bson.code import Code
from bson.int64 import Int64
from bson.regex import Regex

from docdb.engine.indexing.hashed import hash64, holds_element, probe

VALUES = ["payload-1", "", "é" * 200, 0, 42, -(2**31), 2**31 - 1, 2**31, -(2**63), 2**63 - 1, Int64(7)]


@pytest.mark.parametrize("value", VALUES)
def test_probe_hash_is_hash64(value):
    assert probe("a", value)[0] == hash64(value)
    assert probe("a.b", value) == (hash64(value), None)


@pytest.mark.parametrize("value", [1.5, True, None, {"x": 1}, Code("f")])
def test_probe_other_types_give_no_element(value):
    assert probe("a", value) == (hash64(value), None)


@pytest.mark.parametrize("value", VALUES)
def test_probe_element_is_the_bson_element(value):
    _, element = probe("a", value)
    assert element == bson.encode({"a": value})[4:-1]


@pytest.mark.parametrize("value", ["v", 42])
def test_holds_element_top_level_only(value):
    _, element = probe("a", value)
    other = "w" if isinstance(value, str) else 43
    nested_first = {"_id": 1, "n": {"a": value}, "l": [{"a": value}], "a": value}
    assert holds_element(bson.encode(nested_first), element) is True
    only_nested = {"_id": 1, "n": {"a": value}, "l": [value], "a": other}
    assert holds_element(bson.encode(only_nested), element) is False
    inside_bytes = {"b": Binary(element), "s": element.decode("latin-1"), "a": value}
    assert holds_element(bson.encode(inside_bytes), element) is True
    assert holds_element(bson.encode({"aa": value}), element) is False
    assert holds_element(bson.encode({}), element) is False


def test_holds_element_after_every_sized_type():
    doc = {
        "d": 1.5,
        "s": "x",
        "o": {"a": 1},
        "arr": [1, 2],
        "bin": Binary(b"\x00\x01", 5),
        "n": None,
        "b": True,
        "i": 3,
        "l": Int64(4),
        "code": Code("f"),
        "scope": Code("g", {"a": 1}),
        "a": "v",
    }
    assert holds_element(bson.encode(doc), probe("a", "v")[1]) is True


def test_holds_element_other_encodings_say_no():
    # An equal value of another type, or a regex before the field (a walk it leaves to the decoder)
    assert holds_element(bson.encode({"a": 42.0}), probe("a", 42)[1]) is False
    assert holds_element(bson.encode({"a": Int64(42)}), probe("a", 42)[1]) is False
    assert holds_element(bson.encode({"r": Regex("a"), "a": 42}), probe("a", 42)[1]) is False
