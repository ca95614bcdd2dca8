"""Online compaction of the catalog's log: snapshot on the loop, copy in a thread, swap on the loop.

Invariant: after a crash at any step the data file is the whole old log or the whole new one (the
file-level argument is in ``engine/log/compaction.py``); an acknowledged write is in whichever it is.

Steps (each a ``DOCDB_FAULT=compaction:<step>`` crash point, tested by killing the server there):

1. ``snapshot`` (loop): copy each collection's dict of document references and, in a replica set, the
   change history's entries (``history_records.compaction_history``); note the log's end (LSN).
2. ``write`` (thread): write the snapshot to ``<file>.compact``: the live state, then the history kept.
3. ``catchup`` (thread): copy the old file's bytes written since the LSN, again until under 1 MiB
   remains; fsync.
4. ``fsync`` (loop, appends paused because the loop is busy): copy the small remainder, fsync.
5. ``rename``: atomically rename over the data file; then fsync the directory.
6. ``swap``: open a writer on the new file and retire the old one (its waiters are covered by step 4).

A failure (disk full while writing the copy) deletes ``<file>.compact`` and leaves the old log serving.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
import weakref
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from docdb.engine.history_records import compaction_history, history_file_bytes
from docdb.engine.log import LogWriter
from docdb.engine.log.compaction import SnapshotFile, compact_path, estimated_live_bytes
from docdb.engine.log.faults import crash_point
from docdb.engine.log.writer import fsync_directory
from docdb.engine.session_log import compaction_records
from docdb.errors import StorageError

if TYPE_CHECKING:
    from docdb.engine.catalog import Catalog

log = logging.getLogger("docdb.compaction")

CATCHUP_REMAINDER = 1 << 20


@dataclass(frozen=True, slots=True)
class CompactionResult:
    """Sizes before and after (bytes), and how long the copy and the final pause took (seconds)."""

    old_size: int
    new_size: int
    documents: int
    seconds: float
    pause_seconds: float

    @property
    def bytes_freed(self) -> int:
        return max(0, self.old_size - self.new_size)


def dead_bytes(catalog: Catalog) -> int:
    """File size minus the estimated size of a compacted copy (``estimated_live_bytes``): what
    compaction would free. Recomputed from the collections' counters, so it is never out of date."""
    if catalog.writer is None:
        return 0
    triples = [
        (coll.ns, len(coll), coll.data_size)
        for colls in catalog.databases.values()
        for coll in colls.values()
    ]
    live = estimated_live_bytes(triples) + history_file_bytes(catalog)
    return max(0, catalog.writer.size - live)


class Compactor:
    """At most one online compaction at a time for one catalog, and the automatic trigger."""

    def __init__(self, catalog: Catalog, *, min_bytes: int = 16 << 20, dead_ratio: float = 0.5) -> None:
        self.catalog = catalog
        self.min_bytes = min_bytes
        self.dead_ratio = dead_ratio
        self.task: asyncio.Task[CompactionResult] | None = None
        self.completed = 0
        self.failed = 0
        self.last: CompactionResult | None = None
        self.last_error: str | None = None
        _COMPACTORS[catalog] = self

    @classmethod
    def of(cls, catalog: Catalog) -> Compactor:
        """The catalog's compactor (created with default thresholds if the server made none)."""
        found = _COMPACTORS.get(catalog)
        return found if found is not None else cls(catalog)

    @property
    def running(self) -> bool:
        return self.task is not None and not self.task.done()

    def should_compact(self) -> bool:
        """Dead bytes >= ``dead_ratio`` of the file and the file >= ``min_bytes``."""
        writer = self.catalog.writer
        if writer is None or writer.size < self.min_bytes:
            return False
        return dead_bytes(self.catalog) >= self.dead_ratio * writer.size

    def start(self) -> asyncio.Task[CompactionResult]:
        """Start a compaction (or return the one running); call from the event loop."""
        if self.catalog.writer is None:
            raise StorageError("an in-memory server has no file to compact")
        if not self.running:
            self.task = asyncio.get_running_loop().create_task(self._run())
            self.task.add_done_callback(_consume_failure)
        assert self.task is not None
        return self.task

    async def watch(self, interval_s: float) -> None:
        """The automatic trigger: check the thresholds every ``interval_s`` seconds, forever."""
        while True:
            await asyncio.sleep(interval_s)
            if not self.running and self.should_compact():
                log.info("automatic compaction: %d dead bytes", dead_bytes(self.catalog))
                try:
                    await self.start()
                except StorageError:
                    pass  # logged by _run; the old log keeps serving

    async def _run(self) -> CompactionResult:
        try:
            result = await compact_online(self.catalog)
        except (OSError, StorageError) as exc:
            self.failed += 1
            self.last_error = str(exc)
            log.error("compaction failed, the old file keeps serving: %s", exc)
            if isinstance(exc, StorageError):
                raise
            raise StorageError(f"compaction failed: {exc.strerror or exc}") from exc
        self.completed += 1
        self.last = result
        log.info(
            "compacted %s: %d -> %d bytes, %d documents in %.2f s (final pause %.1f ms)",
            self.catalog.writer.path if self.catalog.writer else "?",
            result.old_size,
            result.new_size,
            result.documents,
            result.seconds,
            result.pause_seconds * 1000,
        )
        return result


