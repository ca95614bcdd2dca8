"""Array operators and implicit array traversal (examples from the MongoDB manual)."""

import pytest

from docdb.engine.matcher import compile_filter

INVENTORY = [
    {"_id": 1, "item": "journal", "tags": ["blank", "red"], "dim_cm": [14, 21]},
    {"_id": 2, "item": "notebook", "tags": ["red", "blank"], "dim_cm": [14, 21]},
    {"_id": 3, "item": "paper", "tags": ["red", "blank", "plain"], "dim_cm": [14, 21]},
    {"_id": 4, "item": "planner", "tags": ["blank", "red"], "dim_cm": [22.85, 30]},
    {"_id": 5, "item": "postcard", "tags": ["blue"], "dim_cm": [10, 15.25]},
]

STOCK = [
    {"_id": 1, "instock": [{"warehouse": "A", "qty": 5}, {"warehouse": "C", "qty": 15}]},
    {"_id": 2, "instock": [{"warehouse": "C", "qty": 5}]},
    {"_id": 3, "instock": [{"warehouse": "A", "qty": 60}, {"warehouse": "B", "qty": 15}]},
    {"_id": 4, "instock": [{"warehouse": "A", "qty": 40}, {"warehouse": "B", "qty": 5}]},
    {"_id": 5, "instock": [{"warehouse": "B", "qty": 15}, {"warehouse": "C", "qty": 35}]},
]


def ids(spec, docs):
    predicate = compile_filter(spec)
    return [doc["_id"] for doc in docs if predicate(doc)]


@pytest.mark.parametrize(
    "spec,expected",
    [
        pytest.param({"tags": ["red", "blank"]}, [2], id="exact-array"),
        pytest.param({"tags": {"$all": ["red", "blank"]}}, [1, 2, 3, 4], id="all"),
        pytest.param({"tags": "red"}, [1, 2, 3, 4], id="contains"),
        pytest.param({"dim_cm": {"$gt": 25}}, [4], id="element-gt"),
        pytest.param({"dim_cm": {"$gt": 15, "$lt": 20}}, [1, 2, 3, 5], id="compound-any-elements"),
        pytest.param({"dim_cm": {"$elemMatch": {"$gt": 22, "$lt": 30}}}, [4], id="elemmatch-value"),
        pytest.param({"dim_cm.1": {"$gt": 25}}, [4], id="index"),
        pytest.param({"tags": {"$size": 3}}, [3], id="size"),
        pytest.param({"tags": {"$all": []}}, [], id="all-empty"),
        pytest.param({"tags": {"$all": [{"$elemMatch": {"$eq": "blue"}}]}}, [5], id="all-elemmatch"),
    ],
)
def test_inventory(spec, expected):
    assert ids(spec, INVENTORY) == expected


@pytest.mark.parametrize(
    "spec,expected",
    [
        pytest.param({"instock": {"warehouse": "A", "qty": 5}}, [1], id="element-equality"),
        pytest.param({"instock": {"qty": 5, "warehouse": "A"}}, [], id="element-equality-field-order"),
        pytest.param({"instock.0.qty": {"$lte": 20}}, [1, 2, 5], id="index-field"),
        pytest.param({"instock.qty": {"$lte": 20}}, [1, 2, 3, 4, 5], id="any-element-field"),
        pytest.param({"instock": {"$elemMatch": {"qty": 5, "warehouse": "A"}}}, [1], id="elemmatch-doc"),
        pytest.param(
            {"instock": {"$elemMatch": {"qty": {"$gt": 10, "$lte": 20}}}}, [1, 3, 5], id="elemmatch-range"
        ),
        pytest.param({"instock.qty": {"$gt": 10, "$lte": 20}}, [1, 3, 4, 5], id="no-elemmatch-range"),
        pytest.param({"instock.qty": 5, "instock.warehouse": "A"}, [1, 4], id="two-fields-any-elements"),
        pytest.param(
            {"instock": {"$elemMatch": {"$or": [{"qty": 60}, {"warehouse": "C", "qty": 35}]}}},
            [3, 5],
            id="elemmatch-or",
        ),
    ],
)
def test_array_of_documents(spec, expected):
    assert ids(spec, STOCK) == expected


def test_size_does_not_traverse_and_nested_arrays():
    docs = [{"_id": 1, "a": [[1, 2]]}, {"_id": 2, "a": [1, 2]}, {"_id": 3, "a": {"b": [1, 2]}}]
    assert ids({"a": {"$size": 2}}, docs) == [2]
    assert ids({"a": {"$size": 1}}, docs) == [1]
    assert ids({"a.b": {"$size": 2}}, docs) == [3]
    assert ids({"a": 1}, docs) == [2]
    assert ids({"a": [1, 2]}, docs) == [1, 2]


def test_elemmatch_value_does_not_traverse_nested_arrays():
    docs = [{"_id": 1, "a": [[6]]}, {"_id": 2, "a": [6]}, {"_id": 3, "a": 6}]
    assert ids({"a": {"$elemMatch": {"$gt": 5}}}, docs) == [2]


def test_all_with_nested_array_and_regex():
    import re

    docs = [{"_id": 1, "a": [[1, 2], 3]}, {"_id": 2, "a": ["apple", "banana"]}]
    assert ids({"a": {"$all": [[1, 2]]}}, docs) == [1]
    assert ids({"a": {"$all": [re.compile("^ap"), "banana"]}}, docs) == [2]
