"""Collection validators through PyMongo: levels, actions, bypass, and mongod 7.0's exact errInfo."""

from __future__ import annotations

import pytest
from pymongo.errors import BulkWriteError, OperationFailure, WriteError

from tests.serverproc import ServerProcess

STUDENTS = {
    "$jsonSchema": {
        "bsonType": "object",
        "required": ["name", "year", "major", "address"],
        "properties": {
            "name": {"bsonType": "string", "description": "must be a string and is required"},
            "year": {"bsonType": "int", "minimum": 2017, "maximum": 3017},
            "major": {
                "enum": ["Math", "English", "Computer Science", "History", None],
                "description": "can only be one of the enum values and is required",
            },
            "address": {
                "bsonType": "object",
                "required": ["city"],
                "properties": {
                    "street": {"bsonType": "string", "description": "must be a string if the field exists"},
                    "city": {"bsonType": "string"},
                },
            },
        },
    }
}


def _write_error(exc: pytest.ExceptionInfo) -> dict:
    return exc.value.details


def test_students_schema_error_is_mongods(db):
    db.create_collection("s", validator=STUDENTS)
    with pytest.raises(WriteError) as exc:
        db.s.insert_one(
            {"_id": 1, "year": 2020, "major": "Software Engineering", "address": {"city": "NYC", "street": 5}}
        )
    assert _write_error(exc) == {
        "index": 0,
        "code": 121,
        "errInfo": {
            "failingDocumentId": 1,
            "details": {
                "operatorName": "$jsonSchema",
                "schemaRulesNotSatisfied": [
                    {
                        "operatorName": "properties",
                        "propertiesNotSatisfied": [
                            {
                                "propertyName": "major",
                                "description": "can only be one of the enum values and is required",
                                "details": [
                                    {
                                        "operatorName": "enum",
                                        "specifiedAs": {
                                            "enum": ["Math", "English", "Computer Science", "History", None]
                                        },
                                        "reason": "value was not found in enum",
                                        "consideredValue": "Software Engineering",
                                    }
                                ],
                            },
                            {
                                "propertyName": "address",
                                "details": [
                                    {
                                        "operatorName": "properties",
                                        "propertiesNotSatisfied": [
                                            {
                                                "propertyName": "street",
                                                "description": "must be a string if the field exists",
                                                "details": [
                                                    {
                                                        "operatorName": "bsonType",
                                                        "specifiedAs": {"bsonType": "string"},
                                                        "reason": "type did not match",
                                                        "consideredValue": 5,
                                                        "consideredType": "int",
                                                    }
                                                ],
                                            }
                                        ],
                                    }
                                ],
                            },
                        ],
                    },
                    {
                        "operatorName": "required",
                        "specifiedAs": {"required": ["name", "year", "major", "address"]},
                        "missingProperties": ["name"],
                    },
                ],
            },
        },
        "errmsg": "Document failed validation",
    }
    assert db.s.count_documents({}) == 0


