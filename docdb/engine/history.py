"""The change history: every document change the catalog commits, in commit order, kept in memory.

Each entry is one document's change: its Timestamp (the commit's cluster time, shared by every change
of one record), namespace, kind, ``_id``, after-image and before-image, the commit's wall-clock time and
the collection's UUID at the change. Images are the stored bytes themselves (immutable), so an entry is a
few references, never a copy of a document.

Who reads it: snapshot reads (``engine/store.py``: the value a document had at a snapshot is the
before-image of its first change after it), write-conflict checks, and later change streams and
``local.oplog.rs``. It is bounded: the oldest entries are dropped past ``max_entries`` unless a reader
has *pinned* them (an open snapshot pins every entry after its start), so memory stays bounded by the
write rate over the longest open snapshot.

Positions are sequence numbers (``Change.seq``), dense and increasing: a reader remembers the next one
it wants and calls ``since(seq)``; ``first_seq`` says how far back the history still reaches.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable, Iterator
from itertools import repeat
from typing import Any, NamedTuple

from bson.binary import Binary
from bson.timestamp import Timestamp

INSERT = "insert"
UPDATE = "update"
REPLACE = "replace"
DELETE = "delete"
DEFAULT_MAX_ENTRIES = 50_000_000  # the byte budget bounds it first (ENTRY_BYTES each at least)
DEFAULT_MAX_BYTES = 256 << 20  # --oplog-size-mb: the images an entry refers to plus ENTRY_BYTES each
ENTRY_BYTES = 128  # what one entry costs beyond its images (the tuple, its Timestamp, the deque slot)


class Change(NamedTuple):
    """One document change. ``after`` is None for a delete, ``before`` None for an insert; ``lsid`` and
    ``txn_number`` name the session write (retryable write or transaction) that made it, if any. A
    tuple: the catalog makes one per written document, so it must be cheap to build.

    ``wall`` is the commit's wall-clock time in milliseconds since the epoch (one int per commit, shared
    by its changes; 0: unknown, read as the Timestamp's seconds: :func:`wall_ms`). ``uuid`` is the
    collection's UUID (BSON binary subtype 4) when the change was made: a dropped and recreated
    collection's changes carry different ones; None for a database's drop, or when unknown (a HISTORY
    record written before UUIDs were kept). ``paths`` are the paths a modifier-style update's operators
    logged, when its change event's ``updateDescription`` is to be built from them rather than by
    comparing the images (``change_events.logged_update_description``)."""

    seq: int
    ts: Timestamp
    ns: str
    op: str
    key: Hashable
    id_value: Any
    after: bytes | None
    before: bytes | None
    lsid: bytes | None = None
    txn_number: int | None = None
    wall: int = 0
    uuid: Binary | None = None
    paths: tuple[str, ...] | None = None


def wall_ms(change: Change) -> int:
    """The change's wall-clock time in milliseconds: its own, or its Timestamp's seconds when unknown.

    >>> wall_ms(Change(0, Timestamp(5, 1), "d.c", INSERT, 1, 1, b"", None, wall=5123)), wall_ms(
    ...     Change(0, Timestamp(5, 1), "d.c", INSERT, 1, 1, b"", None))
    (5123, 5000)
    """
    return change.wall or change.ts.time * 1000


class Statements(NamedTuple):
    """The retryable-write statements one commit ran: the session, its transaction number, the statement
    ids in the order of the commit's changes, the Timestamp of the session's previous commit under the
    same number (None: the first), and the seq of the commit's first change."""

    lsid: bytes
    txn_number: int
    stmt_ids: list[int]
    prev: Timestamp | None
    first_seq: int


_new_change = tuple.__new__  # builds a Change without NamedTuple's Python-level __new__


