"""Pipeline-style updates, ``let`` and ``c`` through PyMongo: the manual's examples, upserts and errors."""

from __future__ import annotations

import datetime

import pytest
from pymongo import ReturnDocument
from pymongo.errors import OperationFailure, WriteError

from docdb.errors import ErrorCode


def test_set_and_now(db):
    db.c.insert_many([{"_id": 3, "test1": 81, "test2": 88, "test3": 75}])
    before = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None) - datetime.timedelta(seconds=1)
    result = db.c.update_one({"_id": 3}, [{"$set": {"test3": 98, "modified": "$$NOW"}}])
    assert (result.matched_count, result.modified_count) == (1, 1)
    doc = db.c.find_one()
    assert doc["modified"] >= before
    assert {k: v for k, v in doc.items() if k != "modified"} == {
        "_id": 3,
        "test1": 81,
        "test2": 88,
        "test3": 98,
    }


def test_replace_root_merge_objects(db):
    db.c.insert_many([{"_id": 1, "quiz1": 8, "test2": 100, "quiz2": 9}, {"_id": 2, "quiz2": 5, "test1": 80}])
    defaults = {"quiz1": 0, "quiz2": 0, "test1": 0, "test2": 0}
    result = db.c.update_many({}, [{"$replaceRoot": {"newRoot": {"$mergeObjects": [defaults, "$$ROOT"]}}}])
    assert (result.matched_count, result.modified_count) == (2, 2)
    assert list(db.c.find()) == [
        {"_id": 1, "quiz1": 8, "quiz2": 9, "test1": 0, "test2": 100},
        {"_id": 2, "quiz1": 0, "quiz2": 5, "test1": 80, "test2": 0},
    ]


def test_computed_fields_from_array(db):
    db.c.insert_many(
        [
            {"_id": 1, "tests": [95, 92, 90]},
            {"_id": 2, "tests": [94, 88, 90]},
            {"_id": 3, "tests": [70, 75, 82]},
        ]
    )
    grade = {
        "$switch": {
            "branches": [
                {"case": {"$gte": ["$average", 90]}, "then": "A"},
                {"case": {"$gte": ["$average", 80]}, "then": "B"},
                {"case": {"$gte": ["$average", 70]}, "then": "C"},
            ],
            "default": "F",
        }
    }
    db.c.update_many(
        {}, [{"$set": {"average": {"$trunc": [{"$avg": "$tests"}, 0]}}}, {"$set": {"grade": grade}}]
    )
    assert [(d["_id"], d["average"], d["grade"]) for d in db.c.find()] == [
        (1, 92.0, "A"),
        (2, 90.0, "A"),
        (3, 75.0, "C"),
    ]


def test_unset_and_project_stages(db):
    db.c.insert_one({"_id": 1, "a": 1, "b": 2, "c": {"d": 3, "e": 4}})
    db.c.update_one({"_id": 1}, [{"$unset": ["a", "c.d"]}])
    assert db.c.find_one() == {"_id": 1, "b": 2, "c": {"e": 4}}
    db.c.update_one({"_id": 1}, [{"$project": {"c": 1}}])
    assert db.c.find_one() == {"_id": 1, "c": {"e": 4}}
    db.c.update_one({"_id": 1}, [{"$replaceWith": {"x": "$c.e"}}])
    assert db.c.find_one() == {"_id": 1, "x": 4}


def test_unchanged_document_is_not_modified(db):
    db.c.insert_one({"_id": 1, "a": 1})
    result = db.c.update_one({"_id": 1}, [{"$set": {"a": 1}}])
    assert (result.matched_count, result.modified_count) == (1, 0)


def test_let_reaches_filter_and_pipeline(db):
    db.c.insert_many([{"_id": 1, "flavor": "chocolate"}, {"_id": 3, "flavor": "cherry"}])
    result = db.c.update_one(
        {"$expr": {"$eq": ["$flavor", "$$targetFlavor"]}},
        [{"$set": {"flavor": "$$newFlavor"}}],
        let={"targetFlavor": "cherry", "newFlavor": "orange"},
    )
    assert result.modified_count == 1
    assert list(db.c.find()) == [{"_id": 1, "flavor": "chocolate"}, {"_id": 3, "flavor": "orange"}]


