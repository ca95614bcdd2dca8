"""Arithmetic and comparison expressions: MongoDB's numeric typing, dates, errors by code."""

import datetime

import pytest
from bson.decimal128 import Decimal128
from bson.int64 import Int64

from docdb.engine.expressions import MISSING, evaluate
from docdb.errors import MongoError

DOC = {"i": 5, "big": 2**31 - 1, "l": Int64(7), "d": 2.5, "dec": Decimal128("1.1"), "s": "x", "n": None}
DATE = datetime.datetime(2020, 1, 1)


def typed(value):
    return (type(value).__name__, value)


@pytest.mark.parametrize(
    "spec, expected",
    [
        pytest.param({"$add": [1, 2]}, ("int", 3), id="add-int"),
        pytest.param({"$add": ["$big", 1]}, ("Int64", 2**31), id="add-int-overflow-long"),
        pytest.param(
            {"$add": [Int64(2**63 - 1), 1]}, ("float", 9.223372036854776e18), id="add-long-overflow-double"
        ),
        pytest.param({"$add": ["$i", "$l"]}, ("Int64", 12), id="add-int-long"),
        pytest.param({"$add": ["$i", "$d"]}, ("float", 7.5), id="add-int-double"),
        pytest.param({"$add": ["$i", "$dec"]}, ("Decimal128", Decimal128("6.1")), id="add-decimal"),
        pytest.param({"$add": ["$i", "$n"]}, ("NoneType", None), id="add-null"),
        pytest.param({"$add": ["$i", "$missing"]}, ("NoneType", None), id="add-missing"),
        pytest.param({"$add": []}, ("int", 0), id="add-empty"),
        pytest.param({"$subtract": [10, 2.5]}, ("float", 7.5), id="subtract"),
        pytest.param({"$multiply": [2, 3, Int64(4)]}, ("Int64", 24), id="multiply-long"),
        pytest.param({"$multiply": [65536, 65536]}, ("Int64", 2**32), id="multiply-overflow"),
        pytest.param({"$divide": [7, 2]}, ("float", 3.5), id="divide-double"),
        pytest.param(
            {"$divide": [Decimal128("1"), 4]}, ("Decimal128", Decimal128("0.25")), id="divide-decimal"
        ),
        pytest.param({"$mod": [-7, 3]}, ("int", -1), id="mod-sign-of-dividend"),
        pytest.param({"$mod": [7.5, 2]}, ("float", 1.5), id="mod-double"),
        pytest.param({"$abs": -(2**31)}, ("Int64", 2**31), id="abs-int-min"),
        pytest.param({"$abs": -2.5}, ("float", 2.5), id="abs-double"),
        pytest.param({"$ceil": 2.1}, ("float", 3.0), id="ceil"),
        pytest.param({"$floor": -2.1}, ("float", -3.0), id="floor"),
        pytest.param({"$ceil": 3}, ("int", 3), id="ceil-int"),
        pytest.param({"$round": [10.5, 0]}, ("float", 10.0), id="round-half-even-down"),
        pytest.param({"$round": [11.5, 0]}, ("float", 12.0), id="round-half-even-up"),
        pytest.param({"$round": [1234.5678, 2]}, ("float", 1234.57), id="round-places"),
        pytest.param({"$round": [1234, -2]}, ("int", 1200), id="round-int-negative-place"),
        pytest.param({"$trunc": [7.89, 1]}, ("float", 7.8), id="trunc-place"),
        pytest.param({"$trunc": -7.9}, ("float", -7.0), id="trunc"),
        pytest.param({"$sqrt": 25}, ("float", 5.0), id="sqrt"),
        pytest.param({"$pow": [2, 10]}, ("int", 1024), id="pow-int"),
        pytest.param({"$pow": [2, 40]}, ("Int64", 2**40), id="pow-long"),
        pytest.param({"$pow": [2, -1]}, ("float", 0.5), id="pow-negative"),
        pytest.param({"$exp": 0}, ("float", 1.0), id="exp"),
        pytest.param({"$ln": 1}, ("float", 0.0), id="ln"),
        pytest.param({"$log": [100, 10]}, ("float", 2.0), id="log"),
        pytest.param({"$log10": 1000}, ("float", 3.0), id="log10"),
        pytest.param(
            {"$add": [DATE, 1000]}, ("datetime", datetime.datetime(2020, 1, 1, 0, 0, 1)), id="add-date-ms"
        ),
        pytest.param(
            {"$add": [DATE, 1.6]},
            ("datetime", datetime.datetime(2020, 1, 1, 0, 0, 0, 2000)),
            id="add-date-round",
        ),
        pytest.param(
            {"$subtract": [datetime.datetime(2020, 1, 2), DATE]}, ("Int64", 86_400_000), id="date-minus-date"
        ),
        pytest.param(
            {"$subtract": [DATE, 60_000]},
            ("datetime", datetime.datetime(2019, 12, 31, 23, 59)),
            id="date-minus-ms",
        ),
    ],
)
def test_arithmetic(spec, expected):
    assert typed(evaluate(spec, DOC)) == expected


