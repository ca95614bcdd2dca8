"""The bytes of a ``.mdb`` file: its header and the framing of one record. Pure functions, no I/O.

Grammar (the full version, with the payload documents, is ``docs/mdb-format.md``)::

    file    := header record*
    header  := magic[8] version:u32 flags:u32 extra[44] crc:u32      (64 bytes)
    record  := length:u32 crc:u32 type:u8 payload[length]            (9 + length bytes)

Little-endian throughout. ``length`` counts the payload only. The record ``crc`` is CRC-32C over the
4 length bytes, the type byte and the payload, in that order. The payload is always exactly one BSON
document, so its own int32 length equals ``length`` and its last byte is 0: the reader checks that
before the CRC, which lets recovery reject almost every false start without checksumming anything.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from enum import IntEnum

from crc32c import crc32c

from docdb.errors import StorageError

FILE_MAGIC = b"DOCDBMDB"
FORMAT_VERSION = 1
HEADER_SIZE = 64
HEADER_EXTRA_SIZE = 44
# Header flag bits this version understands; a reader refuses any other bit rather than misread records.
FLAG_ENCRYPTED = 1  # payloads are AES-GCM wrappers; ``extra`` holds the key description (log/crypto.py)
KNOWN_FLAGS = FLAG_ENCRYPTED
RECORD_HEADER_SIZE = 9
MIN_PAYLOAD_SIZE = 5  # the empty BSON document

_HEADER = struct.Struct("<8sII44s")  # everything the header CRC covers
_CRC = struct.Struct("<I")
_RECORD_HEADER = struct.Struct("<IIB")  # length, crc, type
_INT32 = struct.Struct("<i")


class RecordType(IntEnum):
    """What a record's payload document describes; the catalog owns the documents' shapes."""

    WRITE_BATCH = 1  # {"ops": [{"ns": "db.coll", ["k": "i"|"u"|"r"], "put": <doc>} | {"ns", "del": <_id>}]}
    CREATE_COLLECTION = 2  # {"ns": ..., "options": {...}}
    DROP_COLLECTION = 3  # {"ns": ...}
    RENAME_COLLECTION = 4  # {"from": ns, "to": ns, "dropTarget": bool}
    DROP_DATABASE = 5  # {"db": name}
    CREATE_INDEXES = 6  # {"ns": ..., "indexes": [spec, ...]}
    DROP_INDEXES = 7  # {"ns": ..., "names": [...]}
    COLL_MOD = 8  # {"ns": ..., "changes": {...}}
    HISTORY = 9  # {"horizon": Timestamp, "changes": [...]}: change history kept by compaction


@dataclass(frozen=True, slots=True)
class FileHeader:
    """The decoded file header. ``extra`` is 44 bytes reserved for flag-specific data (encryption salt
    and key check); all zero when no flag uses it."""

    version: int
    flags: int
    extra: bytes = bytes(HEADER_EXTRA_SIZE)


class BadRecord(Exception):
    """The bytes at an offset are not a complete, verifying record (torn or corrupt: the caller decides)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def encode_file_header(flags: int = 0, extra: bytes = b"") -> bytes:
    """The 64-byte header of a new file; ``extra`` (at most 44 bytes) is zero-padded.

    >>> h = encode_file_header(); (len(h), h[:8], decode_file_header(h).version)
    (64, b'DOCDBMDB', 1)
    """
    if flags & ~KNOWN_FLAGS:
        raise ValueError(f"unknown header flags 0x{flags:x}")
    if len(extra) > HEADER_EXTRA_SIZE:
        raise ValueError(f"header extra is {len(extra)} bytes, at most {HEADER_EXTRA_SIZE} fit")
    body = _HEADER.pack(FILE_MAGIC, FORMAT_VERSION, flags, extra.ljust(HEADER_EXTRA_SIZE, b"\0"))
    return body + _CRC.pack(crc32c(body))