def test_statement_constants(db):
    db.c.insert_one({"_id": 1})
    reply = db.command(
        "update",
        "c",
        updates=[{"q": {"_id": 1}, "u": [{"$set": {"v": "$$k", "w": "$$x"}}], "c": {"k": 7}}],
        let={"x": "let"},
    )
    assert reply == {"n": 1, "nModified": 1, "ok": 1.0}
    assert db.c.find_one() == {"_id": 1, "v": 7, "w": "let"}


def test_upsert_with_pipeline_seeds_only_id(db):
    result = db.c.update_one({"_id": 7, "a": 1}, [{"$set": {"b": 2}}], upsert=True)
    assert result.upserted_id == 7
    assert db.c.find_one() == {"_id": 7, "b": 2}
    result = db.c.update_one({"a": 5}, [{"$set": {"b": 3}}], upsert=True)
    assert db.c.find_one({"_id": result.upserted_id}) == {"_id": result.upserted_id, "b": 3}


def test_upsert_with_replacement_seeds_id(db):
    result = db.c.replace_one({"_id": 4, "a": 1}, {"z": 1}, upsert=True)
    assert result.upserted_id == 4
    assert db.c.find_one() == {"_id": 4, "z": 1}


def test_find_one_and_update_pipeline(db):
    db.c.insert_one({"_id": 1, "n": 2})
    doc = db.c.find_one_and_update(
        {"_id": 1},
        [{"$set": {"n": {"$multiply": ["$n", "$$f"]}}}],
        let={"f": 5},
        return_document=ReturnDocument.AFTER,
    )
    assert doc == {"_id": 1, "n": 10}


@pytest.mark.parametrize(
    "update,extra,code,code_name,message",
    [
        pytest.param(
            [{"$match": {"a": 1}}],
            {},
            72,
            "InvalidOptions",
            "$match is not allowed to be used within an update",
            id="match-stage",
        ),
        pytest.param(
            [{"$group": {"_id": "$a"}}],
            {},
            72,
            "InvalidOptions",
            "$group is not allowed to be used within an update",
            id="group-stage",
        ),
        pytest.param(
            [{"$bogus": {}}],
            {},
            40324,
            "Location40324",
            "Unrecognized pipeline stage name: '$bogus'",
            id="unknown",
        ),
        pytest.param(
            [{"$set": {"_id": 2}}],
            {},
            66,
            "ImmutableField",
            "After applying the update, the (immutable) field '_id' was found to have been altered to _id: 2",
            id="id-changed",
        ),
        pytest.param(
            [{"$set": {"a": 1}}],
            {"arrayFilters": [{"x": 1}]},
            9,
            "FailedToParse",
            "arrayFilters may not be specified for pipeline-style updates",
            id="array-filters",
        ),
        pytest.param(
            {"$set": {"a": 1}},
            {"c": {"k": 1}},
            51198,
            "Location51198",
            "Constant values may only be specified for pipeline updates",
            id="constants-classic",
        ),
        pytest.param(
            [{"$set": {"a": "$$nope"}}],
            {},
            17276,
            "Location17276",
            "Use of undefined variable: nope",
            id="undefined-variable",
        ),
    ],
)
def test_errors(db, update, extra, code, code_name, message):
    db.c.insert_one({"_id": 1, "a": 0})
    reply = db.command("update", "c", updates=[{"q": {"_id": 1}, "u": update, **extra}])
    assert reply["writeErrors"] == [{"index": 0, "code": code, "errmsg": message}]
    known = code in ErrorCode._value2member_map_
    assert (ErrorCode(code).name if known else f"Location{code}") == code_name
    assert db.c.find_one() == {"_id": 1, "a": 0}


def test_upsert_refuses_expr_filter(db):
    with pytest.raises(WriteError) as exc:
        db.c.update_one({"$expr": {"$eq": ["$a", 1]}}, {"$set": {"b": 1}}, upsert=True)
    assert (exc.value.code, exc.value.details["errmsg"]) == (224, "$expr is not allowed in this context")


def test_find_and_modify_pipeline_with_array_filters(db):
    with pytest.raises(OperationFailure) as exc:
        db.command("findAndModify", "c", query={}, update=[{"$set": {"a": 1}}], arrayFilters=[{"x": 1}])
    assert (exc.value.code, exc.value.details["errmsg"]) == (
        9,
        "Cannot specify arrayFilters and a pipeline update",
    )