@pytest.mark.parametrize(
    "spec, code, message",
    [
        pytest.param(
            {"$add": [1, "a"]}, 16554, "$add only supports numeric or date types, not string", id="add-string"
        ),
        pytest.param(
            {"$add": [DATE, DATE]}, 16612, "only one date allowed in an $add expression", id="add-two-dates"
        ),
        pytest.param({"$divide": [1, 0]}, 2, "can't $divide by zero", id="divide-zero"),
        pytest.param({"$mod": [1, 0]}, 16610, "can't $mod by zero", id="mod-zero"),
        pytest.param(
            {"$multiply": [1, "a"]}, 16555, "$multiply only supports numeric types, not string", id="multiply"
        ),
        pytest.param(
            {"$sqrt": -1}, 28714, "$sqrt's argument must be greater than or equal to 0", id="sqrt-negative"
        ),
        pytest.param({"$abs": "x"}, 28765, "$abs only supports numeric types, not string", id="abs-string"),
        pytest.param(
            {"$pow": [0, -1]}, 28764, "$pow cannot take a base of 0 and a negative exponent", id="pow-zero"
        ),
        pytest.param(
            {"$log": [-1, 10]},
            28758,
            "$log's argument must be a positive number, but -1 was passed",
            id="log",
        ),
    ],
)
def test_arithmetic_errors(spec, code, message):
    with pytest.raises(MongoError) as exc:
        evaluate(spec, DOC)
    assert (exc.value.code, exc.value.errmsg) == (code, message)


@pytest.mark.parametrize(
    "spec, expected",
    [
        pytest.param({"$eq": [1, 1.0]}, True, id="eq-cross-numeric"),
        pytest.param({"$eq": [Int64(2), Decimal128("2")]}, True, id="eq-long-decimal"),
        pytest.param({"$eq": ["$missing", None]}, False, id="missing-is-not-null"),
        pytest.param({"$lt": ["$missing", None]}, True, id="missing-below-null"),
        pytest.param({"$gt": ["a", 5]}, True, id="string-above-number"),
        pytest.param({"$cmp": [1, 2]}, -1, id="cmp"),
        pytest.param({"$ne": [[1, 2], [1, 2]]}, False, id="ne-arrays"),
        pytest.param({"$lte": [None, 0]}, True, id="null-below-number"),
        pytest.param({"$and": [1, "x", []]}, True, id="and-truthy"),
        pytest.param({"$and": [1, 0]}, False, id="and-zero"),
        pytest.param({"$and": []}, True, id="and-empty"),
        pytest.param({"$or": [None, "$missing", False]}, False, id="or-falsy"),
        pytest.param({"$not": [Decimal128("0")]}, True, id="not-decimal-zero"),
        pytest.param({"$cond": [{"$gt": ["$i", 3]}, "big", "small"]}, "big", id="cond-array"),
        pytest.param({"$cond": {"if": "$n", "then": 1, "else": 2}}, 2, id="cond-object"),
        pytest.param({"$ifNull": ["$missing", "$n", "default"]}, "default", id="ifnull-multi"),
        pytest.param({"$ifNull": ["$i", 0]}, 5, id="ifnull-present"),
        pytest.param(
            {
                "$switch": {
                    "branches": [{"case": {"$lt": ["$i", 0]}, "then": "neg"}, {"case": True, "then": "pos"}]
                }
            },
            "pos",
            id="switch",
        ),
        pytest.param(
            {"$switch": {"branches": [{"case": False, "then": 1}], "default": 0}}, 0, id="switch-default"
        ),
        pytest.param(
            {"$let": {"vars": {"x": 2, "y": "$i"}, "in": {"$multiply": ["$$x", "$$y"]}}}, 10, id="let"
        ),
    ],
)
def test_comparison_and_logic(spec, expected):
    assert evaluate(spec, DOC) == expected


def test_missing_result_is_missing():
    assert evaluate("$nope", DOC) is MISSING
    assert evaluate("$$REMOVE", DOC) is MISSING


@pytest.mark.parametrize(
    "spec, code",
    [
        pytest.param({"$foo": 1}, 168, id="unknown-operator"),
        pytest.param({"$abs": [1, 2]}, 16020, id="arity"),
        pytest.param({"$cond": [1, 2]}, 16020, id="cond-arity"),
        pytest.param({"$cond": {"if": 1, "then": 2}}, 17082, id="cond-missing-else"),
        pytest.param({"$add": 1, "$sub": 2}, 15983, id="two-operators"),
        pytest.param("$$undefinedVar", 17276, id="undefined-variable"),
        pytest.param({"$let": {"vars": {"X": 1}, "in": 1}}, 16870, id="let-bad-name"),
        pytest.param({"$switch": {"branches": []}}, 40068, id="switch-no-branches"),
        pytest.param("$a..b", 15998, id="empty-path-part"),
    ],
)
def test_compile_errors(spec, code):
    from docdb.engine.expressions import compile_expression

    with pytest.raises(MongoError) as exc:
        compile_expression(spec, allow_vars=frozenset())
    assert exc.value.code == code


def test_switch_without_match_raises_40066():
    with pytest.raises(MongoError) as exc:
        evaluate({"$switch": {"branches": [{"case": False, "then": 1}]}})
    assert exc.value.code == 40066


def test_error_code_name():
    with pytest.raises(MongoError) as exc:
        evaluate({"$nope": 1})
    assert exc.value.code_name == "InvalidPipelineOperator"
    assert exc.value.errmsg == "Unrecognized expression '$nope'"