def test_schema_keywords_minimum_pattern_type_additional_properties(db):
    schema = {
        "title": "people",
        "additionalProperties": False,
        "properties": {
            "_id": {},
            "age": {"bsonType": "int", "minimum": 18},
            "code": {"type": "string", "pattern": "^[A-Z]{3}$", "maxLength": 3},
            "tags": {"bsonType": "array", "items": {"bsonType": "string"}, "minItems": 2},
            "kind": {"type": "string"},
        },
    }
    db.create_collection("p", validator={"$jsonSchema": schema})
    with pytest.raises(WriteError) as exc:
        db.p.insert_one({"_id": 7, "age": 12, "code": "abc", "tags": ["x", 3], "kind": 4.5, "extra": True})
    assert _write_error(exc)["errInfo"] == {
        "failingDocumentId": 7,
        "details": {
            "operatorName": "$jsonSchema",
            "title": "people",
            "schemaRulesNotSatisfied": [
                {
                    "operatorName": "properties",
                    "propertiesNotSatisfied": [
                        {
                            "propertyName": "age",
                            "details": [
                                {
                                    "operatorName": "minimum",
                                    "specifiedAs": {"minimum": 18},
                                    "reason": "comparison failed",
                                    "consideredValue": 12,
                                }
                            ],
                        },
                        {
                            "propertyName": "code",
                            "details": [
                                {
                                    "operatorName": "pattern",
                                    "specifiedAs": {"pattern": "^[A-Z]{3}$"},
                                    "reason": "regular expression did not match",
                                    "consideredValue": "abc",
                                }
                            ],
                        },
                        {
                            "propertyName": "tags",
                            "details": [
                                {
                                    "operatorName": "items",
                                    "reason": "At least one item did not match the sub-schema",
                                    "itemIndex": 1,
                                    "details": [
                                        {
                                            "operatorName": "bsonType",
                                            "specifiedAs": {"bsonType": "string"},
                                            "reason": "type did not match",
                                            "consideredValue": 3,
                                            "consideredType": "int",
                                        }
                                    ],
                                }
                            ],
                        },
                        {
                            "propertyName": "kind",
                            "details": [
                                {
                                    "operatorName": "type",
                                    "specifiedAs": {"type": "string"},
                                    "reason": "type did not match",
                                    "consideredValue": 4.5,
                                    "consideredType": "double",
                                }
                            ],
                        },
                    ],
                },
                {
                    "operatorName": "additionalProperties",
                    "specifiedAs": {"additionalProperties": False},
                    "additionalProperties": ["extra"],
                },
            ],
        },
    }


def test_query_operator_validator_errors(db):
    db.create_collection(
        "c",
        validator={
            "$or": [
                {"phone": {"$type": "string"}},
                {"email": {"$regex": "@mongodb\\.com$"}},
                {"status": {"$in": ["Unknown", "Incomplete"]}},
            ]
        },
    )
    with pytest.raises(WriteError) as exc:
        db.c.insert_one({"_id": 2, "email": "info@mongodb.co"})
    assert _write_error(exc)["errInfo"]["details"] == {
        "operatorName": "$or",
        "clausesNotSatisfied": [
            {
                "index": 0,
                "details": {
                    "operatorName": "$type",
                    "specifiedAs": {"phone": {"$type": "string"}},
                    "reason": "field was missing",
                },
            },
            {
                "index": 1,
                "details": {
                    "operatorName": "$regex",
                    "specifiedAs": {"email": {"$regex": "@mongodb\\.com$"}},
                    "reason": "regular expression did not match",
                    "consideredValue": "info@mongodb.co",
                },
            },
            {
                "index": 2,
                "details": {
                    "operatorName": "$in",
                    "specifiedAs": {"status": {"$in": ["Unknown", "Incomplete"]}},
                    "reason": "field was missing",
                },
            },
        ],
    }


def test_implicit_and_expr_and_not(db):
    db.create_collection(
        "c",
        validator={"a": {"$gt": 5, "$ne": 9}, "$expr": {"$lt": ["$a", "$b"]}, "c": {"$not": {"$gt": 1}}},
    )
    with pytest.raises(WriteError) as exc:
        db.c.insert_one({"_id": 1, "a": 3, "b": 1, "c": 4})
    assert _write_error(exc)["errInfo"]["details"] == {
        "operatorName": "$and",
        "clausesNotSatisfied": [
            {
                "index": 0,
                "details": {
                    "operatorName": "$gt",
                    "specifiedAs": {"a": {"$gt": 5}},
                    "reason": "comparison failed",
                    "consideredValue": 3,
                },
            },
            {
                "index": 2,
                "details": {
                    "operatorName": "$expr",
                    "specifiedAs": {"$expr": {"$lt": ["$a", "$b"]}},
                    "reason": "expression did not match",
                    "expressionResult": False,
                },
            },
            {
                "index": 3,
                "details": {
                    "operatorName": "$not",
                    "details": {
                        "operatorName": "$gt",
                        "specifiedAs": {"c": {"$gt": 1}},
                        "reason": "comparison succeeded",
                        "consideredValue": 4,
                    },
                },
            },
        ],
    }
    with pytest.raises(WriteError) as exc:
        db.c.insert_one({"_id": 2, "a": 9, "b": 10, "c": 0})
    assert _write_error(exc)["errInfo"]["details"] == {
        "operatorName": "$and",
        "clausesNotSatisfied": [
            {
                "index": 1,
                "details": {
                    "operatorName": "$ne",
                    "specifiedAs": {"a": {"$ne": 9}},
                    "reason": "comparison succeeded",
                    "consideredValue": 9,
                },
            }
        ],
    }


