"""Date operators: parts ($year … $isoWeek), $dateToString/$dateFromString, $dateFromParts/$dateToParts.

Date arithmetic ($dateAdd $dateSubtract $dateDiff $dateTrunc) lives in ``date_arithmetic``."""

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
from docdb.engine.expressions.date_parse import parse_date_string
from docdb.engine.expressions.dates_util import (
    UTC,
    coerce_date,
    from_local,
    ms_to_date,
    timezone_arg,
    to_local,
    utc_offset,
)
from docdb.engine.expressions.numeric import as_int, num_kind
from docdb.errors import ErrorCode, MongoError

DEFAULT_FORMAT = "%Y-%m-%dT%H:%M:%S.%LZ"
_MONTH_ABBR = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
_MONTH_FULL = list(calendar.month_name)[1:]


def _nullish(value: Any) -> bool:
    return value is None or value is MISSING


_EXTRACTORS = {
    "$dayOfMonth": lambda d, ms: d.day,
    "$dayOfWeek": lambda d, ms: (d.isoweekday() % 7) + 1,
    "$dayOfYear": lambda d, ms: d.timetuple().tm_yday,
    "$hour": lambda d, ms: d.hour,
    "$isoDayOfWeek": lambda d, ms: d.isoweekday(),
    "$isoWeek": lambda d, ms: d.isocalendar()[1],
    "$isoWeekYear": lambda d, ms: Int64(d.isocalendar()[0]),
    "$millisecond": lambda d, ms: ms % 1000,
    "$minute": lambda d, ms: d.minute,
    "$month": lambda d, ms: d.month,
    "$second": lambda d, ms: d.second,
    "$week": lambda d, ms: int(d.strftime("%U")),
    "$year": lambda d, ms: d.year,
}


def _date_part(name: str, extract: Any) -> None:
    @register(name)
    def compile_part(args: Any, scope: Scope) -> Evaluator:
        if isinstance(args, list):
            if len(args) != 1:
                raise MongoError(40536, f"{name} requires one argument, found {len(args)}")
            args = args[0]
        timezone = None
        if isinstance(args, dict) and "date" in args:
            for key in args:
                if key not in ("date", "timezone"):
                    raise MongoError(40535, f'unrecognized option to {name}: "{key}"')
            source = compile_node(args["date"], scope)
            if "timezone" in args:
                timezone = compile_node(args["timezone"], scope)
        else:
            source = compile_node(args, scope)

        def evaluate(doc: Any, v: Variables) -> Any:
            value = source(doc, v)
            tz = UTC
            if timezone is not None:
                zone = timezone(doc, v)
                if _nullish(zone):
                    return None
                tz = timezone_arg(zone)
            if _nullish(value):
                return None
            ms = coerce_date(name, value)
            return extract(to_local(ms, tz), ms)

        return evaluate


for _name, _fn in _EXTRACTORS.items():
    _date_part(_name, _fn)


def date_args(name: str, args: Any, allowed: tuple[str, ...], required: tuple[str, ...]) -> dict:
    if not isinstance(args, dict):
        raise MongoError(18629, f"{name} only supports an object as its argument")
    for key in args:
        if key not in allowed:
            raise MongoError(
                18534 if name == "$dateToString" else 40518, f"Unrecognized argument to {name}: {key}"
            )
    for key in required:
        if key not in args:
            raise MongoError(
                18628 if name == "$dateToString" else 40519, f"Missing '{key}' parameter to {name}"
            )
    return args


def optional_arg(args: dict, key: str, scope: Scope) -> Evaluator | None:
    return compile_node(args[key], scope) if key in args else None


def eval_timezone(timezone: Evaluator | None, doc: Any, v: Variables) -> Any:
    """tzinfo, or MISSING when the timezone evaluates to null (the operator then returns null)."""
    if timezone is None:
        return UTC
    zone = timezone(doc, v)
    if _nullish(zone):
        return MISSING
    return timezone_arg(zone)


