"""Read a ``.mdb`` file back: every good record in order, and where the good part ends.

Invariant: recovery yields exactly the records of some prefix of what was appended, or refuses.
- A short or checksum-failing record with no verifying record anywhere after it is a *torn tail* (a
  crash while appending): iteration stops there, ``valid_end`` is where the writer resumes and
  ``torn_bytes`` how much it will cut off.
- A bad record followed, at any byte offset, by a record that verifies is *corruption* (a corrupt length
  field looks exactly like a torn tail): :class:`CorruptLogError` names the bad record's offset and
  nothing is truncated, so ``docdb repair`` can still salvage the rest.

The file is read in one sequential pass through a read-only mmap; payloads are copied out as ``bytes``
so nothing handed to the caller pins the mapping. An encrypted file's payloads are decrypted on the way
out; without the right key the reader refuses at construction, before any record is read.
"""

from __future__ import annotations

import functools
import mmap
import os
import re
from collections.abc import Iterator

from docdb.engine.log.crypto import RecordCipher, cipher_for_header, new_cipher
from docdb.engine.log.record import (
    FILE_MAGIC,
    FLAG_ENCRYPTED,
    HEADER_SIZE,
    BadRecord,
    FileHeader,
    RecordType,
    decode_file_header,
    decode_record,
    verifies,
)
from docdb.errors import CorruptLogError, StorageError

_TYPES: dict[int, RecordType | int] = {t.value: t for t in RecordType}


class LogReader:
    """One pass over a log file; iterate it for ``(rtype, payload)`` pairs.

    ``header`` is None for a missing, empty or torn-at-creation file (no records). ``valid_end`` and
    ``torn_bytes`` are None until an iteration has run to the end; ``records`` counts what was yielded.
    Iterating again re-reads the file. ``key`` is the key file's material, needed for an encrypted file;
    ``cipher`` is then what opens it (and what a writer appending to the file must use).
    """

    def __init__(self, path: str, key: bytes | None = None) -> None:
        self.path = path
        self.cipher: RecordCipher | None = None
        self.header: FileHeader | None = None
        self.valid_end: int | None = None
        self.torn_bytes: int | None = None
        self.records = 0
        self.offset = 0
        self.record_end = 0
        try:
            self._size = os.stat(path).st_size
        except FileNotFoundError:
            self._size = 0
        if self._size >= HEADER_SIZE:
            with open(path, "rb") as f:
                self.header = decode_file_header(f.read(HEADER_SIZE))
        elif self._size:
            with open(path, "rb") as f:
                start = f.read(len(FILE_MAGIC))
            if not FILE_MAGIC.startswith(start):
                raise StorageError(f"not a docdb .mdb file: {path} ({self._size} bytes, bad magic)")
        if self.header is not None and self.header.flags & FLAG_ENCRYPTED:
            self.cipher = cipher_for_header(self.header.extra, key, path)

    @property
    def size(self) -> int:
        return self._size

    def cipher_for_writer(self, key: bytes | None) -> RecordCipher | None:
        """The cipher a writer appending to this file uses: the file's own, a new one for a new file
        given a key, None for a plain file; StorageError for a key given to a plain file."""
        if self.header is None:
            return None if key is None else new_cipher(key)
        if self.cipher is None and key is not None:
            raise StorageError(f"{self.path} is not encrypted; encrypt it with `docdb compact --encrypt`")
        return self.cipher

    def __iter__(self) -> Iterator[tuple[RecordType | int, bytes]]:
        self.records = 0
        if self.header is None:
            # Missing, empty, or a crash while the header itself was written: nothing was ever logged.
            self.valid_end, self.torn_bytes = 0, self._size
            return
        with open(self.path, "rb") as f:
            mm = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        try:
            if hasattr(mm, "madvise"):
                mm.madvise(mmap.MADV_SEQUENTIAL)
            yield from self._records(mm)
        finally:
            mm.close()

    def _records(self, mm: mmap.mmap) -> Iterator[tuple[RecordType | int, bytes]]:
        buf = memoryview(mm)
        try:
            end = len(buf)
            offset = HEADER_SIZE
            types = _TYPES
            cipher = self.cipher
            while offset < end:
                try:
                    rtype, view, next_offset = decode_record(buf, offset)
                except BadRecord as exc:
                    later = find_verifying_record(buf, offset + 1)
                    if later is not None:
                        raise CorruptLogError(
                            offset,
                            f"{exc.reason}, but a valid record follows at offset {later}; the file is "
                            f"left untouched: run `docdb repair {self.path}` to salvage the other records",
                        ) from None
                    break
                payload = bytes(view) if cipher is None else cipher.open(rtype, view)
                view.release()
                self.records += 1
                self.offset = offset  # where the record being yielded starts (the history window's test)
                self.record_end = next_offset
                yield types.get(rtype, rtype), payload
                offset = next_offset
            self.valid_end, self.torn_bytes = offset, end - offset
        finally:
            buf.release()


def read_log(path: str, key: bytes | None = None) -> LogReader:
    """Open ``path`` for recovery; the header (and ``key``) is checked now (StorageError), the records
    when iterated."""
    return LogReader(path, key)


def find_verifying_record(buf: memoryview, start: int) -> int | None:
    """The first offset at or after ``start`` where a complete record verifies, or None.

    A regex finds candidates in C: a plausible length whose 4 bytes reappear as the payload's BSON
    int32 length. About 30 ns per byte scanned when nothing is found; usually it stops within one
    record of ``start`` because the next genuine record is found.
    """
    end = len(buf)
    for match in _candidate_pattern(min(0x7F, max(0, end - start) >> 24)).finditer(buf, start):
        if verifies(buf, match.start()):
            return match.start()
    return None


@functools.cache
def _candidate_pattern(max_high_byte: int) -> re.Pattern[bytes]:
    """length (not 0, high byte at most ``max_high_byte``), crc, type, then the same 4 bytes again."""
    return re.compile(rb"(?s)(?=(?!\x00\x00\x00\x00)(...[\x00-\x%02x]).....\1)" % max_high_byte)
