"""Date arithmetic: $dateAdd / $dateSubtract, $dateDiff and $dateTrunc, in calendar units and timezones."""

from __future__ import annotations

import calendar
import datetime
from typing import Any

from bson.int64 import Int64

from docdb.engine.expressions.core import (
    MISSING,
    Evaluator,
    Scope,
    Variables,
    compile_node,
    register,
    type_name,
)
from docdb.engine.expressions.dates import eval_timezone, optional_arg
from docdb.engine.expressions.dates_util import UTC, coerce_date, from_local, ms_to_date, to_local, utc_offset
from docdb.engine.expressions.numeric import as_int, num_kind
from docdb.errors import ErrorCode, MongoError

_UNITS_MS = {
    "week": 604_800_000,
    "day": 86_400_000,
    "hour": 3_600_000,
    "minute": 60_000,
    "second": 1000,
    "millisecond": 1,
}
UNITS = ("year", "quarter", "month", "week", "day", "hour", "minute", "second", "millisecond")
_WEEKDAYS = {"mon": 0, "monday": 0, "tue": 1, "tuesday": 1, "wed": 2, "wednesday": 2, "thu": 3, "thursday": 3}
_WEEKDAYS |= {"fri": 4, "friday": 4, "sat": 5, "saturday": 5, "sun": 6, "sunday": 6}


def _nullish(value: Any) -> bool:
    return value is None or value is MISSING


def _unit(name: str, value: Any) -> str:
    if not isinstance(value, str):
        raise MongoError(5439013, f"{name} requires 'unit' to be a string, but got {type_name(value)}")
    if value not in UNITS:
        raise MongoError(ErrorCode.FailedToParse, f"unknown time unit value: {value}")
    return value


def add_units(ms: int, unit: str, amount: int, tz: datetime.tzinfo) -> int:
    """``ms`` plus ``amount`` units; calendar units move the wall clock in ``tz`` and clamp the day."""
    if unit in ("hour", "minute", "second", "millisecond"):
        return ms + amount * _UNITS_MS[unit]
    local = to_local(ms, tz)
    if unit in ("year", "quarter", "month"):
        months = amount * {"year": 12, "quarter": 3, "month": 1}[unit]
        total = local.year * 12 + local.month - 1 + months
        year, month = divmod(total, 12)
        if not 1 <= year <= 9999:
            raise MongoError(5166406, "$dateAdd overflowed")
        day = min(local.day, calendar.monthrange(year, month + 1)[1])
        moved = local.replace(year=year, month=month + 1, day=day)
    else:
        try:
            moved = local + datetime.timedelta(milliseconds=amount * _UNITS_MS[unit])
        except OverflowError:
            raise MongoError(5166406, "$dateAdd overflowed") from None
    return from_local(moved.replace(microsecond=0), tz) + ms % 1000


def _date_arith(name: str, sign: int) -> None:
    @register(name)
    def compile_arith(args: Any, scope: Scope) -> Evaluator:
        if not isinstance(args, dict):
            raise MongoError(5166400, f"{name} expects an object as its argument")
        for key in args:
            if key not in ("startDate", "unit", "amount", "timezone"):
                raise MongoError(
                    5166401,
                    f"Unrecognized argument to {name}: {key}. Expected arguments are "
                    "startDate, unit, amount, and optionally timezone.",
                )
        for key in ("startDate", "unit", "amount"):
            if key not in args:
                raise MongoError(5166402, f"{name} requires startDate, unit, and amount to be present")
        start = compile_node(args["startDate"], scope)
        unit = compile_node(args["unit"], scope)
        amount = compile_node(args["amount"], scope)
        timezone = optional_arg(args, "timezone", scope)

        def evaluate(doc: Any, v: Variables) -> Any:
            values = (start(doc, v), unit(doc, v), amount(doc, v))
            tz = eval_timezone(timezone, doc, v)
            if tz is MISSING or any(_nullish(x) for x in values):
                return None
            date, unit_name, count = values
            ms = coerce_date(name, date)
            count_int = as_int(count) if num_kind(count) >= 0 else None
            if count_int is None:
                raise MongoError(5166405, f"{name} expects integer amount of time units")
            return ms_to_date(add_units(ms, _unit(name, unit_name), sign * count_int, tz))

        return evaluate


_date_arith("$dateAdd", 1)
_date_arith("$dateSubtract", -1)


def _start_of_week(value: Any) -> int:
    if not isinstance(value, str) or value.lower() not in _WEEKDAYS:
        raise MongoError(5439015, f"unknown day of week value: {value}")
    return _WEEKDAYS[value.lower()]


