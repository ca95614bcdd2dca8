"""Index specifications: validating a ``createIndexes`` entry and normalizing it to what ``listIndexes``
returns (``{v: 2, key, name, …options in the order given}``), with mongod's errors and conflict rules."""

from __future__ import annotations

import math
from typing import Any

from bson.decimal128 import Decimal128
from bson.int64 import Int64

from docdb.engine.collation import cached_collation
from docdb.engine.key_format import format_value
from docdb.engine.matcher import compile_filter
from docdb.errors import ErrorCode, MongoError

ID_INDEX_SPEC: dict[str, Any] = {"v": 2, "key": {"_id": 1}, "name": "_id_"}
_NOT_BUILT_PLUGINS = ("2d", "2dsphere", "geoHaystack", "hashed", "text", "columnstore")
# Options that change what an index holds or enforces.  # sorted alphabetically
_OPTIONS = ("expireAfterSeconds", "hidden", "partialFilterExpression", "sparse", "unique")
# Accepted and dropped: they do not change behaviour here (build options of older servers).
_IGNORED = ("background", "dropDups", "ns", "v")
_UNSUPPORTED = (
    "2dsphereIndexVersion",
    "bits",
    "bucketSize",
    "clustered",
    "coarsestIndexedLevel",
    "default_language",
    "finestIndexedLevel",
    "language_override",
    "max",
    "min",
    "prepareUnique",
    "storageEngine",
    "textIndexVersion",
    "weights",
    "wildcardProjection",
)
MAX_TTL_SECONDS = 2**31 - 1


def spec_text(spec: dict[str, Any]) -> str:
    """A spec printed as mongod prints it in errors: ``{ v: 2, key: { a: 1 }, name: "a_1" }``."""
    return format_value(spec)


def default_name(key: dict[str, Any]) -> str:
    """mongod's generated name: fields and directions joined by ``_``.

    >>> default_name({"a": 1, "b.c": -1})
    'a_1_b.c_-1'
    """
    return "_".join(f"{field}_{_direction_text(value)}" for field, value in key.items())


def _direction_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, Int64):
        return str(int(value))
    return str(value)


def _cannot_create(spec: dict[str, Any], reason: str) -> MongoError:
    return MongoError(
        ErrorCode.CannotCreateIndex, f"Error in specification {spec_text(spec)} :: caused by :: {reason}"
    )


def _check_key(raw: dict[str, Any], key: Any) -> None:
    if not isinstance(key, dict):
        raise MongoError(ErrorCode.TypeMismatch, "The field 'key' must be an object")
    if not key:
        raise _cannot_create(raw, "Index keys cannot be empty.")
    for field, value in key.items():
        if field == "$**" or field.endswith(".$**"):
            raise MongoError(ErrorCode.NotImplemented, "wildcard indexes are not supported by docdb")
        if (
            not field
            or field.startswith("$")
            or ".." in field
            or field.endswith(".")
            or field.startswith(".")
        ):
            raise _cannot_create(raw, f"Index key contains an illegal field name: '{field}'")
        if isinstance(value, str):
            if value in _NOT_BUILT_PLUGINS:
                raise MongoError(ErrorCode.NotImplemented, f"'{value}' indexes are not supported by docdb")
            raise _cannot_create(raw, f"Unknown index plugin '{value}'")
        if isinstance(value, bool) or not isinstance(value, (int, Int64, float, Decimal128)):
            raise _cannot_create(
                raw, f"Values in the index key pattern can't be of type {type(value).__name__}"
            )
        number = float(value.to_decimal()) if isinstance(value, Decimal128) else float(value)
        if number == 0 or math.isnan(number):
            raise _cannot_create(raw, "Values in the index key pattern can't be zero.")


