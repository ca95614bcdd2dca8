"""Evaluation, element and logical operators through PyMongo: $regex, $mod, $expr (with let), $type,
$exists, $and/$or/$nor/$not, and the refused $text/geo operators."""

from __future__ import annotations

import pytest
from bson.int64 import Int64
from bson.regex import Regex
from pymongo.errors import OperationFailure

PRODUCTS = [
    {"_id": 100, "sku": "abc123", "description": "Single line description."},
    {"_id": 101, "sku": "abc789", "description": "First line\nSecond line"},
    {"_id": 102, "sku": "xyz456", "description": "Many spaces before     line"},
    {"_id": 103, "sku": "xyz789", "description": "Multiple\nline description"},
]


def ids(coll, spec, **kwargs) -> list:
    return [doc["_id"] for doc in coll.find(spec, **kwargs).sort("_id", 1)]


@pytest.mark.parametrize(
    "spec,expected",
    [
        pytest.param({"sku": {"$regex": "789$"}}, [101, 103], id="regex-string"),
        pytest.param({"sku": Regex("789$")}, [101, 103], id="regex-literal"),
        pytest.param({"sku": {"$regex": "^ABC", "$options": "i"}}, [100, 101], id="option-i"),
        pytest.param({"description": {"$regex": "^S", "$options": "m"}}, [100, 101], id="option-m"),
        pytest.param({"description": {"$regex": "^S"}}, [100], id="no-m"),
        pytest.param({"description": {"$regex": "m.*line", "$options": "si"}}, [102, 103], id="option-s"),
        pytest.param(
            {"sku": {"$regex": "abc #category code\n123 #item number", "$options": "x"}}, [100], id="option-x"
        ),
        pytest.param({"sku": {"$in": [Regex("^abc"), "xyz456"]}}, [100, 101, 102], id="in-regex"),
        pytest.param({"sku": {"$not": Regex("^abc")}}, [102, 103], id="not-regex"),
        pytest.param({"sku": {"$nin": [Regex("9$")]}}, [100, 102], id="nin-regex"),
    ],
)
def test_regex_manual(db, spec, expected):
    db.c.insert_many(PRODUCTS)
    assert ids(db.c, spec) == expected


@pytest.mark.parametrize(
    "spec,expected",
    [
        pytest.param({"qty": {"$mod": [4, 0]}}, [1, 3], id="mod"),
        pytest.param({"qty": {"$mod": [4.5, 0]}}, [1, 3], id="mod-truncates-divisor"),
        pytest.param({"qty": {"$mod": [-4, 1]}}, [2], id="mod-negative-divisor"),
        pytest.param({"qty": {"$mod": [4, -1]}}, [4], id="mod-negative-dividend"),
    ],
)
def test_mod(db, spec, expected):
    db.c.insert_many(
        [{"_id": 1, "qty": 0}, {"_id": 2, "qty": 5}, {"_id": 3, "qty": 12}, {"_id": 4, "qty": -5.5}]
    )
    assert ids(db.c, spec) == expected


BUDGET = [
    {"_id": 1, "category": "food", "budget": 400, "spent": 450},
    {"_id": 2, "category": "drinks", "budget": 100, "spent": 150},
    {"_id": 3, "category": "clothes", "budget": 100, "spent": 50},
    {"_id": 4, "category": "misc", "budget": 500, "spent": 300},
    {"_id": 5, "category": "travel", "budget": 200, "spent": 650},
]


def test_expr_compares_fields(db):
    db.c.insert_many(BUDGET)
    assert ids(db.c, {"$expr": {"$gt": ["$spent", "$budget"]}}) == [1, 2, 5]


def test_expr_with_let(db):
    db.c.insert_many([{"_id": 1, "flavor": "chocolate"}, {"_id": 2, "flavor": "strawberry"}])
    spec = {"$expr": {"$eq": ["$flavor", "$$targetFlavor"]}}
    assert list(db.c.find(spec, let={"targetFlavor": "chocolate"})) == [{"_id": 1, "flavor": "chocolate"}]
    let = {"base": 100, "limit": {"$multiply": ["$$base", 3]}}
    nested = {"$or": [{"$expr": {"$gt": ["$spent", "$$limit"]}}, {"category": "misc"}]}
    db.b.insert_many(BUDGET)
    assert ids(db.b, nested, let=let) == [1, 4, 5]


