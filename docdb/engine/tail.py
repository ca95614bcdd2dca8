"""A tailable cursor's source: the rest of its first result, then every document inserted after it.

A capped collection's ``docs`` dict is in insertion order and an update keeps a document's place, so the
documents after the one a cursor saw last are found by walking the dict *backwards* until that one: the
cost of a ``getMore`` is the number of new documents, never the collection's size. When the document the
cursor stood on is gone (removed to make room, or deleted), its place is lost: CappedPositionLost (136),
as mongod answers.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

from docdb.bson_codec import StoredDocument, decode_document
from docdb.engine.collection import Collection
from docdb.errors import ErrorCode, MongoError


class TailSource:
    """``next_batch(n, max_bytes)`` of a tailable cursor over ``coll`` (seam 5 of the architecture)."""

    __slots__ = ("coll", "pending", "last_key", "match", "project", "seen")

    def __init__(
        self,
        coll: Collection,
        pending: list[Any],
        match: Callable[[dict[str, Any]], bool] | None,
        project: Callable[[dict[str, Any]], dict[str, Any]] | None,
    ) -> None:
        self.coll = coll
        self.pending = pending  # the part of the find's result not yet returned
        self.last_key: Hashable | None = next(reversed(coll.docs), None)  # where the find's scan ended
        self.match = match
        self.project = project
        self.seen = len(coll.docs)  # documents passed so far (shown as the lost position's record id)

    def wait_keys(self) -> tuple[str, ...]:
        """The namespaces whose commits may give this cursor something (server/tailing.py)."""
        return (self.coll.ns,)

    def has_more(self) -> bool:
        """Whether ``next_batch`` would return something now (or raise): an awaitData wait ends."""
        if self.pending:
            return True
        try:
            rows = self._new_rows()
        except MongoError:
            return True
        if self.match is None:
            return bool(rows)
        return any(self.match(decode_document(raw)) for _, raw in rows)

    def _new_rows(self) -> list[tuple[Hashable, bytes]]:
        docs = self.coll.docs
        if self.last_key is not None and self.last_key not in docs:
            raise MongoError(
                ErrorCode.CappedPositionLost,
                "CollectionScan died due to position in capped collection being deleted. "
                f"Last seen record id: RecordId({self.seen})",
            )
        rows: list[tuple[Hashable, bytes]] = []
        for key in reversed(docs):
            if key == self.last_key:
                break
            rows.append((key, docs[key]))
        rows.reverse()
        return rows

    def next_batch(self, n: int | None, max_bytes: int) -> list[Any]:
        """Up to ``n`` documents (None: no count limit) and about ``max_bytes``, possibly none."""
        out: list[Any] = []
        size = 0
        while self.pending and (n is None or len(out) < n) and (size <= max_bytes or not out):
            doc = self.pending.pop(0)
            out.append(doc)
            size += len(doc.raw) if isinstance(doc, StoredDocument) else 0
        if self.pending or (n is not None and len(out) >= n):
            return out
        rows = self._new_rows()
        for key, raw in rows:
            if n is not None and len(out) >= n or size > max_bytes and out:
                break
            self.last_key = key
            self.seen += 1
            if self.match is None and self.project is None:
                out.append(StoredDocument(raw))
                size += len(raw)
                continue
            doc = decode_document(raw)
            if self.match is not None and not self.match(doc):
                continue
            out.append(StoredDocument(raw) if self.project is None else self.project(doc))
            size += len(raw)
        return out
