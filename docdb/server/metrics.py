"""The server's counters: what serverStatus reports, kept as plain integers an exporter can also read.

Everything runs on the one event-loop thread, so the counters are bumped without locks. The connection
layer counts bytes and requests (``count_request`` / ``count_reply_bytes``); ``dispatch.account_command``
hands each finished command to ``count_command`` once its reply is sent, which derives the document
counters from the reply (the same numbers the client sees: ``n``, ``nModified``, batch lengths), the
latency class and the assertion counters.
"""

from __future__ import annotations

import struct
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from docdb.errors import ErrorCode

_INT32 = struct.Struct("<i")

# mongod's read/write classification of commands for opLatencies (everything else is "commands")
READ_COMMANDS = frozenset({"aggregate", "count", "distinct", "find", "getMore", "mapReduce"})
WRITE_COMMANDS = frozenset({"delete", "findAndModify", "findandmodify", "insert", "update"})
_BATCH_FIELDS = ("firstBatch", "nextBatch")
# Upper bounds (microseconds) of the per-command latency histogram buckets, and a cap on the number of
# distinct command names counted (a client sending made-up names must not grow the table forever).
LATENCY_BUCKETS_MICROS = (100, 250, 500, 1_000, 2_500, 5_000, 10_000, 25_000, 100_000, 250_000, 1_000_000)
MAX_COMMAND_NAMES = 512


LATENCY_KINDS = ("reads", "writes", "commands", "transactions")  # opLatencies, mongod's order
# command name -> index in LATENCY_KINDS (anything else is a "commands" one)
_KIND = {name: 0 for name in READ_COMMANDS} | {name: 1 for name in WRITE_COMMANDS}


# A command name's record in ``Metrics.per_command``: its latency histogram (one count per
# LATENCY_BUCKETS_MICROS bucket, and one for slower), then its total microseconds.
_MICROS = len(LATENCY_BUCKETS_MICROS) + 1


@dataclass(slots=True)
class Metrics:
    """Process-wide counters (serverStatus ``network``, ``opLatencies``, ``asserts``, ``metrics.document``,
    ``locks``, ``metrics.commands``), plain ints bumped once per message or command.

    A finished command updates one record, its name's histogram and total time (``per_command``); the
    per-class latencies (``latency_micros``, ``latency_ops``) are sums of those records, made when read.
    Names beyond ``MAX_COMMAND_NAMES`` share one record per latency class (``_unnamed``) and get no
    histogram of their own."""

    bytes_in: int = 0  # logical: request bytes after decompression
    bytes_out: int = 0
    physical_bytes_in: int = 0  # as read from / written to the sockets
    physical_bytes_out: int = 0
    requests: int = 0
    asserts: Counter[str] = field(default_factory=Counter)
    documents: Counter[str] = field(default_factory=Counter)
    commands_failed: Counter[str] = field(default_factory=Counter)  # by command name (metrics.commands)
    per_command: dict[str, list[int]] = field(default_factory=dict)  # by command name: see _MICROS
    _unnamed: list[list[int]] = field(default_factory=lambda: [[0] * (_MICROS + 1) for _ in LATENCY_KINDS])

    def count_request(self, frame: bytes, compressed: bool) -> None:
        """One message read: its wire size, and its logical size (OP_COMPRESSED's uncompressedSize)."""
        self.requests += 1
        self.bytes_in += 16 + _INT32.unpack_from(frame, 20)[0] if compressed else len(frame)

    def count_reply_bytes(self, logical: int, physical: int) -> None:
        self.bytes_out += logical
        self.physical_bytes_out += physical

    def count_command(self, name: str, reply: dict[str, Any], seconds: float) -> None:
        """Latency, assertions and documents of one finished command (a few C-level steps for the common
        case: it runs once per command)."""
        micros = int(seconds * 1_000_000)
        record = self.per_command.get(name)
        if record is None:
            record = self._new_record(name)
        record[bisect_left(LATENCY_BUCKETS_MICROS, micros)] += 1
        record[_MICROS] += micros
        if reply.get("ok"):
            counter = _DOCUMENT_COUNTERS.get(name)
            if counter is not None:
                counter(self.documents, reply)
            return
        self.commands_failed[name] += 1
        self.asserts["regular" if reply.get("code") == ErrorCode.InternalError else "user"] += 1

    def _new_record(self, name: str) -> list[int]:
        if len(self.per_command) < MAX_COMMAND_NAMES:
            record = self.per_command[name] = [0] * (_MICROS + 1)
            return record
        return self._unnamed[_KIND.get(name, 2)]

    @property
    def latency_micros(self) -> list[int]:
        """Total microseconds per LATENCY_KINDS class (serverStatus opLatencies ``latency``)."""
        totals = [record[_MICROS] for record in self._unnamed]
        for name, record in self.per_command.items():
            totals[_KIND.get(name, 2)] += record[_MICROS]
        return totals

    @property
    def latency_ops(self) -> list[int]:
        """Commands per LATENCY_KINDS class (serverStatus opLatencies ``ops``)."""
        totals = [sum(record[:_MICROS]) for record in self._unnamed]
        for name, record in self.per_command.items():
            totals[_KIND.get(name, 2)] += sum(record[:_MICROS])
        return totals

    @property
    def command_buckets(self) -> dict[str, list[int]]:
        """By command name: counts per LATENCY_BUCKETS_MICROS bucket, and one for slower ones."""
        return {name: record[:_MICROS] for name, record in self.per_command.items()}

    @property
    def command_micros(self) -> dict[str, int]:
        """By command name: total microseconds."""
        return {name: record[_MICROS] for name, record in self.per_command.items()}

    def lock_acquisitions(self) -> tuple[int, int]:
        """Global lock acquisitions ``(r, w)``: one per command, ``w`` for the writes."""
        ops = self.latency_ops
        return ops[0] + ops[2] + ops[3], ops[1]


def _count_returned(docs: Counter[str], reply: dict[str, Any]) -> None:
    cursor = reply.get("cursor")
    if cursor.__class__ is dict:
        for batch in _BATCH_FIELDS:
            if batch in cursor:
                docs["returned"] += len(cursor[batch])


def _count_inserted(docs: Counter[str], reply: dict[str, Any]) -> None:
    docs["inserted"] += reply.get("n", 0)
    _count_returned(docs, reply)


def _count_updated(docs: Counter[str], reply: dict[str, Any]) -> None:
    upserted = reply.get("upserted")
    if upserted:
        docs["inserted"] += len(upserted)
    docs["updated"] += reply.get("nModified", 0)
    _count_returned(docs, reply)


def _count_deleted(docs: Counter[str], reply: dict[str, Any]) -> None:
    docs["deleted"] += reply.get("n", 0)
    _count_returned(docs, reply)


def _count_find_and_modify(docs: Counter[str], reply: dict[str, Any]) -> None:
    last = reply.get("lastErrorObject") or {}
    n = last.get("n", 0)
    if "upserted" in last:
        docs["inserted"] += n
    elif last.get("updatedExisting"):
        docs["updated"] += n
    elif reply.get("value") is not None:
        docs["deleted"] += n
    _count_returned(docs, reply)


# commands whose replies carry document counts (metrics.document), and how they are read
_DOCUMENT_COUNTERS: dict[str, Callable[[Counter[str], dict[str, Any]], None]] = {
    "aggregate": _count_returned,
    "find": _count_returned,
    "getMore": _count_returned,
    "insert": _count_inserted,
    "update": _count_updated,
    "delete": _count_deleted,
    "findAndModify": _count_find_and_modify,
    "findandmodify": _count_find_and_modify,
}
