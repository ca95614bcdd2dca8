"""The session and transaction step of dispatch: what ``lsid``, ``txnNumber``, ``autocommit``,
``startTransaction`` and ``readConcern`` on a command mean, decided before its handler runs.

``run`` wraps the handler call in ``dispatch.run_command`` (after lookup and authorization, before the
cluster-time decoration), so handlers never look at these fields: a command with an ``lsid`` touches its
session; with ``autocommit: false`` it is a statement of the session's transaction and runs against the
transaction's store (``engine/store.py``); with only a ``txnNumber`` it is a retryable write
(``server/retryable.py``); ``readConcern: {level: "snapshot"}`` outside a transaction reads at a snapshot.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from bson.int64 import Int64

from docdb.engine.capped import refuse_in_transaction as refuse_capped_in_transaction
from docdb.engine.store import TRANSIENT, TransactionStore, write_conflict
from docdb.engine.write_intents import WriteBlocked
from docdb.errors import ErrorCode, MongoError
from docdb.server import retryable
from docdb.server.context import CommandContext, ServerState
from docdb.server.read_concern import run_with_read_concern, transaction_read_concern
from docdb.server.registry import CommandSpec
from docdb.server.session_fields import check_session_fields
from docdb.server.sessions import Session, session_id

IN_PROGRESS, COMMITTED, ABORTED = "in progress", "committed", "aborted"
TRANSACTION_COMMANDS = frozenset({"commitTransaction", "abortTransaction"})
# Codes whose error means "retry the whole transaction" (mongod's isTransientTransactionError).
_TRANSIENT_CODES = frozenset({ErrorCode.WriteConflict, ErrorCode.NoSuchTransaction, ErrorCode.SnapshotTooOld})


class Transaction:
    """A session's multi-document transaction: its number, store and state. ``limit_s`` (the
    transactionLifetimeLimitSeconds in force when it started, as in mongod) arms a timer on the event
    loop that aborts it if it is still open then; the periodic sweep (``reap``) is the fallback."""

    __slots__ = ("number", "store", "state", "started", "_timer")

    def __init__(self, number: int, store: TransactionStore, limit_s: float | None = None) -> None:
        self.number = number
        self.store = store
        self.state = IN_PROGRESS
        self.started = time.monotonic()
        self._timer: asyncio.TimerHandle | None = None
        if limit_s is not None:
            try:
                self._timer = asyncio.get_running_loop().call_later(limit_s, self.abort)
            except RuntimeError:  # no event loop (the engine driven directly): the sweep expires it
                pass

    def end(self, state: str) -> None:
        """Leave IN_PROGRESS for ``state`` (committed or aborted): release the store, stop the timer."""
        if self.state == IN_PROGRESS:
            self.state = state
            self.store.release()
            if self._timer is not None:
                self._timer.cancel()

    def abort(self) -> None:
        self.end(ABORTED)


def run(ctx: CommandContext, spec: CommandSpec, body: dict[str, Any]) -> dict[str, Any]:
    """The reply of ``spec``'s handler to ``body``, run in the session and transaction the body names."""
    if "lsid" not in body:
        if "txnNumber" in body or "autocommit" in body or "startTransaction" in body:
            check_session_fields(ctx, body)
        if "readConcern" in body:
            return run_with_read_concern(ctx, spec, body)
        return spec.handler(ctx, body)
    session = ctx.state.sessions.touch(session_id(body["lsid"]))
    ctx.session = session
    txn_number = body.get("txnNumber")
    if txn_number is None and "autocommit" not in body and "startTransaction" not in body:
        if "readConcern" in body:
            return run_with_read_concern(ctx, spec, body)
        return spec.handler(ctx, body)
    if (
        type(txn_number) is Int64  # a driver's retryable write: the one check it needs, cheaply
        and txn_number >= 0
        and spec.retryable
        and ctx.state.config.replica_set is not None
        and "autocommit" not in body
        and "startTransaction" not in body
        and "readConcern" not in body
    ):
        _end_older_transaction(session, txn_number, ctx)
        return retryable.run(ctx, spec, body, session, int(txn_number))
    check_session_fields(ctx, body)
    txn_number = int(body["txnNumber"])
    if "autocommit" in body:
        return _run_in_transaction(ctx, spec, body, session, txn_number)
    if not spec.retryable:
        raise MongoError(
            ErrorCode.NotARetryableWriteCommand,
            "txnNumber may only be provided for multi-document transactions and retryable write commands. "
            f"autocommit:false was not provided, and {spec.name} is not a retryable write command.",
        )
    _end_older_transaction(session, txn_number, ctx)
    return retryable.run(ctx, spec, body, session, txn_number)


# -- transactions -----------------------------------------------------------------------------------------


