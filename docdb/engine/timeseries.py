"""Time-series collections: the ``timeseries`` create option, measurements, and what 7.0 refuses on them.

docdb stores each measurement as an ordinary document of the collection itself (no buckets): the options
live in the collection's ``options`` (``timeseries``, ``expireAfterSeconds``), reads see the measurements
directly, and an insert lays a measurement out as mongod's bucket unpacking returns it: the time field,
then the meta field, then the other fields, then ``_id``. Updates follow 7.0's rules (multi, no upsert,
the query and the changes on the meta field only); deletes are unrestricted, as in 7.0.
"""

from __future__ import annotations

import datetime
from typing import Any

from bson.datetime_ms import DatetimeMS
from bson.int64 import Int64
from bson.objectid import ObjectId

from docdb.engine.bson_order import datetime_to_ms
from docdb.engine.query.types import type_name
from docdb.errors import ErrorCode, MongoError

# granularity -> (bucketMaxSpanSeconds, bucketRoundingSeconds), mongod's defaults
GRANULARITIES = {"seconds": (3600, 60), "minutes": (86400, 3600), "hours": (2592000, 86400)}
_FIELDS = ("timeField", "metaField", "granularity", "bucketMaxSpanSeconds", "bucketRoundingSeconds")
MAX_BUCKET_SPAN = 31536000  # one year


def _invalid(message: str) -> MongoError:
    return MongoError(ErrorCode.InvalidOptions, message)


def _wrong_type(name: str, value: Any, expected: str) -> MongoError:
    return MongoError(
        ErrorCode.TypeMismatch,
        f"BSON field 'create.timeseries.{name}' is the wrong type '{type_name(value)}', expected type "
        f"'{expected}'",
    )


def parse_timeseries(raw: Any) -> dict[str, Any]:
    """The normalized ``timeseries`` option (defaults filled in as listCollections shows them)."""
    if not isinstance(raw, dict):
        raise MongoError(
            ErrorCode.TypeMismatch,
            f"BSON field 'create.timeseries' is the wrong type '{type_name(raw)}', expected type 'object'",
        )
    for name in raw:
        if name not in _FIELDS:
            raise MongoError(40415, f"BSON field 'create.timeseries.{name}' is an unknown field.")
    if "timeField" not in raw:
        raise MongoError(40414, "BSON field 'create.timeseries.timeField' is missing but a required field")
    out: dict[str, Any] = {}
    for name in ("timeField", "metaField", "granularity"):
        if name in raw:
            if not isinstance(raw[name], str):
                raise _wrong_type(name, raw[name], "string")
            out[name] = raw[name]
    for name in ("timeField", "metaField"):
        field = out.get(name)
        if field is not None and ("." in field or field.startswith("$") or not field):
            raise MongoError(
                ErrorCode.BadValue, f"The '{name}' field name is not a valid field name: '{field}'"
            )
    if out.get("metaField") == "_id":
        raise _invalid("The 'metaField' field name cannot be '_id'")
    if "metaField" in out and out["metaField"] == out["timeField"]:
        raise _invalid("The 'metaField' field name cannot be the same as the 'timeField' field name")
    granularity = out.get("granularity")
    if granularity is not None and granularity not in GRANULARITIES:
        raise MongoError(
            ErrorCode.BadValue,
            f"Enumeration value '{granularity}' for field 'create.timeseries.granularity' is not a valid "
            "value.",
        )
    spans = {}
    for name in ("bucketMaxSpanSeconds", "bucketRoundingSeconds"):
        if name in raw:
            value = raw[name]
            if isinstance(value, bool) or not isinstance(value, (int, Int64)):
                raise _wrong_type(name, value, "int")
            spans[name] = int(value)
    return _bucketing(out, spans)


def _bucketing(out: dict[str, Any], spans: dict[str, int]) -> dict[str, Any]:
    """Granularity or the two custom bucket parameters, checked and completed as mongod does."""
    granularity = out.get("granularity")
    if granularity is None and not spans:
        granularity = out["granularity"] = "seconds"
    if granularity is not None:
        max_span, rounding = GRANULARITIES[granularity]
        if spans.get("bucketMaxSpanSeconds", max_span) != max_span:
            raise _invalid(
                "Timeseries 'bucketMaxSpanSeconds' is not configurable to a value other than the default of "
                f"{max_span} for the provided granularity"
            )
        if spans.get("bucketRoundingSeconds", rounding) != rounding:
            raise _invalid(
                "Timeseries 'bucketRoundingSeconds' is not configurable to a value other than the default of "
                f"{rounding} for the provided granularity"
            )
        out["bucketMaxSpanSeconds"] = max_span
        out["bucketRoundingSeconds"] = rounding
        return out
    if len(spans) != 2 or spans["bucketMaxSpanSeconds"] != spans["bucketRoundingSeconds"]:
        raise _invalid(
            "Timeseries 'bucketMaxSpanSeconds' and 'bucketRoundingSeconds' fields must be present together "
            "and must be equal"
        )
    if not 1 <= spans["bucketMaxSpanSeconds"] <= MAX_BUCKET_SPAN:
        raise _invalid(f"Timeseries 'bucketMaxSpanSeconds' must be between 1 and {MAX_BUCKET_SPAN}")
    out["bucketMaxSpanSeconds"] = spans["bucketMaxSpanSeconds"]
    out["bucketRoundingSeconds"] = spans["bucketRoundingSeconds"]
    return out