def date_diff(start_ms: int, end_ms: int, unit: str, tz: datetime.tzinfo, week_start: int) -> int:
    a, b = to_local(start_ms, tz), to_local(end_ms, tz)
    if unit == "year":
        return b.year - a.year
    if unit == "quarter":
        return (b.year * 4 + (b.month - 1) // 3) - (a.year * 4 + (a.month - 1) // 3)
    if unit == "month":
        return (b.year * 12 + b.month) - (a.year * 12 + a.month)
    if unit == "week":
        da = a.toordinal() - (a.weekday() - week_start) % 7
        db = b.toordinal() - (b.weekday() - week_start) % 7
        return (db - da) // 7
    if unit == "day":
        return b.toordinal() - a.toordinal()
    if unit == "hour":
        offset_a = int(utc_offset(start_ms, tz).total_seconds() * 1000)
        offset_b = int(utc_offset(end_ms, tz).total_seconds() * 1000)
        return (end_ms + offset_b) // 3_600_000 - (start_ms + offset_a) // 3_600_000
    size = _UNITS_MS[unit]
    return end_ms // size - start_ms // size


@register("$dateDiff")
def _date_diff(args: Any, scope: Scope) -> Evaluator:
    if not isinstance(args, dict):
        raise MongoError(5166301, "$dateDiff only supports an object as its argument")
    for key in args:
        if key not in ("startDate", "endDate", "unit", "timezone", "startOfWeek"):
            raise MongoError(5166302, f"Unrecognized argument to $dateDiff: {key}")
    for key in ("startDate", "endDate", "unit"):
        if key not in args:
            raise MongoError(5166303, f"Missing '{key}' parameter to $dateDiff")
    start = compile_node(args["startDate"], scope)
    end = compile_node(args["endDate"], scope)
    unit = compile_node(args["unit"], scope)
    timezone = optional_arg(args, "timezone", scope)
    start_of_week = optional_arg(args, "startOfWeek", scope)

    def evaluate(doc: Any, v: Variables) -> Any:
        values = (start(doc, v), end(doc, v), unit(doc, v))
        tz = eval_timezone(timezone, doc, v)
        if tz is MISSING or any(_nullish(x) for x in values):
            return None
        unit_name = _unit("$dateDiff", values[2])
        week_start = 6
        if unit_name == "week" and start_of_week is not None:
            raw = start_of_week(doc, v)
            if _nullish(raw):
                return None
            week_start = _start_of_week(raw)
        a = coerce_date("$dateDiff", values[0])
        b = coerce_date("$dateDiff", values[1])
        return Int64(date_diff(a, b, unit_name, tz, week_start))

    return evaluate


def date_trunc(ms: int, unit: str, bin_size: int, tz: datetime.tzinfo, week_start: int) -> int:
    """Start of the ``bin_size``-``unit`` bin holding ``ms``; bins count from 2000-01-01 in ``tz``."""
    local = to_local(ms, tz)
    if unit in ("year", "quarter", "month"):
        per = {"year": 12, "quarter": 3, "month": 1}[unit] * bin_size
        months = (local.year - 2000) * 12 + local.month - 1
        months -= months % per
        year, month = divmod(months, 12)
        return from_local(datetime.datetime(2000 + year, month + 1, 1), tz)
    if unit in ("week", "day"):
        reference = datetime.date(2000, 1, 1)
        if unit == "week":
            reference += datetime.timedelta(days=(week_start - reference.weekday()) % 7)
        step = bin_size * (7 if unit == "week" else 1)
        days = local.date().toordinal() - reference.toordinal()
        days -= days % step
        return from_local(
            datetime.datetime.combine(reference + datetime.timedelta(days=days), datetime.time()), tz
        )
    size = _UNITS_MS[unit] * bin_size
    offset = int(utc_offset(ms, tz).total_seconds() * 1000)
    reference = 946_684_800_000
    local_ms = ms + offset
    truncated = local_ms - (local_ms - reference) % size
    if unit in ("second", "millisecond", "minute"):
        return truncated - offset
    return from_local(to_local(truncated, UTC), tz)


@register("$dateTrunc")
def _date_trunc(args: Any, scope: Scope) -> Evaluator:
    if not isinstance(args, dict):
        raise MongoError(5439007, "$dateTrunc only supports an object as its argument")
    for key in args:
        if key not in ("date", "unit", "binSize", "timezone", "startOfWeek"):
            raise MongoError(
                5439008,
                f"Unrecognized argument to $dateTrunc: {key}. Expected arguments are date, "
                "unit, and optionally, binSize, timezone, startOfWeek",
            )
    for key in ("date", "unit"):
        if key not in args:
            raise MongoError(
                5439009 if key == "date" else 5439010, f"Missing '{key}' parameter to $dateTrunc"
            )
    date = compile_node(args["date"], scope)
    unit = compile_node(args["unit"], scope)
    bin_size = optional_arg(args, "binSize", scope)
    timezone = optional_arg(args, "timezone", scope)
    start_of_week = optional_arg(args, "startOfWeek", scope)

    def evaluate(doc: Any, v: Variables) -> Any:
        value, unit_value = date(doc, v), unit(doc, v)
        tz = eval_timezone(timezone, doc, v)
        if tz is MISSING or _nullish(value) or _nullish(unit_value):
            return None
        unit_name = _unit("$dateTrunc", unit_value)
        size = 1
        if bin_size is not None:
            raw = bin_size(doc, v)
            if _nullish(raw):
                return None
            size = as_int(raw) if num_kind(raw) >= 0 else None
            if size is None or size <= 0:
                raise MongoError(
                    5439017,
                    "$dateTrunc requires 'binSize' to be a positive 64-bit integer, but got "
                    f"value '{raw}' of type {type_name(raw)}",
                )
        week_start = 6
        if unit_name == "week" and start_of_week is not None:
            raw = start_of_week(doc, v)
            if _nullish(raw):
                return None
            week_start = _start_of_week(raw)
        return ms_to_date(date_trunc(coerce_date("$dateTrunc", value), unit_name, size, tz, week_start))

    return evaluate