def active_number(ctx: CommandContext, session: Session) -> int:
    """The newest transaction number the session used, in memory or (after a restart) in the log."""
    facts = ctx.state.catalog.session_facts.get(session.id)
    return session.txn_number if facts is None else max(session.txn_number, facts.txn_number)


def _end_older_transaction(session: Session, txn_number: int, ctx: CommandContext) -> None:
    """A newer number on the session aborts its open transaction, as in mongod."""
    txn = session.txn
    if txn is not None and txn.number < txn_number:
        txn.abort()


def no_such_transaction(message: str) -> MongoError:
    return MongoError(ErrorCode.NoSuchTransaction, message, errorLabels=TRANSIENT)


def _run_in_transaction(
    ctx: CommandContext, spec: CommandSpec, body: dict[str, Any], session: Session, n: int
) -> dict[str, Any]:
    """A statement of a multi-document transaction, checked in mongod's order: what may run in a
    transaction at all (nothing is aborted), the transaction number, then the statement itself (a
    failure from here on aborts the transaction)."""
    name = spec.name
    start = bool(body.get("startTransaction"))
    _check_allowed(spec, body, ctx.db, start)
    active = active_number(ctx, session)
    txn: Transaction | None = session.txn
    if n < active:
        raise MongoError(
            ErrorCode.TransactionTooOld,
            f"Cannot start transaction with {{ txnNumber: {n} }} on session {session.describe()} because a "
            f"newer {_operation(session, active)} with txnNumberAndRetryCounter "
            f"{_number_text(session, active)} has already started on this session.",
        )
    if txn is not None and txn.state == IN_PROGRESS and _expired(ctx.state, txn):
        txn.abort()
    if start:
        if n == active:
            raise MongoError(
                ErrorCode.ConflictingOperationInProgress,
                "Only servers in a sharded cluster can start a new transaction at the active transaction "
                "number",
            )
        at = transaction_read_concern(body)
        if txn is not None:
            txn.abort()
        store = TransactionStore(ctx.state.catalog, ctx.state.intents, at)
        txn = session.txn = Transaction(n, store, lifetime_limit_s(ctx.state))
        session.txn_number = n
    else:
        if txn is None or txn.number != n:
            facts = ctx.state.catalog.session_facts.get(session.id)
            if (
                name == "commitTransaction"
                and facts is not None
                and facts.txn_number == n
                and facts.committed
            ):
                return {}  # the commit is in the log (the server restarted since): same outcome
            raise no_such_transaction(
                f"Given transaction number {n} does not match any in-progress transactions. "
                f"The active transaction number is {active}"
            )
        if "readConcern" in body:
            raise MongoError(
                ErrorCode.InvalidOptions, "Only the first command in a transaction may specify a readConcern"
            )
        if txn.state == COMMITTED:
            if name == "commitTransaction":
                return {}
            raise MongoError(
                ErrorCode.TransactionCommitted, f"Transaction with {{ txnNumber: {n} }} has been committed."
            )
        if txn.state == ABORTED:
            raise no_such_transaction(f"Transaction with {{ txnNumber: {n} }} has been aborted.")
    ctx.store = txn.store
    try:
        if spec.writes:
            _check_write_target(body.get(name), ctx.db)
            if name == "insert":
                _check_timeseries_insert(ctx, body.get(name))
            _check_capped_target(ctx, name, body.get(name))
        if name == "aggregate":
            _check_pipeline(body.get("pipeline"))
        elif name == "create":
            _check_create(body)
        reply = spec.handler(ctx, body)
    except MongoError as error:
        txn.abort()
        raise _labelled(error) from None
    except WriteBlocked:  # another open transaction holds what it needs: first writer wins
        txn.abort()
        raise write_conflict() from None
    finally:
        ctx.store = None
    errors = reply.get("writeErrors")
    if errors:  # in a transaction a failed statement fails the command and the transaction
        txn.abort()
        first = dict(errors[0])
        first.pop("index", None)
        code, errmsg = first.pop("code"), first.pop("errmsg")
        raise _labelled(MongoError(code, errmsg, **first))
    return reply


def _operation(session: Session, number: int) -> str:
    """What the session's newest number is used by, as mongod's messages name it."""
    txn = session.txn
    return "transaction" if txn is not None and txn.number == number else "retryable write"


def _number_text(session: Session, number: int) -> str:
    counter = 0 if _operation(session, number) == "transaction" else -1
    return f"{{ txnNumber: {number}, txnRetryCounter: {counter} }}"


