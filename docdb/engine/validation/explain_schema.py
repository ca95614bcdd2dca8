"""Why a document fails a ``$jsonSchema`` validator, in mongod 7.0's ``schemaRulesNotSatisfied`` shape.

mongod translates a schema into one AND per (sub)schema whose clauses come in a fixed keyword order
(json_schema_parser.cpp): pattern, maxLength, minLength, multipleOf, maximum, minimum; minItems,
maxItems, uniqueItems, items, additionalItems; properties, additionalProperties/patternProperties,
required, minProperties, maxProperties, dependencies; allOf, anyOf, oneOf, not, enum; and last the
type. A restriction keyword only reports on a value of the type it restricts (a wrong type is the type
keyword's error), and an absent property only fails ``required``. Details of a property or item are the
errors of its subschema; one with none is left out, as mongod leaves it out.
"""

from __future__ import annotations

import math
from typing import Any

from bson.decimal128 import Decimal128

from docdb.engine.bson_order import compare, is_nan, number_value
from docdb.engine.bson_types import bson_type_alias
from docdb.engine.query.json_schema import compile_value_check, unordered_key
from docdb.engine.query.regex import compile_regex, regex_test
from docdb.engine.query.types import NUMBER_CODES, TYPE_ALIASES, bson_type

_JSON_TYPES = {"array": "array", "boolean": "bool", "null": "null", "object": "object", "string": "string"}


def explain_schema(schema: dict[str, Any], doc: dict[str, Any]) -> dict[str, Any]:
    """The ``$jsonSchema`` entry of ``errInfo.details`` for ``doc``."""
    out: dict[str, Any] = {"operatorName": "$jsonSchema", **_annotations(schema)}
    out["schemaRulesNotSatisfied"] = _errors(schema, doc, top=True)
    return out


def _annotations(schema: Any) -> dict[str, Any]:
    if not isinstance(schema, dict):
        return {}
    return {key: schema[key] for key in ("title", "description") if key in schema}


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, Decimal128)) and not isinstance(value, bool)


def _is_object(value: Any) -> bool:
    return isinstance(value, dict)


def _keyword(name: str, schema: dict, reason: str | None = None, **more: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"operatorName": name, "specifiedAs": {name: schema[name]}}
    if reason is not None:
        out["reason"] = reason
    out.update(more)
    return out


def _errors(schema: dict[str, Any], value: Any, top: bool = False) -> list[Any]:
    """The failed rules of ``schema`` for ``value`` (the document itself when ``top``)."""
    errors: list[Any] = []
    if not top:
        errors += _scalar_errors(schema, value)
        errors += _array_errors(schema, value)
    if _is_object(value):
        errors += _object_errors(schema, value)
    errors += _logical_errors(schema, value, top)
    if not top:
        mismatch = _type_error(schema, value)
        if mismatch is not None:
            errors.append(mismatch)
    return errors


def _type_error(schema: dict[str, Any], value: Any) -> dict[str, Any] | None:
    for keyword in ("type", "bsonType"):
        if keyword not in schema:
            continue
        spec = schema[keyword]
        names = spec if isinstance(spec, list) else [spec]
        code = bson_type(value)
        for name in names:
            if name == "number" and code in NUMBER_CODES:
                return None
            if keyword == "type" and name in _JSON_TYPES and bson_type_alias(value) == _JSON_TYPES[name]:
                return None
            if keyword == "bsonType" and TYPE_ALIASES.get(name) == code:
                return None
        return _keyword(
            keyword,
            schema,
            "type did not match",
            consideredValue=value,
            consideredType=bson_type_alias(value),
        )
    return None


