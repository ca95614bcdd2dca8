"""aggregate errors through the wire: code, codeName and mongod's errmsg."""

from __future__ import annotations

import pytest
from pymongo.errors import OperationFailure


def _fail(db, target, pipeline, **options):
    with pytest.raises(OperationFailure) as exc:
        db.command("aggregate", target, pipeline=pipeline, cursor={}, **options)
    return exc.value.code, exc.value.details["codeName"], exc.value.details["errmsg"]


@pytest.mark.parametrize(
    "pipeline, code, code_name, errmsg",
    [
        pytest.param(
            [{"$bogus": {}}],
            40324,
            "Location40324",
            "Unrecognized pipeline stage name: '$bogus'",
            id="unknown-stage",
        ),
        pytest.param([{"$search": {}}], 238, "NotImplemented", None, id="unsupported-stage"),
        pytest.param(
            [{"$group": {"n": {"$sum": 1}}}],
            15955,
            "Location15955",
            "a group specification must include an _id",
            id="group-without-id",
        ),
        pytest.param(
            [{"$project": {"a": {"$nope": 1}}}],
            168,
            "InvalidPipelineOperator",
            "Unrecognized expression '$nope'",
            id="unknown-operator",
        ),
        pytest.param([{"$unwind": "tags"}], 28818, "Location28818", None, id="unwind-path-without-dollar"),
        pytest.param([{"$limit": 0}], 15958, "Location15958", None, id="limit-zero"),
        pytest.param(
            [{"$out": "x"}, {"$match": {}}],
            40601,
            "Location40601",
            "$out can only be the final stage in the pipeline",
            id="out-not-last",
        ),
        pytest.param(
            [{"$match": {}}, {"$collStats": {}}],
            40602,
            "Location40602",
            "$collStats is only valid as the first stage in a pipeline",
            id="coll-stats-not-first",
        ),
    ],
)
def test_compile_errors(db, pipeline, code, code_name, errmsg):
    got = _fail(db, "c", pipeline)
    assert got[:2] == (code, code_name)
    if errmsg is not None:
        assert got[2] == errmsg


@pytest.mark.parametrize(
    "expression, code, code_name, errmsg",
    [
        pytest.param({"$divide": [1, 0]}, 2, "BadValue", "can't $divide by zero", id="divide-by-zero"),
        pytest.param(
            {"$toInt": "abc"},
            241,
            "ConversionFailure",
            "Failed to parse number 'abc' in $convert with no onError value: Did not consume whole string.",
            id="toInt-bad-string",
        ),
    ],
)
def test_evaluation_errors_carry_executor_context(db, expression, code, code_name, errmsg):
    db.c.insert_one({"_id": 1})
    got = _fail(db, "c", [{"$project": {"x": expression}}])
    assert got == (code, code_name, f"PlanExecutor error during aggregation :: caused by :: {errmsg}")


def test_collectionless_requires_a_source_stage(db):
    assert _fail(db, 1, [{"$match": {}}]) == (
        73,
        "InvalidNamespace",
        "{aggregate: 1} is not valid for '$match'; a collection is required.",
    )
    assert _fail(db, 1, []) == (73, "InvalidNamespace", "{aggregate: 1} is not valid for an empty pipeline.")


def test_coll_stats_of_a_missing_collection(db):
    assert _fail(db, "nothing", [{"$collStats": {"storageStats": {}}}]) == (
        26,
        "NamespaceNotFound",
        "PlanExecutor error during aggregation :: caused by :: Unable to retrieve storageStats in "
        f"$collStats stage :: caused by :: Collection [{db.name}.nothing] not found.",
    )


def test_coll_stats_bad_scale(db):
    db.c.insert_one({"_id": 1})
    assert _fail(db, "c", [{"$collStats": {"storageStats": {"scale": -1000}}}]) == (
        51024,
        "Location51024",
        "BSON field 'scale' value must be >= 1, actual value '-1000'",
    )


def test_unknown_command_field(db):
    assert _fail(db, "c", [], bogus=1) == (
        40415,
        "Location40415",
        "BSON field 'aggregate.bogus' is an unknown field.",
    )


def test_cursor_is_required(db):
    with pytest.raises(OperationFailure) as exc:
        db.command("aggregate", "c", pipeline=[])
    assert (exc.value.code, exc.value.details["codeName"]) == (9, "FailedToParse")


def test_merge_when_not_matched_fail(db):
    db.src.insert_one({"_id": 1})
    spec = {"into": "dst", "whenMatched": "merge", "whenNotMatched": "fail"}
    code, code_name, errmsg = _fail(db, "src", [{"$merge": spec}])
    assert (code, code_name) == (13113, "MergeStageNoMatchingDocument")
    assert errmsg.startswith("PlanExecutor error during aggregation :: caused by :: ")
    assert db.dst.count_documents({}) == 0
