"""mongodump's ``--archive`` stream, read and written one document at a time (constant memory).

The grammar (mongo-tools' common/archive/spec.md)::

    archive   = magic header collection-metadata* terminator (namespace-segment | namespace-eof)*
    magic     = 0x8199e26d as little-endian uint32
    header    = {concurrent_collections: int32, version: "0.1", server_version, tool_version}
    collection-metadata = {db, collection, metadata: <the .metadata.json text>, size: int32, type}
    namespace-segment   = {db, collection, EOF: false, CRC: int64 0} document+ terminator
    namespace-eof       = {db, collection, EOF: true, CRC: int64 <CRC-64/ECMA of its docs>} terminator
    terminator          = ff ff ff ff

A dump written here has, per collection: one segment with all its documents, then its EOF block, which
is what mongodump writes when it dumps one collection at a time.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

import bson
import fastcrc
from bson.int64 import Int64

from docdb.errors import StorageError

MAGIC = struct.pack("<I", 0x8199E26D)
TERMINATOR = b"\xff\xff\xff\xff"
FORMAT_VERSION = "0.1"
_INT32 = struct.Struct("<i")
_UINT32 = struct.Struct("<I")


def crc64(data: bytes | memoryview, crc: int | None = None) -> int:
    """CRC-64 with Go's ``crc64.ECMA`` table (reflected, init and xor-out all ones: CRC-64/XZ),
    continued from ``crc`` (None: a fresh sum)."""
    return fastcrc.crc64.xz(data) if crc is None else fastcrc.crc64.xz(data, crc)


def _signed64(value: int) -> Int64:
    """mongodump stores ``int64(hash.Sum64())``: the unsigned sum's bits as a signed int64."""
    return Int64(value - (1 << 64) if value >= 1 << 63 else value)


@dataclass(slots=True)
class ArchiveEntry:
    """One collection-metadata document of the prelude."""

    db: str
    collection: str
    metadata: str
    type: str = "collection"
    size: int = 0


def encode_prelude(entries: Iterable[ArchiveEntry], server_version: str, tool_version: str) -> bytes:
    """Magic, header, the collection-metadata documents and the terminator, as mongodump writes them."""
    parts = [
        MAGIC,
        bson.encode(
            {
                "concurrent_collections": 1,
                "version": FORMAT_VERSION,
                "server_version": server_version,
                "tool_version": tool_version,
            }
        ),
    ]
    for e in entries:
        size: Any = e.size if e.size < 1 << 31 else Int64(e.size)
        parts.append(
            bson.encode(
                {"db": e.db, "collection": e.collection, "metadata": e.metadata, "size": size, "type": e.type}
            )
        )
    parts.append(TERMINATOR)
    return b"".join(parts)


def encode_namespace_header(db: str, collection: str, eof: bool = False, crc: int = 0) -> bytes:
    return bson.encode({"db": db, "collection": collection, "EOF": eof, "CRC": _signed64(crc)})


def write_namespace(out: BinaryIO, db: str, collection: str, chunks: Iterable[bytes]) -> int:
    """Write one collection's documents (``chunks`` of whole concatenated documents) and its EOF block;
    returns the CRC. An empty collection still gets its header, as mongodump writes it."""
    out.write(encode_namespace_header(db, collection))
    crc = 0
    started = False
    for chunk in chunks:
        if chunk:
            crc = crc64(chunk, crc if started else None)
            started = True
            out.write(chunk)
    out.write(TERMINATOR)
    out.write(encode_namespace_header(db, collection, eof=True, crc=crc))
    out.write(TERMINATOR)
    return crc


class ArchiveReader:
    """Reads an archive stream: ``header`` and ``entries`` at once, then ``namespaces()`` in order."""

    def __init__(self, stream: BinaryIO) -> None:
        self._in = stream
        magic = stream.read(4)
        if magic != MAGIC:
            raise StorageError("stream or file does not appear to be a mongodump archive")
        header = self._document()
        if header is None:
            raise StorageError("archive prelude: missing header")
        self.header: dict[str, Any] = bson.decode(header)
        self.entries: list[ArchiveEntry] = []
        while (raw := self._document()) is not None:
            doc = bson.decode(raw)
            self.entries.append(
                ArchiveEntry(
                    doc["db"],
                    doc["collection"],
                    doc.get("metadata", ""),
                    doc.get("type") or "collection",
                    int(doc.get("size") or 0),
                )
            )
        self._crcs: dict[tuple[str, str], int | None] = {}

    def _read(self, n: int) -> bytes:
        data = self._in.read(n)
        while len(data) < n:
            more = self._in.read(n - len(data))
            if not more:
                raise StorageError("archive is truncated")
            data += more
        return data

    def _document(self, first: bytes | None = None) -> bytes | None:
        """The next BSON document, or None at a terminator."""
        head = first if first is not None else self._read(4)
        if head == TERMINATOR:
            return None
        (length,) = _INT32.unpack(head)
        if length < 5:
            raise StorageError(f"archive: bad BSON document length {length}")
        return head + self._read(length - 4)

    def namespaces(self) -> Iterator[tuple[str, str, Iterator[bytes]]]:
        """``(db, collection, documents)`` per segment (what the consumer leaves unread is skipped).
        EOF blocks are checked against the CRC of the documents read (StorageError on a mismatch)."""
        while True:
            head = self._in.read(4)
            if not head:
                return
            if len(head) < 4:
                head += self._read(4 - len(head))
            raw = self._document(head)
            if raw is None:
                raise StorageError("archive: terminator where a namespace header belongs")
            ns = bson.decode(raw)
            key = (ns["db"], ns["collection"])
            if ns.get("EOF"):
                if self._read(4) != TERMINATOR:
                    raise StorageError(f"archive: no terminator after the end of {key[0]}.{key[1]}")
                expected = int(ns.get("CRC") or 0) & ((1 << 64) - 1)
                found = self._crcs.pop(key, None) or 0
                if found != expected:
                    raise StorageError(f"CRC mismatch for namespace {key[0]}.{key[1]}, {found}!={expected}")
                continue
            segment = self._segment(key)
            yield key[0], key[1], segment
            for _ in segment:  # whatever the consumer skipped
                pass

    def _segment(self, key: tuple[str, str]) -> Iterator[bytes]:
        crc = self._crcs.get(key)
        try:
            while (raw := self._document()) is not None:
                crc = crc64(raw, crc)
                yield raw
        finally:
            self._crcs[key] = crc