def _check_allowed(spec: CommandSpec, body: dict[str, Any], db: str, start: bool) -> None:
    """mongod's checks of what may run in a transaction, made before the transaction is touched."""
    name = spec.name
    if name == "count":
        raise MongoError(
            ErrorCode.OperationNotSupportedInTransaction,
            "Cannot run 'count' in a multi-document transaction. Please see "
            "http://dochub.mongodb.org/core/transaction-count for a recommended alternative.",
        )
    if not spec.in_transaction:
        raise MongoError(
            ErrorCode.OperationNotSupportedInTransaction,
            f"Cannot run '{name}' in a multi-document transaction.",
        )
    if db == "local" or (db == "admin" and name not in TRANSACTION_COMMANDS):
        raise MongoError(
            ErrorCode.OperationNotSupportedInTransaction,
            f"Cannot run command against the '{db}' database in a transaction.",
        )
    if body.get(name) == "system.profile":
        raise MongoError(
            ErrorCode.OperationNotSupportedInTransaction,
            f"Cannot run command against the '{db}.system.profile' collection in a transaction.",
        )
    if start:
        if name == "killCursors":
            raise MongoError(
                ErrorCode.OperationNotSupportedInTransaction,
                "Cannot run killCursors as the first operation in a multi-document transaction.",
            )
        if name == "commitTransaction":
            raise MongoError(
                ErrorCode.OperationNotSupportedInTransaction, "Cannot start a transaction with a commit"
            )
        if name == "abortTransaction":
            raise MongoError(
                ErrorCode.OperationNotSupportedInTransaction, "Cannot start a transaction with an abort"
            )
    if "writeConcern" in body and name not in TRANSACTION_COMMANDS:
        raise MongoError(
            ErrorCode.InvalidOptions, "writeConcern is not allowed within a multi-statement transaction"
        )


def _check_write_target(target: Any, db: str) -> None:
    if isinstance(target, str) and target.startswith("system."):
        raise MongoError(
            ErrorCode.OperationNotSupportedInTransaction,
            f"Cannot write to system collection {db}.{target} within a transaction.",
        )


def _check_timeseries_insert(ctx: CommandContext, target: Any) -> None:
    """mongod inserts into a time-series collection only outside a multi-document transaction."""
    coll = ctx.state.catalog.collection(ctx.db, target) if isinstance(target, str) else None
    if coll is not None and "timeseries" in coll.options:
        raise MongoError(
            ErrorCode.OperationNotSupportedInTransaction,
            f"Cannot insert into a time-series collection in a multi-document transaction: {ctx.db}.{target}",
        )


def _check_capped_target(ctx: CommandContext, name: str, target: Any) -> None:
    """mongod refuses document writes to a capped collection inside a transaction."""
    if name in _DOCUMENT_WRITES and isinstance(target, str):
        coll = ctx.catalog.collection(ctx.db, target)
        if coll is not None and coll.capped is not None:
            refuse_capped_in_transaction(coll)


_DOCUMENT_WRITES = frozenset({"insert", "update", "delete", "findAndModify"})


def _check_pipeline(pipeline: Any) -> None:
    for stage in pipeline if isinstance(pipeline, list) else ():
        name = next(iter(stage), None) if isinstance(stage, dict) else None
        if name in ("$out", "$merge"):
            raise MongoError(
                ErrorCode.OperationNotSupportedInTransaction, f"{name} cannot be used in a transaction"
            )


def _check_create(body: dict[str, Any]) -> None:
    if "viewOn" in body or "pipeline" in body:
        raise MongoError(
            ErrorCode.OperationNotSupportedInTransaction,
            "Cannot create a view in a multi-document transaction.",
        )
    if "timeseries" in body:
        raise MongoError(
            ErrorCode.OperationNotSupportedInTransaction,
            "Cannot create a time-series collection in a multi-document transaction.",
        )


def _labelled(error: MongoError) -> MongoError:
    if error.code in _TRANSIENT_CODES and "errorLabels" not in error.extra:
        error.extra["errorLabels"] = TRANSIENT
    return error


def lifetime_limit_s(state: ServerState) -> float:
    """transactionLifetimeLimitSeconds, as set now (setParameter may change it)."""
    return float(state.parameters.transaction_lifetime_limit_seconds)


def _expired(state: ServerState, txn: Transaction, now: float | None = None) -> bool:
    now = time.monotonic() if now is None else now
    return now - txn.started > lifetime_limit_s(state)


# -- sessions ending, idle transactions ----------------------------------------------------------------------


def kill_session(state: ServerState, session: Session) -> None:
    """A session killed, ended or expired: its open transaction aborts, its cursors close."""
    if session.txn is not None:
        session.txn.abort()
    state.cursors.kill_session(session.id)


def reap(state: ServerState, now: float | None = None) -> int:
    """Abort transactions open longer than transactionLifetimeLimitSeconds and forget expired sessions;
    returns how many transactions were aborted."""
    aborted = 0
    for session in list(state.sessions.sessions.values()):
        txn = session.txn
        if txn is not None and txn.state == IN_PROGRESS and _expired(state, txn, now):
            txn.abort()
            aborted += 1
    for session in state.sessions.reap_expired(now):
        state.catalog.session_facts.pop(session.id, None)  # mongod reaps config.transactions alike
    return aborted
