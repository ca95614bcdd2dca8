"""``$jsonSchema``: a JSON Schema (draft 4 subset, as mongod) compiled once into a value validator.

mongod's semantics (json_schema_parser.cpp): a restriction keyword only constrains values of the type it
is about (``minimum`` ignores strings), an absent property passes everything but ``required``, ``type``
does not look inside arrays, ``enum`` compares documents regardless of field order, and the keywords
``$ref $schema default definitions format id`` are refused rather than ignored.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from bson.decimal128 import Decimal128

from docdb.engine.bson_order import MISSING, compare, hash_key, is_nan, number_value
from docdb.engine.query.regex import compile_regex, regex_test
from docdb.engine.query.types import NUMBER_CODES, TYPE_ALIASES, bson_type
from docdb.errors import ErrorCode, MongoError

Check = Callable[[Any], bool]

# sorted alphabetically
_JSON_TYPES: dict[str, frozenset[int]] = {
    "array": frozenset({4}),
    "boolean": frozenset({8}),
    "null": frozenset({10}),
    "number": NUMBER_CODES,
    "object": frozenset({3}),
    "string": frozenset({2}),
}
_UNSUPPORTED = frozenset({"$ref", "$schema", "default", "definitions", "format", "id"})
# sorted alphabetically
_KEYWORDS = frozenset(
    {"additionalItems", "additionalProperties", "allOf", "anyOf", "bsonType", "dependencies", "description"}
    | {"enum", "exclusiveMaximum", "exclusiveMinimum", "items", "maxItems", "maxLength", "maxProperties"}
    | {"maximum", "minItems", "minLength", "minProperties", "minimum", "multipleOf", "not", "oneOf"}
    | {"pattern", "patternProperties", "properties", "required", "title", "type", "uniqueItems"}
)


def _fail(message: str, code: int = ErrorCode.FailedToParse) -> MongoError:
    return MongoError(code, message)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, Decimal128)) and not isinstance(value, bool)


def compile_json_schema(schema: Any) -> Callable[[dict], bool]:
    """A predicate over documents: does the document validate against ``schema``?

    >>> a_schema = {"bsonType": "int", "minimum": 2}
    >>> check = compile_json_schema({"required": ["a"], "properties": {"a": a_schema}})
    >>> check({"a": 3}), check({"a": 1}), check({"b": 3}), check({"a": "x"})
    (True, False, False, False)
    """
    if not isinstance(schema, dict):
        raise _fail("$jsonSchema must be an object", ErrorCode.TypeMismatch)
    return _compile(schema, top=True)


def compile_value_check(schema: dict) -> Check:
    """A check of one value against a (valid) subschema: the document validation error explainer asks
    whether a property, item or branch passes before it explains why not."""
    return _compile(schema)


def _compile(schema: dict, top: bool = False) -> Check:
    for key in schema:
        if key in _UNSUPPORTED:
            raise _fail(f"$jsonSchema keyword '{key}' is not currently supported")
        if key in ("encrypt", "encryptMetadata"):
            raise _fail(f"$jsonSchema keyword '{key}' is not supported by docdb", ErrorCode.NotImplemented)
        if key not in _KEYWORDS:
            raise _fail(f"Unknown $jsonSchema keyword: {key}")
    if "type" in schema and "bsonType" in schema:
        raise _fail("Cannot specify both $jsonSchema keywords 'type' and 'bsonType'")
    for key in ("title", "description"):
        if key in schema and not isinstance(schema[key], str):
            raise _fail(f"$jsonSchema keyword '{key}' must be a string", ErrorCode.TypeMismatch)
    checks: list[Check] = []
    types = _type_set(schema)
    if types is not None:
        checks.append(lambda value: bson_type(value) in types)
    checks.extend(_number_checks(schema))
    checks.extend(_string_checks(schema))
    checks.extend(_array_checks(schema))
    checks.extend(_object_checks(schema))
    checks.extend(_logic_checks(schema))
    if "enum" in schema:
        checks.append(_enum_check(schema["enum"]))

    def validate(value: Any) -> bool:
        if value is MISSING:
            return True
        for check in checks:
            if not check(value):
                return False
        return True

    return validate


def _type_set(schema: dict) -> frozenset[int] | None:
    if "bsonType" in schema:
        keyword, aliases = "bsonType", {**TYPE_ALIASES, "number": -2}
    elif "type" in schema:
        keyword, aliases = "type", {name: -2 for name in _JSON_TYPES}
    else:
        return None
    spec = schema[keyword]
    items = spec if isinstance(spec, list) else [spec]
    codes: set[int] = set()
    for item in items:
        if not isinstance(item, str):
            raise _fail(
                f"$jsonSchema keyword '{keyword}' must be either a string or an array of strings",
                ErrorCode.TypeMismatch,
            )
        if keyword == "type" and item == "integer":
            raise _fail("$jsonSchema type 'integer' is not currently supported.")
        if item not in aliases:
            raise _fail(f"Unknown type name alias: {item}", ErrorCode.BadValue)
        if keyword == "type":
            codes |= _JSON_TYPES[item]
        elif item == "number":
            codes |= NUMBER_CODES
        else:
            codes.add(TYPE_ALIASES[item])
    if not codes:
        raise _fail(f"$jsonSchema keyword '{keyword}' must name at least one type")
    return frozenset(codes)


def _count(schema: dict, keyword: str) -> int | None:
    if keyword not in schema:
        return None
    value = schema[keyword]
    if not _is_number(value):
        raise _fail(f"$jsonSchema keyword '{keyword}' must be a number", ErrorCode.TypeMismatch)
    number = number_value(value)
    if is_nan(value) or (isinstance(number, float) and not math.isfinite(number)) or number != int(number):
        raise _fail(f"Expected an integer: {keyword}: {value}")
    if number < 0:
        raise _fail(f"Expected a positive number in: {keyword}: {value}")
    return int(number)


def _number_checks(schema: dict) -> list[Check]:
    checks: list[Check] = []
    for keyword, exclusive_key, sign in (
        ("maximum", "exclusiveMaximum", 1),
        ("minimum", "exclusiveMinimum", -1),
    ):
        exclusive = schema.get(exclusive_key, False)
        if exclusive_key in schema:
            if not isinstance(exclusive, bool):
                raise _fail(
                    f"$jsonSchema keyword '{exclusive_key}' must be a boolean", ErrorCode.TypeMismatch
                )
            if keyword not in schema:
                raise _fail(
                    f"$jsonSchema keyword '{keyword}' must be a present if {exclusive_key} is present"
                )
        if keyword not in schema:
            continue
        bound = schema[keyword]
        if not _is_number(bound):
            raise _fail(f"$jsonSchema keyword '{keyword}' must be a number", ErrorCode.TypeMismatch)

        def within(value: Any, bound: Any = bound, sign: int = sign, exclusive: bool = exclusive) -> bool:
            if not _is_number(value):
                return True
            if is_nan(value) or is_nan(bound):
                return False
            result = compare(value, bound)
            return result != sign and not (exclusive and result == 0)

        checks.append(within)
    if "multipleOf" in schema:
        divisor = schema["multipleOf"]
        if not _is_number(divisor):
            raise _fail("$jsonSchema keyword 'multipleOf' must be a number", ErrorCode.TypeMismatch)
        if not number_value(divisor) > 0:
            raise _fail("$jsonSchema keyword 'multipleOf' must have a positive value")
        step = number_value(divisor)

        def multiple(value: Any) -> bool:
            if not _is_number(value):
                return True
            number = number_value(value)
            if isinstance(number, float) and not math.isfinite(number):
                return False
            if isinstance(number, float) or isinstance(step, float):
                return math.fmod(number, step) == 0
            return number % step == 0

        checks.append(multiple)
    return checks


def _size_checks(schema: dict, most_key: str, least_key: str, applies: Check) -> list[Check]:
    """``maxLength``/``minLength`` and their array and object twins: bounds on ``len(value)`` for the
    values ``applies`` to; any other value passes."""
    checks: list[Check] = []
    most, least = _count(schema, most_key), _count(schema, least_key)
    if most is not None:
        checks.append(lambda value: not applies(value) or len(value) <= most)
    if least is not None:
        checks.append(lambda value: not applies(value) or len(value) >= least)
    return checks


def _string_checks(schema: dict) -> list[Check]:
    checks = _size_checks(schema, "maxLength", "minLength", lambda value: isinstance(value, str))
    if "pattern" in schema:
        if not isinstance(schema["pattern"], str):
            raise _fail("$jsonSchema keyword 'pattern' must be a string", ErrorCode.TypeMismatch)
        matches = regex_test(schema["pattern"], "")
        checks.append(lambda value: not isinstance(value, str) or matches(value))
    return checks


def _nested(keyword: str, value: Any) -> Check:
    if not isinstance(value, dict):
        raise _fail(f"$jsonSchema keyword '{keyword}' must be an object", ErrorCode.TypeMismatch)
    return _compile(value)


def _array_checks(schema: dict) -> list[Check]:
    checks = _size_checks(schema, "maxItems", "minItems", lambda value: value.__class__ is list)
    if schema.get("uniqueItems") is True:
        checks.append(
            lambda value: value.__class__ is not list or len({unordered_key(v) for v in value}) == len(value)
        )
    elif "uniqueItems" in schema and not isinstance(schema["uniqueItems"], bool):
        raise _fail("$jsonSchema keyword 'uniqueItems' must be a boolean", ErrorCode.TypeMismatch)
    items = schema.get("items")
    if isinstance(items, dict):
        each = _compile(items)
        checks.append(lambda value: value.__class__ is not list or all(each(item) for item in value))
    elif isinstance(items, list):
        positional = [_nested("items", item) for item in items]
        extra = schema.get("additionalItems", True)
        rest: Check | None
        if isinstance(extra, bool):
            rest = None if extra else (lambda item: False)
        else:
            rest = _nested("additionalItems", extra)

        def tuple_items(value: Any) -> bool:
            if value.__class__ is not list:
                return True
            for index, item in enumerate(value):
                check = positional[index] if index < len(positional) else rest
                if check is not None and not check(item):
                    return False
            return True

        checks.append(tuple_items)
    elif items is not None:
        raise _fail("$jsonSchema keyword 'items' must be an array or an object", ErrorCode.TypeMismatch)
    return checks


def _object_checks(schema: dict) -> list[Check]:
    checks = _size_checks(schema, "maxProperties", "minProperties", lambda value: isinstance(value, dict))
    if "required" in schema:
        required = schema["required"]
        if not isinstance(required, list):
            raise _fail("$jsonSchema keyword 'required' must be an array", ErrorCode.TypeMismatch)
        if not required:
            raise _fail("$jsonSchema keyword 'required' cannot be an empty array")
        for name in required:
            if not isinstance(name, str):
                raise _fail(
                    "$jsonSchema keyword 'required' must contain only strings", ErrorCode.TypeMismatch
                )
        if len(set(required)) != len(required):
            raise _fail("$jsonSchema keyword 'required' array cannot contain duplicate values")
        checks.append(lambda value: not isinstance(value, dict) or all(name in value for name in required))
    properties = {
        name: _nested_property(name, sub) for name, sub in _object_arg(schema, "properties").items()
    }
    patterns = [
        (compile_regex(pattern, ""), _nested_property(pattern, sub))
        for pattern, sub in _object_arg(schema, "patternProperties").items()
    ]
    extra = schema.get("additionalProperties", True)
    if not isinstance(extra, (bool, dict)):
        raise _fail(
            "$jsonSchema keyword 'additionalProperties' must be either an object or a boolean",
            ErrorCode.TypeMismatch,
        )
    other: Check | None = (
        None if extra is True else (lambda item: False) if extra is False else _compile(extra)
    )
    if properties or patterns or other is not None:

        def fields(value: Any) -> bool:
            if not isinstance(value, dict):
                return True
            for name, item in value.items():
                known = properties.get(name)
                if known is not None and not known(item):
                    return False
                matched = False
                for regex, check in patterns:
                    if regex.search(name):
                        matched = True
                        if not check(item):
                            return False
                if known is None and not matched and other is not None and not other(item):
                    return False
            return True

        checks.append(fields)
    for name, dependency in _object_arg(schema, "dependencies").items():
        checks.append(_dependency(name, dependency))
    return checks


def _object_arg(schema: dict, keyword: str) -> dict:
    value = schema.get(keyword, {})
    if not isinstance(value, dict):
        raise _fail(f"$jsonSchema keyword '{keyword}' must be an object", ErrorCode.TypeMismatch)
    return value


def _nested_property(name: str, sub: Any) -> Check:
    if not isinstance(sub, dict):
        raise _fail(
            f"Nested schema for $jsonSchema property '{name}' must be an object", ErrorCode.TypeMismatch
        )
    return _compile(sub)


def _dependency(name: str, dependency: Any) -> Check:
    if isinstance(dependency, dict):
        sub = _compile(dependency)
        return lambda value: not isinstance(value, dict) or name not in value or sub(value)
    if isinstance(dependency, list):
        if not dependency:
            raise _fail(f"property '{name}' in $jsonSchema keyword 'dependencies' cannot be an empty array")
        if not all(isinstance(item, str) for item in dependency):
            raise _fail(
                f"property '{name}' in $jsonSchema keyword 'dependencies' must be an array of strings",
                ErrorCode.TypeMismatch,
            )
        return lambda value: (
            not isinstance(value, dict) or name not in value or all(d in value for d in dependency)
        )
    raise _fail(
        f"property '{name}' in $jsonSchema keyword 'dependencies' must be either an object or an array",
        ErrorCode.TypeMismatch,
    )


def _logic_checks(schema: dict) -> list[Check]:
    checks: list[Check] = []
    for keyword in ("allOf", "anyOf", "oneOf"):
        if keyword not in schema:
            continue
        branches = schema[keyword]
        if not isinstance(branches, list):
            raise _fail(f"$jsonSchema keyword '{keyword}' must be an array", ErrorCode.TypeMismatch)
        if not branches:
            raise _fail(f"$jsonSchema keyword '{keyword}' must be a non-empty array", ErrorCode.BadValue)
        for branch in branches:
            if not isinstance(branch, dict):
                raise _fail(
                    f"$jsonSchema keyword '{keyword}' must be an array of objects, but found an element of "
                    f"type {bson_type(branch)}",
                    ErrorCode.TypeMismatch,
                )
        compiled = [_compile(branch) for branch in branches]
        if keyword == "allOf":
            checks.append(lambda value, compiled=compiled: all(c(value) for c in compiled))
        elif keyword == "anyOf":
            checks.append(lambda value, compiled=compiled: any(c(value) for c in compiled))
        else:
            checks.append(lambda value, compiled=compiled: sum(1 for c in compiled if c(value)) == 1)
    if "not" in schema:
        negated = _nested("not", schema["not"])
        checks.append(lambda value: not negated(value))
    return checks


def unordered_key(value: Any) -> Any:
    """An equality key that ignores the field order of documents (mongod's enum/uniqueItems comparison)."""
    if isinstance(value, dict):
        return ("doc", frozenset((key, unordered_key(item)) for key, item in value.items()))
    if isinstance(value, list):
        return ("array", tuple(unordered_key(item) for item in value))
    return hash_key(value)


def _enum_check(values: Any) -> Check:
    if not isinstance(values, list):
        raise _fail(
            f"$jsonSchema keyword 'enum' must be an array, but found an element of type {bson_type(values)}",
            ErrorCode.TypeMismatch,
        )
    if not values:
        raise _fail("$jsonSchema keyword 'enum' cannot be an empty array")
    keys = [unordered_key(value) for value in values]
    if len(set(keys)) != len(keys):
        raise _fail("$jsonSchema keyword 'enum' array cannot contain duplicate values")
    allowed = frozenset(keys)
    return lambda value: unordered_key(value) in allowed
