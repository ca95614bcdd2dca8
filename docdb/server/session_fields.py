"""mongod's checks of an operation's session fields (``lsid``, ``txnNumber``, ``autocommit``,
``startTransaction``), in its order, before anything runs: what a standalone refuses (IllegalOperation
20 for any ``txnNumber``) and what is malformed anywhere."""

from __future__ import annotations

from typing import Any

from docdb.errors import ErrorCode, MongoError
from docdb.server.context import CommandContext


def check_session_fields(ctx: CommandContext, body: dict[str, Any]) -> None:
    """mongod's checks of the operation's session fields, in its order (before anything runs)."""
    txn_number = body.get("txnNumber")
    autocommit = body.get("autocommit")
    start = body.get("startTransaction")
    if "lsid" not in body:
        if txn_number is not None:
            raise MongoError(
                ErrorCode.InvalidOptions, "Transaction number requires a session ID to also be specified"
            )
        if autocommit is not None:
            raise MongoError(
                ErrorCode.InvalidOptions, "'autocommit' field requires a session ID to also be specified"
            )
        if start is not None:
            raise MongoError(
                ErrorCode.InvalidOptions,
                "'startTransaction' field requires a session ID to also be specified",
            )
        return
    if txn_number is not None:
        if ctx.state.config.replica_set is None:
            raise MongoError(
                ErrorCode.IllegalOperation,
                "Transaction numbers are only allowed on a replica set member or mongos",
            )
        if isinstance(txn_number, bool) or not isinstance(txn_number, int):
            raise MongoError(
                ErrorCode.TypeMismatch,
                "BSON field 'OperationSessionInfo.txnNumber' is the wrong type "
                f"'{_type_name(txn_number)}', expected type 'long'",
            )
        if txn_number < 0:
            raise MongoError(ErrorCode.BadValue, "TxnNumber cannot be negative")
    if autocommit is not None:
        if txn_number is None:
            raise MongoError(
                ErrorCode.InvalidOptions,
                "'autocommit' field requires a transaction number to also be specified",
            )
        if autocommit is not False:
            raise MongoError(ErrorCode.InvalidOptions, "Specifying autocommit=true is not allowed.")
    elif start is not None:
        raise MongoError(
            ErrorCode.InvalidOptions,
            "'startTransaction' field requires 'autocommit' field to also be specified",
        )
    if start is not None and start is not True:
        raise MongoError(ErrorCode.InvalidOptions, "Specifying startTransaction=false is not allowed.")


def _type_name(value: Any) -> str:
    return {str: "string", float: "double", dict: "object", list: "array", bool: "bool"}.get(
        type(value), type(value).__name__
    )
