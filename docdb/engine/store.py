"""Stores the engine reads and writes through: the catalog (autocommit) or a transaction's snapshot.

The read and write functions (``reads.py``, ``writes.py``, ``aggregate.py``) ask a store for a collection
(``collection``, ``ensure_collection``, ``create_collection``) and hand it their after-images
(``commit``). :class:`~docdb.engine.catalog.Catalog` is the autocommit store: a commit is logged and
applied at once. :class:`TransactionStore` is the store of one multi-document transaction:

- **Snapshot reads without copying.** Stored documents are immutable bytes, so the state as of the
  snapshot is the live state with the changes since undone: the value a document had at the snapshot is
  the before-image of its first change after it, which the change history holds (pinned while the
  transaction is open). A collection nothing has changed since the snapshot is read as it is, with its
  indexes; one that changed is read through a :class:`CollectionView` (snapshot + own writes, no
  secondary indexes). Starting a transaction costs the same on an empty or a million-document catalog.
- **Buffered writes.** A statement's after-images join the transaction's write set; its reads see them.
  Writing a document that changed after the snapshot, or that another open transaction wrote, fails at
  once with WriteConflict. A plain write of a document it wrote waits until it ends
  (``engine/write_intents.py``), so it never makes the commit fail.
- **One record.** ``commit_transaction`` makes the write set one ``Catalog.commit``: atomic across
  collections and databases, collections created inside the transaction included.
"""

from __future__ import annotations

import uuid as uuid_module
from collections.abc import Callable, Hashable
from typing import Any, Protocol

from bson.binary import Binary
from bson.timestamp import Timestamp

from docdb.bson_codec import decode_document
from docdb.engine.catalog import Catalog, DocWrite
from docdb.engine.collection import Collection
from docdb.engine.namespaces import validate_collection_name, validate_db_name
from docdb.engine.snapshot import CollectionView, Snapshot, SnapshotDocs
from docdb.engine.write_intents import WriteBlocked
from docdb.errors import ErrorCode, MongoError

TRANSIENT = ["TransientTransactionError"]


class Store(Protocol):
    """What the read and write functions need from where the data lives."""

    def collection(self, db: str, name: str) -> Any: ...

    def ensure_collection(self, db: str, name: str) -> Any: ...

    def create_collection(self, db: str, name: str, options: dict[str, Any]) -> Any: ...

    def commit(self, writes: list[DocWrite], txn: dict[str, Any] | None = None) -> Timestamp | None: ...


def write_conflict() -> MongoError:
    return MongoError(
        ErrorCode.WriteConflict,
        "Write conflict during plan execution and yielding is disabled. :: Please retry your operation or "
        "multi-document transaction.",
        errorLabels=TRANSIENT,
    )