def test_update_upsert_and_find_and_modify_are_checked(db):
    db.create_collection("c", validator={"a": {"$type": "int"}})
    db.c.insert_one({"_id": 1, "a": 1})
    with pytest.raises(WriteError) as exc:
        db.c.update_one({"_id": 1}, {"$set": {"a": "x"}})
    assert _write_error(exc)["errInfo"] == {
        "failingDocumentId": 1,
        "details": {
            "operatorName": "$type",
            "specifiedAs": {"a": {"$type": "int"}},
            "reason": "type did not match",
            "consideredValue": "x",
            "consideredType": "string",
        },
    }
    with pytest.raises(WriteError) as exc:
        db.c.update_one({"_id": 5}, {"$set": {"b": 1}}, upsert=True)
    assert _write_error(exc)["errInfo"] == {
        "failingDocumentId": 5,
        "details": {
            "operatorName": "$type",
            "specifiedAs": {"a": {"$type": "int"}},
            "reason": "field was missing",
        },
    }
    with pytest.raises(OperationFailure) as exc:
        db.c.find_one_and_replace({"_id": 1}, {"a": 2.5})
    assert exc.value.code == 121
    assert exc.value.details["errInfo"]["failingDocumentId"] == 1
    assert list(db.c.find()) == [{"_id": 1, "a": 1}]
    result = db.c.update_one({"_id": 1}, {"$set": {"a": "ok"}}, bypass_document_validation=True)
    assert result.modified_count == 1
    assert db.c.find_one_and_update(
        {"_id": 1}, {"$set": {"a": 3.5}}, bypassDocumentValidation=True, return_document=True
    ) == {"_id": 1, "a": 3.5}


def test_unordered_insert_reports_each_failing_document(db):
    db.create_collection("c", validator={"n": {"$gte": 0}})
    with pytest.raises(BulkWriteError) as exc:
        db.c.insert_many(
            [{"_id": 1, "n": 1}, {"_id": 2, "n": -1}, {"_id": 3, "n": 2}, {"_id": 4}], ordered=False
        )
    errors = exc.value.details["writeErrors"]
    assert [(e["index"], e["code"], e["errInfo"]["failingDocumentId"]) for e in errors] == [
        (1, 121, 2),
        (3, 121, 4),
    ]
    assert errors[1]["errInfo"]["details"] == {
        "operatorName": "$gte",
        "specifiedAs": {"n": {"$gte": 0}},
        "reason": "field was missing",
    }
    assert exc.value.details["nInserted"] == 2
    db.c.insert_one({"_id": 9, "n": -5}, bypass_document_validation=True)
    assert db.c.count_documents({}) == 3


def test_moderate_level_lets_invalid_documents_change(db):
    db.c.insert_many([{"_id": 1, "n": -1}, {"_id": 2, "n": 1}])
    db.command("collMod", "c", validator={"n": {"$gte": 0}}, validationLevel="moderate")
    db.c.update_one({"_id": 1}, {"$set": {"n": -2}})  # was already invalid: allowed
    with pytest.raises(WriteError):
        db.c.update_one({"_id": 2}, {"$set": {"n": -3}})
    with pytest.raises(WriteError):
        db.c.insert_one({"_id": 3, "n": -1})
    assert list(db.c.find()) == [{"_id": 1, "n": -2}, {"_id": 2, "n": 1}]
    assert db.command("validate", "c")["nNonCompliantDocuments"] == 1


