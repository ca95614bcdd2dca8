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
from bson.timestamp import Timestamp

from docdb.bson_codec import decode_document
from docdb.engine import interrupts
from docdb.engine.bson_order import hash_key
from docdb.engine.capped import limits as capped_limits
from docdb.engine.indexing.index import Index, build_indexes
from docdb.engine.indexing.spec import ID_INDEX_SPEC
from docdb.engine.validation.rules import Validation, compile_validation

ZERO_TS = Timestamp(0, 0)

ID_ENTRY_BYTES_ESTIMATE = 32  # one ``docs`` dict slot: the reported size of an ``_id_`` index entry


class Collection:
    """Documents and metadata of one namespace. Mutated only through :class:`Catalog` commits."""

    __slots__ = (
        "db", "name", "ns", "uuid", "options", "docs", "data_size", "indexes", "id_accesses", "_id_index",
        "validation", "version", "columns", "capped", "created_ts", "intents", "__weakref__",
    )  # fmt: skip

    def __init__(self, db: str, name: str, uuid: Binary, options: dict[str, Any]) -> None:
        self.db = db
        self.name = name
        self.ns = f"{db}.{name}"  # "db.name", kept with them (``rename``): read by every write
        self.uuid = uuid
        self.options = options
        self.docs: dict[Hashable, bytes] = {}
        self.data_size = 0
        self.indexes: dict[str, Index] = {}
        self.id_accesses = 0
        self._id_index: Index | None = None
        self.validation: Validation | None = compile_validation(options)
        self.version = 0  # bumped by every change to ``docs``: cached columns of another version are stale
        self.columns: Any = None  # the engine.columns ColumnSet of some version, or None
        self.capped: tuple[int, int] | None = capped_limits(options)  # (size, max) when capped
        # When it was created (its record's Timestamp; zero: before the history this process holds): a
        # snapshot older than that does not see it (engine/store.py).
        self.created_ts = ZERO_TS
        self.intents: dict[Any, Any] | None = (
            None  # its catalog's Catalog.intents (None: private to a transaction)
        )

    def set_options(self, changes: dict[str, Any]) -> None:
        """Merge ``changes`` into the options (a collMod; a None value removes the option) and recompile
        the validator they define."""
        merged = {**self.options, **changes}
        self.options = {name: value for name, value in merged.items() if value is not None}
        self.validation = compile_validation(self.options)
        self.capped = capped_limits(self.options)

    def rename(self, db: str, name: str) -> None:
        self.db, self.name, self.ns = db, name, f"{db}.{name}"

    def __len__(self) -> int:
        return len(self.docs)

    def scan(self) -> Iterator[tuple[bytes, dict[str, Any]]]:
        """Every document in natural order as ``(raw, decoded)``; safe against concurrent commits."""
        countdown = 1
        for raw in list(self.docs.values()):
            countdown -= 1
            if not countdown:
                countdown = interrupts.check()
            yield raw, decode_document(raw)

    def put(self, key: Hashable, raw: bytes) -> None:
        """Store ``raw`` under ``key`` and keep built indexes in step (the caller checked uniqueness)."""
        old = self.docs.get(key)
        if old is not None:
            self.data_size -= len(old)
        self.version += 1
        self.docs[key] = raw
        self.data_size += len(raw)
        if (self.indexes or self._id_index is not None) and self.has_built_indexes() and old != raw:
            old_doc = decode_document(old) if old is not None else None
            new_doc = decode_document(raw)
            for index in self._maintained():
                if old_doc is not None:
                    index.replace(key, old_doc, new_doc)
                else:
                    index.add(key, new_doc)

    def put_new(self, keys: list[Hashable], raws: list[bytes], size: int) -> None:
        """Store new documents ``raws[i]`` under ``keys[i]``, none of them present, in a collection without
        built indexes (the caller checked both): one C-level update of ``docs``. ``size``: their total
        length (the caller's, which the history counts too)."""
        self.docs.update(zip(keys, raws, strict=True))
        self.data_size += size
        self.version += 1

    def has_built_indexes(self) -> bool:
        """Whether a write must keep some index in step (a secondary one, or ``_id_`` once scanned)."""
        if self._id_index is not None and self._id_index.built:
            return True
        return bool(self.indexes) and any(index.built for index in self.indexes.values())

    def apply_ops(self, ids: list[Any], raws: list[bytes | None]) -> None:
        """Replay a run of logged ops in order: put ``raws[i]`` as the document whose ``_id`` is
        ``ids[i]``, or delete it when ``raws[i]`` is None. Without built indexes (recovery builds them
        after the whole log is read) a run of new documents is stored by a few C-level calls."""
        keys = [id_value if type(id_value) is int else hash_key(id_value) for id_value in ids]
        docs = self.docs
        self.version += 1
        if not self.has_built_indexes() and None not in raws:
            run = dict(zip(keys, raws, strict=True))
            if len(run) == len(keys) and docs.keys().isdisjoint(run):
                docs.update(run)
                self.data_size += sum(map(len, raws))  # type: ignore[arg-type]
                return
        for key, raw in zip(keys, raws, strict=True):
            if raw is None:
                self.remove(key)
            else:
                self.put(key, raw)

    def remove(self, key: Hashable) -> None:
        old = self.docs.pop(key, None)
        if old is not None:
            self.version += 1
            self.data_size -= len(old)
            if self.has_built_indexes():
                old_doc = decode_document(old)
                for index in self._maintained():
                    index.remove(key, old_doc)

    def _maintained(self) -> list[Index]:
        found = [index for index in self.indexes.values() if index.built]
        if self._id_index is not None and self._id_index.built:
            found.append(self._id_index)
        return found

    def indexes_by_id(self) -> Index:
        """The ``_id_`` index as a sorted index (for ranges and sorts on ``_id``); empty until a plan
        first scans it, then maintained like the others. Point lookups use ``docs`` directly."""
        if self._id_index is None:
            self._id_index = Index(dict(ID_INDEX_SPEC))
        return self._id_index

    def build_index(self, index: Index) -> None:
        """Fill ``index`` from every document with one sort; raises (leaving it unbuilt and empty) on a
        document it cannot index or, for a unique index, on the first duplicate key."""
        try:
            build_indexes([index], self.docs)
            if index.unique:
                self._check_unique(index)
        except BaseException:
            index.clear()
            raise

    def _check_unique(self, index: Index) -> None:
        duplicate = index.first_duplicate()
        if duplicate is None:
            return
        key, hk = duplicate
        raise index.duplicate_key_error(self.ns, decode_document(self.docs[hk]), key)

    def build_pending_indexes(self) -> None:
        """Build the indexes replay left empty: one sort each, after all documents are loaded."""
        pending = [index for index in self.indexes.values() if not index.built]
        if not pending:
            return
        build_indexes(pending, self.docs)

    def index_sizes(self) -> dict[str, int]:
        """Estimated bytes per index, ``_id_`` first (reported by collStats/dbStats)."""
        sizes = {"_id_": len(self.docs) * ID_ENTRY_BYTES_ESTIMATE}
        for name, index in self.indexes.items():
            sizes[name] = index.size_bytes()
        return sizes

    def storage_stats(self, scale: int = 1) -> dict[str, Any]:
        """mongod's ``storageStats`` fields in its order (collStats and ``$collStats``); sizes are of live
        BSON, index sizes estimates, all divided by ``scale``."""
        count = len(self.docs)
        index_sizes = self.index_sizes()
        total_index = sum(index_sizes.values())
        stats: dict[str, Any] = {"size": self.data_size // scale, "count": count}
        if count:
            stats["avgObjSize"] = self.data_size // count
        stats |= {
            "numOrphanDocs": 0,
            "storageSize": self.data_size // scale,
            "freeStorageSize": 0,
            "capped": self.capped is not None,
        }
        if self.capped is not None:
            stats |= {"max": int(self.options.get("max") or 0), "maxSize": self.capped[0] // scale}
        stats |= {
            "nindexes": len(index_sizes),
            "indexBuilds": [],
            "totalIndexSize": total_index // scale,
            "totalSize": (self.data_size + total_index) // scale,
            "indexSizes": {name: size // scale for name, size in index_sizes.items()},
            "scaleFactor": scale,
        }
        return stats

    @property
    def index_specs(self) -> list[dict[str, Any]]:
        """Specs of the secondary indexes in creation order (what a CREATE_INDEXES record holds)."""
        return [dict(i.spec) for i in self.indexes.values()]

    def list_indexes(self) -> list[dict[str, Any]]:
        """``listIndexes`` documents: ``_id_`` first, then the secondary indexes in creation order."""
        if "timeseries" in self.options:  # a time-series collection lists no _id index (mongod 7.0)
            return list(self.index_specs)
        return [self.id_index_spec(), *self.index_specs]

    def id_index_spec(self) -> dict[str, Any]:
        """The ``_id_`` index document; it carries the collection's default collation, as in mongod."""
        spec: dict[str, Any] = {"v": 2, "key": {"_id": 1}, "name": "_id_"}
        if "collation" in self.options:
            spec["collation"] = self.options["collation"]
        return spec
