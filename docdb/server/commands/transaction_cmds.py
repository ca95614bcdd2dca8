"""commitTransaction and abortTransaction (replica-set mode; a standalone refuses them as mongod does).

Dispatch's transaction step (``server/transactions.py``) has already matched the command to the
session's transaction and answered a repeated commit; these handlers end it.
"""

from __future__ import annotations

from typing import Any

from docdb.engine.session_log import txn_document
from docdb.errors import ErrorCode, MongoError
from docdb.server.context import CommandContext
from docdb.server.params import check_fields
from docdb.server.registry import command
from docdb.server.transactions import ABORTED, COMMITTED, IN_PROGRESS, Transaction
from docdb.server.write_concern import needs_fsync, request_durability


def _transaction(ctx: CommandContext, name: str) -> Transaction:
    if ctx.state.config.replica_set is None:
        raise MongoError(
            ErrorCode.IllegalOperation,
            "Transaction numbers are only allowed on a replica set member or mongos",
        )
    session = ctx.session
    if session is None or session.txn is None or ctx.store is None:
        raise MongoError(ErrorCode.CommandFailed, f"{name} must be run within a transaction")
    return session.txn


@command("commitTransaction", admin_only=True, in_transaction=True)
def commit_transaction(ctx: CommandContext, cmd: dict[str, Any]) -> dict[str, Any]:
    """Commit the session's transaction: its writes become one log record, applied at once."""
    check_fields(cmd, {"recoveryToken"})
    txn = _transaction(ctx, "commitTransaction")
    if txn.state == IN_PROGRESS:
        durable = needs_fsync(cmd)
        assert ctx.session is not None
        try:
            txn.store.commit_transaction(txn_document(ctx.session.id, txn.number, committed=True))
        except MongoError:
            txn.end(ABORTED)
            raise
        txn.end(COMMITTED)
        ctx.store = None  # the durability wait reads the catalog's log position
        request_durability(ctx, durable)
    return {}


@command("abortTransaction", admin_only=True, in_transaction=True)
def abort_transaction(ctx: CommandContext, cmd: dict[str, Any]) -> dict[str, Any]:
    """Abort the session's transaction: nothing it wrote is kept."""
    check_fields(cmd, {"recoveryToken"})
    txn = _transaction(ctx, "abortTransaction")
    txn.abort()
    return {}