def test_level_off_and_collmod_reply_and_list_collections(db):
    db.create_collection("c", validator={"n": {"$gte": 0}}, validationLevel="off")
    db.c.insert_one({"_id": 1, "n": -1})
    assert db.command("collMod", "c", validationLevel="strict", validationAction="error") == {"ok": 1.0}
    with pytest.raises(WriteError):
        db.c.insert_one({"_id": 2, "n": -1})
    info = next(db.list_collections(filter={"name": "c"}))
    assert info["options"] == {
        "validator": {"n": {"$gte": 0}},
        "validationLevel": "strict",
        "validationAction": "error",
    }
    db.command("collMod", "c", validator={})
    db.c.insert_one({"_id": 2, "n": -1})


def test_bad_options_get_mongods_errors(db):
    with pytest.raises(OperationFailure) as exc:
        db.command("create", "c", validationLevel="bogus")
    assert (exc.value.code, str(exc.value.details["errmsg"])) == (
        2,
        "Enumeration value 'bogus' for field 'create.validationLevel' is not a valid value.",
    )
    with pytest.raises(OperationFailure) as exc:
        db.command("create", "c", validator=5)
    assert (
        exc.value.details["errmsg"]
        == "BSON field 'create.validator' is the wrong type 'int', expected type 'object'"
    )
    with pytest.raises(OperationFailure) as exc:
        db.command("create", "c", validator={"$where": "true"})
    assert (exc.value.code, exc.value.details["codeName"]) == (224, "QueryFeatureNotAllowed")
    with pytest.raises(OperationFailure) as exc:
        db.command("create", "c", validator={"a": {"$bogus": 1}})
    assert exc.value.code == 2
    assert db.list_collection_names() == []


def test_out_and_merge_targets_are_checked(db):
    db.src.insert_many([{"_id": 1, "n": 1}, {"_id": 2, "n": -1}])
    db.create_collection("dst", validator={"n": {"$gte": 0}})
    with pytest.raises(OperationFailure) as exc:
        db.src.aggregate([{"$merge": {"into": "dst"}}])
    assert exc.value.code == 121
    with pytest.raises(OperationFailure) as exc:
        db.src.aggregate([{"$out": "dst"}])
    assert exc.value.code == 121
    db.src.aggregate([{"$out": "dst"}], bypassDocumentValidation=True)
    assert db.dst.count_documents({}) == 2


def test_warn_action_writes_and_logs(tmp_path):
    with ServerProcess(tmp_path / "w.mdb") as server, server.client() as client:
        db = client.w
        db.create_collection("c", validator={"n": {"$gte": 0}}, validationAction="warn")
        db.c.insert_one({"_id": 1, "n": -1})
        assert list(db.c.find()) == [{"_id": 1, "n": -1}]
        server.stop()
    lines = [line for line in server.output if "Document would fail validation" in line]
    assert len(lines) == 1
    assert '"namespace": "w.c"' in lines[0] and '"failingDocumentId": 1' in lines[0]


def test_validator_survives_restart_and_compaction(tmp_path):
    path = tmp_path / "v.mdb"
    with ServerProcess(path) as server, server.client() as client:
        client.v.create_collection("c", validator={"n": {"$gte": 0}})
        client.v.command("collMod", "c", validationAction="error", validationLevel="moderate")
        client.v.c.insert_one({"_id": 1, "n": 1})
    with ServerProcess(path) as server, server.client() as client:
        info = next(client.v.list_collections())
        assert info["options"] == {
            "validator": {"n": {"$gte": 0}},
            "validationLevel": "moderate",
            "validationAction": "error",
        }
        with pytest.raises(WriteError):
            client.v.c.insert_one({"_id": 2, "n": -1})
        client.v.command("compact", "c")
    with ServerProcess(path) as server, server.client() as client:
        with pytest.raises(WriteError):
            client.v.c.insert_one({"_id": 2, "n": -1})
