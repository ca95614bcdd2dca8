"""errInfo.details of query-operator validators, engine-level (mongod's doc_validation_error shapes)."""

from __future__ import annotations

import pytest

from docdb.engine.validation.explain_filter import explain_filter, values_at


@pytest.mark.parametrize(
    ("spec", "doc", "details"),
    [
        pytest.param(
            {"a": {"$size": 2}},
            {"a": 5},
            {
                "operatorName": "$size",
                "specifiedAs": {"a": {"$size": 2}},
                "reason": "type did not match",
                "consideredType": "int",
                "expectedType": "array",
                "consideredValue": 5,
            },
            id="size-type-mismatch",
        ),
        pytest.param(
            {"a": {"$elemMatch": {"$gt": 5}}},
            {"a": [1, 2]},
            {
                "operatorName": "$elemMatch",
                "specifiedAs": {"a": {"$elemMatch": {"$gt": 5}}},
                "reason": "array did not satisfy the child predicate",
                "consideredValue": [1, 2],
            },
            id="elem-match",
        ),
        pytest.param(
            {"$nor": [{"a": 1}, {"b": 2}]},
            {"a": 1, "b": 3},
            {
                "operatorName": "$nor",
                "clausesNotSatisfied": [
                    {
                        "index": 0,
                        "details": {
                            "operatorName": "$eq",
                            "specifiedAs": {"a": 1},
                            "reason": "comparison succeeded",
                            "consideredValue": 1,
                        },
                    }
                ],
            },
            id="nor-inverts",
        ),
        pytest.param(
            {"a": {"$exists": False}},
            {"a": 1},
            {
                "operatorName": "$exists",
                "specifiedAs": {"a": {"$exists": False}},
                "reason": "path does exist",
            },
            id="exists-false",
        ),
        pytest.param(
            {"a.b": {"$lt": 2}},
            {"a": [{"b": 5}, {"b": 7}]},
            {
                "operatorName": "$lt",
                "specifiedAs": {"a.b": {"$lt": 2}},
                "reason": "comparison failed",
                "consideredValues": [5, 7],
            },
            id="array-traversal",
        ),
        pytest.param(
            {"$alwaysFalse": 1},
            {},
            {
                "operatorName": "$alwaysFalse",
                "specifiedAs": {"$alwaysFalse": 1},
                "reason": "expression always evaluates to false",
            },
            id="always-false",
        ),
    ],
)
def test_details(spec, doc, details):
    assert explain_filter(spec, doc) == details


def test_values_at_distinguishes_missing_from_empty():
    assert values_at({"a": []}, "a", True) == []
    assert values_at({"a": []}, "a", False) == [[]]
    assert values_at({"b": 1}, "a", True) is None