def format_date(ms: int, fmt: str, tz: datetime.tzinfo) -> str:
    local = to_local(ms, tz)
    if not 0 <= local.year <= 9999:
        raise MongoError(
            18537,
            "Could not convert date to string: date component was outside the supported range of 0-9999",
        )
    offset = utc_offset(ms, tz)
    minutes = int(offset.total_seconds() // 60)
    out = []
    i = 0
    while i < len(fmt):
        ch = fmt[i]
        if ch != "%":
            out.append(ch)
            i += 1
            continue
        if i + 1 >= len(fmt):
            raise MongoError(18535, "Unmatched '%' at end of format string")
        d = fmt[i + 1]
        i += 2
        iso = local.isocalendar()
        if d == "Y":
            out.append(f"{local.year:04d}")
        elif d == "m":
            out.append(f"{local.month:02d}")
        elif d == "d":
            out.append(f"{local.day:02d}")
        elif d == "H":
            out.append(f"{local.hour:02d}")
        elif d == "M":
            out.append(f"{local.minute:02d}")
        elif d == "S":
            out.append(f"{local.second:02d}")
        elif d == "L":
            out.append(f"{ms % 1000:03d}")
        elif d == "j":
            out.append(f"{local.timetuple().tm_yday:03d}")
        elif d == "w":
            out.append(str(local.isoweekday() % 7 + 1))
        elif d == "u":
            out.append(str(local.isoweekday()))
        elif d == "U":
            out.append(local.strftime("%U"))
        elif d == "V":
            out.append(f"{iso[1]:02d}")
        elif d == "G":
            out.append(f"{iso[0]:04d}")
        elif d == "z":
            sign = "+" if minutes >= 0 else "-"
            out.append(f"{sign}{abs(minutes) // 60:02d}{abs(minutes) % 60:02d}")
        elif d == "Z":
            out.append(f"{'+' if minutes >= 0 else '-'}{abs(minutes)}")
        elif d == "b":
            out.append(_MONTH_ABBR[local.month - 1])
        elif d == "B":
            out.append(_MONTH_FULL[local.month - 1])
        elif d == "%":
            out.append("%")
        else:
            raise MongoError(18536, f"Invalid format character '%{d}' in format string")
    return "".join(out)


def _check_format(fmt: Any) -> None:
    if isinstance(fmt, str):
        format_date(0, fmt, UTC)


@register("$dateToString")
def _date_to_string(args: Any, scope: Scope) -> Evaluator:
    date_args("$dateToString", args, ("date", "format", "timezone", "onNull"), ("date",))
    source = compile_node(args["date"], scope)
    fmt_spec = args.get("format", DEFAULT_FORMAT)
    _check_format(fmt_spec)
    fmt = compile_node(fmt_spec, scope)
    timezone = optional_arg(args, "timezone", scope)
    on_null = optional_arg(args, "onNull", scope)

    def evaluate(doc: Any, v: Variables) -> Any:
        value = source(doc, v)
        pattern = fmt(doc, v)
        if _nullish(pattern):
            return None
        if not isinstance(pattern, str):
            raise MongoError(
                18533, f"$dateToString requires that 'format' be a string, found: {type_name(pattern)}"
            )
        tz = eval_timezone(timezone, doc, v)
        if tz is MISSING:
            return None
        if _nullish(value):
            return on_null(doc, v) if on_null is not None else None
        return format_date(coerce_date("$dateToString", value), pattern, tz)

    return evaluate


@register("$dateFromString")
def _date_from_string(args: Any, scope: Scope) -> Evaluator:
    date_args(
        "$dateFromString", args, ("dateString", "format", "timezone", "onError", "onNull"), ("dateString",)
    )
    source = compile_node(args["dateString"], scope)
    fmt = optional_arg(args, "format", scope)
    timezone = optional_arg(args, "timezone", scope)
    on_error = optional_arg(args, "onError", scope)
    on_null = optional_arg(args, "onNull", scope)

    def evaluate(doc: Any, v: Variables) -> Any:
        text = source(doc, v)
        pattern = fmt(doc, v) if fmt is not None else None
        if fmt is not None and _nullish(pattern):
            return None
        tz = eval_timezone(timezone, doc, v)
        if tz is MISSING:
            return None
        if _nullish(text):
            return on_null(doc, v) if on_null is not None else None
        try:
            if not isinstance(text, str):
                raise MongoError(
                    ErrorCode.ConversionFailure,
                    "$dateFromString requires that 'dateString' be a string, found: "
                    f"{type_name(text)} with value {text}",
                )
            return ms_to_date(parse_date_string(text, pattern, None if timezone is None else tz))
        except MongoError as exc:
            if on_error is not None and exc.code == ErrorCode.ConversionFailure:
                return on_error(doc, v)
            raise

    return evaluate


_CALENDAR_PARTS = ("year", "month", "day", "hour", "minute", "second", "millisecond")
_ISO_PARTS = ("isoWeekYear", "isoWeek", "isoDayOfWeek", "hour", "minute", "second", "millisecond")


@register("$dateFromParts")
def _date_from_parts(args: Any, scope: Scope) -> Evaluator:
    if not isinstance(args, dict):
        raise MongoError(40519, "$dateFromParts only supports an object as its argument")
    for key in args:
        if key not in _CALENDAR_PARTS + _ISO_PARTS + ("timezone",):
            raise MongoError(40518, f"Unrecognized argument to $dateFromParts: {key}")
    iso = "isoWeekYear" in args
    if iso and "year" in args:
        raise MongoError(40489, "$dateFromParts does not allow mixing natural dates with ISO dates")
    if not iso and "year" not in args:
        raise MongoError(40516, "$dateFromParts requires either 'year' or 'isoWeekYear' to be present")
    names = _ISO_PARTS if iso else _CALENDAR_PARTS
    for key in args:
        if key in ("year", "month", "day") and iso or key in ("isoWeek", "isoDayOfWeek") and not iso:
            raise MongoError(40489, "$dateFromParts does not allow mixing natural dates with ISO dates")
    parts = {name: compile_node(args[name], scope) for name in names if name in args}
    timezone = optional_arg(args, "timezone", scope)
    defaults = {"month": 1, "day": 1, "isoWeek": 1, "isoDayOfWeek": 1}

    def evaluate(doc: Any, v: Variables) -> Any:
        values = {}
        for name in names:
            if name not in parts:
                values[name] = defaults.get(name, 0)
                continue
            raw = parts[name](doc, v)
            if _nullish(raw):
                return None
            number = as_int(raw) if num_kind(raw) >= 0 else None
            if number is None:
                raise MongoError(
                    40515, f"'{name}' must evaluate to an integer, found {type_name(raw)} with value {raw}"
                )
            if name in ("year", "isoWeekYear"):
                if not 1 <= number <= 9999:
                    raise MongoError(
                        40523, f"'{name}' must evaluate to an integer in the range 1 to 9999, found {number}"
                    )
            elif not -32768 <= number <= 32767:
                raise MongoError(
                    31034,
                    f"'{name}' must evaluate to a value in the range [-32768, 32767]; value "
                    f"{number} is not in range",
                )
            values[name] = number
        tz = eval_timezone(timezone, doc, v)
        if tz is MISSING:
            return None
        if iso:
            start = datetime.datetime.fromisocalendar(values["isoWeekYear"], 1, 1)
            days = (values["isoWeek"] - 1) * 7 + values["isoDayOfWeek"] - 1
        else:
            months = values["year"] * 12 + values["month"] - 1
            start = (
                datetime.datetime(1, 1, 1)
                if months < 12
                else datetime.datetime(months // 12, months % 12 + 1, 1)
            )
            days = values["day"] - 1
        delta = datetime.timedelta(
            days=days,
            hours=values["hour"],
            minutes=values["minute"],
            seconds=values["second"],
            milliseconds=values["millisecond"],
        )
        return ms_to_date(from_local(start, tz) + delta_ms(delta) + dst_shift(start, start + delta, tz))

    return evaluate


def delta_ms(delta: datetime.timedelta) -> int:
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000


def dst_shift(start: datetime.datetime, end: datetime.datetime, tz: datetime.tzinfo) -> int:
    """Correction when a wall-clock span crosses a DST change (offset at ``end`` differs from ``start``)."""
    if isinstance(tz, datetime.timezone):
        return 0
    try:
        return from_local(end, tz) - from_local(start, tz) - delta_ms(end - start)
    except (OverflowError, ValueError):
        return 0


@register("$dateToParts")
def _date_to_parts(args: Any, scope: Scope) -> Evaluator:
    date_args("$dateToParts", args, ("date", "timezone", "iso8601"), ("date",))
    source = compile_node(args["date"], scope)
    timezone = optional_arg(args, "timezone", scope)
    iso_flag = optional_arg(args, "iso8601", scope)

    def evaluate(doc: Any, v: Variables) -> Any:
        value = source(doc, v)
        tz = eval_timezone(timezone, doc, v)
        if tz is MISSING or _nullish(value):
            return None
        iso = iso_flag(doc, v) if iso_flag is not None else False
        if _nullish(iso):
            return None
        if not isinstance(iso, bool):
            raise MongoError(40521, f"iso8601 must evaluate to a bool, found {type_name(iso)}")
        ms = coerce_date("$dateToParts", value)
        d = to_local(ms, tz)
        if iso:
            year, week, weekday = d.isocalendar()
            head = {"isoWeekYear": year, "isoWeek": week, "isoDayOfWeek": weekday}
        else:
            head = {"year": d.year, "month": d.month, "day": d.day}
        return {**head, "hour": d.hour, "minute": d.minute, "second": d.second, "millisecond": ms % 1000}

    return evaluate
