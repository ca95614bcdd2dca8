"""Walk every record of a possibly damaged log, skipping bad regions: what ``docdb verify`` and
``docdb repair`` read. Never raises on bad records; the caller decides what a bad region means.

A bad region runs from a record that does not verify to the next offset where one does (found at any
byte offset, as recovery does), or to the end of the file (a torn tail).
"""

from __future__ import annotations

import mmap
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from docdb.engine.log.record import HEADER_SIZE, BadRecord, decode_file_header, decode_record
from docdb.engine.log.recovery import find_verifying_record
from docdb.errors import StorageError

if TYPE_CHECKING:
    from docdb.engine.catalog import Catalog
    from docdb.engine.log.crypto import RecordCipher


@dataclass(frozen=True, slots=True)
class GoodRecord:
    """A record that verifies: its offset, type and framed bytes (``raw``, header included)."""

    offset: int
    rtype: int
    raw: bytes

    @property
    def payload(self) -> bytes:
        return self.raw[9:]


@dataclass(frozen=True, slots=True)
class BadRegion:
    """Bytes ``[offset, end)`` that hold no verifying record; ``torn`` when they run to the end."""

    offset: int
    end: int
    reason: str
    torn: bool


def scan_log(path: str) -> Iterator[GoodRecord | BadRegion]:
    """Every good record and bad region after the (checked) header, in file order."""
    with open(path, "rb") as f:
        decode_file_header(f.read(HEADER_SIZE))
        size = f.seek(0, 2)
        if size <= HEADER_SIZE:
            return
        mm = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    buf = memoryview(mm)
    try:
        offset, end = HEADER_SIZE, len(buf)
        while offset < end:
            try:
                rtype, view, next_offset = decode_record(buf, offset)
                view.release()
            except BadRecord as exc:
                later = find_verifying_record(buf, offset + 1)
                yield BadRegion(offset, end if later is None else later, exc.reason, later is None)
                if later is None:
                    return
                offset = later
                continue
            with buf[offset:next_offset] as record:
                raw = bytes(record)
            yield GoodRecord(offset, rtype, raw)
            offset = next_offset
    finally:
        buf.release()
        mm.close()


def replay_scanned(catalog: Catalog, record: GoodRecord, cipher: RecordCipher | None) -> bool:
    """Apply one scanned record to ``catalog``, decrypting it first when ``cipher`` is given. False when
    it cannot be applied (a wrong key, a record the catalog refuses): ``verify`` and ``repair`` count
    those and go on."""
    try:
        payload = record.payload if cipher is None else cipher.open(record.rtype, record.payload)
        catalog.apply_record(record.rtype, payload)
    except (StorageError, KeyError, ValueError):
        return False
    return True
