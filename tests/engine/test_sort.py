"""Sort keys: BSON order across types, arrays (min ascending / max descending), missing as null, errors."""

import pytest

from docdb.engine.sort import compile_sort, natural_direction
from docdb.errors import MongoError

DOCS = [
    {"_id": 1, "a": [3, 1], "b": 1},
    {"_id": 2, "a": 2, "b": 1},
    {"_id": 3, "b": 2},
    {"_id": 4, "a": [], "b": 2},
    {"_id": 5, "a": None, "b": 1},
    {"_id": 6, "a": "x", "b": 2},
    {"_id": 7, "a": {"c": 1}, "b": 1},
    {"_id": 8, "a": 1.5, "b": 2},
    {"_id": 9, "a": True, "b": 1},
]


def order(spec, docs=DOCS):
    return [doc["_id"] for doc in sorted(docs, key=compile_sort(spec))]


@pytest.mark.parametrize(
    "spec,expected",
    [
        pytest.param({"a": 1}, [4, 3, 5, 1, 8, 2, 6, 7, 9], id="ascending"),
        pytest.param({"a": -1}, [9, 7, 6, 1, 2, 8, 3, 5, 4], id="descending"),
        pytest.param({"b": 1, "a": -1}, [9, 7, 1, 2, 5, 6, 8, 3, 4], id="compound"),
        pytest.param({"b": -1}, [3, 4, 6, 8, 1, 2, 5, 7, 9], id="stable-ties"),
        pytest.param({"a.c": 1}, [1, 2, 3, 4, 5, 6, 8, 9, 7], id="dotted-missing-is-null"),
    ],
)
def test_sort(spec, expected):
    assert order(spec) == expected


def test_sort_through_array_of_documents():
    docs = [{"_id": 1, "x": [{"v": 5}, {"v": 1}]}, {"_id": 2, "x": [{"v": 3}]}, {"_id": 3, "x": [{"w": 0}]}]
    assert order({"x.v": 1}, docs) == [3, 1, 2]
    assert order({"x.v": -1}, docs) == [1, 2, 3]


def test_natural_and_empty():
    assert compile_sort(None) is None
    assert compile_sort({}) is None
    assert compile_sort({"$natural": -1}) is None
    assert natural_direction({"$natural": -1}) == -1
    assert natural_direction({"a": 1}) is None


@pytest.mark.parametrize(
    "spec,code,message",
    [
        ({"a": 2}, 15975, "$sort key ordering must be 1 (for ascending) or -1 (for descending)"),
        ({"a": "asc"}, 15975, "$sort key ordering must be 1 (for ascending) or -1 (for descending)"),
        ({"a": {"$meta": "textScore"}}, 40218, "query requires text score metadata, but it is not available"),
    ],
)
def test_sort_errors(spec, code, message):
    with pytest.raises(MongoError) as exc:
        compile_sort(spec)
    assert (exc.value.code, exc.value.errmsg) == (code, message)