class TransactionStore:
    """The store of one multi-document transaction (see the module docstring).

    ``intents`` is shared by every open transaction of the server: ``(ns, key)`` -> the transaction that
    wrote that document, so a second writer gets WriteConflict at once (first writer wins).
    """

    def __init__(
        self,
        catalog: Catalog,
        intents: dict[tuple[str, Hashable], TransactionStore],
        at: Timestamp | None = None,
    ) -> None:
        self.catalog = catalog
        self.intents = intents
        self.snapshot = Snapshot(catalog, at)
        self.own: dict[str, dict[Hashable, bytes | None]] = {}
        self.writes: list[DocWrite] = []
        self.created: dict[str, Collection] = {}
        self.open = True
        self._unique: dict[str, Any] = {}  # ns -> DocumentBatch claiming the unique keys of its writes
        self._on_end: list[Callable[[], None]] = []  # plain writes waiting for it to end

    # -- what handlers and the engine read through ------------------------------------------------------

    @property
    def clock(self) -> Any:
        return self.catalog.clock

    @property
    def writer(self) -> Any:
        return self.catalog.writer

    @property
    def last_lsn(self) -> int:
        return self.catalog.last_lsn

    def collection(self, db: str, name: str) -> Collection | CollectionView | None:
        ns = f"{db}.{name}"
        coll = self.created.get(ns)
        if coll is None:
            coll = self.catalog.collection(db, name)
            if coll is None or not self.snapshot.sees(coll):
                return None
        self.snapshot.catch_up()
        undo = self.snapshot.undo.get(ns)
        own = self.own.get(ns)
        if not undo and not own and ns not in self.created:
            return coll  # unchanged since the snapshot: read it as it is, indexes and all
        if own is None:
            own = self.own[ns] = {}
        return CollectionView(coll, SnapshotDocs(coll.docs, undo or {}, own))

    def ensure_collection(self, db: str, name: str) -> Collection | CollectionView:
        found = self.collection(db, name)
        return found if found is not None else self.create_collection(db, name, {})

    def create_collection(self, db: str, name: str, options: dict[str, Any]) -> CollectionView:
        """A collection created inside the transaction: visible to it only, created by its commit."""
        validate_db_name(db)
        validate_collection_name(db, name)
        if self.collection(db, name) is not None:
            raise MongoError(ErrorCode.NamespaceExists, f"Collection {db}.{name} already exists.")
        self.snapshot.catch_up()
        if f"{db}.{name}" in self.snapshot.dropped:  # its snapshot still has the one dropped since
            raise write_conflict()
        coll = Collection(db, name, Binary(uuid_module.uuid4().bytes, 4), options)
        self.created[coll.ns] = coll
        view = self.collection(db, name)
        assert isinstance(view, CollectionView)
        return view

    def created_here(self, db: str, name: str) -> bool:
        """Whether this transaction created the collection (it is private to it until the commit)."""
        return f"{db}.{name}" in self.created

    def create_indexes(self, db: str, name: str, specs: list[dict[str, Any]]) -> None:
        """Build ``specs`` on a collection this transaction created (empty in it, so nothing can fail
        to index); they become visible with the collection, at the commit."""
        from docdb.engine.indexing.factory import make_index

        coll = self.created[f"{db}.{name}"]
        for spec in specs:
            index = make_index(spec)
            coll.build_index(index)
            coll.indexes[index.name] = index

    def commit(self, writes: list[DocWrite], txn: dict[str, Any] | None = None) -> None:
        """Add one statement's after-images to the write set (all or none), or raise WriteConflict."""
        self.snapshot.catch_up()
        undo = self.snapshot.undo
        intents = self.intents
        created = self.created
        for w in writes:
            ns = w.collection.ns
            if w.key in undo.get(ns, ()):
                raise write_conflict()
            holder = intents.get((ns, w.key))
            if holder is not None and holder is not self and holder.open:
                raise write_conflict()
        for w in writes:
            ns = w.collection.ns
            own = self.own.get(ns)
            if own is None:
                own = self.own[ns] = {}
            own[w.key] = w.raw
            if ns not in created:  # a collection it created is private: no one else can meet the document
                intents[(ns, w.key)] = self
            target = w.collection.target if isinstance(w.collection, CollectionView) else w.collection
            self.writes.append(DocWrite(target, w.key, w.id_value, w.raw, w.op, w.paths))
        self._check_unique(writes, self._unique, live=True)

    def _check_unique(self, writes: list[DocWrite], batches: dict[str, Any], live: bool = False) -> None:
        """Unique indexes of the live collections against new documents, with the transaction's own
        writes counted as already there. ``batches`` (ns -> DocumentBatch) hold the keys claimed so far:
        the transaction's (``live``: its write set, so each statement checks only its own writes) or a
        fresh set for the commit's check of the whole write set."""
        from docdb.engine.writes import DocumentBatch

        for w in writes:
            target = w.collection.target if isinstance(w.collection, CollectionView) else w.collection
            if not any(i.unique for i in target.indexes.values()):
                continue
            batch = batches.get(target.ns)
            if batch is None:
                batch = batches[target.ns] = DocumentBatch(target)
                own = self.own.get(target.ns, {})
                if live:
                    batch.pending = own
                    if target.ns not in self.created:  # plain writes of its keys wait (write_intents.py)
                        self.catalog.unique_holders.setdefault(target.ns, set()).add(self)
                else:
                    batch.pending.update(own)
            if w.raw is None:
                batch.release(w.key)
                continue
            doc = decode_document(w.raw)
            if live:
                self._check_other_holders(target, w.key, doc)
            try:
                batch.check_indexes(w.key, doc)
            except WriteBlocked:  # another open transaction freed the key: first writer wins
                raise write_conflict() from None

    def _check_other_holders(self, target: Collection, key: Hashable, doc: dict[str, Any]) -> None:
        """WriteConflict when another open transaction's write holds a unique key of ``doc`` (first
        writer wins, as for a document)."""
        holders = self.catalog.unique_holders.get(target.ns)
        if not holders or holders == {self}:
            return
        for index in target.indexes.values():
            if index.unique:
                for ikey in index.keys(doc):
                    for holder in holders:
                        if (
                            holder is not self
                            and holder.open
                            and holder.holds_unique(target.ns, index.name, ikey, key)
                        ):
                            raise write_conflict()

    # -- the end of the transaction -------------------------------------------------------------------------

    def commit_transaction(self, txn: dict[str, Any]) -> Timestamp | None:
        """Log the write set as one record (with ``txn``: the session's commit fact) and apply it; raises
        WriteConflict (nothing applied) when a write of another client overtook one of its writes."""
        self.snapshot.catch_up()
        undo = self.snapshot.undo
        for ns, own in self.own.items():
            changed = undo.get(ns)
            if changed and not changed.keys().isdisjoint(own):
                raise write_conflict()
        for coll in self.created.values():
            if self.catalog.collection(coll.db, coll.name) is not None:
                raise write_conflict()
        for w in self.writes:  # a collection written to and dropped or renamed since: nothing to commit to
            coll = w.collection
            if coll.ns not in self.created and self.catalog.collection(coll.db, coll.name) is not coll:
                raise write_conflict()
        try:  # a unique key taken meanwhile by another client's write: the commit lost the race
            self._check_unique(self._final_writes(), {})
        except MongoError as error:
            if error.code == ErrorCode.DuplicateKey:
                raise write_conflict() from None
            raise
        if self.created:
            txn["creates"] = [_created_entry(c) for c in self.created.values()]
        try:
            ts = self.catalog.commit(self.writes, txn)
        finally:
            self.release()
        for coll in self.created.values():
            self.catalog.attach_collection(coll, ts)
        return ts

    def _final_writes(self) -> list[DocWrite]:
        """The last write of each document (what the commit leaves), for the unique-index check."""
        last: dict[tuple[str, Hashable], DocWrite] = {}
        for w in self.writes:
            last[(w.collection.ns, w.key)] = w
        return list(last.values())

    def holds_unique(self, ns: str, index_name: str, ikey: tuple, key: Hashable) -> bool:
        """Whether one of this transaction's writes (not of document ``key``) holds ``ikey`` in the
        unique index ``index_name`` of ``ns``."""
        batch = self._unique.get(ns)
        if batch is None:
            return False
        owner = batch.claimant(index_name, ikey)
        return owner is not None and owner != key

    def when_ended(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` once the transaction has committed or aborted (at once if it has): a plain
        write of one of its documents waits for that (engine/write_intents.py)."""
        if self.open:
            self._on_end.append(callback)
        else:
            callback()

    def release(self) -> None:
        """End the transaction's claims: its snapshot pin and its write intents (commit or abort), and
        tell the plain writes waiting for it."""
        if not self.open:
            return
        self.open = False
        self.snapshot.release()
        intents = self.intents
        for ns, own in self.own.items():
            for key in own:
                if intents.get((ns, key)) is self:
                    del intents[(ns, key)]
        holders = self.catalog.unique_holders
        for ns in self._unique:
            found = holders.get(ns)
            if found is not None:
                found.discard(self)
                if not found:
                    del holders[ns]
        waiting, self._on_end = self._on_end, []
        for callback in waiting:
            callback()


def _created_entry(coll: Collection) -> dict[str, Any]:
    """What the commit record says of a collection the transaction created: its name and UUID, and its
    options and secondary indexes when it has any (replay creates it with them)."""
    entry: dict[str, Any] = {"ns": coll.ns, "uuid": coll.uuid}
    if coll.options:
        entry["options"] = coll.options
    if coll.indexes:
        entry["indexes"] = coll.index_specs
    return entry


class SnapshotReadStore:
    """A read-only store at a snapshot: ``readConcern: {level: "snapshot"}`` outside a transaction."""

    def __init__(self, catalog: Catalog, at: Timestamp | None) -> None:
        self.catalog = catalog
        self.snapshot = Snapshot(catalog, at)
        self.writer = catalog.writer
        self.clock = catalog.clock

    @property
    def last_lsn(self) -> int:
        return self.catalog.last_lsn

    def collection(self, db: str, name: str) -> Collection | CollectionView | None:
        coll = self.catalog.collection(db, name)
        if coll is None or not self.snapshot.sees(coll):
            return None
        self.snapshot.catch_up()
        undo = self.snapshot.undo.get(coll.ns)
        return coll if not undo else CollectionView(coll, SnapshotDocs(coll.docs, undo, {}))

    def _refuse_write(self, *args: Any) -> None:
        """Snapshot reads never write (the server refuses ``$out``/``$merge`` with one before this)."""
        raise MongoError(ErrorCode.InvalidOptions, "a snapshot read cannot write")

    ensure_collection = create_collection = commit = _refuse_write

    def release(self) -> None:
        self.snapshot.release()
