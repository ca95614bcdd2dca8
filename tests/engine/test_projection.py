"""Find projections: inclusion/exclusion, _id, nested paths through arrays, $slice, $elemMatch, positional."""

import pytest

from docdb.engine.projection import compile_projection
from docdb.errors import MongoError

DOC = {
    "_id": 1,
    "item": "journal",
    "status": "A",
    "size": {"h": 14, "w": 21, "uom": "cm"},
    "instock": [{"warehouse": "A", "qty": 5}, {"warehouse": "C", "qty": 15}, 7],
}


@pytest.mark.parametrize(
    "spec,expected",
    [
        pytest.param(
            {"status": 1, "item": 1}, {"_id": 1, "item": "journal", "status": "A"}, id="include-doc-order"
        ),
        pytest.param({"item": 1, "_id": 0}, {"item": "journal"}, id="include-without-id"),
        pytest.param({"_id": 1}, {"_id": 1}, id="only-id"),
        pytest.param({"status": 0, "instock": 0, "size": 0}, {"_id": 1, "item": "journal"}, id="exclude"),
        pytest.param({"size.uom": 1}, {"_id": 1, "size": {"uom": "cm"}}, id="include-nested"),
        pytest.param(
            {"size": {"uom": 1}}, {"_id": 1, "size": {"uom": "cm"}}, id="include-nested-object-form"
        ),
        pytest.param(
            {"size.uom": 0, "instock": 0, "item": 0, "status": 0},
            {"_id": 1, "size": {"h": 14, "w": 21}},
            id="exclude-nested",
        ),
        pytest.param(
            {"instock.qty": 1, "_id": 0}, {"instock": [{"qty": 5}, {"qty": 15}]}, id="include-through-array"
        ),
        pytest.param(
            {"instock.qty": 0, "size": 0, "_id": 0, "item": 0, "status": 0},
            {"instock": [{"warehouse": "A"}, {"warehouse": "C"}, 7]},
            id="exclude-through-array",
        ),
        pytest.param(
            {"instock": {"$slice": -1}, "size": 0, "item": 0, "status": 0},
            {"_id": 1, "instock": [7]},
            id="slice-last-in-exclusion",
        ),
        pytest.param(
            {"item": 1, "instock": {"$slice": [1, 1]}},
            {"_id": 1, "item": "journal", "instock": [{"warehouse": "C", "qty": 15}]},
            id="slice-skip-limit",
        ),
        pytest.param(
            {"instock": {"$elemMatch": {"qty": {"$gt": 10}}}, "_id": 0},
            {"instock": [{"warehouse": "C", "qty": 15}]},
            id="elemmatch",
        ),
        pytest.param(
            {"instock": {"$elemMatch": {"qty": 99}}, "item": 1},
            {"_id": 1, "item": "journal"},
            id="elemmatch-no-match-omits",
        ),
        pytest.param({"item": 1, "tag": "new", "_id": 0}, {"item": "journal", "tag": "new"}, id="literal"),
        pytest.param({"x": {"$literal": 1}, "_id": 0}, {"x": 1}, id="literal-operator"),
        pytest.param({"missing.x": 1}, {"_id": 1}, id="missing-path"),
    ],
)
def test_projection(spec, expected):
    assert compile_projection(spec)(DOC) == expected


def test_empty_projection_is_none():
    assert compile_projection(None) is None
    assert compile_projection({}) is None


def test_positional_projection():
    doc = {"_id": 1, "grades": [70, 87, 90], "name": "x"}
    project = compile_projection({"grades.$": 1}, query={"grades": {"$gte": 85}})
    assert project(doc) == {"_id": 1, "grades": [87]}


@pytest.mark.parametrize(
    "spec,code,message",
    [
        ({"a": 1, "b": 0}, 31254, "Cannot do exclusion on field b in inclusion projection"),
        ({"a": 0, "b": 1}, 31253, "Cannot do inclusion on field b in exclusion projection"),
        ({"a": 1, "a.b": 1}, 31249, "Path collision at a.b remaining portion b"),
        ({"a.b": 1, "a": 1}, 31250, "Path collision at a"),
        ({"a.$": 1, "b.$": 1}, 31276, "Cannot specify more than one positional projection per query."),
        ({"a": {}}, 51270, "An empty sub-projection is not a valid value. Found empty object at path a"),
        ({"a.b": {"$elemMatch": {"x": 1}}}, 2, "Cannot use $elemMatch projection on a nested field."),
    ],
)
def test_projection_errors(spec, code, message):
    with pytest.raises(MongoError) as exc:
        compile_projection(spec)
    assert (exc.value.code, exc.value.errmsg) == (code, message)
