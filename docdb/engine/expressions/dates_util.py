"""Dates as milliseconds since the epoch, and MongoDB's timezone argument (Olson name or ±HH[:MM])."""

from __future__ import annotations

import datetime
import functools
import re
import zoneinfo
from typing import Any

from bson.datetime_ms import DatetimeMS
from bson.objectid import ObjectId
from bson.timestamp import Timestamp

from docdb.errors import MongoError

EPOCH = datetime.datetime(1970, 1, 1)
UTC = datetime.timezone.utc
_MIN_MS = int((datetime.datetime.min - EPOCH) / datetime.timedelta(milliseconds=1))
_MAX_MS = int((datetime.datetime.max - EPOCH) / datetime.timedelta(milliseconds=1))
_OFFSET = re.compile(r"^([+-])(\d{2}):?(\d{2})?$")


def is_date(value: Any) -> bool:
    return isinstance(value, (datetime.datetime, DatetimeMS))


def date_to_ms(value: Any) -> int:
    """Milliseconds since the epoch of a BSON date (naive UTC datetime or DatetimeMS)."""
    if isinstance(value, datetime.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        delta = value - EPOCH
        return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000
    return int(value)


def ms_to_date(ms: int) -> Any:
    """A BSON date for ``ms``: a datetime when Python can hold it, else DatetimeMS (never clamped).

    >>> ms_to_date(0)
    datetime.datetime(1970, 1, 1, 0, 0)
    """
    if _MIN_MS <= ms <= _MAX_MS:
        return EPOCH + datetime.timedelta(milliseconds=ms)
    return DatetimeMS(ms)


def coerce_date(name: str, value: Any) -> int:
    """The ms of a date-like argument (date, Timestamp, ObjectId) or MongoDB's 16006 error."""
    if is_date(value):
        return date_to_ms(value)
    if isinstance(value, Timestamp):
        return value.time * 1000
    if isinstance(value, ObjectId):
        return int(value.generation_time.timestamp()) * 1000
    from docdb.engine.expressions.core import type_name

    raise MongoError(16006, f"can't convert from BSON type {type_name(value)} to Date")


@functools.lru_cache(maxsize=256)
def parse_timezone(spec: str) -> datetime.tzinfo:
    """A tzinfo for an Olson name ("America/New_York", "UTC") or an offset ("+04:30", "-05", "+0530")."""
    match = _OFFSET.match(spec)
    if match:
        sign, hours, minutes = match.groups()
        delta = datetime.timedelta(hours=int(hours), minutes=int(minutes or 0))
        return datetime.timezone(-delta if sign == "-" else delta)
    if spec in ("UTC", "GMT", "Z"):
        return UTC
    try:
        return zoneinfo.ZoneInfo(spec)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise MongoError(40485, f'unrecognized time zone identifier: "{spec}"') from None


def timezone_arg(value: Any) -> datetime.tzinfo | None:
    """Evaluated ``timezone`` argument: None/missing -> None (caller returns null), str -> tzinfo."""
    if not isinstance(value, str):
        raise MongoError(40517, f"timezone must evaluate to a string, found {_alias(value)}")
    return parse_timezone(value)


def _alias(value: Any) -> str:
    from docdb.engine.expressions.core import type_name

    return type_name(value)


def to_local(ms: int, tz: datetime.tzinfo) -> datetime.datetime:
    """Wall-clock time in ``tz`` for ``ms`` (a naive datetime; years outside 1..9999 are an error)."""
    seconds, millis = divmod(ms, 1000)
    try:
        utc = EPOCH + datetime.timedelta(seconds=seconds, milliseconds=millis)
    except OverflowError:
        raise MongoError(
            18537,
            "Could not convert date to string: date component was outside the supported range of 0-9999",
        ) from None
    if tz is UTC:
        return utc
    return utc.replace(tzinfo=UTC).astimezone(tz).replace(tzinfo=None)


def from_local(local: datetime.datetime, tz: datetime.tzinfo) -> int:
    """ms since the epoch of a wall-clock time in ``tz`` (the earlier instant for ambiguous times)."""
    if tz is UTC or isinstance(tz, datetime.timezone):
        offset = tz.utcoffset(None) if tz is not UTC else datetime.timedelta(0)
        return date_to_ms(local - offset)
    aware = local.replace(tzinfo=tz, fold=0)
    return date_to_ms(aware.astimezone(UTC).replace(tzinfo=None))


def utc_offset(ms: int, tz: datetime.tzinfo) -> datetime.timedelta:
    if tz is UTC:
        return datetime.timedelta(0)
    local = to_local(ms, tz)
    return local - to_local(ms, UTC)