def parse_index_spec(raw: Any, default_collation: dict[str, Any] | None = None) -> dict[str, Any]:
    """The normalized spec of one ``createIndexes`` entry; raises as mongod does for a bad one.
    ``default_collation``: the collection's, which an index without its own ``collation`` takes."""
    if not isinstance(raw, dict):
        raise MongoError(ErrorCode.TypeMismatch, "The 'indexes' field must be an array of objects")
    if "key" not in raw:
        raise MongoError(
            ErrorCode.FailedToParse, "The 'key' field is a required property of an index specification"
        )
    key = raw["key"]
    _check_key(raw, key)
    name = raw.get("name")
    if name is None:
        raise MongoError(
            ErrorCode.FailedToParse, "The 'name' field is a required property of an index specification"
        )
    if not isinstance(name, str):
        raise MongoError(ErrorCode.TypeMismatch, "The field 'name' must be a string")
    if not name or name == "*" or "\0" in name:
        raise _cannot_create(raw, f"The index name '{name}' is not valid")
    collator = cached_collation(raw["collation"]) if "collation" in raw else None
    spec: dict[str, Any] = {"v": 2, "key": dict(key), "name": name}
    for option, value in raw.items():
        if option in ("key", "name", "collation") or option in _IGNORED:
            continue
        if option in _UNSUPPORTED:
            raise MongoError(ErrorCode.NotImplemented, f"index option '{option}' is not supported by docdb")
        if option not in _OPTIONS:
            raise MongoError(
                ErrorCode.InvalidIndexSpecificationOption,
                f"The field '{option}' is not valid for an index specification. "
                f"Specification: {spec_text(raw)}",
            )
        spec[option] = _check_option(raw, option, value)
    if collator is not None:
        if collator.spec is not None:  # the simple collation is not stored (mongod's catalog)
            spec["collation"] = collator.spec
    elif default_collation is not None:  # an index inherits the collection's default collation
        spec["collation"] = default_collation
    if spec.get("sparse") and "partialFilterExpression" in spec:
        raise _cannot_create(raw, 'cannot mix "partialFilterExpression" and "sparse" options')
    if "expireAfterSeconds" in spec and len(key) > 1:
        raise _cannot_create(raw, "TTL indexes are single-field indexes, compound indexes do not support TTL")
    if key == {"_id": 1} or list(key) == ["_id"]:
        for option in ("unique", "sparse", "partialFilterExpression", "expireAfterSeconds", "hidden"):
            if option in spec and not (option == "unique" and spec[option]):
                raise MongoError(
                    ErrorCode.InvalidIndexSpecificationOption,
                    f"The field '{option}' is not valid for an _id index specification. "
                    f"Specification: {spec_text(raw)}",
                )
    return spec


def _check_option(raw: dict[str, Any], option: str, value: Any) -> Any:
    if option in ("unique", "sparse", "hidden"):
        if not isinstance(value, (bool, int, float, Int64)):
            raise MongoError(ErrorCode.TypeMismatch, f"The field '{option}' must be a bool")
        return bool(value)
    if option == "partialFilterExpression":
        if not isinstance(value, dict):
            raise MongoError(ErrorCode.TypeMismatch, "The field 'partialFilterExpression' must be an object")
        compile_filter(value)
        return value
    if isinstance(value, bool) or not isinstance(value, (int, Int64, float)):
        raise _cannot_create(raw, "TTL index 'expireAfterSeconds' option must be numeric")
    if isinstance(value, float) and math.isnan(value):
        raise _cannot_create(raw, "TTL index 'expireAfterSeconds' option must not be NaN")
    if value < 0 or value > MAX_TTL_SECONDS:
        raise _cannot_create(
            raw,
            "TTL index 'expireAfterSeconds' option must be within an acceptable range, try a lower number",
        )
    return int(value)


def _identity(spec: dict[str, Any]) -> tuple:
    """What makes two specs the same index (the key pattern and partial filter, as in mongod 7.0)."""
    return (
        format_value(spec["key"]),
        format_value(spec.get("partialFilterExpression", {})),
        format_value(spec.get("collation", {})),
    )


def _options(spec: dict[str, Any]) -> dict[str, Any]:
    return {k: spec.get(k, False) for k in ("unique", "sparse", "expireAfterSeconds", "hidden")}


def direction(value: Any) -> float:
    """A key pattern value as a number (``1``, ``-1.0``, ``Int64(1)``, ``Decimal128("1")``); 0 if not one."""
    if isinstance(value, Decimal128):
        return float(value.to_decimal())
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return 0.0


def same_key(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Key patterns equal field by field, with ``1``, ``1.0`` and ``Int64(1)`` alike."""
    return list(a) == list(b) and all(direction(a[f]) == direction(b[f]) and a[f] is not None for f in a)


def find_conflict(existing: list[dict[str, Any]], spec: dict[str, Any]) -> dict[str, Any] | None:
    """The existing spec ``spec`` duplicates (a no-op), or None when it is new; raises on a conflict."""
    for old in existing:
        same_identity = same_key(old["key"], spec["key"]) and _identity(old)[1:] == _identity(spec)[1:]
        if old["name"] == spec["name"]:
            if not same_identity:
                raise MongoError(
                    ErrorCode.IndexKeySpecsConflict,
                    "An existing index has the same name as the requested index. When index names are not "
                    "specified, they are auto generated and can cause conflicts. Please refer to our "
                    f"documentation. Requested index: {spec_text(spec)}, existing index: {spec_text(old)}",
                )
            if _options(old) != _options(spec):
                raise MongoError(
                    ErrorCode.IndexOptionsConflict,
                    "An equivalent index already exists with the same name but different options. "
                    f"Requested index: {spec_text(spec)}, existing index: {spec_text(old)}",
                )
            return old
        if same_identity:
            if old["name"] == "_id_":
                return old
            raise MongoError(
                ErrorCode.IndexOptionsConflict,
                f"Index already exists with a different name: {old['name']}",
            )
    return None
