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
from bson.timestamp import Timestamp

from docdb.engine.store import TRANSIENT, SnapshotReadStore, TransactionStore
from docdb.errors import ErrorCode, MongoError
from docdb.server import retryable
from docdb.server.context import CommandContext, ServerState
from docdb.server.registry import CommandSpec
from docdb.server.sessions import Session, session_id

IN_PROGRESS, COMMITTED, ABORTED = "in progress", "committed", "aborted"
TRANSACTION_COMMANDS = frozenset({"commitTransaction", "abortTransaction"})
TXN_READ_LEVELS = ("local", "majority", "snapshot")
SNAPSHOT_READS = frozenset({"find", "aggregate", "distinct"})  # what readConcern snapshot may run alone
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
            _check_session_fields(ctx, body)
        if "readConcern" in body:
            return _run_with_read_concern(ctx, spec, body)
        return spec.handler(ctx, body)
    session = ctx.state.sessions.touch(session_id(body["lsid"]))
    ctx.session = session
    txn_number = body.get("txnNumber")
    if txn_number is None and "autocommit" not in body and "startTransaction" not in body:
        if "readConcern" in body:
            return _run_with_read_concern(ctx, spec, body)
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
    _check_session_fields(ctx, body)
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
        at = _transaction_read_concern(body)
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
        if name == "aggregate":
            _check_pipeline(body.get("pipeline"))
        reply = spec.handler(ctx, body)
    except MongoError as error:
        txn.abort()
        raise _labelled(error) from None
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
    if name == "createIndexes":
        raise MongoError(ErrorCode.NotImplemented, "createIndexes in a transaction is not supported by docdb")


def _check_write_target(target: Any, db: str) -> None:
    if isinstance(target, str) and target.startswith("system."):
        raise MongoError(
            ErrorCode.OperationNotSupportedInTransaction,
            f"Cannot write to system collection {db}.{target} within a transaction.",
        )


def _check_pipeline(pipeline: Any) -> None:
    for stage in pipeline if isinstance(pipeline, list) else ():
        name = next(iter(stage), None) if isinstance(stage, dict) else None
        if name in ("$out", "$merge"):
            raise MongoError(
                ErrorCode.OperationNotSupportedInTransaction, f"{name} cannot be used in a transaction"
            )


def _labelled(error: MongoError) -> MongoError:
    if error.code in _TRANSIENT_CODES and "errorLabels" not in error.extra:
        error.extra["errorLabels"] = TRANSIENT
    return error


def lifetime_limit_s(state: ServerState) -> float:
    """transactionLifetimeLimitSeconds, as set now (setParameter may change it)."""
    return state.sessions.transaction_lifetime_limit_s


def _expired(state: ServerState, txn: Transaction, now: float | None = None) -> bool:
    now = time.monotonic() if now is None else now
    return now - txn.started > lifetime_limit_s(state)


def _transaction_read_concern(body: dict[str, Any]) -> Timestamp | None:
    """The first statement's readConcern: local, majority or snapshot (all read one snapshot here);
    ``atClusterTime`` (snapshot only) picks an earlier one."""
    rc = body.get("readConcern")
    if rc is None:
        return None
    level = _read_concern_level(rc)
    if level is not None and level not in TXN_READ_LEVELS:
        raise MongoError(
            ErrorCode.InvalidOptions,
            "The readConcern level must be either 'local' (default), 'majority' or 'snapshot' in order to "
            "run in a transaction",
        )
    at = rc.get("atClusterTime")
    if at is not None and level != "snapshot":
        raise MongoError(
            ErrorCode.InvalidOptions, "readConcern atClusterTime value must be specified with level: snapshot"
        )
    return at


def _read_concern_level(rc: Any) -> str | None:
    if not isinstance(rc, dict):
        raise MongoError(ErrorCode.FailedToParse, "readConcern must be an object")
    level = rc.get("level")
    if level is not None and not isinstance(level, str):
        raise MongoError(ErrorCode.TypeMismatch, "BSON field 'readConcern.level' is the wrong type")
    return level


# -- snapshot reads outside a transaction -------------------------------------------------------------------


def _run_with_read_concern(ctx: CommandContext, spec: CommandSpec, body: dict[str, Any]) -> dict[str, Any]:
    rc = body["readConcern"]
    if _read_concern_level(rc) != "snapshot":
        return spec.handler(ctx, body)
    if ctx.state.config.replica_set is None:
        raise MongoError(
            ErrorCode.NotAReplicaSet, "node needs to be a replica set member to use readConcern: snapshot"
        )
    if spec.name not in SNAPSHOT_READS:
        raise MongoError(
            ErrorCode.InvalidOptions,
            f'Command {spec.name} does not support {{ readConcern: {{ level: "snapshot" }} }} '
            ":: caused by :: read concern snapshot not supported",
        )
    at = rc.get("atClusterTime")
    if at is not None and not isinstance(at, Timestamp):
        raise MongoError(ErrorCode.TypeMismatch, "BSON field 'readConcern.atClusterTime' is the wrong type")
    catalog = ctx.state.catalog
    if at is not None and at > catalog.clock.last:
        catalog.clock.advance(at)  # nothing later may now be stamped at or before it
    store = SnapshotReadStore(catalog, at)
    ctx.store = store
    try:
        reply = spec.handler(ctx, body)
    finally:
        ctx.store = None
        store.release()
    cursor = reply.get("cursor")
    if isinstance(cursor, dict):
        cursor["atClusterTime"] = store.snapshot.ts
    else:
        reply["atClusterTime"] = store.snapshot.ts  # distinct: where drivers' snapshot sessions look
    return reply


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


# -- the fields themselves -----------------------------------------------------------------------------------


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
