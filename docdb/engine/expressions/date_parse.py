"""Parsing date strings: ISO 8601 forms by default, or a ``$dateFromString`` format (%Y-%m-%d …)."""

from __future__ import annotations

import datetime
import re

from docdb.engine.expressions.dates_util import UTC, from_local, parse_timezone
from docdb.errors import ErrorCode, MongoError

_ISO = re.compile(
    r"^(?P<Y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})"
    r"(?:[T ](?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:\.(?P<L>\d{1,9}))?)?)?"
    r"\s*(?P<tz>Z|[+-]\d{2}(?::?\d{2})?|\s*\(?[A-Za-z_]+/[A-Za-z_/]+\)?)?$"
)
_MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
_DIRECTIVES = {
    "Y": r"(?P<Y>\d{4})",
    "m": r"(?P<m>\d{1,2})",
    "d": r"(?P<d>\d{1,2})",
    "H": r"(?P<H>\d{1,2})",
    "M": r"(?P<M>\d{1,2})",
    "S": r"(?P<S>\d{1,2})",
    "L": r"(?P<L>\d{1,3})",
    "j": r"(?P<j>\d{1,3})",
    "G": r"(?P<G>\d{4})",
    "V": r"(?P<V>\d{1,2})",
    "u": r"(?P<u>\d)",
    "z": r"(?P<tz>[+-]\d{2}:?\d{2}|Z)",
    "Z": r"(?P<Zmin>[+-]\d+)",
    "b": r"(?P<b>[A-Za-z]{3})",
    "B": r"(?P<B>[A-Za-z]+)",
}


def _fail(text: str, reason: str) -> MongoError:
    return MongoError(ErrorCode.ConversionFailure, f"Error parsing date string '{text}'; {reason}")


def compile_format(fmt: str) -> re.Pattern:
    """A regex for a $dateFromString format; bad directives raise like mongod (18536, 18535)."""
    out = ["^"]
    i = 0
    while i < len(fmt):
        ch = fmt[i]
        if ch != "%":
            out.append(re.escape(ch))
            i += 1
            continue
        if i + 1 >= len(fmt):
            raise MongoError(18535, "Unmatched '%' at end of format string")
        directive = fmt[i + 1]
        if directive == "%":
            out.append("%")
        elif directive in _DIRECTIVES:
            out.append(_DIRECTIVES[directive])
        else:
            raise MongoError(18536, f"Invalid format character '%{directive}' in format string")
        i += 2
    out.append("$")
    return re.compile("".join(out))


def parse_date_string(text: str, fmt: str | None, tz: datetime.tzinfo | None) -> int:
    """ms since the epoch for ``text``; a zone in the string wins over ``tz`` (which defaults to UTC)."""
    match = (compile_format(fmt) if fmt else _ISO).match(text)
    if match is None:
        raise _fail(text, "the input does not match the format" if fmt else "unable to parse the date string")
    parts = match.groupdict()
    zone = tz or UTC
    if parts.get("tz"):
        spec = parts["tz"].strip(" ()")
        zone = UTC if spec == "Z" else parse_timezone(spec)
    if parts.get("Zmin"):
        zone = datetime.timezone(datetime.timedelta(minutes=int(parts["Zmin"])))
    try:
        if parts.get("G"):
            base = datetime.date.fromisocalendar(
                int(parts["G"]), int(parts.get("V") or 1), int(parts.get("u") or 1)
            )
        elif parts.get("j"):
            base = datetime.date(int(parts["Y"]), 1, 1) + datetime.timedelta(days=int(parts["j"]) - 1)
        else:
            month = parts.get("m")
            if parts.get("b") or parts.get("B"):
                name = (parts.get("b") or parts.get("B") or "")[:3].lower()
                if name not in _MONTHS:
                    raise ValueError("bad month name")
                month = str(_MONTHS.index(name) + 1)
            if not parts.get("Y"):
                raise ValueError("no year")
            base = datetime.date(int(parts["Y"]), int(month or 1), int(parts.get("d") or 1))
        millis = (parts.get("L") or "0")[:3].ljust(3, "0")
        local = datetime.datetime(
            base.year,
            base.month,
            base.day,
            int(parts.get("H") or 0),
            int(parts.get("M") or 0),
            int(parts.get("S") or 0),
            int(millis) * 1000,
        )
    except ValueError as exc:
        raise _fail(text, str(exc)) from None
    return from_local(local, zone)
