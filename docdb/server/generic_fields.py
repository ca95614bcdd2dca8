"""Type checks of the generic fields every command may carry, done once before the handler runs.

mongod's service entry point reads these itself (``$db`` to route, ``lsid``/``txnNumber`` into the
session info, ``maxTimeMS``, ``readConcern``, ``writeConcern``, ``$readPreference``), so a wrongly typed
one fails the command whatever the command is, with the error of the parser that reads it. ``comment``
takes any BSON value. What a well-typed field then *means* (sessions, transactions, concerns) belongs to
the steps after this one; this only guarantees that no value reaches them in a shape they cannot read.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bson.binary import Binary
from bson.decimal128 import Decimal128
from bson.int64 import Int64

from docdb.engine.bson_types import bson_type
from docdb.errors import ErrorCode, MongoError
from docdb.server.write_concern import needs_fsync

INT32_MAX = 2**31 - 1
READ_CONCERN_LEVELS = ("local", "majority", "linearizable", "available", "snapshot")
READ_CONCERN_FIELDS = frozenset({"level", "afterOpTime", "afterClusterTime", "atClusterTime", "provenance"})
READ_PREFERENCE_MODES = ("primary", "primaryPreferred", "secondary", "secondaryPreferred", "nearest")
LSID_FIELDS = frozenset({"id", "uid", "txnNumber", "txnUUID"})


def _alias(value: Any) -> str:
    return bson_type(value)[1]


def _idl_wrong_type(field: str, value: Any, expected: str) -> MongoError:
    return MongoError(
        ErrorCode.TypeMismatch,
        f"BSON field '{field}' is the wrong type '{_alias(value)}', expected type '{expected}'",
    )


def _extract_wrong_type(field: str, value: Any, expected: str) -> MongoError:
    """bsonExtractTypedField's message."""
    return MongoError(
        ErrorCode.TypeMismatch, f'"{field}" had the wrong type. Expected {expected}, found {_alias(value)}'
    )


def _check_db(value: Any) -> None:
    """OpMsgRequest::getDatabase: a BSONElement type check (Location13111; types by name, as 7.0 prints
    a BSONType)."""
    if type(value) is not str:
        raise MongoError(13111, f"wrong type for field ($db) {_alias(value)} != string")


def _check_lsid(value: Any) -> None:
    """OperationSessionInfo's IDL: ``lsid`` an object holding a UUID ``id``."""
    if not isinstance(value, dict):
        raise _idl_wrong_type("OperationSessionInfo.lsid", value, "object")
    for key in value:
        if key not in LSID_FIELDS:
            raise MongoError(40415, f"BSON field 'OperationSessionInfo.lsid.{key}' is an unknown field.")
    if "id" not in value:
        raise MongoError(40414, "BSON field 'OperationSessionInfo.lsid.id' is missing but a required field")
    session_id = value["id"]
    if not isinstance(session_id, Binary):
        raise _idl_wrong_type("OperationSessionInfo.lsid.id", session_id, "binData")
    if session_id.subtype != 4:
        raise MongoError(
            ErrorCode.TypeMismatch,
            f"BSON field 'OperationSessionInfo.lsid.id' is the wrong binData type '{session_id.subtype}', "
            "expected type 'UUID'",
        )


def _check_txn_number(value: Any) -> None:
    if not isinstance(value, Int64):
        raise _idl_wrong_type("OperationSessionInfo.txnNumber", value, "long")


def _check_max_time_ms(value: Any) -> None:
    """mongod's parseMaxTimeMS: a number, integral when a double, within [0, 2^31 - 1]."""
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal128)):
        raise MongoError(ErrorCode.BadValue, "maxTimeMS must be a number")
    number = float(value.to_decimal()) if isinstance(value, Decimal128) else value
    whole = _safe_number_long(number)
    if not 0 <= whole <= INT32_MAX:
        raise MongoError(ErrorCode.BadValue, f"{whole} value for maxTimeMS is out of range [0, {INT32_MAX}]")
    if isinstance(value, float) and not number.is_integer():  # NaN too, as floor(NaN) != NaN
        raise MongoError(ErrorCode.BadValue, "maxTimeMS has non-integral value")


def _safe_number_long(number: float) -> int:
    """BSONElement::safeNumberLong: NaN is 0, out-of-range values clamp, fractions truncate."""
    if number != number:
        return 0
    if number >= 2**63:
        return 2**63 - 1
    if number <= -(2**63):
        return -(2**63)
    return int(number)


def _check_read_concern(value: Any) -> None:
    """ReadConcernArgs::initialize / parse."""
    if not isinstance(value, dict):
        raise MongoError(ErrorCode.FailedToParse, "readConcern field should be an object")
    for key, item in value.items():
        if key not in READ_CONCERN_FIELDS:
            raise MongoError(ErrorCode.InvalidOptions, f"Unrecognized option in readConcern: {key}")
        if key == "level":
            if not isinstance(item, str):
                raise _extract_wrong_type("level", item, "string")
            if item not in READ_CONCERN_LEVELS:
                raise MongoError(
                    ErrorCode.FailedToParse,
                    "level must be either 'local', 'majority', 'linearizable', 'available', or 'snapshot'",
                )
        elif key in ("afterClusterTime", "atClusterTime") and bson_type(item)[0] != 17:
            raise _extract_wrong_type(key, item, "timestamp")
        elif key in ("afterOpTime", "provenance") and not isinstance(
            item, dict if key == "afterOpTime" else str
        ):
            raise _extract_wrong_type(key, item, "object" if key == "afterOpTime" else "string")


def _check_write_concern(value: Any) -> None:
    if not isinstance(value, dict):
        raise _extract_wrong_type("writeConcern", value, "object")
    needs_fsync({"writeConcern": value})


def _check_read_preference(value: Any) -> None:
    """ReadPreferenceSetting::fromContainingBSON, then the ReadPreference IDL for ``mode``."""
    if not isinstance(value, dict):
        raise MongoError(
            ErrorCode.TypeMismatch,
            f"$readPreference has incorrect type: expected object but got {_alias(value)}",
        )
    if "mode" not in value:
        raise MongoError(40414, "BSON field 'ReadPreference.mode' is missing but a required field")
    mode = value["mode"]
    if not isinstance(mode, str):
        raise _idl_wrong_type("ReadPreference.mode", mode, "string")
    if mode not in READ_PREFERENCE_MODES:
        raise MongoError(
            ErrorCode.BadValue,
            f"Enumeration value '{mode}' for field 'ReadPreference.mode' is not a valid value.",
        )


# generic field -> its check, in the order mongod's entry point reads them; ``comment`` takes any value
_CHECKS: dict[str, Callable[[Any], None]] = {
    "$db": _check_db,
    "lsid": _check_lsid,
    "txnNumber": _check_txn_number,
    "$readPreference": _check_read_preference,
    "maxTimeMS": _check_max_time_ms,
    "readConcern": _check_read_concern,
    "writeConcern": _check_write_concern,
}


def check_generic_fields(body: dict[str, Any]) -> None:
    """Raise mongod's error for a wrongly typed generic field of ``body`` (checked in ``_CHECKS`` order)."""
    for name, check in _CHECKS.items():
        if name in body:
            check(body[name])
