"""``docdb verify FILE``: read every record without modifying anything and say whether the file is
healthy: the records, live documents per collection, dead bytes, and the first bad offset if any.

Healthy means every record verifies; a torn tail (a crash mid-append, which the server cuts off at
start without losing an acknowledged write) is reported but still healthy. Corruption is not.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field

from docdb.engine.catalog import Catalog
from docdb.engine.log.compaction import estimated_live_bytes
from docdb.engine.log.crypto import cipher_for_header
from docdb.engine.log.record import FLAG_ENCRYPTED, HEADER_SIZE, decode_file_header
from docdb.engine.log.salvage import BadRegion, replay_scanned, scan_log


@dataclass(slots=True)
class VerifyReport:
    """What ``verify`` found; ``collections`` is None when an encrypted file was read without its key."""

    path: str
    size: int
    encrypted: bool
    records: int = 0
    record_bytes: int = 0
    bad_regions: list[BadRegion] = field(default_factory=list)
    collections: dict[str, int] | None = None
    dead_bytes: int | None = None
    replay_errors: int = 0

    @property
    def first_bad_offset(self) -> int | None:
        corrupt = [r for r in self.bad_regions if not r.torn]
        return corrupt[0].offset if corrupt else None

    @property
    def torn_bytes(self) -> int:
        return sum(r.end - r.offset for r in self.bad_regions if r.torn)

    @property
    def healthy(self) -> bool:
        return self.first_bad_offset is None and self.replay_errors == 0


def verify_file(
    path: str, key: bytes | None = None, progress: Callable[[int], None] | None = None
) -> VerifyReport:
    """Scan ``path`` (StorageError if it is missing or its header is bad); ``progress(n)`` gets bytes read."""
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        header = decode_file_header(f.read(HEADER_SIZE))
    encrypted = bool(header.flags & FLAG_ENCRYPTED)
    cipher = cipher_for_header(header.extra, key, path) if encrypted and key is not None else None
    replaying = not encrypted or cipher is not None
    catalog = Catalog()
    report = VerifyReport(path, size, encrypted)
    for item in scan_log(path):
        if isinstance(item, BadRegion):
            report.bad_regions.append(item)
            if progress is not None:
                progress(item.end - item.offset)
            continue
        report.records += 1
        report.record_bytes += len(item.raw)
        if replaying and not replay_scanned(catalog, item, cipher):
            report.replay_errors += 1
        if progress is not None:
            progress(len(item.raw))
    if replaying:
        report.collections = {
            coll.ns: len(coll) for colls in catalog.databases.values() for coll in colls.values()
        }
        triples = [
            (c.ns, len(c), c.data_size) for colls in catalog.databases.values() for c in colls.values()
        ]
        report.dead_bytes = max(0, size - estimated_live_bytes(triples))
    return report
