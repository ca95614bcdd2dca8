"""find projections through PyMongo: inclusion/exclusion, nested paths, $slice, $elemMatch, positional,
expressions (with let), computed fields under missing parents, and the errors."""

from __future__ import annotations

import pytest
from pymongo.errors import OperationFailure

INVENTORY = {
    "_id": 1,
    "item": "journal",
    "status": "A",
    "size": {"h": 14, "w": 21, "uom": "cm"},
    "instock": [{"warehouse": "A", "qty": 5}, {"warehouse": "C", "qty": 15}],
}


@pytest.mark.parametrize(
    "projection,expected",
    [
        pytest.param({"item": 1, "status": 1}, {"_id": 1, "item": "journal", "status": "A"}, id="include"),
        pytest.param({"item": 1, "_id": 0}, {"item": "journal"}, id="include-no-id"),
        pytest.param(
            {"status": 0, "instock": 0},
            {"_id": 1, "item": "journal", "size": {"h": 14, "w": 21, "uom": "cm"}},
            id="exclude",
        ),
        pytest.param({"size.uom": 1}, {"_id": 1, "size": {"uom": "cm"}}, id="nested-include"),
        pytest.param({"size": {"uom": 1}}, {"_id": 1, "size": {"uom": "cm"}}, id="nested-object-form"),
        pytest.param(
            {"size.uom": 0, "instock": 0, "item": 0},
            {"_id": 1, "status": "A", "size": {"h": 14, "w": 21}},
            id="nested-exclude",
        ),
        pytest.param(
            {"instock.qty": 1}, {"_id": 1, "instock": [{"qty": 5}, {"qty": 15}]}, id="through-array"
        ),
        pytest.param(
            {"instock": {"$slice": -1}, "item": 1},
            {"_id": 1, "item": "journal", "instock": [{"warehouse": "C", "qty": 15}]},
            id="slice-last",
        ),
        pytest.param(
            {"instock": {"$elemMatch": {"qty": {"$gt": 10}}}},
            {"_id": 1, "instock": [{"warehouse": "C", "qty": 15}]},
            id="elemmatch",
        ),
        pytest.param(
            {"item": 1, "area": {"$multiply": ["$size.h", "$size.w"]}},
            {"_id": 1, "item": "journal", "area": 294},
            id="expression",
        ),
        pytest.param(
            {"label.text": {"$toUpper": "$item"}, "_id": 0},
            {"label": {"text": "JOURNAL"}},
            id="computed-under-missing-parent",
        ),
        pytest.param(
            {"status.code": {"$literal": 1}, "_id": 0},
            {"status": {"code": 1}},
            id="computed-under-scalar-parent",
        ),
        pytest.param(
            {"instock.w": "$item", "_id": 0},
            {"instock": [{"w": "journal"}, {"w": "journal"}]},
            id="computed-in-array-elements",
        ),
        pytest.param({"flag": {"$literal": 0}, "_id": 0}, {"flag": 0}, id="literal-zero"),
    ],
)
def test_manual_projections(db, projection, expected):
    db.c.insert_one(INVENTORY)
    assert db.c.find_one({}, projection) == expected


def test_slice_skip_limit(db):
    db.c.insert_one({"_id": 1, "a": [1, 2, 3, 4, 5]})
    assert db.c.find_one({}, {"a": {"$slice": [1, 2]}}) == {"_id": 1, "a": [2, 3]}
    assert db.c.find_one({}, {"a": {"$slice": [-2, 5]}}) == {"_id": 1, "a": [4, 5]}
    assert db.c.find_one({}, {"a": {"$slice": 2}, "b": 0}) == {"_id": 1, "a": [1, 2]}


def test_positional_projection(db):
    db.c.insert_many(
        [
            {"_id": 1, "semester": 1, "grades": [70, 87, 90]},
            {"_id": 2, "semester": 1, "grades": [90, 88, 92]},
            {"_id": 3, "semester": 1, "grades": [85, 100, 90]},
        ]
    )
    found = list(db.c.find({"semester": 1, "grades": {"$gte": 85}}, {"grades.$": 1}))
    assert found == [{"_id": 1, "grades": [87]}, {"_id": 2, "grades": [90]}, {"_id": 3, "grades": [85]}]


def test_projection_sees_let(db):
    db.c.insert_one({"_id": 1, "n": 2})
    found = list(db.c.find({}, {"n": {"$add": ["$n", "$$bonus"]}}, let={"bonus": 40}))
    assert found == [{"_id": 1, "n": 42}]


@pytest.mark.parametrize(
    "projection,code,message",
    [
        pytest.param(
            {"a": 1, "b": 0}, 31254, "Cannot do exclusion on field b in inclusion projection", id="mixed"
        ),
        pytest.param(
            {"a": 0, "b": 1}, 31253, "Cannot do inclusion on field b in exclusion projection", id="mixed-2"
        ),
        pytest.param({"a": 1, "a.b": 1}, 31249, "Path collision at a.b remaining portion b", id="collision"),
        pytest.param(
            {"a": {}},
            51270,
            "An empty sub-projection is not a valid value. Found empty object at path a",
            id="empty",
        ),
        pytest.param(
            {"a.$": 1, "b.$": 1},
            31276,
            "Cannot specify more than one positional projection per query.",
            id="positional-twice",
        ),
        pytest.param({"a": "$$nope"}, 17276, "Use of undefined variable: nope", id="undefined-variable"),
    ],
)
def test_errors(db, projection, code, message):
    db.c.insert_one({"_id": 1, "a": [1]})
    with pytest.raises(OperationFailure) as exc:
        list(db.c.find({"a": 1}, projection))
    assert (exc.value.code, exc.value.details["errmsg"]) == (code, message)
