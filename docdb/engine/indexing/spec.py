"""Index specifications: validating a ``createIndexes`` entry and normalizing it to what ``listIndexes``
returns (``{v: 2, key, name, …options in the order given}``), with mongod's errors and conflict rules."""

from __future__ import annotations

import math
from typing import Any

from bson.decimal128 import Decimal128
from bson.int64 import Int64

from docdb.engine.collation import cached_collation
from docdb.engine.indexing.hashed import HASHED, check_hashed_spec
from docdb.engine.indexing.wildcard import check_wildcard_spec, is_wildcard_key
from docdb.engine.key_format import format_value
from docdb.engine.matcher import compile_filter
from docdb.engine.query.bson_text import format_element
from docdb.engine.query.types import type_name
from docdb.engine.text.spec import TEXT_OPTIONS, fix_text_spec, is_text_key, is_text_spec, text_options
from docdb.errors import ErrorCode, MongoError

ID_INDEX_SPEC: dict[str, Any] = {"v": 2, "key": {"_id": 1}, "name": "_id_"}
_NOT_BUILT_PLUGINS = ("geoHaystack", "text", "columnstore")
BUILT_PLUGINS = ("hashed", "2dsphere", "2d")
_GEO_OPTIONS = {"2dsphere": ("2dsphereIndexVersion",), "2d": ("bits", "min", "max")}
# Options that change what an index holds or enforces.  # sorted alphabetically
_OPTIONS = ("background", "expireAfterSeconds", "hidden", "partialFilterExpression", "sparse", "unique")
# Accepted and dropped, as mongod drops them from the stored spec.
_IGNORED = ("dropDups", "ns")
_UNSUPPORTED = (
    "bucketSize",
    "clustered",
    "coarsestIndexedLevel",
    "default_language",
    "finestIndexedLevel",
    "language_override",
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
    plugins = {v for v in key.values() if isinstance(v, str)}
    if len(plugins) > 1 and plugins <= {*BUILT_PLUGINS, *_NOT_BUILT_PLUGINS}:
        raise _cannot_create(raw, "Can't use more than one index plugin for a single index.")
    for field, value in key.items():
        if (field == "$**" or field.endswith(".$**")) and not isinstance(value, str):
            _check_direction(raw, value)  # a wildcard index (wildcard.py)
            continue
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
            if value in BUILT_PLUGINS:
                continue
            if value in _NOT_BUILT_PLUGINS:
                raise MongoError(ErrorCode.NotImplemented, f"'{value}' indexes are not supported by docdb")
            raise _cannot_create(raw, f"Unknown index plugin '{value}'")
        _check_direction(raw, value)


def _check_direction(raw: dict[str, Any], value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, Int64, float, Decimal128)):
        raise _cannot_create(raw, f"Values in the index key pattern can't be of type {type(value).__name__}")
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
    text = is_text_key(key)
    if not text:
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
    options: dict[str, Any] = {}
    for option, value in raw.items():
        if (
            option in ("key", "name", "collation", "v")
            or option in _IGNORED
            or (text and option in TEXT_OPTIONS)
        ):
            continue
        plugin_options = [o for v in key.values() if isinstance(v, str) for o in _GEO_OPTIONS.get(v, ())]
        if option in plugin_options or option == "wildcardProjection":
            options[option] = value
            continue
        if option in _UNSUPPORTED or option in ("2dsphereIndexVersion", "bits", "min", "max"):
            raise MongoError(ErrorCode.NotImplemented, f"index option '{option}' is not supported by docdb")
        if option not in _OPTIONS:
            raise MongoError(
                ErrorCode.InvalidIndexSpecificationOption,
                f"The field '{option}' is not valid for an index specification. "
                f"Specification: {spec_text(raw)}",
            )
        options[option] = _check_option(raw, option, value)
    spec = _stored_spec(raw, _index_version(raw), options)
    if collator is not None:
        if collator.spec is not None:  # the simple collation is not stored (mongod's catalog)
            spec["collation"] = collator.spec
    elif default_collation is not None:  # an index inherits the collection's default collation
        spec["collation"] = default_collation
    if "collation" in spec:
        _check_collation_support(spec)
    if text:
        spec = fix_text_spec(raw, name, spec)
    if is_wildcard_key(key):
        check_wildcard_spec(spec, raw)
    elif "wildcardProjection" in spec:
        raise MongoError(
            ErrorCode.FailedToParse, "The field 'wildcardProjection' is only allowed in an 'wildcard' index"
        )
    if HASHED in key.values():
        check_hashed_spec(spec)
    if "2dsphere" in key.values():
        spec.setdefault("2dsphereIndexVersion", 3)
    if "2d" in key.values():
        _check_2d(key)
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


def _check_collation_support(spec: dict[str, Any]) -> None:
    """mongod refuses a non-simple collation on text and 2d indexes (CannotCreateIndex); docdb does not
    key hashed, wildcard or 2dsphere indexes by a collator, so it refuses those with NotImplemented."""
    key = spec["key"]
    kinds = [v for v in key.values() if isinstance(v, str)] + (["wildcard"] if is_wildcard_key(key) else [])
    if "_fts" in key:
        kinds.append("text")
    for kind in ("text", "2d"):
        if kind in kinds:
            raise MongoError(
                ErrorCode.CannotCreateIndex,
                f"Index type '{kind}' does not support collation: {format_value(spec['collation'])}",
            )
    for kind in (HASHED, "wildcard", "2dsphere"):
        if kind in kinds:
            raise MongoError(
                ErrorCode.NotImplemented,
                f"'{kind}' indexes with a non-simple collation are not supported by docdb",
            )