def parse_expire_after(value: Any) -> int:
    """``expireAfterSeconds`` of a time-series create: a non-negative whole number."""
    if isinstance(value, bool) or not isinstance(value, (int, Int64, float)):
        raise MongoError(
            ErrorCode.TypeMismatch,
            f"BSON field 'create.expireAfterSeconds' is the wrong type '{type_name(value)}', expected types "
            "'[long, int, decimal, double]'",
        )
    if value < 0:
        raise _invalid(
            "TTL index 'expireAfterSeconds' option must be within an acceptable range, try a lower number"
        )
    return int(value)


def measurement(doc: dict[str, Any], options: dict[str, Any]) -> dict[str, Any]:
    """``doc`` as a measurement: checked (the time field holds a date) and laid out as mongod returns
    measurements (time, meta, the rest, ``_id`` last; an ``_id`` is generated when missing)."""
    time_field = options["timeField"]
    when = doc.get(time_field)
    if not isinstance(when, (datetime.datetime, DatetimeMS)):
        raise MongoError(
            ErrorCode.BadValue, f"'{time_field}' must be present and contain a valid BSON UTC datetime value"
        )
    meta_field = options.get("metaField")
    out: dict[str, Any] = {time_field: when}
    if meta_field is not None and meta_field in doc:
        out[meta_field] = doc[meta_field]
    for name, value in doc.items():
        if name not in out and name != "_id":
            out[name] = value
    out["_id"] = doc["_id"] if "_id" in doc else ObjectId()
    return out


def check_update(
    options: dict[str, Any], query: dict[str, Any], update: Any, multi: bool, upsert: bool
) -> None:
    """7.0's rules for an update of a time-series collection (InvalidOptions 72, mongod's messages)."""
    meta = options.get("metaField")
    if meta is None:
        raise _invalid("Cannot perform an update on a time-series collection that does not have a metaField")
    if not multi:
        raise _invalid("Cannot perform a non-multi update on a time-series collection")
    if upsert:
        raise _invalid("Cannot perform an upsert on a time-series collection")
    _check_query(query, meta)
    if isinstance(update, list):
        raise _invalid("Cannot perform an update on a time-series collection using a pipeline update")
    if not update or not next(iter(update)).startswith("$"):
        raise _invalid("Cannot perform an update on a time-series collection using a replacement document")
    for operator, fields in update.items():
        for name, value in fields.items() if isinstance(fields, dict) else ():
            renamed_ok = operator != "$rename" or (isinstance(value, str) and _on_meta(value, meta))
            if not _on_meta(name, meta) or not renamed_ok:
                raise _invalid(
                    "Cannot perform an update on a time-series collection which updates a field that is not "
                    f"the metaField '{meta}'"
                )


def _on_meta(path: str, meta: str) -> bool:
    return path.partition(".")[0] == meta


def _check_query(query: dict[str, Any], meta: str) -> None:
    """Every field the query names must be the meta field (or below it); no $expr or $where (mongod's
    walk: a field is top-level at the root, and in an object that is an element of an array)."""
    for name, value in query.items():
        _check_element(name, value, meta, True, False)


def _check_element(name: str, value: Any, meta: str, top: bool, parent_is_array: bool) -> None:
    if name in ("$expr", "$where"):
        raise _invalid(f"Cannot use {name} when performing an update or delete on a time-series collection")
    if top and not name.startswith("$") and not _on_meta(name, meta):
        raise _invalid(
            "Cannot perform an update or delete on a time-series collection when querying on a field "
            f"that is not the metaField '{meta}'"
        )
    child_top = parent_is_array and isinstance(value, dict)
    if isinstance(value, dict):
        for child, item in value.items():
            _check_element(child, item, meta, child_top, False)
    elif isinstance(value, list):
        for item in value:
            _check_element("", item, meta, child_top, True)


def expired(options: dict[str, Any], doc: dict[str, Any], now_ms: int) -> bool:
    """True when a measurement's time is past the collection's ``expireAfterSeconds``."""
    when = doc.get(options["timeseries"]["timeField"])
    if isinstance(when, DatetimeMS):
        ms = int(when)
    elif isinstance(when, datetime.datetime):
        ms = datetime_to_ms(when)
    else:
        return False
    return ms + options["expireAfterSeconds"] * 1000 <= now_ms
