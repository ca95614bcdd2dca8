"""Type operators: $type, $isNumber, $convert and its $toX shorthands (ConversionFailure on bad input)."""

from __future__ import annotations

import decimal
import math
import re
from typing import Any

from bson.decimal128 import Decimal128
from bson.int64 import Int64
from bson.objectid import ObjectId
from bson.timestamp import Timestamp

from docdb.engine.expressions.core import (
    MISSING,
    Evaluator,
    Scope,
    Variables,
    compile_node,
    register,
    simple,
    type_name,
)
from docdb.engine.expressions.dates_util import date_to_ms, is_date, ms_to_date
from docdb.engine.expressions.numeric import (
    DECIMAL,
    DOUBLE,
    INT64_MAX,
    INT64_MIN,
    LONG,
    NOT_NUMBER,
    is_number,
    make_decimal,
    num_kind,
    to_decimal,
)
from docdb.engine.expressions.stringify import to_string
from docdb.errors import ErrorCode, MongoError

_TYPE_CODES = {
    1: "double",
    2: "string",
    7: "objectId",
    8: "bool",
    9: "date",
    16: "int",
    18: "long",
    19: "decimal",
}
_INT_TEXT = re.compile(r"^-?\d+$")
_FLOAT_TEXT = re.compile(r"^[-+]?((\d+\.?\d*|\.\d+)([eE][-+]?\d+)?|[Ii]nf(inity)?|NaN)$")


class _Failure(Exception):
    """A conversion that fails; becomes ConversionFailure unless ``onError`` is given."""


def _type(value: Any) -> str:
    return type_name(value)


def _unsupported(value: Any, target: str) -> _Failure:
    return _Failure(
        f"Unsupported conversion from {type_name(value)} to {target} in $convert with no onError value"
    )


def _overflow(value: Any) -> _Failure:
    return _Failure(
        f"Conversion would overflow target type in $convert with no onError value: {_show(value)}"
    )


def _show(value: Any) -> str:
    if isinstance(value, float):
        from docdb.engine.expressions.stringify import format_double

        return format_double(value)
    return str(value)


def _parse_number_failure(text: str, reason: str) -> _Failure:
    return _Failure(f"Failed to parse number '{text}' in $convert with no onError value: {reason}")


def _integral(value: Any, low: int, high: int, target: str) -> int:
    kind = num_kind(value)
    if isinstance(value, bool):
        return int(value)
    if kind == NOT_NUMBER:
        if isinstance(value, str):
            if not _INT_TEXT.match(value):
                raise _parse_number_failure(value, "Did not consume whole string.")
            number = int(value)
            if not low <= number <= high:
                raise _parse_number_failure(value, "Overflow")
            return number
        if target == "long" and is_date(value):
            return date_to_ms(value)
        raise _unsupported(value, target)
    if kind == DOUBLE:
        if math.isnan(value) or math.isinf(value):
            raise _Failure(
                f"Attempt to convert {'NaN' if math.isnan(value) else 'infinity'} value to "
                "integer type in $convert "
                "with no onError value"
            )
        number = int(value)
    elif kind == DECIMAL:
        d = value.to_decimal()
        if not d.is_finite():
            raise _Failure(
                f"Attempt to convert {'NaN' if d.is_nan() else 'infinity'} value to integer type in $convert "
                "with no onError value"
            )
        number = int(d)
    else:
        number = int(value)
    if not low <= number <= high:
        raise _overflow(value)
    return number


def convert_int(value: Any) -> int:
    return _integral(value, -(2**31), 2**31 - 1, "int")


def convert_long(value: Any) -> Int64:
    return Int64(_integral(value, INT64_MIN, INT64_MAX, "long"))


def convert_double(value: Any) -> float:
    if isinstance(value, bool):
        return float(value)
    kind = num_kind(value)
    if kind == DECIMAL:
        d = value.to_decimal()
        result = float(d)
        if d.is_finite() and math.isinf(result):
            raise _overflow(value)
        return result
    if kind != NOT_NUMBER:
        return float(value)
    if isinstance(value, str):
        if not _FLOAT_TEXT.match(value):
            raise _parse_number_failure(value, "Did not consume whole string.")
        return float(value)
    if is_date(value):
        return float(date_to_ms(value))
    raise _unsupported(value, "double")


def convert_decimal(value: Any) -> Decimal128:
    if isinstance(value, bool):
        return Decimal128(str(int(value)))
    kind = num_kind(value)
    if kind != NOT_NUMBER:
        return make_decimal(to_decimal(value))
    if isinstance(value, str):
        try:
            return make_decimal(decimal.Decimal(value))
        except decimal.InvalidOperation:
            raise _Failure(
                f"Failed to parse number '{value}' in $convert with no onError value: Failed "
                "to parse string to decimal"
            ) from None
    if is_date(value):
        return Decimal128(str(date_to_ms(value)))
    raise _unsupported(value, "decimal")


def convert_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    kind = num_kind(value)
    if kind == DECIMAL:
        return not value.to_decimal().is_zero()
    if kind != NOT_NUMBER:
        return value != 0
    if isinstance(value, (str, ObjectId, Timestamp)) or is_date(value):
        return True
    raise _unsupported(value, "bool")


