"""$and / $or / $nor / $not / $exists / $comment and their composition."""

import pytest
from bson.regex import Regex

from docdb.engine.matcher import compile_filter, filter_equality_fields

DOCS = [
    {"_id": 1, "qty": 5, "price": 1.99, "sale": True},
    {"_id": 2, "qty": 20, "price": 1.99},
    {"_id": 3, "qty": 50, "price": 3.5, "sale": False},
    {"_id": 4, "price": None, "item": "abc"},
    {"_id": 5, "qty": [5, 50], "item": "xyz"},
]


def ids(spec, docs=DOCS):
    predicate = compile_filter(spec)
    return [doc["_id"] for doc in docs if predicate(doc)]


@pytest.mark.parametrize(
    "spec,expected",
    [
        pytest.param({"$and": [{"qty": {"$gt": 1}}, {"price": 1.99}]}, [1, 2], id="and"),
        pytest.param({"$or": [{"qty": {"$lt": 10}}, {"sale": True}]}, [1, 5], id="or"),
        pytest.param({"$nor": [{"price": 1.99}, {"sale": True}]}, [3, 4, 5], id="nor-includes-missing"),
        pytest.param({"price": {"$not": {"$gt": 1.99}}}, [1, 2, 4, 5], id="not-includes-missing"),
        pytest.param({"item": {"$not": Regex("^a")}}, [1, 2, 3, 5], id="not-regex"),
        pytest.param({"qty": {"$not": {"$lt": 10}}}, [2, 3, 4], id="not-over-array-is-none-of"),
        pytest.param({"sale": {"$exists": True}}, [1, 3], id="exists"),
        pytest.param({"sale": {"$exists": 0}}, [2, 4, 5], id="exists-false"),
        pytest.param({"price": {"$exists": True, "$eq": None}}, [4], id="exists-and-null"),
        pytest.param({"qty": 5, "$comment": "hello"}, [1, 5], id="comment-ignored"),
        pytest.param({"$alwaysFalse": 1}, [], id="always-false"),
        pytest.param({"$or": [{"qty": 20}], "price": 1.99}, [2], id="or-with-field"),
        pytest.param({}, [1, 2, 3, 4, 5], id="empty"),
        pytest.param({"$expr": {"$gt": ["$qty", 10]}}, [2, 3, 5], id="expr"),
    ],
)
def test_logical(spec, expected):
    assert ids(spec) == expected


def test_filter_equality_fields():
    spec = {
        "_id": 1,
        "a": {"$eq": [1]},
        "b.c": 2,
        "d": {"$gt": 1},
        "e": Regex("x"),
        "$and": [{"f": 3}, {"g": {"$in": [4]}}],
        "$or": [{"h": 5}, {"i": 6}],
        "j": {"$in": [1, 2]},
    }
    assert filter_equality_fields(spec) == {"_id": 1, "a": [1], "b.c": 2, "f": 3, "g": 4}
    assert filter_equality_fields({"$or": [{"x": 1}]}) == {"x": 1}