def _scalar_errors(schema: dict[str, Any], value: Any) -> list[Any]:
    errors: list[Any] = []
    if isinstance(value, str):
        if "pattern" in schema and not regex_test(schema["pattern"], "")(value):
            errors.append(
                _keyword("pattern", schema, "regular expression did not match", consideredValue=value)
            )
        for keyword, fails in (
            ("maxLength", len(value) > schema.get("maxLength", math.inf)),
            ("minLength", len(value) < schema.get("minLength", -1)),
        ):
            if keyword in schema and fails:
                errors.append(
                    _keyword(
                        keyword, schema, "specified string length was not satisfied", consideredValue=value
                    )
                )
    if _is_number(value):
        if "multipleOf" in schema and not compile_value_check({"multipleOf": schema["multipleOf"]})(value):
            errors.append(
                _keyword(
                    "multipleOf",
                    schema,
                    "considered value is not a multiple of the specified value",
                    consideredValue=value,
                )
            )
        for keyword, exclusive, sign in (
            ("maximum", "exclusiveMaximum", 1),
            ("minimum", "exclusiveMinimum", -1),
        ):
            if keyword not in schema:
                continue
            bound = schema[keyword]
            result = 0 if is_nan(value) or is_nan(bound) else compare(value, bound)
            if is_nan(value) or is_nan(bound) or result == sign or (schema.get(exclusive) and result == 0):
                errors.append(_keyword(keyword, schema, "comparison failed", consideredValue=value))
    return errors


def _array_errors(schema: dict[str, Any], value: Any) -> list[Any]:
    if value.__class__ is not list:
        return []
    errors: list[Any] = []
    for keyword, fails in (
        ("minItems", len(value) < number_value(schema.get("minItems", 0))),
        ("maxItems", len(value) > number_value(schema.get("maxItems", math.inf))),
    ):
        if keyword in schema and fails:
            errors.append(
                _keyword(
                    keyword,
                    schema,
                    "array did not match specified length",
                    consideredValue=value,
                    numberOfItems=len(value),
                )
            )
    if schema.get("uniqueItems") is True:
        seen: set[Any] = set()
        for item in value:
            key = unordered_key(item)
            if key in seen:
                errors.append(
                    _keyword(
                        "uniqueItems",
                        schema,
                        "found a duplicate item",
                        consideredValue=value,
                        duplicatedValue=item,
                    )
                )
                break
            seen.add(key)
    items = schema.get("items")
    if isinstance(items, dict):
        entry = _first_failing_item(
            items, value, 0, "items", "At least one item did not match the sub-schema"
        )
        if entry is not None:
            errors.append(entry)
    elif isinstance(items, list):
        failing = []
        for index, sub in enumerate(items[: len(value)]):
            details = _errors(sub, value[index])
            if details:
                failing.append({"itemIndex": index, "details": details})
        if failing:
            errors.append({"operatorName": "items", "details": failing})
        extra = schema.get("additionalItems", True)
        if extra is False and len(value) > len(items):
            errors.append(
                _keyword(
                    "additionalItems", schema, "found additional items", additionalItems=value[len(items) :]
                )
            )
        elif isinstance(extra, dict):
            entry = _first_failing_item(
                extra,
                value,
                len(items),
                "additionalItems",
                "At least one additional item did not match the sub-schema",
            )
            if entry is not None:
                errors.append(entry)
    return errors


def _first_failing_item(sub: dict, value: list, start: int, name: str, reason: str) -> dict[str, Any] | None:
    check = compile_value_check(sub)
    for index in range(start, len(value)):
        if not check(value[index]):
            return {
                "operatorName": name,
                **_annotations(sub),
                "reason": reason,
                "itemIndex": index,
                "details": _errors(sub, value[index]),
            }
    return None