def _consume_failure(task: asyncio.Task[CompactionResult]) -> None:
    """A failure is logged and counted by ``_run``; nobody has to await a command-started compaction."""
    if not task.cancelled():
        task.exception()


_COMPACTORS: weakref.WeakKeyDictionary[Catalog, Compactor] = weakref.WeakKeyDictionary()


async def compact_online(catalog: Catalog) -> CompactionResult:
    """Compact the catalog's log while it keeps serving; the caller is on the catalog's event loop."""
    writer = catalog.writer
    if writer is None:
        raise StorageError("an in-memory server has no file to compact")
    started = time.monotonic()
    old_size = writer.size
    collections = catalog.snapshot()
    batches = compaction_records(catalog.session_facts, catalog.clock.last)
    history = compaction_history(catalog)
    lsn = writer.size
    crash_point("snapshot")
    target = SnapshotFile(compact_path(writer.path), writer.cipher)
    source_fd = os.open(writer.path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    try:
        copied = await asyncio.to_thread(
            _write_and_catch_up, target, collections, batches, history, source_fd, lsn, writer
        )
        pause_started = time.monotonic()
        if catalog.writer is not writer:
            raise StorageError("the log writer changed during compaction")
        writer.check_usable()
        end = writer.size
        target.copy_from(source_fd, copied, end)
        target.sync()
        crash_point("fsync")
    except BaseException:
        os.close(source_fd)
        target.abandon()
        raise
    try:
        os.rename(target.path, writer.path)
        crash_point("rename")
        fsync_directory(writer.path)
        crash_point("swap")
        new_writer = LogWriter(
            writer.path,
            valid_end=target.size,
            sync_interval_ms=writer.sync_interval_ms,
            sync_always=writer.sync_always,
            cipher=writer.cipher,
        )
    except BaseException as exc:
        # The data file is now the new log (complete and fsynced), so the old writer must not append
        # to the unlinked inode: writes fail until a restart opens the new file.
        error = StorageError(f"compaction could not reopen {writer.path}; restart the server: {exc}")
        log.critical("%s", error)
        writer.poison(error)
        os.close(source_fd)
        raise error from exc
    finally:
        target.close()
    catalog.replace_writer(new_writer)
    pause = time.monotonic() - pause_started
    # Off the loop: the last close of the replaced file frees its blocks, ~200 ms for a GB on ext4.
    await asyncio.to_thread(_release_old, writer, source_fd)
    documents = sum(len(c.docs) for c in collections)
    return CompactionResult(old_size, target.size, documents, time.monotonic() - started, pause)


def _release_old(writer: LogWriter, source_fd: int) -> None:
    """Retire the old writer (resolving its waiters) and close the last descriptors of the old file."""
    writer.retire()
    os.close(source_fd)


def _write_and_catch_up(
    target: SnapshotFile,
    collections: list,
    batches: list[bytes],
    history: Iterable[bytes],
    source_fd: int,
    lsn: int,
    writer: LogWriter,
) -> int:
    """Worker thread: write the snapshot (``history`` is encoded here, from the entries taken with it),
    then copy what was appended meanwhile until little is left; returns the old-file offset copied up
    to. Reads ``writer.size`` only: every byte before it is already in the OS, and the old file is
    append-only."""
    target.write_collections(collections, batches=batches, history=history)
    crash_point("write")
    copied = lsn
    while True:
        end = writer.size
        target.copy_from(source_fd, copied, end)
        copied = end
        if writer.size - copied < CATCHUP_REMAINDER:
            break
    target.sync()
    crash_point("catchup")
    return copied
