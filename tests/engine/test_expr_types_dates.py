"""Type conversion and date expressions (timezones by Olson name and offset)."""

import datetime

import pytest
from bson.decimal128 import Decimal128
from bson.int64 import Int64
from bson.objectid import ObjectId

from docdb.engine.expressions import evaluate
from docdb.errors import MongoError

D = datetime.datetime(2014, 1, 1, 8, 15, 39, 736000)  # the manual's example date, a Wednesday
DOC = {"date": D, "oid": ObjectId("5ab9cbfa31c2ab715d42129e")}


@pytest.mark.parametrize(
    "spec, expected",
    [
        pytest.param({"$type": 1}, "int", id="type-int"),
        pytest.param({"$type": Int64(1)}, "long", id="type-long"),
        pytest.param({"$type": "$missing"}, "missing", id="type-missing"),
        pytest.param({"$type": [[1]]}, "array", id="type-array"),
        pytest.param({"$isNumber": Decimal128("1")}, True, id="isNumber"),
        pytest.param({"$isNumber": True}, False, id="isNumber-bool"),
        pytest.param({"$toInt": "42"}, 42, id="toInt-string"),
        pytest.param({"$toInt": 4.9}, 4, id="toInt-truncates"),
        pytest.param({"$toLong": D}, Int64(1388564139736), id="toLong-date"),
        pytest.param({"$toDouble": "1.5e2"}, 150.0, id="toDouble-string"),
        pytest.param({"$toDecimal": 2.5}, Decimal128("2.50000000000000"), id="toDecimal-double"),
        pytest.param({"$toString": 2.0}, "2", id="toString-double"),
        pytest.param({"$toString": 1.23456789}, "1.23457", id="toString-double-6-digits"),
        pytest.param({"$toString": 1e21}, "1e+21", id="toString-double-exponent"),
        pytest.param({"$toString": -0.0}, "-0", id="toString-negative-zero"),
        pytest.param({"$toString": float("nan")}, "NaN", id="toString-nan"),
        pytest.param({"$toUpper": float("inf")}, "INF", id="toUpper-coerces-inf-lowercase"),
        pytest.param({"$toString": D}, "2014-01-01T08:15:39.736Z", id="toString-date"),
        pytest.param({"$toString": "$oid"}, "5ab9cbfa31c2ab715d42129e", id="toString-oid"),
        pytest.param({"$toBool": ""}, True, id="toBool-string"),
        pytest.param({"$toBool": 0.0}, False, id="toBool-zero"),
        pytest.param(
            {"$toObjectId": "5ab9cbfa31c2ab715d42129e"}, ObjectId("5ab9cbfa31c2ab715d42129e"), id="toObjectId"
        ),
        pytest.param({"$toDate": Int64(0)}, datetime.datetime(1970, 1, 1), id="toDate-long"),
        pytest.param(
            {"$toDate": "2018-03-20T11:00:00Z"}, datetime.datetime(2018, 3, 20, 11), id="toDate-string"
        ),
        pytest.param({"$toDate": "$oid"}, datetime.datetime(2018, 3, 27, 4, 43, 38), id="toDate-objectid"),
        pytest.param({"$toInt": None}, None, id="toInt-null"),
        pytest.param({"$convert": {"input": "abc", "to": "int", "onError": -1}}, -1, id="convert-onError"),
        pytest.param({"$convert": {"input": None, "to": "int", "onNull": 0}}, 0, id="convert-onNull"),
        pytest.param({"$convert": {"input": True, "to": 16}}, 1, id="convert-numeric-type"),
    ],
)
def test_types(spec, expected):
    result = evaluate(spec, DOC)
    assert (type(result), result) == (type(expected), expected)


