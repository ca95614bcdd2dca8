"""``docdb repair FILE [--out NEW]``: copy every record that verifies into a new file, skipping the
damaged regions. The original is never modified (it is opened read-only); the new file is written
beside it, fsynced, and only then given its final name, so an interrupted repair leaves no half file
under that name.

Records are copied byte for byte (an encrypted file stays encrypted and needs no key). A salvaged
record can depend on a lost one (a rename whose collection creation was lost); with ``check`` (the
default, when the file is plain or the key is given) each record is replayed into a scratch catalog and
one that cannot be applied is dropped too, so the repaired file always starts.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

from docdb.engine.catalog import Catalog
from docdb.engine.log.crypto import cipher_for_header
from docdb.engine.log.record import FLAG_ENCRYPTED, HEADER_SIZE, decode_file_header
from docdb.engine.log.salvage import BadRegion, replay_scanned, scan_log
from docdb.engine.log.writer import _write_all, fsync_directory
from docdb.errors import StorageError


@dataclass(slots=True)
class RepairReport:
    out: str
    kept: int = 0
    dropped_unappliable: int = 0
    skipped_bytes: int = 0
    bad_regions: int = 0


def default_output(path: str) -> str:
    """``data.mdb`` -> ``data.repaired.mdb``."""
    root, ext = os.path.splitext(path)
    return f"{root}.repaired{ext or '.mdb'}"


def repair_file(
    path: str,
    out: str | None = None,
    key: bytes | None = None,
    progress: Callable[[int], None] | None = None,
) -> RepairReport:
    """Salvage ``path`` into ``out`` (default :func:`default_output`); StorageError if ``out`` exists."""
    out = out or default_output(path)
    if os.path.exists(out):
        raise StorageError(f"{out} already exists; choose another --out")
    with open(path, "rb") as f:
        header_bytes = f.read(HEADER_SIZE)
    header = decode_file_header(header_bytes)
    encrypted = bool(header.flags & FLAG_ENCRYPTED)
    cipher = cipher_for_header(header.extra, key, path) if encrypted and key is not None else None
    checking = not encrypted or cipher is not None
    scratch = Catalog()
    report = RepairReport(out)
    partial = f"{out}.partial"
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_CLOEXEC", 0), 0o644)
    try:
        _write_all(fd, header_bytes, 0)
        size = HEADER_SIZE
        pending: list[bytes] = []
        for item in scan_log(path):
            if isinstance(item, BadRegion):
                report.bad_regions += 1
                report.skipped_bytes += item.end - item.offset
                if progress is not None:
                    progress(item.end - item.offset)
                continue
            if checking and not replay_scanned(scratch, item, cipher):
                report.dropped_unappliable += 1
                continue
            pending.append(item.raw)
            report.kept += 1
            if len(pending) >= 1024:
                data = b"".join(pending)
                _write_all(fd, data, size)
                size += len(data)
                pending = []
            if progress is not None:
                progress(len(item.raw))
        data = b"".join(pending)
        _write_all(fd, data, size)
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        os.unlink(partial)
        raise
    os.close(fd)
    os.rename(partial, out)
    fsync_directory(out)
    return report
