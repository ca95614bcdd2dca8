"""Checking a command document's fields the way mongod's IDL parser does.

Every field of a command has a fate: handled (read by the handler through these helpers), ignored (generic
fields every command accepts, such as ``lsid`` or ``$readPreference``), or unknown — which mongod answers
with ``BSON field 'find.foo' is an unknown field.`` (code 40415), and so do we.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from bson.decimal128 import Decimal128

from docdb.engine.bson_types import bson_type_alias
from docdb.errors import ErrorCode, MongoError

# Fields any command may carry; the dispatcher or nobody reads them.  # sorted alphabetically
GENERIC_FIELDS = frozenset(
    {
        "$audit",
        "$client",
        "$clusterTime",
        "$configServerState",
        "$db",
        "$readPreference",
        "$traceCtx",
        "apiDeprecationErrors",
        "apiStrict",
        "apiVersion",
        "autocommit",
        "comment",
        "lsid",
        "maxTimeMS",
        "readConcern",
        "startTransaction",
        "txnNumber",
        "writeConcern",
    }
)
UNKNOWN_FIELD = 40415


def check_fields(cmd: dict[str, Any], allowed: Iterable[str]) -> None:
    """Raise mongod's unknown-field error for any field not in ``allowed`` or GENERIC_FIELDS."""
    name = next(iter(cmd))
    allowed_set = allowed if isinstance(allowed, (set, frozenset)) else set(allowed)
    unexpected = cmd.keys() - allowed_set
    unexpected.discard(name)
    if unexpected.issubset(GENERIC_FIELDS):  # the common case, decided by set operations in C
        return
    for key in cmd:  # in the command's order, so the first unknown field is the one reported
        if key != name and key not in allowed_set and key not in GENERIC_FIELDS:
            raise MongoError(UNKNOWN_FIELD, f"BSON field '{name}.{key}' is an unknown field.")


def _wrong_type(cmd_name: str, field: str, value: Any, expected: str) -> MongoError:
    return MongoError(
        ErrorCode.TypeMismatch,
        f"BSON field '{cmd_name}.{field}' is the wrong type '{bson_type_alias(value)}', "
        f"expected type{expected}",
    )


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float, Decimal128)) and not isinstance(value, bool)


def get_strict_bool(cmd: dict[str, Any], field: str) -> bool:
    """A field of IDL type ``bool``: only true/false, unlike the number-accepting ``get_bool``."""
    value = cmd.get(field, False)
    if not isinstance(value, bool):
        raise _wrong_type(next(iter(cmd)), field, value, " 'bool'")
    return value


def get_bool(cmd: dict[str, Any], field: str, default: bool = False) -> bool:
    """A boolean field; mongod also accepts numbers here (non-zero is true)."""
    value = cmd.get(field, default)
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    if is_number(value):
        return bool(float(value.to_decimal()) if isinstance(value, Decimal128) else value)
    raise _wrong_type(next(iter(cmd)), field, value, "s '[bool, long, int, decimal, double]'")


def get_int(cmd: dict[str, Any], field: str, default: int | None = None) -> int | None:
    """A whole-number field (int, long, or a double with no fraction, as mongod coerces)."""
    value = cmd.get(field)
    if value is None:
        return default
    if value.__class__ is int:
        return value
    if isinstance(value, bool) or not is_number(value):
        raise _wrong_type(next(iter(cmd)), field, value, "s '[long, int, decimal, double]'")
    number = float(value.to_decimal()) if isinstance(value, Decimal128) else value
    if isinstance(number, float):
        if number != number or number in (float("inf"), float("-inf")):
            raise MongoError(ErrorCode.BadValue, f"Expected an integer: {field}: {number}")
        if number != int(number):
            raise MongoError(ErrorCode.BadValue, f"Expected an integer: {field}: {number}")
    return int(number)


def get_doc(cmd: dict[str, Any], field: str, *, required: bool = False) -> dict[str, Any] | None:
    value = cmd.get(field)
    if value is None:
        if required:
            raise MongoError(
                40414,
                f"BSON field '{next(iter(cmd))}.{field}' is missing but a required field",
            )
        return None
    if not isinstance(value, dict):
        raise _wrong_type(next(iter(cmd)), field, value, " 'object'")
    return value


def get_string(cmd: dict[str, Any], field: str, *, required: bool = False) -> str | None:
    value = cmd.get(field)
    if value is None:
        if required:
            raise MongoError(40414, f"BSON field '{next(iter(cmd))}.{field}' is missing but a required field")
        return None
    if not isinstance(value, str):
        raise _wrong_type(next(iter(cmd)), field, value, " 'string'")
    return value


def get_array(cmd: dict[str, Any], field: str, *, required: bool = False) -> list[Any] | None:
    value = cmd.get(field)
    if value is None:
        if required:
            raise MongoError(40414, f"BSON field '{next(iter(cmd))}.{field}' is missing but a required field")
        return None
    if not isinstance(value, list):
        raise _wrong_type(next(iter(cmd)), field, value, " 'array'")
    return value


def non_negative(field: str, value: int | None) -> int:
    """``value`` (0 when absent), or mongod's 51024 when it is negative (skip, limit, batchSize)."""
    if value is None:
        return 0
    if value < 0:
        raise MongoError(51024, f"BSON field '{field}' value must be >= 0, actual value '{value}'")
    return value
