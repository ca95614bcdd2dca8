"""Comparison operators through PyMongo: the manual's examples plus null/missing, mixed numbers, NaN and
arrays of arrays."""

from __future__ import annotations

import pytest
from bson.decimal128 import Decimal128
from bson.int64 import Int64
from pymongo.errors import OperationFailure

INVENTORY = [
    {"_id": 1, "item": {"name": "ab", "code": "123"}, "qty": 15, "tags": ["A", "B", "C"]},
    {"_id": 2, "item": {"name": "cd", "code": "123"}, "qty": 20, "tags": ["B"]},
    {"_id": 3, "item": {"name": "ij", "code": "456"}, "qty": 25, "tags": ["A", "B"]},
    {"_id": 4, "item": {"name": "xy", "code": "456"}, "qty": 30, "tags": ["B", "A"]},
    {"_id": 5, "item": {"name": "mn", "code": "000"}, "qty": 20, "tags": [["A", "B"], "C"]},
]


def ids(db, spec) -> list:
    return [doc["_id"] for doc in db.c.find(spec).sort("_id", 1)]


@pytest.mark.parametrize(
    "spec,expected",
    [
        pytest.param({"qty": {"$eq": 20}}, [2, 5], id="eq"),
        pytest.param({"item.name": {"$eq": "ab"}}, [1], id="eq-embedded"),
        pytest.param({"tags": {"$eq": "B"}}, [1, 2, 3, 4], id="eq-array-element"),
        pytest.param({"tags": {"$eq": ["A", "B"]}}, [3, 5], id="eq-whole-array-or-nested"),
        pytest.param({"qty": {"$gt": 20}}, [3, 4], id="gt"),
        pytest.param({"qty": {"$gte": 20}}, [2, 3, 4, 5], id="gte"),
        pytest.param({"qty": {"$lt": 20}}, [1], id="lt"),
        pytest.param({"qty": {"$lte": 20}}, [1, 2, 5], id="lte"),
        pytest.param({"qty": {"$ne": 20}}, [1, 3, 4], id="ne"),
        pytest.param({"qty": {"$in": [5, 15]}}, [1], id="in"),
        pytest.param({"tags": {"$in": ["A", "Z"]}}, [1, 3, 4], id="in-array-field"),
        pytest.param({"qty": {"$nin": [5, 15]}}, [2, 3, 4, 5], id="nin"),
        pytest.param({"item": {"name": "ab", "code": "123"}}, [1], id="eq-document"),
        pytest.param({"item": {"code": "123", "name": "ab"}}, [], id="eq-document-field-order"),
        pytest.param({"qty": {"$gt": "10"}}, [], id="gt-no-cross-type"),
    ],
)
def test_manual_inventory(db, spec, expected):
    db.c.insert_many(INVENTORY)
    assert ids(db, spec) == expected


def test_in_with_regex(db):
    db.c.insert_many(INVENTORY)
    from bson.regex import Regex

    assert ids(db, {"item.name": {"$in": [Regex("^a"), "xy"]}}) == [1, 4]


NULLS = [{"_id": 1, "item": None}, {"_id": 2}, {"_id": 3, "item": 0}, {"_id": 4, "item": [None, 1]}]


@pytest.mark.parametrize(
    "spec,expected",
    [
        pytest.param({"item": None}, [1, 2, 4], id="null-matches-missing"),
        pytest.param({"item": {"$ne": None}}, [3], id="ne-null"),
        pytest.param({"item": {"$type": "null"}}, [1, 4], id="type-null"),
        pytest.param({"item": {"$exists": False}}, [2], id="exists-false"),
        pytest.param({"item": {"$in": [None]}}, [1, 2, 4], id="in-null"),
        pytest.param({"item": {"$nin": [None]}}, [3], id="nin-null"),
        pytest.param({"item": {"$gte": None}}, [1, 2, 4], id="gte-null"),
        pytest.param({"item": {"$gt": None}}, [], id="gt-null"),
        pytest.param({"item": {"$lt": 1}}, [3], id="lt-number-skips-null"),
    ],
)
def test_null_versus_missing(db, spec, expected):
    db.c.insert_many(NULLS)
    assert ids(db, spec) == expected