def decode_file_header(buf: bytes | memoryview) -> FileHeader:
    """Parse and verify the first 64 bytes of a file; StorageError says what is wrong with them."""
    if len(buf) < HEADER_SIZE:
        raise StorageError(f"not a docdb .mdb file: header is {len(buf)} bytes, expected {HEADER_SIZE}")
    magic, version, flags, extra = _HEADER.unpack_from(buf, 0)
    if magic != FILE_MAGIC:
        raise StorageError(f"not a docdb .mdb file: bad magic {bytes(magic)!r}")
    (stored_crc,) = _CRC.unpack_from(buf, _HEADER.size)
    if crc32c(bytes(buf[: _HEADER.size])) != stored_crc:
        raise StorageError("corrupt .mdb file header: checksum mismatch")
    if version != FORMAT_VERSION:
        raise StorageError(
            f"unsupported .mdb format version {version}; this docdb reads version {FORMAT_VERSION}"
        )
    if flags & ~KNOWN_FLAGS:
        raise StorageError(f"unsupported .mdb header flags 0x{flags:x}; this docdb knows 0x{KNOWN_FLAGS:x}")
    return FileHeader(version=version, flags=flags, extra=bytes(extra))


def encode_record(rtype: int, payload: bytes) -> bytes:
    """Frame one payload (a whole BSON document) as a record.

    >>> encode_record(RecordType.DROP_DATABASE, bytes([5, 0, 0, 0, 0])).hex()
    '050000003b73778e050500000000'
    """
    if not 0 <= rtype <= 0xFF:
        raise ValueError(f"record type {rtype} does not fit in a byte")
    size = len(payload)
    if not looks_like_bson(payload, 0, size):
        raise ValueError("a record payload must be exactly one BSON document")
    covered = _LENGTH_AND_TYPE.pack(size, rtype)  # the crc covers the header but itself, then the payload
    # one call over a copy for a small record (a call costs more than copying a few KB), else two
    crc = crc32c(covered + payload) if size <= 16384 else crc32c(payload, crc32c(covered))
    return _RECORD_HEADER.pack(size, crc, rtype) + payload


_LENGTH_AND_TYPE = struct.Struct("<IB")


def decode_record(buf: memoryview, offset: int) -> tuple[int, memoryview, int]:
    """Decode the record at ``offset``: ``(rtype, payload, next_offset)``; ``payload`` is a view of ``buf``.

    Raises :class:`BadRecord` when the bytes are short, the payload is not BSON-framed or the CRC fails.
    """
    end = len(buf)
    if offset + RECORD_HEADER_SIZE > end:
        raise BadRecord(f"truncated record header ({end - offset} of {RECORD_HEADER_SIZE} bytes)")
    length, stored_crc, rtype = _RECORD_HEADER.unpack_from(buf, offset)
    start = offset + RECORD_HEADER_SIZE
    stop = start + length
    if stop > end:
        raise BadRecord(f"truncated record: length {length} but only {end - start} bytes follow")
    if crc32c(buf[offset + 8 : stop], crc32c(buf[offset : offset + 4])) != stored_crc:
        raise BadRecord("checksum mismatch")
    # looks_like_bson(), inlined: this is the per-record hot path of recovery.
    if length < MIN_PAYLOAD_SIZE or _INT32.unpack_from(buf, start)[0] != length or buf[stop - 1] != 0:
        raise BadRecord("payload is not one BSON document")
    return rtype, buf[start:stop], stop


def verifies(buf: memoryview, offset: int) -> bool:
    """Whether a complete, verifying record starts at ``offset`` (recovery's scan for later records).

    Checks the cheap BSON framing before the CRC, so a false start almost never costs a checksum.
    """
    if offset + RECORD_HEADER_SIZE + MIN_PAYLOAD_SIZE > len(buf):
        return False
    length, stored_crc, _ = _RECORD_HEADER.unpack_from(buf, offset)
    start = offset + RECORD_HEADER_SIZE
    stop = start + length
    if stop > len(buf) or not looks_like_bson(buf, start, length):
        return False
    return crc32c(buf[offset + 8 : stop], crc32c(buf[offset : offset + 4])) == stored_crc


def looks_like_bson(buf: bytes | memoryview, start: int, length: int) -> bool:
    """Whether ``buf[start:start+length]`` is framed as one BSON document: int32 length, trailing 0.

    >>> looks_like_bson(bytes([5, 0, 0, 0, 0]), 0, 5), looks_like_bson(bytes([6, 0, 0, 0, 0]), 0, 5)
    (True, False)
    """
    if length < MIN_PAYLOAD_SIZE or start + length > len(buf):
        return False
    return _INT32.unpack_from(buf, start)[0] == length and buf[start + length - 1] == 0
