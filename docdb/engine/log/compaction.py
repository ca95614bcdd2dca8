"""Rewrite a log as just its live state: the file-level steps of compaction, no catalog, no event loop.

Invariant: after a crash at any moment the data file is the complete old log or the complete new one.
The new log is built beside it in ``<file>.compact`` and only renamed over the data file once it holds
everything and is fsynced; the rename is atomic, and the directory is fsynced after it. A leftover
``<file>.compact`` is never read: the next start (holding the lock) deletes it.

New file layout: header (same key description when encrypted), then per collection a
``CREATE_COLLECTION`` record, a ``CREATE_INDEXES`` record when it has index specs, and ``WRITE_BATCH``
records of ``put`` ops of up to :data:`BATCH_BYTES` each; then the ``HISTORY`` records the catalog gives
(a replica set's change history) and its WRITE_BATCH records of session facts and the clock. Online
compaction then appends, verbatim, the old file's bytes written after the snapshot (records are position
independent, so they stay valid).
"""

from __future__ import annotations

import os
import struct
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from bson.binary import Binary

from docdb.bson_codec import encode_document
from docdb.engine.log.crypto import RecordCipher
from docdb.engine.log.record import RecordType, encode_record
from docdb.engine.log.writer import _write_all, new_file_header

BATCH_BYTES = 4 << 20
COPY_CHUNK = 8 << 20
_INT32 = struct.Struct("<i")


@dataclass(frozen=True, slots=True)
class CollectionSnapshot:
    """One collection as of the snapshot: its metadata and its documents' (immutable) bytes."""

    ns: str
    uuid: Binary
    options: dict[str, Any]
    indexes: list[dict[str, Any]] = field(default_factory=list)
    docs: list[bytes] = field(default_factory=list)


def compact_path(path: str) -> str:
    """Where the new log is built before it replaces ``path``."""
    return f"{path}.compact"


def discard_partial(path: str) -> bool:
    """Delete a ``<path>.compact`` left by a crashed compaction (call with the file lock held)."""
    try:
        os.unlink(compact_path(path))
    except FileNotFoundError:
        return False
    return True


class SnapshotFile:
    """A new log being written (from one worker thread): header, snapshot records, copied bytes."""

    def __init__(self, path: str, cipher: RecordCipher | None) -> None:
        self.path = path
        self.cipher = cipher
        self.fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC | getattr(os, "O_CLOEXEC", 0), 0o644)
        self.size = 0
        self._pending: list[bytes] = []
        self._pending_size = 0
        self._write(new_file_header(cipher))

    def write_collections(
        self,
        collections: list[CollectionSnapshot],
        progress: Callable[[int], None] | None = None,
        batches: list[bytes] = (),  # type: ignore[assignment]
        history: Iterable[bytes] = (),
    ) -> None:
        """Write every collection's records, then ``history`` (HISTORY payloads: the change history
        kept, ``engine/history_records.py``), then ``batches`` (WRITE_BATCH payloads: the clock and
        session facts, ``session_log.compaction_records``); ``progress(n)`` is told of each ``n``
        document bytes written."""
        for coll in collections:
            create = {"ns": coll.ns, "options": coll.options, "uuid": coll.uuid}
            self._record(RecordType.CREATE_COLLECTION, encode_document(create))
            if coll.indexes:
                payload = encode_document({"ns": coll.ns, "indexes": coll.indexes})
                self._record(RecordType.CREATE_INDEXES, payload)
            self.write_documents(coll.ns, coll.docs, progress)
        for payload in history:
            self._record(RecordType.HISTORY, payload)
        for payload in batches:
            self._record(RecordType.WRITE_BATCH, payload)
        self.flush()

    def write_documents(
        self, ns: str, docs: list[bytes], progress: Callable[[int], None] | None = None
    ) -> None:
        """``{ops: [{ns, put: doc}, ...]}`` records, assembled from the stored bytes without decoding."""
        ns_bytes = ns.encode()
        ns_element = b"\x02ns\x00" + _INT32.pack(len(ns_bytes) + 1) + ns_bytes + b"\x00\x03put\x00"
        fixed = 4 + len(ns_element) + 1
        pack = _INT32.pack
        parts: list[bytes] = []
        size = 0
        count = 0
        for raw in docs:
            key = b"\x03%d\x00" % count
            parts.append(key + pack(fixed + len(raw)) + ns_element)
            parts.append(raw)
            parts.append(b"\x00")
            size += len(key) + fixed + len(raw)
            count += 1
            if size >= BATCH_BYTES:
                self._batch(parts, size)
                if progress is not None:
                    progress(size)
                parts, size, count = [], 0, 0
        if count:
            self._batch(parts, size)
            if progress is not None:
                progress(size)

    def _batch(self, parts: list[bytes], array_size: int) -> None:
        array_total = 4 + array_size + 1
        total = 4 + 5 + array_total + 1
        head = _INT32.pack(total) + b"\x04ops\x00" + _INT32.pack(array_total)
        self._record(RecordType.WRITE_BATCH, b"".join((head, *parts, b"\x00\x00")))

    def _record(self, rtype: int, payload: bytes) -> None:
        if self.cipher is not None:
            payload = self.cipher.seal(rtype, payload)
        self._write(encode_record(rtype, payload))

    def _write(self, data: bytes) -> None:
        self._pending.append(data)
        self._pending_size += len(data)
        if self._pending_size >= COPY_CHUNK:
            self.flush()

    def flush(self) -> None:
        """Hand buffered bytes to the OS."""
        if self._pending:
            data = b"".join(self._pending)
            self._pending, self._pending_size = [], 0
            _write_all(self.fd, data, self.size)
            self.size += len(data)

    def copy_from(self, source_fd: int, start: int, end: int) -> None:
        """Append the source log's bytes ``[start, end)`` verbatim (records written after the snapshot)."""
        self.flush()
        while start < end:
            chunk = os.pread(source_fd, min(COPY_CHUNK, end - start), start)
            if not chunk:
                raise OSError(0, f"source log ended at {start}, expected {end}")
            _write_all(self.fd, chunk, self.size)
            self.size += len(chunk)
            start += len(chunk)

    def sync(self) -> None:
        self.flush()
        os.fsync(self.fd)

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def abandon(self) -> None:
        """Close and delete the partial file (a failed compaction leaves the old log as it was)."""
        self.close()
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass


def estimated_live_bytes(collections: list[tuple[str, int, int]]) -> int:
    """What a compacted file would hold for ``(ns, document_count, data_size)`` triples: the header,
    ~120 bytes of CREATE_COLLECTION per collection, each document plus its ``{ns, put}`` op wrapper
    (30 bytes + the namespace), and record framing per 4 MiB batch.

    >>> estimated_live_bytes([("db.c", 1000, 300_000)])
    334214
    """
    total = 64
    for ns, count, data_size in collections:
        total += 120 + data_size + count * (30 + len(ns)) + 30 * (1 + data_size // BATCH_BYTES)
    return total
