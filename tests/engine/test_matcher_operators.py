"""$regex, $type, $mod, $bits* and DBRef-shaped equality."""

import re

import pytest
from bson.binary import Binary
from bson.decimal128 import Decimal128
from bson.int64 import Int64
from bson.regex import Regex

from docdb.engine.matcher import compile_filter


def ids(spec, docs):
    predicate = compile_filter(spec)
    return [doc["_id"] for doc in docs if predicate(doc)]


PRODUCTS = [
    {"_id": 100, "sku": "abc123", "description": "Single line description."},
    {"_id": 101, "sku": "abc789", "description": "First line\nSecond line"},
    {"_id": 102, "sku": "xyz456", "description": "Many spaces before     line"},
    {"_id": 103, "sku": "xyz789", "description": "Multiple\nline description"},
    {"_id": 104, "sku": "Abc789", "description": "SKU starts with A"},
    {"_id": 105, "sku": Regex("^abc"), "description": 5},
]


@pytest.mark.parametrize(
    "spec,expected",
    [
        pytest.param({"sku": {"$regex": "789$"}}, [101, 103, 104], id="regex-string"),
        pytest.param({"sku": {"$regex": "^ABC", "$options": "i"}}, [100, 101, 104], id="options-i"),
        pytest.param({"sku": re.compile("^ABC", re.I)}, [100, 101, 104], id="python-pattern"),
        pytest.param({"sku": Regex("^abc")}, [100, 101, 105], id="regex-matches-equal-regex-value"),
        pytest.param({"sku": {"$eq": Regex("^abc")}}, [105], id="eq-regex-is-value-equality"),
        pytest.param({"description": {"$regex": "^S", "$options": "m"}}, [100, 101, 104], id="multiline"),
        pytest.param({"description": {"$regex": "^S"}}, [100, 104], id="no-multiline"),
        pytest.param({"description": {"$regex": "m.*line", "$options": "si"}}, [102, 103], id="dotall"),
        pytest.param({"description": {"$regex": "  S i n g l e", "$options": "x"}}, [100], id="extended"),
        pytest.param({"sku": {"$in": [Regex("^x"), "abc123"]}}, [100, 102, 103], id="in-regex"),
        pytest.param({"sku": {"$regex": Regex("^abc", "i")}}, [100, 101, 104], id="regex-object-flags"),
        pytest.param({"sku": {"$regex": "(?<x>789)$"}}, [101, 103, 104], id="pcre-named-group"),
    ],
)
def test_regex(spec, expected):
    assert ids(spec, PRODUCTS) == expected


TYPED = [
    {"_id": 1, "v": 1},
    {"_id": 2, "v": Int64(1)},
    {"_id": 3, "v": 1.5},
    {"_id": 4, "v": Decimal128("1")},
    {"_id": 5, "v": "x"},
    {"_id": 6, "v": [1, "x"]},
    {"_id": 7, "v": None},
    {"_id": 8},
    {"_id": 9, "v": True},
    {"_id": 10, "v": []},
    {"_id": 11, "v": 2**40},
]


@pytest.mark.parametrize(
    "spec,expected",
    [
        pytest.param({"v": {"$type": "int"}}, [1, 6], id="int"),
        pytest.param({"v": {"$type": 18}}, [2, 11], id="long-code"),
        pytest.param({"v": {"$type": "number"}}, [1, 2, 3, 4, 6, 11], id="number"),
        pytest.param({"v": {"$type": ["string", "null"]}}, [5, 6, 7], id="list"),
        pytest.param({"v": {"$type": "array"}}, [6, 10], id="array"),
        pytest.param({"v": {"$type": "bool"}}, [9], id="bool"),
        pytest.param({"v": {"$type": 1.0}}, [3], id="double-code-as-double"),
    ],
)
def test_type(spec, expected):
    assert ids(spec, TYPED) == expected


def test_mod():
    docs = [{"_id": i, "q": q} for i, q in enumerate([0, 5, 12, -12, 12.9, -12.9, "12", float("nan")])]
    assert ids({"q": {"$mod": [4, 0]}}, docs) == [0, 2, 3, 4, 5]
    assert ids({"q": {"$mod": [5, -2]}}, docs) == [3, 5]
    assert ids({"q": {"$mod": [4.5, 0.5]}}, docs) == [0, 2, 3, 4, 5]


def test_bits():
    docs = [
        {"_id": 1, "a": 54},
        {"_id": 2, "a": 20},
        {"_id": 3, "a": 20.0},
        {"_id": 4, "a": Binary(b"\x36", 0)},
        {"_id": 5, "a": -1},
        {"_id": 6, "a": 20.5},
        {"_id": 7, "a": "x"},
    ]
    assert ids({"a": {"$bitsAllSet": [1, 5]}}, docs) == [1, 4, 5]
    assert ids({"a": {"$bitsAllSet": 50}}, docs) == [1, 4, 5]
    assert ids({"a": {"$bitsAllClear": [1, 5]}}, docs) == [2, 3]
    assert ids({"a": {"$bitsAnySet": [1, 5]}}, docs) == [1, 4, 5]
    assert ids({"a": {"$bitsAnyClear": Binary(b"\x21", 0)}}, docs) == [1, 2, 3, 4]
    assert ids({"a": {"$bitsAllSet": [100]}}, docs) == [5]


def test_dbref_shaped_document_is_equality():
    docs = [{"_id": 1, "r": {"$ref": "c", "$id": 5}}, {"_id": 2, "r": {"$ref": "c", "$id": 6}}]
    assert ids({"r": {"$ref": "c", "$id": 5}}, docs) == [1]
    assert ids({"r.$id": 6}, docs) == [2]
    assert ids({"r": {"$elemMatch": {"$id": 5}}}, [{"_id": 3, "r": [{"$ref": "c", "$id": 5}]}]) == [3]
