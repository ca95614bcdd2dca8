"""$bucketAuto in-process: mongod's bucket cutting, the granularity rounders and their errors."""

import math

import pytest
from bson.decimal128 import Decimal128
from bson.int64 import Int64

from docdb.engine.aggregation.granularity import ROUNDERS, get_rounder
from docdb.errors import MongoError

from .test_agg_stages import run

D = Decimal128


def bucket_auto(values, buckets, **options):
    docs = [{"_id": i, "v": v} for i, v in enumerate(values)]
    return run([{"$bucketAuto": {"groupBy": "$v", "buckets": buckets, **options}}], docs)


def bounds(rows):
    return [(row["_id"]["min"], row["_id"]["max"], row["count"]) for row in rows]


def types(rows):
    return [(type(row["_id"]["min"]).__name__, type(row["_id"]["max"]).__name__) for row in rows]


def test_bucket_size_rounds_half_away_from_zero():
    # mongod: std::round(5 / 2) == 3 documents per bucket, not Python's banker's 2.
    assert bounds(bucket_auto([1, 2, 3, 4, 5], 2)) == [(1, 4, 3), (4, 5, 2)]


def test_equal_values_stay_in_one_bucket_and_last_takes_the_rest():
    assert bounds(bucket_auto([1, 1, 1, 2, 3, 4, 5], 3)) == [(1, 2, 3), (2, 4, 2), (4, 5, 2)]


def test_missing_groups_as_null_and_sorts_first():
    assert bounds(bucket_auto([None, "x", 3], 3)) == [(None, 3, 1), (3, "x", 1), ("x", "x", 1)]


# The manual's example: 0..99 in 5 buckets under each granularity, as (min, max, count); the command
# tests run the same table through a server.
MANUAL_GRANULARITY_CASES = [
    pytest.param(
        "R20",
        [(0, 20.0, 20), (20.0, 40.0, 20), (40.0, 63.0, 23), (63.0, 90.0, 27), (90.0, 100.0, 10)],
        id="R20",
    ),
    pytest.param(
        "E24",
        [(0, 20.0, 20), (20.0, 43.0, 23), (43.0, 68.0, 25), (68.0, 91.0, 23), (91.0, 100.0, 9)],
        id="E24",
    ),
    pytest.param("1-2-5", [(0, 20.0, 20), (20.0, 50.0, 30), (50.0, 100.0, 50)], id="1-2-5"),
    pytest.param("POWERSOF2", [(0, 32, 32), (32, 64, 32), (64, 128, 36)], id="POWERSOF2"),
]


def test_empty_output_means_count():
    rows = bucket_auto([1, 2], 1, output={})
    assert rows == [{"_id": {"min": 1, "max": 2}, "count": 2}]


@pytest.mark.parametrize("granularity, expected", MANUAL_GRANULARITY_CASES)
def test_manual_granularity_comparison(granularity, expected):
    rows = bucket_auto(range(100), 5, granularity=granularity)
    assert bounds(rows) == expected
    kind = "int" if granularity == "POWERSOF2" else "float"
    assert types(rows) == [("int", kind)] + [(kind, kind)] * (len(expected) - 1)


def test_zero_maximum_takes_the_next_value_rounded_down():
    rows = bucket_auto([0, 0, 0, 1, 2, 3], 2, granularity="R5")
    assert bounds(rows) == [(0, 0.63, 3), (0.63, 4.0, 3)]


def test_decimal_keys_give_fifteen_digit_decimal_boundaries():
    prices = ["76.04", "118.42", "159.00", "167.30", "199.99", "280.00", "385.00", "483.00"]
    rows = bucket_auto([D(p) for p in prices], 4, granularity="R5")
    assert bounds(rows) == [
        (D("63.0000000000000"), D("160.0000000000000"), 3),
        (D("160.0000000000000"), D("250.0000000000000"), 2),
        (D("250.0000000000000"), D("400.0000000000000"), 2),
        (D("400.0000000000000"), D("630.0000000000000"), 1),
    ]


@pytest.mark.parametrize(
    "name, value, up, down",
    [
        pytest.param("R5", 3, 4.0, 2.5, id="r5-int"),
        pytest.param("R5", 6.3, 6.300000000000001, 4.0, id="r5-on-series-float-scaling"),
        pytest.param("R5", 63, 100.0, 40.0, id="r5-top-of-decade"),
        pytest.param("R5", 0.05, 0.063, 0.04, id="r5-small"),
        pytest.param("E6", 0.8, 1.0, 0.68, id="e6-between-decades"),
        pytest.param("1-2-5", 7, 10.0, 5.0, id="125"),
        pytest.param("R80", 10.3, 10.9, 9.75, id="r80-starts-at-103"),
        pytest.param("E192", 987.5, 988.0, 976.0, id="e192"),
        pytest.param("R5", D("3"), D("4.00000000000000"), D("2.50000000000000"), id="r5-decimal"),
        pytest.param("R5", D("0.8"), D("1.00000000000000"), D("0.630000000000000"), id="r5-decimal-small"),
        pytest.param("R5", 0, 0, 0, id="zero-unchanged"),
        pytest.param("R5", D("0.00"), D("0.00"), D("0.00"), id="decimal-zero-unchanged"),
        pytest.param("POWERSOF2", 3, 4, 2, id="pow2-int"),
        pytest.param("POWERSOF2", 4, 8, 2, id="pow2-int-exact"),
        pytest.param("POWERSOF2", Int64(5), 8, 4, id="pow2-long"),
        pytest.param("POWERSOF2", 4.0, 8, 2, id="pow2-double-exact"),
        pytest.param("POWERSOF2", 0.3, 0.5, 0.25, id="pow2-double-fraction"),
        pytest.param("POWERSOF2", 2**40, Int64(2**41), Int64(2**39), id="pow2-long-result"),
        pytest.param("POWERSOF2", D("3"), D("4"), D("2"), id="pow2-decimal"),
    ],
)
def test_rounders(name, value, up, down):
    rounder = get_rounder(name)
    assert (rounder.round_up(value), rounder.round_down(value)) == (up, down)
    assert type(rounder.round_up(value)) is type(up)
    assert type(rounder.round_down(value)) is type(down)


