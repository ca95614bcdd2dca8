"""Array and bitwise query operators through PyMongo: $all, $elemMatch, $size, $bits*; the manual's
examples."""

from __future__ import annotations

import pytest
from bson.binary import Binary
from pymongo.errors import OperationFailure

SCORES = [
    {"_id": 1, "results": [82, 85, 88]},
    {"_id": 2, "results": [75, 88, 89]},
]
SURVEY = [
    {"_id": 1, "results": [{"product": "abc", "score": 10}, {"product": "xyz", "score": 5}]},
    {"_id": 2, "results": [{"product": "abc", "score": 8}, {"product": "xyz", "score": 7}]},
    {"_id": 3, "results": [{"product": "abc", "score": 7}, {"product": "xyz", "score": 8}]},
    {"_id": 4, "results": [{"product": "abc", "score": 7}, {"product": "def", "score": 8}]},
    {"_id": 5, "results": {"product": "xyz", "score": 9}},
]
INVENTORY = [
    {
        "_id": 1,
        "tags": ["appliance", "school", "book"],
        "qty": [{"size": "S", "num": 10, "color": "blue"}, {"size": "M", "num": 45, "color": "blue"}],
    },
    {
        "_id": 2,
        "tags": ["school", "book", "bag", "headphone", "appliance"],
        "qty": [{"size": "S", "num": 10, "color": "blue"}, {"size": "M", "num": 100, "color": "green"}],
    },
    {"_id": 3, "tags": ["school", "book"], "qty": [{"size": "L", "num": 100, "color": "green"}]},
    {"_id": 4, "tags": "school", "qty": []},
]


def ids(coll, spec) -> list:
    return [doc["_id"] for doc in coll.find(spec).sort("_id", 1)]


@pytest.mark.parametrize(
    "data,spec,expected",
    [
        pytest.param(SCORES, {"results": {"$elemMatch": {"$gte": 80, "$lt": 85}}}, [1], id="elemmatch-value"),
        pytest.param(
            SURVEY,
            {"results": {"$elemMatch": {"product": "xyz", "score": {"$gte": 8}}}},
            [3],
            id="elemmatch-doc",
        ),
        pytest.param(
            SURVEY, {"results": {"$elemMatch": {"product": "xyz"}}}, [1, 2, 3], id="elemmatch-needs-array"
        ),
        pytest.param(
            SURVEY,
            {"results.product": "xyz", "results.score": {"$gte": 8}},
            [1, 2, 3, 5],
            id="no-elemmatch-any-element",
        ),
        pytest.param(
            SURVEY,
            {"results": {"$elemMatch": {"$or": [{"score": 10}, {"product": "def"}]}}},
            [1, 4],
            id="elemmatch-or",
        ),
        pytest.param(INVENTORY, {"tags": {"$all": ["appliance", "school", "book"]}}, [1, 2], id="all"),
        pytest.param(INVENTORY, {"tags": {"$all": ["school"]}}, [1, 2, 3, 4], id="all-scalar-field"),
        pytest.param(INVENTORY, {"tags": {"$all": []}}, [], id="all-empty"),
        pytest.param(
            INVENTORY,
            {
                "qty": {
                    "$all": [
                        {"$elemMatch": {"size": "M", "num": {"$gt": 50}}},
                        {"$elemMatch": {"num": 100, "color": "green"}},
                    ]
                }
            },
            [2],
            id="all-elemmatch",
        ),
        pytest.param(INVENTORY, {"qty.num": {"$all": [10, 45]}}, [1], id="all-path"),
        pytest.param(INVENTORY, {"tags": {"$size": 2}}, [3], id="size"),
        pytest.param(INVENTORY, {"qty": {"$size": 0}}, [4], id="size-zero"),
        pytest.param(INVENTORY, {"tags": {"$size": 1}}, [], id="size-scalar"),
        pytest.param(INVENTORY, {"qty.1.num": {"$gt": 50}}, [2], id="index-path"),
    ],
)
def test_array_manual(db, data, spec, expected):
    db.c.insert_many(data)
    assert ids(db.c, spec) == expected


BITS = [
    {"_id": 1, "a": 54},
    {"_id": 2, "a": 20},
    {"_id": 3, "a": 20.0},
    {"_id": 4, "a": Binary(b"\x66")},
    {"_id": 5, "a": -5},
    {"_id": 6, "a": 2.5},
]


@pytest.mark.parametrize(
    "spec,expected",
    [
        pytest.param({"a": {"$bitsAllSet": [1, 5]}}, [1, 4, 5], id="all-set-positions"),
        pytest.param({"a": {"$bitsAllSet": 50}}, [1, 5], id="all-set-mask"),
        pytest.param({"a": {"$bitsAllSet": Binary(b"\x30")}}, [1, 5], id="all-set-bindata"),
        pytest.param({"a": {"$bitsAnySet": [1, 5]}}, [1, 4, 5], id="any-set"),
        pytest.param({"a": {"$bitsAllClear": [1, 5]}}, [2, 3], id="all-clear"),
        pytest.param({"a": {"$bitsAnyClear": [1, 5]}}, [2, 3], id="any-clear"),
        pytest.param({"a": {"$bitsAllSet": [63]}}, [5], id="sign-extended"),
    ],
)
def test_bitwise_manual(db, spec, expected):
    db.c.insert_many(BITS)
    assert ids(db.c, spec) == expected


@pytest.mark.parametrize(
    "spec,code,code_name,message",
    [
        pytest.param({"a": {"$size": -1}}, 2, "BadValue", "$size may not be negative", id="size-negative"),
        pytest.param({"a": {"$size": "2"}}, 2, "BadValue", "$size needs a number", id="size-string"),
        pytest.param({"a": {"$all": 1}}, 2, "BadValue", "$all needs an array", id="all-not-array"),
        pytest.param(
            {"a": {"$elemMatch": 1}}, 2, "BadValue", "$elemMatch needs an Object", id="elemmatch-scalar"
        ),
        pytest.param(
            {"a": {"$bitsAllSet": [-1]}},
            2,
            "BadValue",
            "bit positions must be >= 0 but got: 0: -1",
            id="bits-negative",
        ),
        pytest.param(
            {"a": {"$all": [{"$elemMatch": {"b": 1}}, 2]}},
            2,
            "BadValue",
            "$all/$elemMatch has to be consistent",
            id="all-mixed",
        ),
    ],
)
def test_array_errors(db, spec, code, code_name, message):
    with pytest.raises(OperationFailure) as exc:
        list(db.c.find(spec))
    assert (exc.value.code, exc.value.details["codeName"], exc.value.details["errmsg"]) == (
        code,
        code_name,
        message,
    )
