"""The server's counters: what serverStatus reports, kept as plain integers an exporter can also read.

Everything runs on the one event-loop thread, so the counters are bumped without locks. The connection
layer counts bytes and requests (``count_request`` / ``count_reply_bytes``); ``dispatch.run_command``
hands each finished command to ``count_command``, which derives the document counters from the reply
(the same numbers the client sees: ``n``, ``nModified``, batch lengths), the latency class and the
assertion counters.
"""

from __future__ import annotations

import struct
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from docdb.errors import ErrorCode

_INT32 = struct.Struct("<i")

# mongod's read/write classification of commands for opLatencies (everything else is "commands")
READ_COMMANDS = frozenset({"aggregate", "count", "distinct", "find", "getMore", "mapReduce"})
WRITE_COMMANDS = frozenset({"delete", "findAndModify", "findandmodify", "insert", "update"})
_BATCH_FIELDS = ("firstBatch", "nextBatch")


LATENCY_KINDS = ("reads", "writes", "commands", "transactions")  # opLatencies, mongod's order
# command name -> index in LATENCY_KINDS (anything else is a "commands" one)
_KIND = {name: 0 for name in READ_COMMANDS} | {name: 1 for name in WRITE_COMMANDS}
# commands whose replies carry document counts (metrics.document)
_DOCUMENT_COMMANDS = frozenset({"aggregate", "find", "getMore"}) | WRITE_COMMANDS


@dataclass(slots=True)
class Metrics:
    """Process-wide counters (serverStatus ``network``, ``opLatencies``, ``asserts``, ``metrics.document``,
    ``locks``, ``metrics.commands``), plain ints bumped once per message or command."""

    bytes_in: int = 0  # logical: request bytes after decompression
    bytes_out: int = 0
    physical_bytes_in: int = 0  # as read from / written to the sockets
    physical_bytes_out: int = 0
    requests: int = 0
    asserts: Counter[str] = field(default_factory=Counter)
    documents: Counter[str] = field(default_factory=Counter)
    # per LATENCY_KINDS: total microseconds and operations
    latency_micros: list[int] = field(default_factory=lambda: [0, 0, 0, 0])
    latency_ops: list[int] = field(default_factory=lambda: [0, 0, 0, 0])
    commands_failed: Counter[str] = field(default_factory=Counter)  # by command name (metrics.commands)

    def count_request(self, frame: bytes, compressed: bool) -> None:
        """One message read: its wire size, and its logical size (OP_COMPRESSED's uncompressedSize)."""
        self.requests += 1
        self.bytes_in += 16 + _INT32.unpack_from(frame, 20)[0] if compressed else len(frame)

    def count_reply_bytes(self, logical: int, physical: int) -> None:
        self.bytes_out += logical
        self.physical_bytes_out += physical

    def count_command(self, name: str, reply: dict[str, Any], seconds: float) -> None:
        """Latency class, assertions and documents of one finished command (a few C-level steps for
        the common case: it runs once per command)."""
        kind = _KIND.get(name, 2)
        self.latency_micros[kind] += int(seconds * 1_000_000)
        self.latency_ops[kind] += 1
        if reply.get("ok"):
            if name in _DOCUMENT_COMMANDS:
                self._count_documents(name, reply)
            return
        self.commands_failed[name] += 1
        self.asserts["regular" if reply.get("code") == ErrorCode.InternalError else "user"] += 1

    def lock_acquisitions(self) -> tuple[int, int]:
        """Global lock acquisitions ``(r, w)``: one per command, ``w`` for the writes."""
        ops = self.latency_ops
        return ops[0] + ops[2] + ops[3], ops[1]

    def _count_documents(self, name: str, reply: dict[str, Any]) -> None:
        docs = self.documents
        if name == "insert":
            docs["inserted"] += reply.get("n", 0)
        elif name == "update":
            upserted = len(reply.get("upserted", ()))
            docs["inserted"] += upserted
            docs["updated"] += reply.get("nModified", 0)
        elif name == "delete":
            docs["deleted"] += reply.get("n", 0)
        elif name in ("findAndModify", "findandmodify"):
            last = reply.get("lastErrorObject") or {}
            n = last.get("n", 0)
            if "upserted" in last:
                docs["inserted"] += n
            elif last.get("updatedExisting"):
                docs["updated"] += n
            elif reply.get("value") is not None:
                docs["deleted"] += n
        cursor = reply.get("cursor")
        if cursor.__class__ is dict:
            for batch in _BATCH_FIELDS:
                if batch in cursor:
                    docs["returned"] += len(cursor[batch])
