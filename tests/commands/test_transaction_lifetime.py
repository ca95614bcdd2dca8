"""transactionLifetimeLimitSeconds: the periodic sweep aborts transactions open longer than the limit,
and sessions unused for logicalSessionTimeoutMinutes expire with what they hold (no server needed:
the sweep is called with a chosen clock, so nothing sleeps)."""

from __future__ import annotations

import time

from docdb.config import ServerConfig
from docdb.engine.catalog import Catalog
from docdb.engine.session_log import txn_document
from docdb.engine.store import TransactionStore
from docdb.engine.writes import insert_documents
from docdb.server import transactions
from docdb.server.context import ServerState
from docdb.server.cursors import CursorRegistry
from docdb.server.transactions import ABORTED, IN_PROGRESS, Transaction


def _state() -> ServerState:
    state = ServerState(config=ServerConfig(replica_set="rs0"), catalog=Catalog(), cursors=CursorRegistry())
    state.sessions.on_kill = lambda session: transactions.kill_session(state, session)
    return state


def test_a_transaction_past_the_lifetime_limit_is_aborted() -> None:
    state = _state()
    session = state.sessions.touch(b"A" * 16)
    store = TransactionStore(state.catalog, state.intents)
    insert_documents(store, "d", "c", [{"_id": 1}], True)
    session.txn = Transaction(1, store)
    now = time.monotonic()
    assert transactions.reap(state, now + 30) == 0
    assert session.txn.state == IN_PROGRESS
    state.parameters.transaction_lifetime_limit_seconds = 10  # what setParameter sets
    assert transactions.reap(state, now + 30) == 1
    assert session.txn.state == ABORTED
    assert state.intents == {} and len(state.catalog.history) == 0
    assert state.catalog.collection("d", "c") is None


def test_an_expired_session_takes_its_transaction_cursors_and_retry_facts_along() -> None:
    state = _state()
    session = state.sessions.touch(b"B" * 16)
    state.catalog.commit([], txn_document(b"B" * 16, 1, [0]))
    state.cursors.first_batch("d.c", [{"_id": i} for i in range(5)], 1, lsid=session.id)
    session.txn = Transaction(2, TransactionStore(state.catalog, state.intents))
    transactions.reap(state, time.monotonic() + state.sessions.timeout_s + 1)
    assert state.sessions.sessions == {}
    assert state.cursors.cursors == {}
    assert session.txn.state == ABORTED
    assert state.catalog.session_facts == {}
