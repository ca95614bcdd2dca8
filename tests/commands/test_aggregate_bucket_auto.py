"""$bucketAuto through PyMongo: the manual's examples, granularity boundaries and types, errors."""

from __future__ import annotations

import pytest
from bson.decimal128 import Decimal128
from pymongo.errors import OperationFailure

from tests.engine.test_agg_bucket_auto import MANUAL_GRANULARITY_CASES

D = Decimal128
RUNTIME = "PlanExecutor error during aggregation :: caused by :: "

ARTWORK = [
    {"_id": 1, "title": "The Pillars of Society", "artist": "Grosz", "year": 1926, "price": D("199.99")},
    {"_id": 2, "title": "Melancholy III", "artist": "Munch", "year": 1902, "price": D("280.00")},
    {"_id": 3, "title": "Dancer", "artist": "Miro", "year": 1925, "price": D("76.04")},
    {"_id": 4, "title": "The Great Wave off Kanagawa", "artist": "Hokusai", "price": D("167.30")},
    {"_id": 5, "title": "The Persistence of Memory", "artist": "Dali", "year": 1931, "price": D("483.00")},
    {"_id": 6, "title": "Composition VII", "artist": "Kandinsky", "year": 1913, "price": D("385.00")},
    {"_id": 7, "title": "The Scream", "artist": "Munch", "price": D("159.00")},
    {"_id": 8, "title": "Blue Flower", "artist": "O'Keefe", "year": 1918, "price": D("118.42")},
]


def _bucket_auto(coll, **spec):
    return list(coll.aggregate([{"$bucketAuto": spec}]))


def test_manual_single_facet(db):
    db.artwork.insert_many(ARTWORK)
    assert _bucket_auto(db.artwork, groupBy="$price", buckets=4) == [
        {"_id": {"min": D("76.04"), "max": D("159.00")}, "count": 2},
        {"_id": {"min": D("159.00"), "max": D("199.99")}, "count": 2},
        {"_id": {"min": D("199.99"), "max": D("385.00")}, "count": 2},
        {"_id": {"min": D("385.00"), "max": D("483.00")}, "count": 2},
    ]


def test_decimal_prices_with_granularity(db):
    db.artwork.insert_many(ARTWORK)
    rows = _bucket_auto(
        db.artwork,
        groupBy="$price",
        buckets=4,
        granularity="R5",
        output={"count": {"$sum": 1}, "titles": {"$push": "$_id"}},
    )
    assert rows == [
        {
            "_id": {"min": D("63.0000000000000"), "max": D("160.0000000000000")},
            "count": 3,
            "titles": [3, 8, 7],
        },
        {"_id": {"min": D("160.0000000000000"), "max": D("250.0000000000000")}, "count": 2, "titles": [4, 1]},
        {"_id": {"min": D("250.0000000000000"), "max": D("400.0000000000000")}, "count": 2, "titles": [2, 6]},
        {"_id": {"min": D("400.0000000000000"), "max": D("630.0000000000000")}, "count": 1, "titles": [5]},
    ]


@pytest.mark.parametrize("granularity, expected", MANUAL_GRANULARITY_CASES)
def test_manual_comparing_granularities(db, granularity, expected):
    db.things.insert_many([{"_id": i} for i in range(100)])
    rows = _bucket_auto(db.things, groupBy="$_id", buckets=5, granularity=granularity)
    assert [(r["_id"]["min"], r["_id"]["max"], r["count"]) for r in rows] == expected
    kind = int if granularity == "POWERSOF2" else float
    assert [type(r["_id"]["max"]) for r in rows] == [kind] * len(expected)
    assert type(rows[0]["_id"]["min"]) is int


def test_zero_bucket_boundary_is_the_next_value_rounded_down(db):
    db.c.insert_many([{"v": v} for v in [0, 0, 0, 1, 2, 3]])
    assert _bucket_auto(db.c, groupBy="$v", buckets=2, granularity="R5") == [
        {"_id": {"min": 0, "max": 0.63}, "count": 3},
        {"_id": {"min": 0.63, "max": 4.0}, "count": 3},
    ]


def test_granularity_with_expression_group_by(db):
    db.c.insert_many([{"v": v} for v in [1, 2, 3, 4]])
    rows = _bucket_auto(db.c, groupBy={"$multiply": ["$v", 0.5]}, buckets=2, granularity="E6")
    assert rows == [
        {"_id": {"min": 0.47000000000000003, "max": 1.5}, "count": 2},
        {"_id": {"min": 1.5, "max": 2.2}, "count": 2},
    ]


@pytest.mark.parametrize(
    "docs, spec, code, code_name, errmsg",
    [
        pytest.param(
            [{"v": "a"}],
            {"groupBy": "$v", "buckets": 2, "granularity": "R5"},
            40258,
            "Location40258",
            f"{RUNTIME}$bucketAuto can specify a 'granularity' with numeric boundaries only, "
            "but found a value with type: string",
            id="non-numeric",
        ),
        pytest.param(
            [{"v": float("nan")}],
            {"groupBy": "$v", "buckets": 2, "granularity": "R5"},
            40259,
            "Location40259",
            f"{RUNTIME}$bucketAuto can specify a 'granularity' with numeric boundaries only, but found a NaN",
            id="nan",
        ),
        pytest.param(
            [{"v": -1}],
            {"groupBy": "$v", "buckets": 2, "granularity": "POWERSOF2"},
            40260,
            "Location40260",
            f"{RUNTIME}$bucketAuto can specify a 'granularity' with non-negative numbers only, "
            "but found a negative number",
            id="negative",
        ),
        pytest.param(
            [],
            {"groupBy": "$v", "buckets": 2, "granularity": "R7"},
            40257,
            "Location40257",
            "Unknown rounding granularity 'R7'",
            id="unknown",
        ),
        pytest.param(
            [],
            {"groupBy": "$v", "buckets": 2, "granularity": True},
            40261,
            "Location40261",
            "The $bucketAuto 'granularity' field must be a string, but found type: bool",
            id="granularity-type",
        ),
        pytest.param(
            [],
            {"groupBy": "$v", "buckets": 1.5},
            40242,
            "Location40242",
            "The $bucketAuto 'buckets' field must be representable as a 32-bit integer, but found 1.5",
            id="buckets-fraction",
        ),
    ],
)
def test_errors(db, docs, spec, code, code_name, errmsg):
    if docs:
        db.c.insert_many(docs)
    with pytest.raises(OperationFailure) as exc:
        _bucket_auto(db.c, **spec)
    assert (exc.value.code, exc.value.details["codeName"], exc.value.details["errmsg"]) == (
        code,
        code_name,
        errmsg,
    )