def _object_errors(schema: dict[str, Any], value: dict[str, Any]) -> list[Any]:
    errors: list[Any] = []
    properties = schema.get("properties", {})
    failing = []
    for name, sub in properties.items():
        if name in value:
            details = _errors(sub, value[name])
            if details:
                failing.append({"propertyName": name, **_annotations(sub), "details": details})
    if failing:
        errors.append({"operatorName": "properties", "propertiesNotSatisfied": failing})
    errors += _allowed_properties_errors(schema, value, properties)
    required = schema.get("required")
    if required:
        missing = sorted(name for name in set(required) if name not in value)
        if missing:
            errors.append(_keyword("required", schema, None, missingProperties=missing))
    for keyword, fails in (
        ("minProperties", len(value) < number_value(schema.get("minProperties", 0))),
        ("maxProperties", len(value) > number_value(schema.get("maxProperties", math.inf))),
    ):
        if keyword in schema and fails:
            errors.append(
                _keyword(
                    keyword,
                    schema,
                    "specified number of properties was not satisfied",
                    numberOfProperties=len(value),
                )
            )
    dependencies = []
    for name, dependency in schema.get("dependencies", {}).items():
        if name not in value:
            continue
        if isinstance(dependency, list):
            missing = [d for d in dependency if d not in value]
            if missing:
                dependencies.append({"conditionalProperty": name, "missingProperties": missing})
        else:
            details = _errors(dependency, value, top=True)
            if details:
                dependencies.append({"conditionalProperty": name, "details": details})
    if dependencies:
        errors.append({"operatorName": "dependencies", "failingDependencies": dependencies})
    return errors


def _allowed_properties_errors(schema: dict, value: dict, properties: dict) -> list[Any]:
    patterns = [(compile_regex(p, ""), p, sub) for p, sub in schema.get("patternProperties", {}).items()]
    extra = schema.get("additionalProperties", True)
    if not patterns and extra is True:
        return []
    additional = [
        name
        for name in value
        if name not in properties and not any(regex.search(name) for regex, _, _ in patterns)
    ]
    found: list[Any] = []
    if extra is False and additional:
        found.append(_keyword("additionalProperties", schema, None, additionalProperties=additional))
    elif isinstance(extra, dict):
        check = compile_value_check(extra)
        for name in additional:
            if not check(value[name]):
                found.append(
                    {
                        "operatorName": "additionalProperties",
                        **_annotations(extra),
                        "reason": "at least one additional property did not match the subschema",
                        "failingProperty": name,
                        "details": _errors(extra, value[name]),
                    }
                )
                break
    pattern_errors = []
    for regex, raw, sub in patterns:
        check = compile_value_check(sub)
        for name, item in value.items():
            if regex.search(name) and not check(item):
                pattern_errors.append(
                    {
                        "propertyName": name,
                        **_annotations(sub),
                        "regexMatched": raw,
                        "details": _errors(sub, item),
                    }
                )
                break
    if pattern_errors:
        found.append({"operatorName": "patternProperties", "details": pattern_errors})
    return found


def _logical_errors(schema: dict[str, Any], value: Any, top: bool) -> list[Any]:
    errors: list[Any] = []
    for keyword in ("allOf", "anyOf", "oneOf"):
        if keyword not in schema:
            continue
        branches = schema[keyword]
        matching = [i for i, sub in enumerate(branches) if _branch_matches(sub, value, top)]
        if keyword == "oneOf" and len(matching) > 1:
            errors.append(
                {
                    "operatorName": "oneOf",
                    "reason": "more than one subschema matched",
                    "matchingSchemaIndexes": matching,
                }
            )
            continue
        if keyword == "allOf" and len(matching) == len(branches) or keyword != "allOf" and matching:
            continue
        failing = [
            {"index": i, **_annotations(sub), "details": _errors(sub, value, top)}
            for i, sub in enumerate(branches)
            if i not in matching
        ]
        errors.append({"operatorName": keyword, "schemasNotSatisfied": failing})
    if "not" in schema and _branch_matches(schema["not"], value, top):
        errors.append({"operatorName": "not", "reason": "child expression matched"})
    if "enum" in schema and not top:
        allowed = {unordered_key(item) for item in schema["enum"]}
        if unordered_key(value) not in allowed:
            errors.append(_keyword("enum", schema, "value was not found in enum", consideredValue=value))
    return errors


def _branch_matches(sub: dict[str, Any], value: Any, top: bool) -> bool:
    if top:
        from docdb.engine.query.json_schema import compile_json_schema

        return compile_json_schema(sub)(value)
    return compile_value_check(sub)(value)
