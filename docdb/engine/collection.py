"""One collection's live documents, held as immutable raw BSON bytes keyed by canonical ``_id``.

Bytes, not dicts: memory stays near the BSON size, snapshots are free (the bytes never change), and a
``find`` reply embeds stored bytes without re-encoding. Natural order is insertion order: a Python dict
keeps it, an update in place keeps a document's position, a delete + re-insert moves it to the end — as
WiredTiger's record ids do for a standalone mongod.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator
from typing import Any

from bson.binary import Binary

from docdb.bson_codec import decode_document
from docdb.engine.bson_order import hash_key


class Collection:
    """Documents and metadata of one namespace. Mutated only through :class:`Catalog` commits."""

    __slots__ = ("db", "name", "uuid", "options", "docs", "data_size")

    def __init__(self, db: str, name: str, uuid: Binary, options: dict[str, Any]) -> None:
        self.db = db
        self.name = name
        self.uuid = uuid
        self.options = options
        self.docs: dict[Hashable, bytes] = {}
        self.data_size = 0

    @property
    def ns(self) -> str:
        return f"{self.db}.{self.name}"

    def __len__(self) -> int:
        return len(self.docs)

    def get_raw(self, id_value: Any) -> bytes | None:
        """The stored bytes of the document whose ``_id`` equals ``id_value`` (MongoDB equality)."""
        return self.docs.get(hash_key(id_value))

    def scan(self) -> Iterator[tuple[bytes, dict[str, Any]]]:
        """Every document in natural order as ``(raw, decoded)``; safe against concurrent commits."""
        for raw in list(self.docs.values()):
            yield raw, decode_document(raw)

    def put(self, key: Hashable, raw: bytes) -> None:
        old = self.docs.get(key)
        if old is not None:
            self.data_size -= len(old)
        self.docs[key] = raw
        self.data_size += len(raw)

    def remove(self, key: Hashable) -> None:
        old = self.docs.pop(key, None)
        if old is not None:
            self.data_size -= len(old)
