"""``$jsonSchema`` in find filters through PyMongo: keywords, type-scoped restrictions, refusals."""

from __future__ import annotations

import pytest
from bson.int64 import Int64
from pymongo.errors import OperationFailure

STUDENTS = [
    {"_id": 1, "name": "Alice", "year": 2019, "major": "History", "gpa": 3.0, "address": {"city": "NYC"}},
    {"_id": 2, "name": "Bob", "year": 2021, "major": "Math", "gpa": Int64(3)},
    {"_id": 3, "name": "Carol", "year": 2017, "major": "Art", "gpa": "A"},
    {"_id": 4, "name": 7, "year": 2020, "major": "History", "gpa": 4.0, "tags": ["a", "a"]},
    {"_id": 5, "year": 2022, "major": "Math", "address": {"city": "LA", "zip": "90001"}},
]


def ids(coll, schema) -> list:
    return [doc["_id"] for doc in coll.find({"$jsonSchema": schema}).sort("_id", 1)]


@pytest.mark.parametrize(
    "schema,expected",
    [
        pytest.param({"required": ["name", "address"]}, [1], id="required"),
        pytest.param({"properties": {"name": {"bsonType": "string"}}}, [1, 2, 3, 5], id="absent-passes"),
        pytest.param({"properties": {"gpa": {"bsonType": ["double"]}}}, [1, 4, 5], id="bsontype-list"),
        pytest.param({"properties": {"gpa": {"bsonType": "number"}}}, [1, 2, 4, 5], id="bsontype-number"),
        pytest.param({"properties": {"gpa": {"type": "number"}}}, [1, 2, 4, 5], id="json-type"),
        pytest.param({"properties": {"year": {"minimum": 2017, "maximum": 2020}}}, [1, 3, 4], id="min-max"),
        pytest.param(
            {"properties": {"year": {"minimum": 2019, "exclusiveMinimum": True}}}, [2, 4, 5], id="exclusive"
        ),
        pytest.param({"properties": {"gpa": {"minimum": 3.5}}}, [3, 4, 5], id="minimum-ignores-strings"),
        pytest.param({"properties": {"major": {"enum": ["Math", "Art"]}}}, [2, 3, 5], id="enum"),
        pytest.param({"properties": {"name": {"pattern": "^[AB]"}}}, [1, 2, 4, 5], id="pattern"),
        pytest.param({"properties": {"name": {"minLength": 4}}}, [1, 3, 4, 5], id="min-length"),
        pytest.param({"properties": {"year": {"multipleOf": 2}}}, [4, 5], id="multiple-of"),
        pytest.param({"properties": {"tags": {"uniqueItems": True}}}, [1, 2, 3, 5], id="unique-items"),
        pytest.param({"properties": {"tags": {"maxItems": 1}}}, [1, 2, 3, 5], id="max-items"),
        pytest.param(
            {"properties": {"address": {"properties": {"city": {"enum": ["LA"]}}, "required": ["zip"]}}},
            [2, 3, 4, 5],
            id="nested",
        ),
        pytest.param(
            {"properties": {"address": {"additionalProperties": False, "properties": {"city": {}}}}},
            [1, 2, 3, 4],
            id="additional-properties",
        ),
        pytest.param({"minProperties": 6}, [1, 4], id="min-properties"),
        pytest.param({"anyOf": [{"required": ["tags"]}, {"required": ["address"]}]}, [1, 4, 5], id="anyof"),
        pytest.param({"oneOf": [{"required": ["gpa"]}, {"required": ["address"]}]}, [2, 3, 4, 5], id="oneof"),
        pytest.param({"not": {"required": ["gpa"]}}, [5], id="not"),
        pytest.param({"dependencies": {"address": ["gpa"]}}, [1, 2, 3, 4], id="dependencies"),
        pytest.param({"bsonType": "array"}, [], id="top-level-type"),
        pytest.param({"properties": {"major": {"enum": [{"b": 1, "a": 2}]}}}, [], id="enum-document"),
    ],
)
def test_keywords(db, schema, expected):
    db.c.insert_many(STUDENTS)
    assert ids(db.c, schema) == expected


def test_enum_ignores_field_order(db):
    db.c.insert_many([{"_id": 1, "p": {"a": 1, "b": 2}}, {"_id": 2, "p": {"a": 2}}])
    assert ids(db.c, {"properties": {"p": {"enum": [{"b": 2, "a": 1}]}}}) == [1]


def test_combined_with_other_conditions(db):
    db.c.insert_many(STUDENTS)
    spec = {"$jsonSchema": {"required": ["gpa"]}, "major": "History"}
    assert [d["_id"] for d in db.c.find(spec)] == [1, 4]


@pytest.mark.parametrize(
    "schema,code,code_name,message",
    [
        pytest.param(1, 14, "TypeMismatch", "$jsonSchema must be an object", id="not-object"),
        pytest.param(
            {"format": "date"},
            9,
            "FailedToParse",
            "$jsonSchema keyword 'format' is not currently supported",
            id="unsupported",
        ),
        pytest.param({"foo": 1}, 9, "FailedToParse", "Unknown $jsonSchema keyword: foo", id="unknown"),
        pytest.param(
            {"type": "object", "bsonType": "object"},
            9,
            "FailedToParse",
            "Cannot specify both $jsonSchema keywords 'type' and 'bsonType'",
            id="type-and-bsontype",
        ),
        pytest.param(
            {"required": []},
            9,
            "FailedToParse",
            "$jsonSchema keyword 'required' cannot be an empty array",
            id="required",
        ),
        pytest.param(
            {"minimum": "1"},
            14,
            "TypeMismatch",
            "$jsonSchema keyword 'minimum' must be a number",
            id="minimum",
        ),
        pytest.param(
            {"properties": {"a": 1}},
            14,
            "TypeMismatch",
            "Nested schema for $jsonSchema property 'a' must be an object",
            id="nested-not-object",
        ),
    ],
)
def test_errors(db, schema, code, code_name, message):
    with pytest.raises(OperationFailure) as exc:
        list(db.c.find({"$jsonSchema": schema}))
    assert (exc.value.code, exc.value.details["codeName"], exc.value.details["errmsg"]) == (
        code,
        code_name,
        message,
    )
