"""A point in the commit order and the data as of it, without copying: what transactions and snapshot
reads (``engine/store.py``) read through.

Stored documents are immutable bytes, so the state as of a snapshot is the live state with the changes
since undone: the value a document had at the snapshot is the before-image of its first change after
it, which the change history holds (pinned while the snapshot is in use). A collection created after
the snapshot is not there for it; one dropped since is noted, so a write to it can conflict.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator, Mapping
from typing import Any

from bson.timestamp import Timestamp

from docdb.bson_codec import decode_document
from docdb.engine.catalog import Catalog
from docdb.engine.collection import Collection
from docdb.engine.indexing.index import Index
from docdb.errors import ErrorCode, MongoError

_GONE = frozenset({"drop", "rename"})  # catalog changes after which a namespace's old collection is gone


class Snapshot:
    """A point in the commit order and what changed since: ``undo[ns][key]`` is the document's stored
    bytes at the snapshot (None: it did not exist), for every document changed after it.

    ``at`` (a past Timestamp) starts the snapshot at the last change no later than it, for
    ``readConcern: {level: "snapshot", atClusterTime}``; SnapshotTooOld when the history no longer
    reaches back that far.
    """

    def __init__(self, catalog: Catalog, at: Timestamp | None = None) -> None:
        history = catalog.history
        self.history = history
        self.ts = catalog.clock.last
        self.seq = history.next_seq
        if at is not None and at < self.ts:
            if at < history.horizon:
                raise MongoError(
                    ErrorCode.SnapshotTooOld,
                    f"Read timestamp {_ts_text(at)} is older than the oldest available timestamp.",
                )
            self.seq = next((c.seq for c in history.since(history.first_seq) if c.ts > at), history.next_seq)
            self.ts = at
        self.token = history.pin(self.seq)
        self._consumed = self.seq
        self.undo: dict[str, dict[Hashable, bytes | None]] = {}
        self.dropped: set[str] = set()  # namespaces dropped (or renamed away) since the snapshot

    def catch_up(self) -> None:
        """Take in the changes committed since the last call (each key's first change is its undo)."""
        history = self.history
        if self._consumed == history.next_seq:
            return
        undo = self.undo
        for change in history.since(self._consumed):
            per_ns = undo.get(change.ns)
            if per_ns is None:
                per_ns = undo[change.ns] = {}
            if change.key not in per_ns:
                per_ns[change.key] = change.before
            if change.key is None and change.op in _GONE:
                self.dropped.add(change.ns)
        self._consumed = history.next_seq

    def sees(self, coll: Collection) -> bool:
        """Whether the collection existed at the snapshot (one created since is not there for it)."""
        return coll.created_ts <= self.ts

    def release(self) -> None:
        self.history.unpin(self.token)


def _ts_text(ts: Timestamp) -> str:
    return f"Timestamp({ts.time}, {ts.inc})"


class SnapshotDocs(Mapping[Hashable, bytes]):
    """A collection's documents as of a snapshot, with a transaction's own writes on top: ``undo``
    gives the snapshot value of keys changed since, ``own`` the transaction's value (None: deleted)."""

    __slots__ = ("base", "undo", "own")

    def __init__(
        self,
        base: dict[Hashable, bytes],
        undo: dict[Hashable, bytes | None],
        own: dict[Hashable, bytes | None],
    ) -> None:
        self.base = base
        self.undo = undo
        self.own = own

    def get(self, key: Hashable, default: Any = None) -> Any:
        own = self.own
        if key in own:
            value = own[key]
        elif key in self.undo:
            value = self.undo[key]
        else:
            return self.base.get(key, default)
        return default if value is None else value

    def __getitem__(self, key: Hashable) -> bytes:
        value = self.get(key)
        if value is None:
            raise KeyError(key)
        return value

    def __contains__(self, key: object) -> bool:
        return self.get(key) is not None

    def __iter__(self) -> Iterator[Hashable]:
        """Keys in natural order: the live order, then documents deleted since the snapshot, then
        documents the transaction inserted."""
        get = self.get
        base = self.base
        for key in list(base):
            if get(key) is not None:
                yield key
        for key in list(self.undo):
            if key not in base and get(key) is not None:
                yield key
        for key in list(self.own):
            if key not in base and key not in self.undo and self.own[key] is not None:
                yield key

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def values(self) -> Any:
        get = self.get
        return [get(key) for key in self]

    def items(self) -> Any:
        get = self.get
        return [(key, get(key)) for key in self]


class CollectionView:
    """A collection as a snapshot sees it, for reading and for ``DocumentBatch``: documents through
    :class:`SnapshotDocs`, no secondary indexes (their entries are of the live state); an ``_id`` index
    is built over the view when a plan wants one."""

    def __init__(self, target: Collection, docs: SnapshotDocs) -> None:
        self.target = target
        self.db = target.db
        self.name = target.name
        self.uuid = target.uuid
        self.options = target.options
        self.docs = docs
        self.indexes: dict[str, Index] = {}
        self.id_accesses = 0
        self._id_index: Index | None = None
        # What readers and writers of a Collection may also look at: its validator (the live one
        # applies to the transaction's writes) and a version for caches built over ``docs`` (a view is
        # built per statement, so its caches never outlive it).
        self.validation = getattr(target, "validation", None)
        self.version = -1
        self.columns = None
        self.capped = getattr(target, "capped", None)

    @property
    def ns(self) -> str:
        return self.target.ns

    def __len__(self) -> int:
        return len(self.docs)

    def scan(self) -> Iterator[tuple[bytes, dict[str, Any]]]:
        for raw in self.docs.values():
            yield raw, decode_document(raw)

    def indexes_by_id(self) -> Index:
        if self._id_index is None:
            from docdb.engine.indexing.spec import ID_INDEX_SPEC

            self._id_index = Index(dict(ID_INDEX_SPEC))
        return self._id_index

    def build_index(self, index: Index) -> None:
        from docdb.engine.indexing.index import build_indexes

        build_indexes([index], self.docs)

    def list_indexes(self) -> list[dict[str, Any]]:
        return self.target.list_indexes()

    def storage_stats(self, scale: int = 1) -> dict[str, Any]:
        return self.target.storage_stats(scale)
