"""A collection's validator: its options as ``create``/``collMod`` take them, and the check of a write.

The options live in the collection's options (so they are logged by CREATE_COLLECTION and COLL_MOD and
compacted with the collection); the compiled form is rebuilt from them whenever they change. A document
that passes costs one predicate call; the explanation (``errInfo``) is built only for one that fails.
"""

from __future__ import annotations

import logging
from typing import Any

from bson import json_util

from docdb.engine.bson_types import bson_type_alias
from docdb.engine.matcher import compile_filter
from docdb.errors import ErrorCode, MongoError

log = logging.getLogger("docdb.engine.validation")

LEVELS = ("off", "strict", "moderate")
ACTIONS = ("error", "warn")
OPTION_NAMES = ("validator", "validationLevel", "validationAction")
# query operators a validator may not use (mongod: QueryFeatureNotAllowed)  # sorted alphabetically
_NOT_ALLOWED = {
    "$geoNear": "$geoNear, $near, and $nearSphere",
    "$near": "$geoNear, $near, and $nearSphere",
    "$nearSphere": "$geoNear, $near, and $nearSphere",
    "$text": "$text",
    "$where": "$where",
}


def parse_validation_options(command: str, cmd: dict[str, Any]) -> dict[str, Any]:
    """The validator options of a ``create``/``collMod`` command, checked as mongod checks them."""
    options: dict[str, Any] = {}
    if "validator" in cmd:
        validator = cmd["validator"]
        if not isinstance(validator, dict):
            raise MongoError(
                ErrorCode.TypeMismatch,
                f"BSON field '{command}.validator' is the wrong type '{bson_type_alias(validator)}', "
                "expected type 'object'",
            )
        check_validator(validator)
        options["validator"] = validator
    for name, allowed in (("validationLevel", LEVELS), ("validationAction", ACTIONS)):
        if name not in cmd:
            continue
        value = cmd[name]
        if not isinstance(value, str):
            raise MongoError(
                ErrorCode.TypeMismatch,
                f"BSON field '{command}.{name}' is the wrong type '{bson_type_alias(value)}', "
                "expected type 'string'",
            )
        if value not in allowed:
            raise MongoError(
                ErrorCode.BadValue,
                f"Enumeration value '{value}' for field '{command}.{name}' is not a valid value.",
            )
        options[name] = value
    return options


def check_validator(validator: dict[str, Any]) -> None:
    """Raise for a validator mongod refuses: a bad filter, or an operator not allowed in one."""
    _refuse_operators(validator)
    from docdb.engine.js.function_expr import parsing_validator

    with parsing_validator():
        compile_filter(validator)


def _refuse_operators(spec: Any) -> None:
    if isinstance(spec, dict):
        for key, value in spec.items():
            if key in _NOT_ALLOWED:
                raise MongoError(
                    ErrorCode.QueryFeatureNotAllowed, f"{_NOT_ALLOWED[key]} is not allowed in this context"
                )
            if key != "$expr" and key != "$jsonSchema":
                _refuse_operators(value)
    elif isinstance(spec, list):
        for item in spec:
            _refuse_operators(item)


class Validation:
    """A collection's compiled validator with its level and action."""

    __slots__ = ("spec", "level", "action", "predicate")

    def __init__(self, spec: dict[str, Any], level: str, action: str) -> None:
        self.spec = spec
        self.level = level
        self.action = action
        self.predicate = compile_filter(spec)

    def matches(self, doc: dict[str, Any]) -> bool:
        try:
            return self.predicate(doc)
        except MongoError:
            return False

    def check(self, ns: str, doc: dict[str, Any]) -> None:
        """Raise DocumentValidationFailure (121) for a document that fails, or log it (action ``warn``)."""
        if self.matches(doc):
            return
        error_info = self.explain(doc)
        if self.action == "warn":
            log.warning(
                json_util.dumps(
                    {
                        "s": "W",
                        "c": "STORAGE",
                        "id": 20294,
                        "msg": "Document would fail validation",
                        "attr": {"namespace": ns, "document": doc, "errInfo": error_info},
                    },
                    json_options=json_util.RELAXED_JSON_OPTIONS,
                )
            )
            return
        raise MongoError(
            ErrorCode.DocumentValidationFailure, "Document failed validation", errInfo=error_info
        )

    def explain(self, doc: dict[str, Any]) -> dict[str, Any]:
        from docdb.engine.validation.explain_filter import explain_filter

        return {"failingDocumentId": doc.get("_id"), "details": explain_filter(self.spec, doc)}


def compile_validation(options: dict[str, Any]) -> Validation | None:
    """The collection's validation, None when nothing is checked (no validator, or level ``off``)."""
    spec = options.get("validator")
    level = options.get("validationLevel", "strict")
    if not spec or level == "off":
        return None
    return Validation(spec, level, options.get("validationAction", "error"))