@pytest.mark.parametrize(
    "spec, message",
    [
        pytest.param(
            {"$toInt": "1.5"},
            "Failed to parse number '1.5' in $convert with no onError value: Did not consume whole string.",
            id="toInt-decimal-string",
        ),
        pytest.param(
            {"$toInt": Int64(2**40)},
            "Conversion would overflow target type in $convert with no onError value: 1099511627776",
            id="toInt-overflow",
        ),
        pytest.param(
            {"$toObjectId": "abc"},
            "Failed to parse objectId 'abc' in $convert with no onError value: Invalid string "
            "length for parsing to "
            "OID, expected 24 but found 3",
            id="toObjectId-short",
        ),
        pytest.param(
            {"$toInt": D},
            "Unsupported conversion from date to int in $convert with no onError value",
            id="date-to-int",
        ),
    ],
)
def test_conversion_failures(spec, message):
    with pytest.raises(MongoError) as exc:
        evaluate(spec, DOC)
    assert (exc.value.code, exc.value.code_name, exc.value.errmsg) == (241, "ConversionFailure", message)


@pytest.mark.parametrize(
    "op, expected",
    [
        ("$year", 2014),
        ("$month", 1),
        ("$dayOfMonth", 1),
        ("$hour", 8),
        ("$minute", 15),
        ("$second", 39),
        ("$millisecond", 736),
        ("$dayOfYear", 1),
        ("$dayOfWeek", 4),
        ("$week", 0),
        ("$isoWeek", 1),
        ("$isoDayOfWeek", 3),
    ],
)
def test_date_parts(op, expected):
    assert evaluate({op: "$date"}, DOC) == expected


