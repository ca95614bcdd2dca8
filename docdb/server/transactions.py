"""The session and transaction step of dispatch: what ``lsid``, ``txnNumber``, ``autocommit`` and
``startTransaction`` on a command mean, checked before its handler runs.

``run`` wraps the handler call in ``dispatch.run_command`` (after lookup and authorization, before the
cluster-time decoration), so handlers never look at these fields.
"""

from __future__ import annotations

from typing import Any

from docdb.errors import ErrorCode, MongoError
from docdb.server.context import CommandContext
from docdb.server.registry import CommandSpec


def run(ctx: CommandContext, spec: CommandSpec, body: dict[str, Any]) -> dict[str, Any]:
    """The reply of ``spec``'s handler to ``body``, run in the session and transaction the body names."""
    if "lsid" not in body:
        if "txnNumber" in body or "autocommit" in body or "startTransaction" in body:
            _check_session_fields(ctx, body)
        return spec.handler(ctx, body)
    if "txnNumber" in body or "autocommit" in body or "startTransaction" in body:
        _check_session_fields(ctx, body)
    return spec.handler(ctx, body)


def _check_session_fields(ctx: CommandContext, body: dict[str, Any]) -> None:
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