@pytest.mark.parametrize(
    "spec,let,code,code_name,message",
    [
        pytest.param(
            {"$expr": {"$eq": ["$a", "$$x"]}},
            None,
            17276,
            "Location17276",
            "Use of undefined variable: x",
            id="undefined-variable",
        ),
        pytest.param(
            {},
            {"x": "$a"},
            31474,
            "Location31474",
            'Command let Expression does not evaluate to constant x: "$a"',
            id="let-not-constant",
        ),
        pytest.param(
            {},
            {"Bad": 1},
            16870,
            "Location16870",
            "'Bad' starts with an invalid character for a user variable name",
            id="let-bad-name",
        ),
        pytest.param(
            {"a": {"$expr": 1}},
            None,
            2,
            "BadValue",
            "unknown operator: $expr",
            id="expr-under-field",
        ),
        pytest.param(
            {"a": {"$elemMatch": {"$expr": {"$eq": [1, 1]}}}},
            None,
            2,
            "BadValue",
            "$expr can only be applied to the top-level document",
            id="expr-in-elemmatch",
        ),
    ],
)
def test_expr_errors(db, spec, let, code, code_name, message):
    with pytest.raises(OperationFailure) as exc:
        list(db.c.find(spec, let=let))
    assert (exc.value.code, exc.value.details["codeName"], exc.value.details["errmsg"]) == (
        code,
        code_name,
        message,
    )


ADDRESSES = [
    {"_id": 1, "zipCode": "90698345"},
    {"_id": 2, "zipCode": 43339374.0},
    {"_id": 3, "zipCode": Int64(3921412)},
    {"_id": 4, "zipCode": 88602117},
    {"_id": 5, "zipCode": ["834847278", "1893289032"]},
    {"_id": 6, "zipCode": None},
    {"_id": 7},
]


@pytest.mark.parametrize(
    "spec,expected",
    [
        pytest.param({"zipCode": {"$type": 2}}, [1, 5], id="type-code"),
        pytest.param({"zipCode": {"$type": "string"}}, [1, 5], id="type-alias"),
        pytest.param({"zipCode": {"$type": "double"}}, [2], id="type-double"),
        pytest.param({"zipCode": {"$type": "number"}}, [2, 3, 4], id="type-number"),
        pytest.param({"zipCode": {"$type": ["long", "int"]}}, [3, 4], id="type-list"),
        pytest.param({"zipCode": {"$type": "array"}}, [5], id="type-array"),
        pytest.param({"zipCode": {"$exists": True}}, [1, 2, 3, 4, 5, 6], id="exists"),
        pytest.param({"zipCode": {"$exists": 0}}, [7], id="exists-zero"),
    ],
)
def test_element_manual(db, spec, expected):
    db.c.insert_many(ADDRESSES)
    assert ids(db.c, spec) == expected


@pytest.mark.parametrize(
    "spec,expected",
    [
        pytest.param({"$and": [{"price": {"$ne": 1.99}}, {"price": {"$exists": True}}]}, [1, 3], id="and"),
        pytest.param({"$or": [{"qty": {"$lt": 20}}, {"price": 10}]}, [1, 3], id="or"),
        pytest.param({"$nor": [{"price": 1.99}, {"sale": True}]}, [3, 4], id="nor"),
        pytest.param({"price": {"$not": {"$gt": 1.99}}}, [1, 2, 4], id="not"),
        pytest.param({"$and": [{"$or": [{"qty": 5}, {"qty": 40}]}, {"sale": False}]}, [4], id="nested"),
    ],
)
def test_logical_manual(db, spec, expected):
    db.c.insert_many(
        [
            {"_id": 1, "price": 1.5, "qty": 5, "sale": True},
            {"_id": 2, "price": 1.99, "qty": 20, "sale": True},
            {"_id": 3, "price": 10, "qty": 30},
            {"_id": 4, "qty": 40, "sale": False},
        ]
    )
    assert ids(db.c, spec) == expected


@pytest.mark.parametrize(
    "spec,code,code_name",
    [
        pytest.param({"$text": {"$search": "x"}}, 27, "IndexNotFound", id="text"),
        pytest.param({"loc": {"$near": [0, 0]}}, 291, "NoQueryExecutionPlans", id="near"),
        pytest.param({"$and": []}, 2, "BadValue", id="empty-and"),
        pytest.param({"a": {"$not": {}}}, 2, "BadValue", id="empty-not"),
        pytest.param({"a": {"$mod": [0, 1]}}, 2, "BadValue", id="mod-zero"),
        pytest.param({"a": {"$type": "nope"}}, 2, "BadValue", id="type-alias-unknown"),
    ],
)
def test_refused(db, spec, code, code_name):
    db.c.insert_one({"_id": 1})
    with pytest.raises(OperationFailure) as exc:
        list(db.c.find(spec))
    assert (exc.value.code, exc.value.details["codeName"]) == (code, code_name)