@pytest.mark.parametrize(
    "spec, expected",
    [
        pytest.param({"$hour": {"date": "$date", "timezone": "America/New_York"}}, 3, id="hour-olson"),
        pytest.param({"$hour": {"date": "$date", "timezone": "+05:30"}}, 13, id="hour-offset"),
        pytest.param({"$minute": {"date": "$date", "timezone": "+0530"}}, 45, id="minute-offset-no-colon"),
        pytest.param({"$hour": {"date": "$date", "timezone": None}}, None, id="null-timezone"),
        pytest.param({"$year": "$missing"}, None, id="missing-date"),
        pytest.param(
            {"$dateToString": {"format": "%Y-%m-%d", "date": "$date"}}, "2014-01-01", id="dateToString"
        ),
        pytest.param(
            {"$dateToString": {"format": "%H:%M:%S:%L%z", "date": "$date", "timezone": "America/New_York"}},
            "03:15:39:736-0500",
            id="dateToString-tz",
        ),
        pytest.param(
            {"$dateToString": {"format": "%Z", "date": "$date", "timezone": "+04:45"}},
            "+285",
            id="dateToString-minutes",
        ),
        pytest.param(
            {"$dateToString": {"date": "$date"}}, "2014-01-01T08:15:39.736Z", id="dateToString-default"
        ),
        pytest.param(
            {"$dateToString": {"date": "$missing", "onNull": "none"}}, "none", id="dateToString-onNull"
        ),
        pytest.param(
            {"$dateToString": {"format": "%j %w %u %U %V %G", "date": "$date"}},
            "001 4 3 00 01 2014",
            id="week-formats",
        ),
        pytest.param(
            {"$dateFromString": {"dateString": "2017-02-08T12:10:40.787", "timezone": "America/New_York"}},
            datetime.datetime(2017, 2, 8, 17, 10, 40, 787000),
            id="dateFromString-tz",
        ),
        pytest.param(
            {"$dateFromString": {"dateString": "15-06-2018", "format": "%d-%m-%Y"}},
            datetime.datetime(2018, 6, 15),
            id="dateFromString-format",
        ),
        pytest.param(
            {"$dateFromString": {"dateString": "nope", "onError": "bad"}}, "bad", id="dateFromString-onError"
        ),
        pytest.param(
            {"$dateFromParts": {"year": 2017, "month": 2, "day": 8, "hour": 12}},
            datetime.datetime(2017, 2, 8, 12),
            id="dateFromParts",
        ),
        pytest.param(
            {"$dateFromParts": {"year": 2017, "month": 14, "day": 1}},
            datetime.datetime(2018, 2, 1),
            id="parts-carry",
        ),
        pytest.param(
            {
                "$dateFromParts": {
                    "year": 2016,
                    "month": 12,
                    "day": 31,
                    "hour": 23,
                    "timezone": "America/New_York",
                }
            },
            datetime.datetime(2017, 1, 1, 4),
            id="parts-tz",
        ),
        pytest.param(
            {"$dateFromParts": {"isoWeekYear": 2017, "isoWeek": 6, "isoDayOfWeek": 3}},
            datetime.datetime(2017, 2, 8),
            id="parts-iso",
        ),
        pytest.param(
            {"$dateToParts": {"date": "$date"}},
            {"year": 2014, "month": 1, "day": 1, "hour": 8, "minute": 15, "second": 39, "millisecond": 736},
            id="dateToParts",
        ),
        pytest.param(
            {"$dateToParts": {"date": "$date", "iso8601": True}},
            {
                "isoWeekYear": 2014,
                "isoWeek": 1,
                "isoDayOfWeek": 3,
                "hour": 8,
                "minute": 15,
                "second": 39,
                "millisecond": 736,
            },
            id="dateToParts-iso",
        ),
        pytest.param(
            {"$dateAdd": {"startDate": datetime.datetime(2020, 1, 31), "unit": "month", "amount": 1}},
            datetime.datetime(2020, 2, 29),
            id="dateAdd-month-clamps",
        ),
        pytest.param(
            {"$dateSubtract": {"startDate": "$date", "unit": "hour", "amount": 8}},
            datetime.datetime(2014, 1, 1, 0, 15, 39, 736000),
            id="dateSubtract",
        ),
        pytest.param(
            {
                "$dateAdd": {
                    "startDate": datetime.datetime(2021, 3, 13, 17),
                    "unit": "day",
                    "amount": 1,
                    "timezone": "America/New_York",
                }
            },
            datetime.datetime(2021, 3, 14, 16),
            id="dateAdd-day-across-dst",
        ),
        pytest.param(
            {
                "$dateDiff": {
                    "startDate": datetime.datetime(2020, 12, 31),
                    "endDate": datetime.datetime(2021, 1, 1),
                    "unit": "year",
                }
            },
            Int64(1),
            id="dateDiff-year-boundary",
        ),
        pytest.param(
            {"$dateDiff": {"startDate": D, "endDate": datetime.datetime(2014, 1, 3), "unit": "day"}},
            Int64(2),
            id="dateDiff-day",
        ),
        pytest.param(
            {
                "$dateDiff": {
                    "startDate": datetime.datetime(2021, 1, 2),
                    "endDate": datetime.datetime(2021, 1, 4),
                    "unit": "week",
                    "startOfWeek": "monday",
                }
            },
            Int64(1),
            id="dateDiff-week-monday",
        ),
        pytest.param(
            {"$dateTrunc": {"date": "$date", "unit": "hour"}},
            datetime.datetime(2014, 1, 1, 8),
            id="dateTrunc-hour",
        ),
        pytest.param(
            {"$dateTrunc": {"date": "$date", "unit": "month", "binSize": 2}},
            datetime.datetime(2014, 1, 1),
            id="trunc-2mo",
        ),
        pytest.param(
            {"$dateTrunc": {"date": datetime.datetime(2014, 1, 1), "unit": "week"}},
            datetime.datetime(2013, 12, 29),
            id="dateTrunc-week-sunday",
        ),
        pytest.param(
            {"$dateTrunc": {"date": "$date", "unit": "day", "timezone": "America/New_York"}},
            datetime.datetime(2014, 1, 1, 5),
            id="dateTrunc-day-tz",
        ),
    ],
)
def test_dates(spec, expected):
    assert evaluate(spec, DOC) == expected


@pytest.mark.parametrize(
    "spec, code",
    [
        pytest.param({"$year": "x"}, 16006, id="year-string"),
        pytest.param({"$hour": {"date": "$date", "timezone": "Mars/Olympus"}}, 40485, id="bad-timezone"),
        pytest.param({"$dateToString": {"date": "$date", "format": "%Q"}}, 18536, id="bad-format"),
        pytest.param({"$dateToString": {"date": "$date", "format": "%"}}, 18535, id="dangling-percent"),
        pytest.param({"$dateFromString": {"dateString": "nope"}}, 241, id="dateFromString-fails"),
        pytest.param({"$dateFromParts": {"year": 0}}, 40523, id="year-range"),
        pytest.param({"$dateFromParts": {"month": 1}}, 40516, id="no-year"),
    ],
)
def test_date_errors(spec, code):
    with pytest.raises(MongoError) as exc:
        evaluate(spec, DOC)
    assert exc.value.code == code