class ChangeHistory:
    """Changes in commit order; ``append`` is the catalog's, everything else is for readers.

    >>> h = ChangeHistory(max_entries=2)
    >>> for i in range(3):
    ...     _ = h.append(Timestamp(1, i + 1), "d.c", INSERT, i, i, b"x", None)
    >>> [c.seq for c in h.since(h.first_seq)], h.first_seq, h.next_seq
    ([1, 2], 1, 3)
    """

    def __init__(self, max_entries: int = DEFAULT_MAX_ENTRIES, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._trim_at = max_entries + max_entries // 8  # trim in steps, not at every append
        self._bytes = 0  # sizes of the images held (an upper bound of what only the history keeps)
        self._held: deque[Change] = deque()  # read through ``_entries``, which adds the pending ones first
        # Insert batches appended but not yet made entries (``extend_inserts``), oldest first: the entries
        # are made on the first read, or by ``settle`` once the server has replied to the insert.
        self._pending: list[tuple[Any, ...]] = []
        self.first_seq = 0  # the seq of the oldest entry still held (== next_seq when empty)
        self.next_seq = 0
        self._pins: dict[int, int] = {}  # pin token -> the first seq it keeps
        # Changes up to this Timestamp may be missing (dropped, or before the server started): a reader
        # wanting the state as of an earlier time cannot be served.
        self.horizon = Timestamp(0, 0)
        self._next_token = 0
        # The retryable writes' statements, by the Timestamp of their commit (see ``note_statements``).
        self.statements: dict[Timestamp, Statements] = {}
        self._last_statements: dict[bytes, tuple[int, Timestamp]] = {}  # lsid -> its newest (txnNumber, ts)
        # The collections each transaction commit created (``{ns, uuid, options?, indexes?}``), by Timestamp.
        self.creates: dict[Timestamp, list[dict[str, Any]]] = {}

    def append(
        self,
        ts: Timestamp,
        ns: str,
        op: str,
        key: Hashable,
        id_value: Any,
        after: bytes | None,
        before: bytes | None,
        lsid: bytes | None = None,
        txn_number: int | None = None,
        wall: int = 0,
        uuid: Binary | None = None,
        paths: tuple[str, ...] | None = None,
    ) -> Change:
        change = _new_change(
            Change,
            (self.next_seq, ts, ns, op, key, id_value, after, before, lsid, txn_number, wall, uuid, paths),
        )
        if self._pending:  # (after the batches before it)
            self.settle()
        self._held.append(change)
        self.next_seq += 1
        self._bytes += ENTRY_BYTES
        if after is not None:
            self._bytes += len(after)
        if before is not None:
            self._bytes += len(before)
        if self.next_seq - self.first_seq > self._trim_at or self._bytes > self.max_bytes:
            self._trim()
        return change

    def extend_inserts(
        self,
        ts: Timestamp,
        ns: str,
        keys: list[Hashable],
        ids: list[Any],
        afters: list[bytes],
        wall: int = 0,
        uuid: Binary | None = None,
        size: int | None = None,
    ) -> None:
        """``append`` of an insert of each of ``afters`` (``ids[i]`` its ``_id``, ``keys[i]`` its key;
        ``size``: their total length, when the caller has it). The entries are made later (``settle``),
        by C-level iterators: a batch's thousand entries cost no Python step each, and none before the
        server's reply."""
        n = len(afters)
        self._pending.append((self.next_seq, ts, ns, keys, ids, afters, wall, uuid))
        self.next_seq += n
        self._bytes += ENTRY_BYTES * n + (sum(map(len, afters)) if size is None else size)
        if self.next_seq - self.first_seq > self._trim_at or self._bytes > self.max_bytes:
            self._trim()

    def settle(self) -> None:
        """Make the entries of the insert batches appended since the last call (no-op when none)."""
        if not self._pending:
            return
        pending, self._pending = self._pending, []
        for seq, ts, ns, keys, ids, afters, wall, uuid in pending:
            fields = zip(
                range(seq, seq + len(afters)), repeat(ts), repeat(ns), repeat(INSERT), keys, ids, afters,
                repeat(None), repeat(None), repeat(None), repeat(wall), repeat(uuid), repeat(None),
            )  # fmt: skip
            self._held.extend(map(_new_change, repeat(Change), fields))

    @property
    def _entries(self) -> deque[Change]:
        """Every change held, oldest first (the pending batches made entries first)."""
        if self._pending:
            self.settle()
        return self._held

    def _trim(self) -> None:
        keep_from = min(self._pins.values(), default=self.next_seq)
        entries = self._entries
        while (len(entries) > self.max_entries or self._bytes > self.max_bytes) and entries[
            0
        ].seq < keep_from:
            dropped = entries.popleft()
            self.horizon = dropped.ts
            self._bytes -= (
                ENTRY_BYTES
                + (len(dropped.after) if dropped.after is not None else 0)
                + (len(dropped.before) if dropped.before is not None else 0)
            )
        self.first_seq = entries[0].seq if entries else self.next_seq
        for by_ts in (self.statements, self.creates):  # kept in Timestamp order: the oldest first
            while by_ts and next(iter(by_ts)) <= self.horizon:
                del by_ts[next(iter(by_ts))]

    def note_statements(self, ts: Timestamp, lsid: bytes, txn_number: int, stmt_ids: list[int]) -> None:
        """Say that the changes committed at ``ts`` are retryable-write statements ``stmt_ids`` (the i-th
        change is statement ``stmt_ids[i]``) of session ``lsid`` under ``txn_number``: ``local.oplog.rs``
        shows them with their session fields. A change keeps no session of its own for them, as change
        events name only a transaction's. The previous commit of the same ``(lsid, txnNumber)`` is
        remembered as the chain's ``prev`` (``prevOpTime``)."""
        last = self._last_statements.get(lsid)
        prev = last[1] if last is not None and last[0] == txn_number else None
        self.add_statements(ts, lsid, txn_number, stmt_ids, prev)

    def add_statements(
        self, ts: Timestamp, lsid: bytes, txn_number: int, stmt_ids: list[int], prev: Timestamp | None
    ) -> None:
        """``note_statements`` with the chain already known (a HISTORY record's); before the commit's
        changes are appended."""
        statements = Statements(lsid, txn_number, stmt_ids, prev, self.next_seq)
        self.statements[ts] = statements
        last = self._last_statements
        last[statements.lsid] = (statements.txn_number, ts)
        if len(last) > 2 * len(self.statements) + 1024:  # forget sessions whose commits were dropped
            self._last_statements = {s.lsid: (s.txn_number, t) for t, s in self.statements.items()}

    def note_creates(self, ts: Timestamp, created: list[dict[str, Any]]) -> None:
        """Say that the transaction committed at ``ts`` created the collections ``created`` (the commit
        record's ``creates``, a copy): ``local.oplog.rs`` shows them inside its ``applyOps``. They are no
        changes of the history, which change streams read."""
        self.creates[ts] = created

    def since(self, seq: int) -> Iterator[Change]:
        """The changes from ``seq`` on, oldest first (ValueError when ``seq`` was already dropped)."""
        if seq < self.first_seq:
            raise ValueError(f"change {seq} is no longer held (history starts at {self.first_seq})")
        entries = self._entries
        for i in range(seq - self.first_seq, len(entries)):
            yield entries[i]

    def pin(self, seq: int | None = None) -> int:
        """Keep every change from ``seq`` (default: from now) on until ``unpin``; returns the token."""
        token = self._next_token
        self._next_token += 1
        self._pins[token] = self.next_seq if seq is None else seq
        return token

    def unpin(self, token: int) -> None:
        self._pins.pop(token, None)

    def entries(self) -> list[Change]:
        """Every change held, oldest first: a copy of the references (compaction's snapshot of it)."""
        return list(self._entries)

    @property
    def size_bytes(self) -> int:
        """What the held changes cost as the budget counts it: their images plus ENTRY_BYTES each."""
        return self._bytes

    def __len__(self) -> int:
        return len(self._entries)


def _size(image: bytes | None) -> int:
    return 0 if image is None else len(image)
