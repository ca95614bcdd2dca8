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


@dataclass(slots=True)
class Latency:
    """Total microseconds and operation count of one opLatencies class."""

    micros: int = 0
    ops: int = 0


@dataclass(slots=True)
class Metrics:
    """Process-wide counters (serverStatus ``network``, ``opLatencies``, ``asserts``, ``metrics.document``,
    ``locks``, ``globalLock``; the protocol-warning counts of ``docdb.log``)."""

    bytes_in: int = 0  # logical: request bytes after decompression
    bytes_out: int = 0
    physical_bytes_in: int = 0  # as read from / written to the sockets
    physical_bytes_out: int = 0
    requests: int = 0
    asserts: Counter[str] = field(default_factory=Counter)
    documents: Counter[str] = field(default_factory=Counter)
    latency: dict[str, Latency] = field(
        default_factory=lambda: {k: Latency() for k in ("reads", "writes", "commands", "transactions")}
    )
    lock_acquisitions: Counter[str] = field(default_factory=Counter)  # "r" / "w", one per command
    commands_failed: Counter[str] = field(default_factory=Counter)  # by command name (metrics.commands)

    def count_request(self, frame: bytes, compressed: bool) -> None:
        """One message read: its wire size, and its logical size (OP_COMPRESSED's uncompressedSize)."""
        self.requests += 1
        self.bytes_in += 16 + _INT32.unpack_from(frame, 20)[0] if compressed else len(frame)

    def count_reply_bytes(self, logical: int, physical: int) -> None:
        self.bytes_out += logical
        self.physical_bytes_out += physical

    def count_command(self, name: str, reply: dict[str, Any], seconds: float) -> None:
        """Latency class, lock mode, assertions and documents of one finished command."""
        kind = "reads" if name in READ_COMMANDS else "writes" if name in WRITE_COMMANDS else "commands"
        latency = self.latency[kind]
        latency.micros += int(seconds * 1_000_000)
        latency.ops += 1
        self.lock_acquisitions["w" if kind == "writes" else "r"] += 1
        if not reply.get("ok"):
            self.commands_failed[name] += 1
            internal = reply.get("code") == ErrorCode.InternalError
            self.asserts["regular" if internal else "user"] += 1
            return
        self._count_documents(name, reply)

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
        if isinstance(cursor, dict):
            for batch in _BATCH_FIELDS:
                if batch in cursor:
                    docs["returned"] += len(cursor[batch])
