"""Open cursors: ids, batches for ``getMore``, ``killCursors``, and idle expiry.

A cursor holds the rest of a result list whose documents are immutable (stored bytes or fresh dicts),
so later writes never change what an open cursor returns.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any

from bson.int64 import Int64
from bson.raw_bson import RawBSONDocument

from docdb.bson_codec import StoredDocument, encode_document
from docdb.errors import ErrorCode, MongoError

FIRST_BATCH_DEFAULT = 101
_RAW = attrgetter("raw")
MAX_BATCH_BYTES = 16 * 1024 * 1024 - 16 * 1024  # a batch stays below maxBsonObjectSize with reply overhead
# serverStatus metrics.cursor.lifespan buckets, mongod's names, in its order (upper bound in seconds)
LIFESPAN_BUCKETS = [
    (1, "lessThan1Second"),
    (5, "lessThan5Seconds"),
    (15, "lessThan15Seconds"),
    (30, "lessThan30Seconds"),
    (60, "lessThan1Minute"),
    (600, "lessThan10Minutes"),
]


def document_size(doc: Any) -> int:
    if isinstance(doc, (StoredDocument, RawBSONDocument)):
        return len(doc.raw)
    return len(encode_document(doc))


def take_batch(docs: Sequence[Any], start: int, batch_size: int | None) -> int:
    """Index after the last document of the batch starting at ``start``: at most ``batch_size`` documents
    (None: no count limit) and at most MAX_BATCH_BYTES, but always at least one document."""
    end = len(docs) if batch_size is None or batch_size <= 0 else min(len(docs), start + batch_size)
    try:  # stored documents (a find without projection): their sizes summed by C-level calls
        if sum(map(len, map(_RAW, docs[start:end]))) <= MAX_BATCH_BYTES:
            return end
    except AttributeError:  # documents built for the reply (dicts): measured one by one below
        pass
    total = 0
    for i in range(start, end):
        total += document_size(docs[i])
        if total > MAX_BATCH_BYTES and i > start:
            return i
    return end


@dataclass(slots=True)
class Cursor:
    cursor_id: int
    ns: str
    docs: Sequence[Any]
    position: int
    last_used: float = field(default_factory=time.monotonic)
    opened: float = field(default_factory=time.monotonic)
    batches: int = 1
    lsid: bytes | None = None  # the session that opened it: only that session may getMore (or kill it)
    owner: Any = None  # the (user, db) logged in on the connection that opened it (None: anyone may use it)
    source: Any = None  # a tailing source (``next_batch(n, max_bytes)``, ``has_more()``) instead of ``docs``
    await_data: bool = False  # a getMore with nothing to return waits (tailable + awaitData)
    collection: Any = None  # a find's Collection: its getMore fails once that collection is gone


class CursorRegistry:
    """Cursors by id; ids are random non-zero positive Int64 values, as mongod's."""

    def __init__(self, timeout_s: float = 600.0) -> None:
        self.timeout_s = timeout_s
        self.cursors: dict[int, Cursor] = {}
        self.total_opened = 0
        self.timed_out = 0
        self.more_than_one_batch = 0
        # closed cursors by how long they lived (serverStatus metrics.cursor.lifespan)
        self.lifespans: dict[str, int] = dict.fromkeys(
            [name for _, name in LIFESPAN_BUCKETS] + ["greaterThanOrEqual10Minutes"], 0
        )

    def _closed(self, cursor: Cursor, now: float) -> None:
        lived = now - cursor.opened
        for bound, name in LIFESPAN_BUCKETS:
            if lived < bound:
                self.lifespans[name] += 1
                return
        self.lifespans["greaterThanOrEqual10Minutes"] += 1

    def first_batch(
        self,
        ns: str,
        docs: Sequence[Any],
        batch_size: int | None,
        single_batch: bool = False,
        lsid: bytes | None = None,
    ) -> tuple[Int64, list[Any]]:
        """The first batch and the cursor id (0 when nothing is left or ``single_batch``); the cursor
        belongs to session ``lsid``."""
        size = FIRST_BATCH_DEFAULT if batch_size is None else batch_size
        if size == 0:
            end = 0
        elif len(docs) <= 1:  # a batch holds at least one document whatever its size (find_one's case)
            end = len(docs)
        else:
            end = take_batch(docs, 0, size if size > 0 else None)
        batch = list(docs[:end])
        if end >= len(docs) or single_batch:
            return Int64(0), batch
        cursor_id = secrets.randbits(62) + 1
        self.cursors[cursor_id] = Cursor(cursor_id, ns, docs, end, lsid=lsid)
        self.total_opened += 1
        return Int64(cursor_id), batch

    def get_more(
        self, cursor_id: int, ns: str, batch_size: int | None, lsid: bytes | None = None
    ) -> tuple[Int64, list[Any]]:
        cursor = self.cursors.get(cursor_id)
        if cursor is None:
            raise MongoError(ErrorCode.CursorNotFound, f"cursor id {cursor_id} not found")
        if cursor.lsid != lsid:
            _wrong_session(cursor_id, cursor.lsid, lsid)
        if cursor.ns != ns:
            raise MongoError(
                ErrorCode.Unauthorized,
                f"Requested getMore on namespace '{ns}', but cursor belongs to a different namespace "
                f"{cursor.ns}",
            )
        if cursor.source is not None:
            return self._next_from_source(cursor, batch_size)
        end = take_batch(cursor.docs, cursor.position, batch_size)
        batch = list(cursor.docs[cursor.position : end])
        cursor.position = end
        cursor.last_used = time.monotonic()
        cursor.batches += 1
        if cursor.batches == 2:
            self.more_than_one_batch += 1
        if end >= len(cursor.docs):
            del self.cursors[cursor_id]
            self._closed(cursor, cursor.last_used)
            return Int64(0), batch
        return Int64(cursor_id), batch

    def open_source(
        self, ns: str, source: Any, batch_size: int | None, lsid: bytes | None, await_data: bool
    ) -> tuple[Int64, list[Any]]:
        """The first batch of a cursor that draws from ``source`` and stays open when it runs dry
        (a tailable cursor); its id."""
        size = FIRST_BATCH_DEFAULT if batch_size is None else batch_size
        batch = source.next_batch(size or 0, MAX_BATCH_BYTES) if size else []
        cursor_id = secrets.randbits(62) + 1
        self.cursors[cursor_id] = Cursor(
            cursor_id, ns, (), 0, lsid=lsid, source=source, await_data=await_data
        )
        self.total_opened += 1
        return Int64(cursor_id), batch

    def _next_from_source(self, cursor: Cursor, batch_size: int | None) -> tuple[Int64, list[Any]]:
        cursor.last_used = time.monotonic()
        cursor.batches += 1
        if cursor.batches == 2:
            self.more_than_one_batch += 1
        try:
            batch = cursor.source.next_batch(batch_size, MAX_BATCH_BYTES)
        except MongoError:
            self.cursors.pop(cursor.cursor_id, None)
            self._closed(cursor, cursor.last_used)
            raise
        if getattr(cursor.source, "closed", False):  # a change stream after its invalidate
            self.cursors.pop(cursor.cursor_id, None)
            self._closed(cursor, cursor.last_used)
            return Int64(0), batch
        return Int64(cursor.cursor_id), batch

    def kill(self, cursor_ids: list[int]) -> tuple[list[Int64], list[Int64]]:
        killed, not_found = [], []
        now = time.monotonic()
        for cid in cursor_ids:
            cursor = self.cursors.pop(int(cid), None)
            if cursor is not None:
                self._closed(cursor, now)
                killed.append(Int64(cid))
            else:
                not_found.append(Int64(cid))
        return killed, not_found

    def kill_session(self, lsid: bytes) -> int:
        """Close every cursor of session ``lsid`` (killed, ended or expired); returns how many."""
        owned = [cid for cid, c in self.cursors.items() if c.lsid == lsid]
        for cid in owned:
            del self.cursors[cid]
        return len(owned)

    def reap_idle(self, now: float | None = None) -> int:
        """Close cursors idle for longer than the timeout; returns how many."""
        now = time.monotonic() if now is None else now
        stale = [cid for cid, c in self.cursors.items() if now - c.last_used > self.timeout_s]
        for cid in stale:
            self._closed(self.cursors.pop(cid), now)
        self.timed_out += len(stale)
        return len(stale)