def test_every_series_rounds_strictly_up_and_down():
    assert sorted(ROUNDERS) == sorted(
        ["R5", "R10", "R20", "R40", "R80", "1-2-5", "E6", "E12", "E24", "E48", "E96", "E192", "POWERSOF2"]
    )
    for rounder in ROUNDERS.values():
        for value in (0.001, 0.7, 1, 9.99, 55, 1234.5, 10**7):
            assert rounder.round_down(value) < value < rounder.round_up(value), (rounder.name, value)


@pytest.mark.parametrize(
    "name, value, code",
    [
        pytest.param("R5", "a", 40262, id="series-not-number"),
        pytest.param("R5", math.nan, 40263, id="series-nan"),
        pytest.param("R5", -1, 40268, id="series-negative"),
        pytest.param("POWERSOF2", "a", 40265, id="pow2-not-number"),
        pytest.param("POWERSOF2", math.nan, 40266, id="pow2-nan"),
        pytest.param("POWERSOF2", -1, 40267, id="pow2-negative"),
    ],
)
def test_rounder_errors(name, value, code):
    with pytest.raises(MongoError) as exc:
        get_rounder(name).round_up(value)
    assert exc.value.code == code


@pytest.mark.parametrize(
    "spec, code, errmsg",
    [
        pytest.param(
            [], 40240, "The argument to $bucketAuto must be an object, but found type: array", id="spec"
        ),
        pytest.param(
            {"groupBy": "v", "buckets": 1},
            40239,
            "The $bucketAuto 'groupBy' field must be defined as a $-prefixed path or an expression object, "
            'but found: "v"',
            id="group-by-no-dollar",
        ),
        pytest.param(
            {"groupBy": {"a": 1}, "buckets": 1},
            40239,
            "The $bucketAuto 'groupBy' field must be defined as a $-prefixed path or an expression object, "
            "but found: { a: 1 }",
            id="group-by-plain-object",
        ),
        pytest.param(
            {"groupBy": "$v", "buckets": "2"},
            40241,
            "The $bucketAuto 'buckets' field must be a numeric value, but found type: string",
            id="buckets-string",
        ),
        pytest.param(
            {"groupBy": "$v", "buckets": 2.5},
            40242,
            "The $bucketAuto 'buckets' field must be representable as a 32-bit integer, but found 2.5",
            id="buckets-fraction",
        ),
        pytest.param(
            {"groupBy": "$v", "buckets": 2**31},
            40242,
            "The $bucketAuto 'buckets' field must be representable as a 32-bit integer, "
            "but found 2.14748e+09",
            id="buckets-too-big",
        ),
        pytest.param(
            {"groupBy": "$v", "buckets": 0},
            40243,
            "The $bucketAuto 'buckets' field must be greater than 0, but found: 0",
            id="buckets-zero",
        ),
        pytest.param(
            {"groupBy": "$v", "buckets": 1, "output": 1},
            40244,
            "The $bucketAuto 'output' field must be an object, but found type: int",
            id="output",
        ),
        pytest.param(
            {"groupBy": "$v", "buckets": 1, "x": 1},
            40245,
            "Unrecognized option to $bucketAuto: x",
            id="option",
        ),
        pytest.param(
            {"buckets": 1},
            40246,
            "$bucketAuto requires 'groupBy' and 'buckets' to be specified",
            id="no-group-by",
        ),
        pytest.param(
            {"groupBy": "$v", "buckets": 1, "granularity": 5},
            40261,
            "The $bucketAuto 'granularity' field must be a string, but found type: int",
            id="granularity-type",
        ),
        pytest.param(
            {"groupBy": "$v", "buckets": 1, "granularity": "r5"},
            40257,
            "Unknown rounding granularity 'r5'",
            id="granularity-name",
        ),
    ],
)
def test_spec_errors(spec, code, errmsg):
    with pytest.raises(MongoError) as exc:
        run([{"$bucketAuto": spec}], [])
    assert (exc.value.code, str(exc.value.errmsg)) == (code, errmsg)


@pytest.mark.parametrize(
    "value, code",
    [
        pytest.param("x", 40258, id="string"),
        pytest.param(None, 40258, id="null"),
        pytest.param(math.nan, 40259, id="nan"),
        pytest.param(D("NaN"), 40259, id="decimal-nan"),
        pytest.param(-0.5, 40260, id="negative"),
    ],
)
def test_granularity_key_errors(value, code):
    with pytest.raises(MongoError) as exc:
        bucket_auto([1, value], 1, granularity="R5")
    assert exc.value.code == code


def test_granularity_missing_key_names_missing():
    with pytest.raises(MongoError) as exc:
        run([{"$bucketAuto": {"groupBy": "$v", "buckets": 1, "granularity": "E6"}}], [{"v": 1}, {}])
    assert str(exc.value.errmsg) == (
        "$bucketAuto can specify a 'granularity' with numeric boundaries only, "
        "but found a value with type: missing"
    )
