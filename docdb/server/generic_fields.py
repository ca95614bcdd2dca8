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
from docdb.engine.query.bson_text import format_element
from docdb.errors import ErrorCode, MongoError
from docdb.server.write_concern import needs_fsync

INT32_MAX = 2**31 - 1
READ_CONCERN_LEVELS = ("local", "majority", "linearizable", "available", "snapshot")
# readConcern option -> the BSON type mongod's parser extracts it as
READ_CONCERN_TYPES = {
    "$_allowTransactionTableSnapshot": "bool",
    "afterClusterTime": "timestamp",
    "afterOpTime": "object",
    "atClusterTime": "timestamp",
    "level": "string",
    "provenance": "string",
}
PROVENANCE_SOURCES = (
    "clientSupplied",
    "implicitDefault",
    "customDefault",
    "getLastErrorDefaults",
    "internalWriteDefault",
)
READ_PREFERENCE_MODES = ("primary", "primaryPreferred", "secondary", "secondaryPreferred", "nearest")
# mongod's names of binData subtypes (typeName(BinDataType))
BINDATA_SUBTYPE_NAMES = {
    0: "general",
    1: "function",
    2: "binary(old)",
    3: "UUID(old)",
    4: "UUID",
    5: "MD5",
    6: "encrypt",
    7: "column",
    8: "sensitive",
    128: "user",
}
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
        subtype = BINDATA_SUBTYPE_NAMES.get(session_id.subtype, "invalid")
        raise MongoError(
            ErrorCode.TypeMismatch,
            f"BSON field 'OperationSessionInfo.lsid.id' is the wrong binData type '{subtype}', "
            "expected type 'UUID'",
        )
    if len(session_id) != 16:
        raise MongoError(ErrorCode.InvalidUUID, "uuid must be a 16-byte binary field with UUID (4) subtype")


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
    """ReadConcernArgs::initialize and parse (mongod 7.0): the shape of each option, then the rules
    that tie them together."""
    if not isinstance(value, dict):
        raise MongoError(ErrorCode.FailedToParse, "readConcern field should be an object")
    for key, item in value.items():
        expected = READ_CONCERN_TYPES.get(key)
        if expected is None:
            raise MongoError(ErrorCode.InvalidOptions, f"Unrecognized option in readConcern: {key}")
        if key == "provenance":
            _check_provenance(item)
        elif bson_type(item)[1] != expected:
            raise _extract_wrong_type(key, item, expected)
        elif key == "level" and item not in READ_CONCERN_LEVELS:
            raise MongoError(
                ErrorCode.FailedToParse,
                "readConcern.level must be either 'local', 'majority', 'linearizable', 'available', "
                "or 'snapshot'",
            )
    _check_read_concern_rules(value)


def _check_provenance(item: Any) -> None:
    where = "ReadConcernArgs::parse.provenance"
    if not isinstance(item, str):
        raise _idl_wrong_type(where, item, "string")
    if item not in PROVENANCE_SOURCES:
        raise MongoError(
            ErrorCode.BadValue, f"Enumeration value '{item}' for field '{where}' is not a valid value."
        )


def _check_read_concern_rules(value: dict[str, Any]) -> None:
    level = value.get("level", "local")
    after, at = value.get("afterClusterTime"), value.get("atClusterTime")
    if after is not None and "afterOpTime" in value:
        raise MongoError(ErrorCode.InvalidOptions, "Can not specify both afterClusterTime and afterOpTime")
    if after is not None and at is not None:
        raise MongoError(
            ErrorCode.InvalidOptions,
            "Specifying a timestamp for readConcern snapshot in a causally consistent session is not "
            "allowed. See https://docs.mongodb.com/manual/core/read-isolation-consistency-recency/#causal-consistency",
        )
    if after is not None and level not in ("majority", "local", "snapshot"):
        raise MongoError(
            ErrorCode.InvalidOptions,
            "afterClusterTime field can be set only if level is equal to majority, local, or snapshot",
        )
    if "afterOpTime" in value and level == "snapshot":
        raise MongoError(
            ErrorCode.InvalidOptions, "afterOpTime field cannot be set if level is equal to snapshot"
        )
    if at is not None and level != "snapshot":
        raise MongoError(
            ErrorCode.InvalidOptions, "atClusterTime field can be set only if level is equal to snapshot"
        )
    if at is not None and at.time == 0 and at.inc == 0:
        raise MongoError(ErrorCode.InvalidOptions, "atClusterTime cannot be a null timestamp")


def _check_write_concern(value: Any) -> None:
    if not isinstance(value, dict):
        raise _extract_wrong_type("writeConcern", value, "object")
    needs_fsync({"writeConcern": value})


def _check_read_preference(value: Any) -> None:
    """ReadPreferenceSetting::fromContainingBSON / fromInnerBSON (mongod 7.0): ``mode`` (required, one
    of the five), ``tags`` an array, ``hedge`` an object."""
    if not isinstance(value, dict):
        raise MongoError(
            ErrorCode.TypeMismatch,
            f"$readPreference has incorrect type: expected object but got {_alias(value)}",
        )
    if "mode" not in value:
        raise MongoError(ErrorCode.NoSuchKey, 'Missing expected field "mode"')
    mode = value["mode"]
    if not isinstance(mode, str):
        raise _extract_wrong_type("mode", mode, "string")
    if mode not in READ_PREFERENCE_MODES:
        raise MongoError(
            ErrorCode.BadValue,
            f"Could not parse $readPreference mode '{mode}'. Only the modes 'primary', 'primaryPreferred', "
            "'secondary', 'secondaryPreferred', and 'nearest' are supported. :: caused by :: "
            f"Enumeration value '{mode}' for field 'mode' is not a valid value.",
        )
    if "hedge" in value and not isinstance(value["hedge"], dict):
        found = format_element("hedge", value["hedge"])
        raise MongoError(
            ErrorCode.TypeMismatch, f"hedge field must be of type object if provided; found {found}"
        )
    if "tags" in value and not isinstance(value["tags"], list):
        raise _extract_wrong_type("tags", value["tags"], "array")


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


_LATER = tuple((name, check) for name, check in _CHECKS.items() if name not in ("$db", "lsid"))
_LATER_NAMES = frozenset(name for name, _ in _LATER)


def check_generic_fields(body: dict[str, Any]) -> None:
    """Raise mongod's error for a wrongly typed generic field of ``body`` (checked in ``_CHECKS`` order).

    Runs once per command, so the common shape (a string ``$db``, a driver's ``lsid``, nothing else
    to check) costs a few C-level steps and no allocation."""
    db = body.get("$db")
    if db.__class__ is not str and "$db" in body:
        _check_db(db)
    lsid = body.get("lsid", _ABSENT)
    if lsid is not _ABSENT and not is_driver_lsid(lsid):
        _check_lsid(lsid)
    if not _LATER_NAMES.isdisjoint(body):
        for name, check in _LATER:
            if name in body:
                check(body[name])


_ABSENT = object()


def is_driver_lsid(value: Any) -> bool:
    """``{id: <16-byte UUID>}``, what every driver sends."""
    if value.__class__ is not dict or len(value) != 1:
        return False
    session_id = value.get("id")
    return session_id.__class__ is Binary and len(session_id) == 16 and session_id.subtype == 4
