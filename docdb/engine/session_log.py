"""What the log says about session writes: which ``(lsid, txnNumber, stmtId)`` ran, and with what result.

A retryable write or a transaction commit puts a ``txn`` document in the same WRITE_BATCH record as its
effect (``{lsid, txnNumber, stmts: [stmtId...], results: [...]?, committed: true?}``), so after a crash
either both are there or neither is. Recovery and live commits fold those documents into one
:class:`SessionFacts` per session, the only thing the server consults to answer a retry: a session
keeps the facts of its newest ``txnNumber`` only (an older one is TransactionTooOld anyway).
"""

from __future__ import annotations

from typing import Any

import bson
from bson.timestamp import Timestamp

from docdb.bson_codec import CODEC_OPTIONS


class SessionFacts:
    """The newest transaction number a session wrote under, and what ran under it.

    ``results`` maps a statement id to its result document (None when the statement's result is implied,
    as for an insert: n = 1); ``committed`` says a multi-document transaction with this number committed.
    The ``txn`` documents are kept as logged and read into ``results`` only when asked (a retry is rare,
    a write is not).
    """

    __slots__ = ("txn_number", "_docs", "_results", "committed")

    def __init__(self, txn_number: int, txn: dict[str, Any] | None = None) -> None:
        self.txn_number = txn_number
        self._docs: list[dict[str, Any]] = [] if txn is None else [txn]
        self._results: dict[int, dict[str, Any] | None] | None = None
        self.committed = txn is not None and bool(txn.get("committed"))

    def add(self, txn: dict[str, Any]) -> None:
        self._docs.append(txn)
        self._results = None
        if txn.get("committed"):
            self.committed = True

    @property
    def results(self) -> dict[int, dict[str, Any] | None]:
        if self._results is None:
            results: dict[int, dict[str, Any] | None] = {}
            for txn in self._docs:
                stmts = txn.get("stmts")
                if stmts:
                    docs = txn.get("results")
                    results.update(
                        zip(stmts, docs, strict=True) if docs is not None else dict.fromkeys(stmts)
                    )
            self._results = results
        return self._results


def txn_document(
    lsid: bytes,
    txn_number: int,
    stmt_ids: list[int] | None = None,
    results: list[dict[str, Any]] | None = None,
    committed: bool = False,
) -> dict[str, Any]:
    """The ``txn`` field of a record (``lsid`` is the session id's 16 bytes)."""
    doc: dict[str, Any] = {"lsid": lsid, "txnNumber": txn_number}
    if stmt_ids:
        doc["stmts"] = stmt_ids
        if results is not None:
            doc["results"] = results
    if committed:
        doc["committed"] = True
    return doc


def fold(facts: dict[bytes, SessionFacts], txn: dict[str, Any]) -> None:
    """Fold one record's ``txn`` document into ``facts`` (recovery and live commits alike).

    >>> facts = {}
    >>> fold(facts, {"lsid": b"s" * 16, "txnNumber": 3, "stmts": [0, 1]})
    >>> fold(facts, {"lsid": b"s" * 16, "txnNumber": 3, "stmts": [2], "results": [{"n": 0}]})
    >>> f = facts[b"s" * 16]; (f.txn_number, f.results)
    (3, {0: None, 1: None, 2: {'n': 0}})
    """
    lsid = txn["lsid"]
    if type(lsid) is not bytes:
        lsid = bytes(lsid)
    number = txn["txnNumber"]
    current = facts.get(lsid)
    if current is None or current.txn_number < number:
        facts[lsid] = SessionFacts(int(number), txn)
    elif current.txn_number == number:
        current.add(txn)


def compaction_records(facts: dict[bytes, SessionFacts], clock: Timestamp) -> list[bytes]:
    """WRITE_BATCH payloads without ops that carry the clock and the session facts into a compacted file
    (which keeps only live documents), so a retry after compaction and a restart still finds them."""
    records = []
    for lsid, session in facts.items():
        stmts = sorted(session.results)
        results = [session.results[s] or {} for s in stmts]
        txn = txn_document(lsid, session.txn_number, stmts, results, session.committed)
        records.append(bson.encode({"ops": [], "txn": txn}, codec_options=CODEC_OPTIONS))
    # Last: recovery reads the Timestamp of the last batch only (Timestamps grow along the log).
    records.append(bson.encode({"ops": [], "ts": clock}, codec_options=CODEC_OPTIONS))
    return records