NUMBERS = [
    {"_id": 1, "n": 1},
    {"_id": 2, "n": 1.0},
    {"_id": 3, "n": Int64(1)},
    {"_id": 4, "n": Decimal128("1.0")},
    {"_id": 5, "n": 1.5},
    {"_id": 6, "n": float("nan")},
    {"_id": 7, "n": Decimal128("NaN")},
    {"_id": 8, "n": "1"},
    {"_id": 9, "n": -0.0},
]


@pytest.mark.parametrize(
    "spec,expected",
    [
        pytest.param({"n": 1}, [1, 2, 3, 4], id="eq-across-types"),
        pytest.param({"n": Decimal128("1")}, [1, 2, 3, 4], id="eq-decimal"),
        pytest.param({"n": {"$gt": 1}}, [5], id="gt-skips-nan"),
        pytest.param({"n": {"$lt": Int64(2)}}, [1, 2, 3, 4, 5, 9], id="lt-long"),
        pytest.param({"n": float("nan")}, [6, 7], id="eq-nan"),
        pytest.param({"n": {"$gte": float("nan")}}, [6, 7], id="gte-nan"),
        pytest.param({"n": {"$gt": float("nan")}}, [], id="gt-nan"),
        pytest.param({"n": 0}, [9], id="negative-zero"),
        pytest.param({"n": {"$in": [1.5, "1"]}}, [5, 8], id="in-mixed"),
    ],
)
def test_mixed_numeric_types_and_nan(db, spec, expected):
    db.c.insert_many(NUMBERS)
    assert ids(db, spec) == expected


NESTED = [
    {"_id": 1, "a": [[1, 2], [3]]},
    {"_id": 2, "a": [1, [2, 3]]},
    {"_id": 3, "a": [{"b": [1, 2]}, {"b": 3}]},
]


@pytest.mark.parametrize(
    "spec,expected",
    [
        pytest.param({"a": [1, 2]}, [1], id="element-is-array"),
        pytest.param({"a": 1}, [2], id="no-deep-traversal"),
        pytest.param({"a.0": [1, 2]}, [1], id="index-path"),
        pytest.param({"a.0.1": 2}, [1], id="index-index"),
        pytest.param({"a.b": 1}, [3], id="path-through-array-of-documents"),
        pytest.param({"a.b": [1, 2]}, [3], id="path-whole-array"),
        pytest.param({"a.1": 3}, [], id="index-on-nested-array-no-match"),
        pytest.param({"a.1": [2, 3]}, [2], id="index-on-array"),
        pytest.param({"a": {"$gt": [1]}}, [1, 2, 3], id="gt-whole-array"),
    ],
)
def test_arrays_of_arrays(db, spec, expected):
    db.c.insert_many(NESTED)
    assert ids(db, spec) == expected


@pytest.mark.parametrize(
    "spec,code,code_name,message",
    [
        pytest.param({"a": {"$in": 1}}, 2, "BadValue", "$in needs an array", id="in-not-array"),
        pytest.param({"a": {"$nin": {"x": 1}}}, 2, "BadValue", "$nin needs an array", id="nin-not-array"),
        pytest.param(
            {"a": {"$in": [{"$gt": 1}]}}, 2, "BadValue", "cannot nest $ under $in", id="in-operator"
        ),
        pytest.param({"a": {"$bad": 1}}, 2, "BadValue", "unknown operator: $bad", id="unknown-operator"),
        pytest.param({"$bad": 1}, 2, "BadValue", "unknown top level operator: $bad", id="unknown-top"),
    ],
)
def test_errors(db, spec, code, code_name, message):
    db.c.insert_one({"_id": 1})
    with pytest.raises(OperationFailure) as exc:
        list(db.c.find(spec))
    assert (exc.value.code, exc.value.details["codeName"], exc.value.details["errmsg"]) == (
        code,
        code_name,
        message,
    )