def _wrong_session(cursor_id: int, owner: bytes | None, caller: bytes | None) -> None:
    """mongod's refusal of a getMore from a session other than the cursor's (50736/50737/50738)."""
    from docdb.server.sessions import describe_lsid

    prefix = f"Cannot run getMore on cursor {cursor_id}, which was"
    if owner is None:
        assert caller is not None
        raise MongoError(50736, f"{prefix} not created in a session, in session {describe_lsid(caller)}")
    if caller is None:
        raise MongoError(50737, f"{prefix} created in session {describe_lsid(owner)}, without an lsid")
    raise MongoError(
        50738, f"{prefix} created in session {describe_lsid(owner)}, in session {describe_lsid(caller)}"
    )


def check_collection_alive(catalog: Any, registry: CursorRegistry, cursor: Cursor) -> None:
    """QueryPlanKilled (the cursor closed) when a find cursor's collection was dropped or renamed since it
    opened, with mongod's messages; a getMore of such a cursor never answers from a collection gone."""
    coll = cursor.collection
    db, _, name = cursor.ns.partition(".")
    if catalog.collection(db, name) is coll:
        return
    registry.kill([cursor.cursor_id])
    uuid = coll.uuid.as_uuid()
    found = (c for colls in catalog.databases.values() for c in colls.values() if c.uuid == coll.uuid)
    moved = next(found, None)
    reason = (
        f"collection dropped. UUID {uuid}"
        if moved is None
        else f"collection renamed from '{cursor.ns}' to '{moved.ns}'. UUID {uuid}"
    )
    raise MongoError(ErrorCode.QueryPlanKilled, f"Executor error during getMore :: caused by :: {reason}")