def convert_string(value: Any) -> str:
    if isinstance(value, (dict, list)) or type_name(value) in (
        "binData",
        "regex",
        "minKey",
        "maxKey",
        "javascript",
    ):
        raise _unsupported(value, "string")
    return to_string(value)


def convert_object_id(value: Any) -> ObjectId:
    if isinstance(value, ObjectId):
        return value
    if isinstance(value, str):
        if len(value) != 24:
            raise _Failure(
                f"Failed to parse objectId '{value}' in $convert with no onError value: "
                "Invalid string length for "
                f"parsing to OID, expected 24 but found {len(value)}"
            )
        try:
            return ObjectId(value)
        except Exception:
            raise _Failure(
                f"Failed to parse objectId '{value}' in $convert with no onError value: "
                "Invalid character found in "
                "hex string"
            ) from None
    raise _unsupported(value, "objectId")


def convert_date(value: Any) -> Any:
    from docdb.engine.expressions.date_parse import parse_date_string

    if is_date(value):
        return value
    kind = num_kind(value)
    if kind == DOUBLE or kind == DECIMAL:
        number = to_decimal(value)
        if number.is_nan():
            raise _Failure("Attempt to convert NaN value to integer type in $convert with no onError value")
        if not number.is_finite() or not INT64_MIN <= number <= INT64_MAX:
            raise _overflow(value)
        return ms_to_date(int(number))
    if kind == LONG:
        return ms_to_date(int(value))
    if isinstance(value, str):
        try:
            return ms_to_date(parse_date_string(value, None, None))
        except MongoError as exc:
            raise _Failure(f"Error parsing date string '{value}'; {exc.errmsg}") from None
    if isinstance(value, ObjectId):
        return ms_to_date(int(value.generation_time.timestamp()) * 1000)
    if isinstance(value, Timestamp):
        return ms_to_date(value.time * 1000)
    raise _unsupported(value, "date")


CONVERTERS = {
    "bool": convert_bool,
    "date": convert_date,
    "decimal": convert_decimal,
    "double": convert_double,
    "int": convert_int,
    "long": convert_long,
    "objectId": convert_object_id,
    "string": convert_string,
}


def _target(value: Any) -> str:
    if isinstance(value, str):
        if value not in CONVERTERS:
            raise MongoError(ErrorCode.BadValue, f"Unknown type name: {value}")
        return value
    if is_number(value):
        code = int(value) if num_kind(value) != DOUBLE or value == int(value) else None
        if code in _TYPE_CODES:
            return _TYPE_CODES[code]
        raise MongoError(
            ErrorCode.BadValue,
            f"In $convert, numeric value for 'to' does not correspond to a BSON type: {value}",
        )
    raise MongoError(
        ErrorCode.FailedToParse,
        f"$convert's 'to' argument must be a string or number, but is {type_name(value)}",
    )


def convert(value: Any, target: str) -> Any:
    """Convert a non-null value; raises ConversionFailure (241)."""
    try:
        return CONVERTERS[target](value)
    except _Failure as exc:
        raise MongoError(ErrorCode.ConversionFailure, str(exc)) from None


@register("$convert")
def _convert(args: Any, scope: Scope) -> Evaluator:
    if not isinstance(args, dict):
        raise MongoError(
            ErrorCode.FailedToParse,
            "$convert expects an object of named arguments but found: " + type_name(args),
        )
    for key in args:
        if key not in ("input", "to", "onError", "onNull"):
            raise MongoError(ErrorCode.FailedToParse, f"$convert found an unknown argument: {key}")
    if "input" not in args:
        raise MongoError(ErrorCode.FailedToParse, "Missing 'input' parameter to $convert")
    if "to" not in args:
        raise MongoError(ErrorCode.FailedToParse, "Missing 'to' parameter to $convert")
    source = compile_node(args["input"], scope)
    to = compile_node(args["to"], scope)
    on_error = compile_node(args["onError"], scope) if "onError" in args else None
    on_null = compile_node(args["onNull"], scope) if "onNull" in args else None

    def evaluate(doc: Any, v: Variables) -> Any:
        value = source(doc, v)
        target_value = to(doc, v)
        if target_value is None or target_value is MISSING:
            return None
        target = _target(target_value)
        if value is None or value is MISSING:
            return on_null(doc, v) if on_null is not None else None
        try:
            return CONVERTERS[target](value)
        except _Failure as exc:
            if on_error is not None:
                return on_error(doc, v)
            raise MongoError(ErrorCode.ConversionFailure, str(exc)) from None

    return evaluate


def _shorthand(name: str, target: str) -> None:
    def apply(value: Any) -> Any:
        if value is None or value is MISSING:
            return None
        return convert(value, target)

    simple(name, apply, 1)


_shorthand("$toBool", "bool")
_shorthand("$toDate", "date")
_shorthand("$toDecimal", "decimal")
_shorthand("$toDouble", "double")
_shorthand("$toInt", "int")
_shorthand("$toLong", "long")
_shorthand("$toObjectId", "objectId")
_shorthand("$toString", "string")
simple("$isNumber", is_number, 1)
simple("$type", _type, 1)
