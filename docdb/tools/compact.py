"""``docdb compact FILE [--encrypt|--decrypt]``: rewrite a file that no server is using as just its live
state (and, for a replica set's file, its change history window), optionally changing whether it is
encrypted.

Invariant, as for online compaction: after a crash the file is the complete old one or the complete new
one. The new file is written to ``<file>.compact`` under the file's lock, fsynced, renamed over the old
one, and the directory is fsynced.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

from docdb.engine.catalog import Catalog
from docdb.engine.history_records import compaction_history
from docdb.engine.log.compaction import SnapshotFile, compact_path
from docdb.engine.log.crypto import new_cipher
from docdb.engine.log.faults import crash_point
from docdb.engine.log.writer import fsync_directory
from docdb.engine.session_log import compaction_records
from docdb.errors import StorageError


@dataclass(frozen=True, slots=True)
class OfflineCompaction:
    old_size: int
    new_size: int
    documents: int
    encrypted: bool


def compact_file(
    path: str,
    key: bytes | None = None,
    *,
    encrypt: bool = False,
    decrypt: bool = False,
    progress: Callable[[int], None] | None = None,
    history_bytes: int | None = None,
) -> OfflineCompaction:
    """Compact ``path``. ``key``: the file's key, or with ``encrypt`` the key to encrypt a plain file with.
    ``progress(n)`` is told of bytes written; ``history_bytes`` is the change history a replica set's
    file keeps (the server's ``--oplog-size-mb``; default its default). StorageError if the file is in
    use or the key is wrong."""
    if encrypt and decrypt:
        raise StorageError("--encrypt and --decrypt exclude each other")
    if encrypt and key is None:
        raise StorageError("--encrypt needs --encryption-key-file")
    if not os.path.exists(path):
        raise StorageError(f"{path} does not exist")
    old_size = os.path.getsize(path)
    catalog = Catalog.open(
        path, key=None if encrypt else key, sync_interval_ms=60_000, history_bytes=history_bytes
    )
    try:
        writer = catalog.writer
        assert writer is not None
        if encrypt and writer.cipher is not None:
            raise StorageError(f"{path} is already encrypted")
        if decrypt and writer.cipher is None:
            raise StorageError(f"{path} is not encrypted")
        if encrypt:
            assert key is not None
            cipher = new_cipher(key)
        else:
            cipher = None if decrypt else writer.cipher
        collections = catalog.snapshot()
        batches = compaction_records(catalog.session_facts, catalog.clock.last)
        history = compaction_history(catalog)
        crash_point("snapshot")
        target = SnapshotFile(compact_path(path), cipher)
        try:
            target.write_collections(collections, progress, batches, history)
            crash_point("write")
            target.sync()
            crash_point("fsync")
        except BaseException:
            target.abandon()
            raise
        target.close()
        os.rename(target.path, path)
        crash_point("rename")
        fsync_directory(path)
        writer.retire()
    finally:
        catalog.close()
    documents = sum(len(c.docs) for c in collections)
    return OfflineCompaction(old_size, target.size, documents, cipher is not None)
