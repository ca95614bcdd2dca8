"""Equality and comparison operators: type brackets, null vs missing, numbers across types, NaN."""

import datetime

import pytest
from bson.decimal128 import Decimal128
from bson.int64 import Int64
from bson.max_key import MaxKey
from bson.min_key import MinKey
from bson.objectid import ObjectId

from docdb.engine.matcher import compile_filter

NAN = float("nan")

DOCS = [
    {"_id": 1, "a": 1},
    {"_id": 2, "a": 2.5},
    {"_id": 3, "a": Int64(3)},
    {"_id": 4, "a": Decimal128("4")},
    {"_id": 5, "a": "5"},
    {"_id": 6, "a": None},
    {"_id": 7},
    {"_id": 8, "a": True},
    {"_id": 9, "a": NAN},
    {"_id": 10, "a": [1, 7]},
    {"_id": 11, "a": {"b": 1}},
    {"_id": 12, "a": datetime.datetime(2020, 1, 1)},
    {"_id": 13, "a": [[1, 7]]},
]


def ids(spec, docs=DOCS):
    predicate = compile_filter(spec)
    return [doc["_id"] for doc in docs if predicate(doc)]


@pytest.mark.parametrize(
    "spec,expected",
    [
        pytest.param({"a": 1}, [1, 10], id="eq-int-and-array-element"),
        pytest.param({"a": 1.0}, [1, 10], id="eq-double-matches-int"),
        pytest.param({"a": Decimal128("3")}, [3], id="eq-decimal-matches-long"),
        pytest.param({"a": {"$eq": 4}}, [4], id="eq-int-matches-decimal"),
        pytest.param({"a": "5"}, [5], id="eq-string-not-number"),
        pytest.param({"a": None}, [6, 7], id="null-matches-missing"),
        pytest.param({"a": True}, [8], id="bool-is-not-one"),
        pytest.param({"a": NAN}, [9], id="nan-equals-nan"),
        pytest.param({"a": [1, 7]}, [10, 13], id="whole-array-and-nested-element"),
        pytest.param({"a": [7, 1]}, [], id="array-order-matters"),
        pytest.param({"a": {"b": 1}}, [11], id="embedded-doc"),
        pytest.param({"a.b": 1}, [11], id="dotted"),
        pytest.param({"a": {"$gt": 2}}, [2, 3, 4, 10], id="gt-numbers-only"),
        pytest.param({"a": {"$gte": 2.5}}, [2, 3, 4, 10], id="gte"),
        pytest.param({"a": {"$lt": 2}}, [1, 10], id="lt"),
        pytest.param({"a": {"$lte": Int64(1)}}, [1, 10], id="lte-long"),
        pytest.param({"a": {"$gt": "4"}}, [5], id="gt-string-bracket"),
        pytest.param({"a": {"$gte": None}}, [6, 7], id="gte-null-matches-missing"),
        pytest.param({"a": {"$lt": None}}, [], id="lt-null-nothing"),
        pytest.param({"a": {"$gt": NAN}}, [], id="gt-nan-nothing"),
        pytest.param({"a": {"$gte": NAN}}, [9], id="gte-nan-only-nan"),
        pytest.param({"a": {"$lt": 100}}, [1, 2, 3, 4, 10], id="lt-excludes-nan"),
        pytest.param({"a": {"$gt": datetime.datetime(2019, 1, 1)}}, [12], id="gt-date"),
        pytest.param({"a": {"$gt": [1]}}, [10, 13], id="gt-array-compares-arrays"),
        pytest.param({"a": {"$gt": MinKey()}}, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13], id="gt-minkey"),
        pytest.param({"a": {"$lt": MaxKey()}}, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13], id="lt-maxkey"),
        pytest.param({"a": {"$gt": 0, "$lt": 2}}, [1, 10], id="range"),
        pytest.param({"a": {"$gt": 5, "$lt": 2}}, [10], id="range-each-bound-by-any-element"),
        pytest.param({"a": {"$ne": 1}}, [2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13], id="ne"),
        pytest.param(
            {"a": {"$ne": None}}, [1, 2, 3, 4, 5, 8, 9, 10, 11, 12, 13], id="ne-null-excludes-missing"
        ),
        pytest.param({"a": {"$in": [1, "5"]}}, [1, 5, 10], id="in"),
        pytest.param({"a": {"$in": [None]}}, [6, 7], id="in-null"),
        pytest.param({"a": {"$in": [[1, 7]]}}, [10, 13], id="in-array"),
        pytest.param({"a": {"$nin": [1, None]}}, [2, 3, 4, 5, 8, 9, 11, 12, 13], id="nin"),
        pytest.param({"a": {"$in": []}}, [], id="in-empty"),
        pytest.param({"a": {"$nin": []}}, list(range(1, 14)), id="nin-empty"),
    ],
)
def test_comparison(spec, expected):
    assert ids(spec) == expected


def test_embedded_document_equality_is_exact():
    docs = [
        {"_id": 1, "size": {"h": 14, "w": 21, "uom": "cm"}},
        {"_id": 2, "size": {"w": 21, "h": 14, "uom": "cm"}},
        {"_id": 3, "size": {"h": 14, "w": 21}},
    ]
    assert ids({"size": {"h": 14, "w": 21, "uom": "cm"}}, docs) == [1]
    assert ids({"size.uom": "cm"}, docs) == [1, 2]


def test_objectid_and_null_in_dotted_paths():
    oid = ObjectId("5f0000000000000000000001")
    docs = [
        {"_id": 1, "a": [{"b": oid}, {"c": 1}]},
        {"_id": 2, "a": [{"b": 1}]},
        {"_id": 3, "a": [1, 2]},
        {"_id": 4, "a": 5},
        {"_id": 5},
    ]
    assert ids({"a.b": oid}, docs) == [1]
    assert ids({"a.b": None}, docs) == [1, 4, 5]
    assert ids({"a.b": {"$exists": False}}, docs) == [3, 4, 5]


def test_fast_and_dotted_paths_agree():
    docs = [{"_id": i, "x": {"a": v}, "a": v} for i, v in enumerate([1, [1, 2], [[1]], None, "1", 1.0])]
    for spec_value in (1, {"$gt": 0}, {"$in": [1, None]}, None, [1], {"$type": "array"}):
        assert ids({"a": spec_value}, docs) == ids({"x.a": spec_value}, docs)