def _stored_spec(raw: dict[str, Any], version: int, options: dict[str, Any]) -> dict[str, Any]:
    """The spec as mongod stores and lists it (its IndexCatalog's fixIndexSpec): ``v``, then ``unique``
    and ``hidden`` when true (as booleans; false ones are dropped), ``key``, ``name``, then every other
    option as given, in the order given (a simple collation and ``ns``/``dropDups`` are dropped)."""
    spec: dict[str, Any] = {"v": version}
    for flag in ("unique", "hidden"):
        if options.get(flag):
            spec[flag] = True
    spec["key"] = dict(raw["key"])
    spec["name"] = raw["name"]
    for option, value in options.items():
        if option not in ("unique", "hidden"):
            spec[option] = value
    return spec


def _index_version(raw: dict[str, Any]) -> int:
    """``v`` as given (1 or 2, mongod's creatable versions) or 2."""
    if "v" not in raw:
        return 2
    value = raw["v"]
    if isinstance(value, bool) or not isinstance(value, (int, Int64, float, Decimal128)):
        raise MongoError(
            ErrorCode.TypeMismatch, f"The field 'v' must be a number, but got {type_name(value)}"
        )
    number = float(value.to_decimal()) if isinstance(value, Decimal128) else float(value)
    if not math.isfinite(number) or not number.is_integer() or not -(2**31) <= number < 2**31:
        raise MongoError(
            ErrorCode.BadValue,
            f"Index version must be representable as a 32-bit integer, but got {format_value(value)}",
        )
    if number not in (1, 2):
        raise MongoError(
            ErrorCode.CannotCreateIndex,
            f"Invalid index specification {spec_text(raw)}; cannot create an index with v={int(number)}",
        )
    return int(number)


def _check_2d(key: dict[str, Any]) -> None:
    """mongod's 2d rules: one geo field, and it comes first."""
    geo = [f for f, v in key.items() if v == "2d"]
    if len(geo) > 1:
        raise MongoError(16800, "can't have 2 geo fields")
    if list(key)[0] != geo[0]:
        raise MongoError(16801, "2d has to be first in index")


def _check_option(raw: dict[str, Any], option: str, value: Any) -> Any:
    if option in ("unique", "sparse", "background"):
        if isinstance(value, bool) or isinstance(value, (int, float, Int64, Decimal128)):
            return value
        shown = format_element(option, value)
        raise MongoError(
            ErrorCode.TypeMismatch, f"The field '{option} has value {shown}, which is not convertible to bool"
        )
    if option == "hidden":
        if not isinstance(value, bool):  # mongod's message names the wrong field ('name'); kept as it is
            raise MongoError(
                ErrorCode.TypeMismatch, f"The field 'name' must be a bool, but got {type_name(value)}"
            )
        return value
    if option == "partialFilterExpression":
        if not isinstance(value, dict):
            raise MongoError(ErrorCode.TypeMismatch, "The field 'partialFilterExpression' must be an object")
        from docdb.engine.js.where import where_forbidden

        with where_forbidden():
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
    return value


def _identity(spec: dict[str, Any]) -> tuple:
    """What makes two specs the same index (the key pattern and partial filter, as in mongod 7.0)."""
    return (
        format_value(spec["key"]),
        format_value(spec.get("partialFilterExpression", {})),
        format_value(spec.get("collation", {})),
    )


def _options(spec: dict[str, Any]) -> dict[str, Any]:
    options = {k: spec.get(k, False) for k in ("unique", "sparse", "expireAfterSeconds", "hidden")}
    return options | {"text": text_options(spec)} if is_text_spec(spec) else options


def direction(value: Any) -> float:
    """A key pattern value as a number (``1``, ``-1.0``, ``Int64(1)``, ``Decimal128("1")``); 0 if not one."""
    if isinstance(value, Decimal128):
        return float(value.to_decimal())
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return 0.0


def same_key(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Key patterns equal field by field, with ``1``, ``1.0`` and ``Int64(1)`` alike."""
    return list(a) == list(b) and all(
        direction(a[f]) == direction(b[f]) and a[f] is not None and _plugin(a[f]) == _plugin(b[f]) for f in a
    )


def _plugin(value: Any) -> str | None:
    return value if isinstance(value, str) else None


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
            if is_text_spec(spec) and _options(old) != _options(spec):
                raise MongoError(
                    ErrorCode.IndexOptionsConflict,
                    "An equivalent index already exists with a different name and options. "
                    f"Requested index: {spec_text(spec)}, existing index: {spec_text(old)}",
                )
            raise MongoError(
                ErrorCode.IndexOptionsConflict,
                f"Index already exists with a different name: {old['name']}",
            )
    if is_text_spec(spec):
        for old in existing:
            if is_text_spec(old):
                raise MongoError(
                    ErrorCode.CannotCreateIndex,
                    f'only one text index per collection allowed, found existing text index "{old["name"]}"',
                )
    return None
