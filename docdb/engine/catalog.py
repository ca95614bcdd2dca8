"""All databases and collections, and the one place where changes are logged and then applied.

Invariant: a change reaches memory only after its record was handed to the OS (``LogWriter.append``), so
whatever a client saw acknowledged is in the file; a command's after-images form one record, so recovery
applies all of them or none. Replaying the log at start-up goes through the same ``_apply_*`` functions as
live commits, so there is a single definition of what a record means.
"""

from __future__ import annotations

import gc
import logging
import uuid as uuid_module
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from typing import Any

import bson
from bson.binary import Binary
from bson.codec_options import CodecOptions, DatetimeConversion
from bson.datetime_ms import DatetimeMS
from bson.raw_bson import RawBSONDocument
from bson.timestamp import Timestamp

from docdb.bson_codec import CODEC_OPTIONS, StoredDocument, decode_document
from docdb.engine.capped import evictions
from docdb.engine.clock import LogicalClock
from docdb.engine.collection import Collection
from docdb.engine.history import DELETE, INSERT, UPDATE, ChangeHistory
from docdb.engine.history_records import (
    KINDS,
    append_ddl_changes,
    frozen_info,
    history_key,
    load_history_record,
    wall_of,
    window_started,
)
from docdb.engine.indexing.factory import make_index
from docdb.engine.indexing.index import Index
from docdb.engine.log import LogWriter, RecordType, lock_file, read_log
from docdb.engine.log.batch import first_id, iter_write_runs, ts_number, write_batch_tail, write_batch_txn
from docdb.engine.log.batch_encode import encode_put, encode_put_batch, encode_write_batch
from docdb.engine.log.compaction import CollectionSnapshot, discard_partial
from docdb.engine.namespaces import split_namespace, validate_collection_name, validate_db_name
from docdb.engine.session_log import SessionFacts, fold
from docdb.engine.validation.rules import OPTION_NAMES as VALIDATION_OPTIONS
from docdb.engine.write_intents import check_intents
from docdb.errors import ErrorCode, MongoError

log = logging.getLogger("docdb.engine")

# a collMod's cappedSize / cappedMax and changeStreamPreAndPostImages, as stored options
_CAPPED_KEYS = ("size", "max", "changeStreamPreAndPostImages")
# A WRITE_BATCH in the history window: its ops stay raw; its ``w`` comes as DatetimeMS (an int, no datetime)
_RAW_OPTIONS = CodecOptions(
    document_class=RawBSONDocument, datetime_conversion=DatetimeConversion.DATETIME_MS
)
_WRITE_BATCH = int(RecordType.WRITE_BATCH)  # a plain int on the per-write path (no IntEnum lookup)


@dataclass(slots=True)
class DocWrite:
    """One after-image of a command: ``raw`` is the new document, or None to delete ``id_value``;
    ``op`` is the change's kind for the history (``history.UPDATE``/``REPLACE``; "" lets the commit
    tell an insert, an update and a delete apart by what was there); ``paths`` are the paths a
    modifier-style update logged (``history.Change.paths``), None when its change event compares the
    images."""

    collection: Collection
    key: Hashable
    id_value: Any
    raw: bytes | None
    op: str = ""
    paths: tuple[str, ...] | None = None


def _eviction(coll: Collection, key: Hashable, id_value: Any) -> DocWrite:
    return DocWrite(coll, key, id_value, None)


class Catalog:
    """Databases -> collections; owns the log writer (None: an in-memory server)."""

    def __init__(self, writer: LogWriter | None = None) -> None:
        self.databases: dict[str, dict[str, Collection]] = {}
        self.writer = writer
        self.last_lsn = 0
        self.clock = LogicalClock()  # the Timestamp of every logged change (see engine/clock.py)
        self.history = ChangeHistory()  # every document change, for snapshots and change streams
        self.session_facts: dict[bytes, SessionFacts] = {}  # retryable writes / commits by lsid
        self._replayed_ts = 0  # the newest record Timestamp replayed, as ``log.batch.ts_number`` gives it
        self._last_batch: bytes | None = None  # the last WRITE_BATCH replayed (its ts is read once)
        self._held: list[DocWrite] | None = None  # writes collected while commits are held
        self._lock = None
        self.unlogged: set[str] = set()  # namespaces held in memory only (engine/system_collections.py)
        # Called with the namespaces of each commit while someone waits for one (server/tailing.py).
        self.commit_hook: Callable[[Iterable[str]], None] | None = None
        # (ns, key) -> the open transaction that wrote the document: a plain commit of it is refused
        # with WriteBlocked (engine/write_intents.py), the transaction's own commit goes through.
        self.intents: dict[tuple[str, Hashable], Any] = {}
        self.unique_holders: dict[str, set[Any]] = {}  # ns -> open transactions holding unique keys in it

    # -- opening and closing -------------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        path: str | None,
        *,
        sync_interval_ms: int = 100,
        sync_always: bool = False,
        key: bytes | None = None,
        history_bytes: int | None = None,
    ) -> Catalog:
        """Lock ``path``, replay it, and return a catalog that appends to it (``None``: memory only).

        ``key`` is the encryption key file's material (needed for an encrypted file; a new file is
        created encrypted with it). Raises StorageError / CorruptLogError before anything is modified
        when the file is in use, bad, or the key is missing or wrong.
        """
        if path is None:
            catalog = cls()
            if history_bytes is not None:
                catalog.history.max_bytes = history_bytes
            return catalog
        lock = lock_file(path)
        try:
            catalog = cls()
            if history_bytes is not None:
                catalog.history.max_bytes = history_bytes
            if discard_partial(path):
                log.warning("deleted %s.compact left by an interrupted compaction", path)
            reader = read_log(path, key)
            cipher = reader.cipher_for_writer(key)
            count = catalog._load(reader)
            if reader.torn_bytes:
                log.warning(
                    "recovered a torn last record: %d bytes at offset %d dropped",
                    reader.torn_bytes,
                    reader.valid_end,
                )
            catalog.writer = LogWriter(
                path,
                valid_end=reader.valid_end,
                sync_interval_ms=sync_interval_ms,
                sync_always=sync_always,
                cipher=cipher,
            )
            catalog.last_lsn = catalog.writer.size
            if not len(catalog.history):  # what came before this start is not in it
                catalog.history.horizon = catalog.clock.last
            catalog._lock = lock
            log.info("loaded %s: %d records, %d documents", path, count, catalog.document_count())
            return catalog
        except BaseException:
            lock.release()
            raise

    def _load(self, records: Iterable[tuple[int, bytes]]) -> int:
        """Replay ``records`` and build the indexes they declare; returns how many records there were.

        The cyclic garbage collector is off meanwhile and what was loaded is then frozen (``gc.freeze``):
        millions of new index tuples would otherwise be traversed by the first collection after the
        load (about a second per million entries), and the loaded state lives as long as the server.
        """
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            count = 0
            # The records in the last ``max_bytes`` of the file rebuild the change history (so change
            # streams resume across a restart); the ones before take the fast path.
            reader = records if hasattr(records, "offset") else None
            window = reader.size - self.history.max_bytes if reader is not None else 1 << 62
            for rtype, payload in records:
                if rtype == RecordType.HISTORY and reader is not None and reader.record_end > window:
                    # What a compaction kept of the history: a record reaching into the window is read
                    # whole (every record after it is in the window, so the history stays gapless).
                    load_history_record(self.history, payload)
                    count += 1
                    continue
                if reader is not None and reader.offset >= window:
                    if self._replay_into_history(rtype, payload):
                        count += 1
                        continue
                self._replay(rtype, payload)
                count += 1
            self.build_pending_indexes()
            self._advance_clock()
            gc.freeze()
        finally:
            if was_enabled:
                gc.enable()
        return count

    def close(self) -> None:
        """Flush and fsync the log and release the file lock."""
        if self.writer is not None:
            self.writer.close()
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    # -- reading ---------------------------------------------------------------------------------------

    def collection(self, db: str, name: str) -> Collection | None:
        colls = self.databases.get(db)
        return None if colls is None else colls.get(name)

    def collections(self, db: str) -> list[Collection]:
        return list(self.databases.get(db, {}).values())

    def document_count(self) -> int:
        return sum(len(c) for colls in self.databases.values() for c in colls.values())

    # -- unlogged system collections -------------------------------------------------------------------

    def install_unlogged(
        self, ns: str, raws: list[tuple[Hashable, bytes]], specs: list[dict[str, Any]]
    ) -> None:
        """Create ``ns`` in memory only (no record), holding ``raws`` (key, bytes) and indexes ``specs``."""
        coll = self._apply_create({"ns": ns, "options": {}, "uuid": Binary(uuid_module.uuid4().bytes, 4)})
        for key, raw in raws:
            coll.put(key, raw)
        for spec in specs:
            index = make_index(spec)
            coll.build_index(index)
            coll.indexes[index.name] = index
        self.unlogged.add(ns)

    def _adopt(self, coll: Collection) -> None:
        """Log an unlogged collection's creation, indexes and documents before its first change (and put
        them in the history as a restart's replay of these records will)."""
        if coll.ns not in self.unlogged:
            return
        self.unlogged.discard(coll.ns)
        ns = coll.ns
        uuid = coll.uuid
        ts = self._log(RecordType.CREATE_COLLECTION, {"ns": ns, "options": coll.options, "uuid": uuid})
        self._ddl_change(ts, ns, "create", coll.options, uuid)
        if coll.indexes:
            ts = self._log(RecordType.CREATE_INDEXES, {"ns": ns, "indexes": coll.index_specs})
            self._ddl_change(ts, ns, "createIndexes", coll.index_specs, uuid)
        if coll.docs:
            ops = [{"ns": ns, "put": StoredDocument(raw)} for raw in coll.docs.values()]
            ts = self._log(RecordType.WRITE_BATCH, {"ops": ops})
            wall = self.clock.wall
            for key, raw in coll.docs.items():
                self.history.append(ts, ns, INSERT, key, first_id(raw), raw, None, None, None, wall, uuid)

    # -- DDL -------------------------------------------------------------------------------------------

    def ensure_collection(self, db: str, name: str) -> Collection:
        """The collection, created implicitly (as an insert or upsert does) when missing."""
        found = self.collection(db, name)
        return found if found is not None else self.create_collection(db, name, {})

    def create_collection(self, db: str, name: str, options: dict[str, Any]) -> Collection:
        validate_db_name(db)
        validate_collection_name(db, name)
        if self.collection(db, name) is not None:
            raise MongoError(ErrorCode.NamespaceExists, f"Collection {db}.{name} already exists.")
        payload = {"ns": f"{db}.{name}", "options": options, "uuid": Binary(uuid_module.uuid4().bytes, 4)}
        ts = self._log(RecordType.CREATE_COLLECTION, payload)
        coll = self._apply_create(payload)
        coll.created_ts = ts
        self._ddl_change(ts, coll.ns, "create", options, coll.uuid)
        return coll

    def drop_collection(self, db: str, name: str) -> Collection | None:
        coll = self.collection(db, name)
        if coll is not None:
            self.unlogged.discard(coll.ns)
            payload = {"ns": coll.ns}
            ts = self._log(RecordType.DROP_COLLECTION, payload)
            self._apply_drop(payload)
            self._ddl_change(ts, coll.ns, "drop", None, coll.uuid)
        return coll

    def drop_database(self, db: str) -> bool:
        if db not in self.databases:
            return False
        payload = {"db": db}
        ts = self._log(RecordType.DROP_DATABASE, payload)
        dropped = self.collections(db)
        self.unlogged -= {coll.ns for coll in dropped}
        self._apply_drop_database(payload)
        for coll in dropped:  # as mongod's oplog: each collection's drop, then the database's
            self._ddl_change(ts, coll.ns, "drop", None, coll.uuid)
        self._ddl_change(ts, db, "dropDatabase", None, None)
        return True

    def rename_collection(self, source: str, target: str, drop_target: bool) -> None:
        """Rename namespace ``source`` to ``target`` (both ``db.coll``), with MongoDB's errors."""
        src_db, src_name = split_namespace(source)
        dst_db, dst_name = split_namespace(target)
        validate_db_name(dst_db)
        validate_collection_name(dst_db, dst_name)
        if self.collection(src_db, src_name) is None:
            raise MongoError(ErrorCode.NamespaceNotFound, f"Source collection {source} does not exist")
        if source == target:
            raise MongoError(ErrorCode.IllegalOperation, "Can't rename a collection to itself")
        if self.collection(dst_db, dst_name) is not None and not drop_target:
            raise MongoError(ErrorCode.NamespaceExists, "target namespace exists")
        renamed = self.databases[src_db][src_name]
        self._adopt(renamed)
        payload = {"from": source, "to": target, "dropTarget": bool(drop_target)}
        ts = self._log(RecordType.RENAME_COLLECTION, payload)
        self._apply_rename(payload)
        self._ddl_change(ts, source, "rename", target, renamed.uuid)

    # -- index DDL -------------------------------------------------------------------------------------

    def create_indexes(self, coll: Collection, specs: list[dict[str, Any]]) -> None:
        """Build ``specs`` (normalized, new) over ``coll``, then log and attach them. A build that fails
        (duplicates for a unique index, parallel arrays) raises with nothing logged or attached."""
        self._adopt(coll)
        built = []
        for spec in specs:
            index = make_index(spec)
            coll.build_index(index)
            built.append(index)
        payload = {"ns": coll.ns, "indexes": specs}
        ts = self._log(RecordType.CREATE_INDEXES, payload)
        self._apply_create_indexes(payload, built)
        self._ddl_change(ts, coll.ns, "createIndexes", specs, coll.uuid)

    def drop_indexes(self, coll: Collection, names: list[str]) -> None:
        self._adopt(coll)
        payload = {"ns": coll.ns, "names": names}
        specs = [dict(coll.indexes[n].spec) for n in names if n in coll.indexes]
        ts = self._log(RecordType.DROP_INDEXES, payload)
        self._apply_drop_indexes(payload)
        self._ddl_change(ts, coll.ns, "dropIndexes", specs, coll.uuid)

    def modify_collection(self, coll: Collection, changes: dict[str, Any]) -> None:
        """Apply a collMod; ``changes["index"]`` is ``{name, hidden?, expireAfterSeconds?}``."""
        self._adopt(coll)
        payload = {"ns": coll.ns, "changes": changes}
        ts = self._log(RecordType.COLL_MOD, payload)
        self._apply_coll_mod(payload)
        self._ddl_change(ts, coll.ns, "modify", changes, coll.uuid)

    def _ddl_change(self, ts: Timestamp, ns: str, op: str, info: Any, uuid: Binary | None) -> None:
        """A catalog change in the history (change streams' drop, rename, create, ... events): no
        document, ``info`` in the ``id_value`` slot (options, target namespace, index specs), ``uuid``
        the collection's (a rename's source; None for a database's drop). Its record was the clock's
        last tick (``_log`` just wrote it), whose wall-clock time it takes."""
        wall = self.clock.wall
        self.history.append(ts, ns, op, None, frozen_info(info), None, None, None, None, wall, uuid)
        if self.commit_hook is not None:
            self.commit_hook((ns if "." in ns else ns + ".",))

    def build_pending_indexes(self) -> None:
        """Build every index replay declared, once all documents are loaded (one sort per index)."""
        for colls in self.databases.values():
            for coll in colls.values():
                coll.build_pending_indexes()

    # -- document writes -------------------------------------------------------------------------------

    def commit(self, writes: list[DocWrite], txn: dict[str, Any] | None = None) -> Timestamp | None:
        """Log ``writes`` as one record stamped with a new Timestamp, then apply them and add them to the
        history; returns the Timestamp (None: nothing to log). Nothing is applied if logging fails.

        ``txn`` (``session_log.txn_document``) says which session statements or transaction these
        writes are; it is written in the same record, so the effect and the fact it ran are one. While
        commits are held (``hold_commits``), a commit without ``txn`` only collects its writes.
        A commit without ``txn`` of a document an open transaction holds raises WriteBlocked.
        """
        if txn is None and self.intents:
            check_intents(self.intents, writes, self.unique_holders)
        held = self._held
        if held is not None and txn is None:
            held.extend(writes)
            return None
        if not writes and txn is None:
            return None
        adopted = None
        capped = False
        for w in writes:
            if w.collection is not adopted:
                adopted = w.collection
                self._adopt(adopted)
                if adopted.capped is not None:
                    capped = True
        if capped:  # the oldest documents past a limit go in the same record
            writes = writes + evictions(writes, _eviction)
        ts = self._log_write_batch(writes, txn)
        wall = self.clock.wall
        append = self.history.append
        lsid = number = None
        if txn is not None:
            if txn.get("committed"):  # change events name the transaction, not a retryable write
                lsid, number = bytes(txn["lsid"]), int(txn["txnNumber"])
                if txn.get("creates"):
                    self.history.note_creates(ts, frozen_info(txn["creates"]))
            elif txn.get("stmts"):  # the oplog shows a retryable write's session fields
                self.history.note_statements(ts, bytes(txn["lsid"]), int(txn["txnNumber"]), txn["stmts"])
            fold(self.session_facts, txn)
        coll = ns = uuid = None
        for w in writes:
            if w.collection is not coll:
                coll = w.collection
                ns, uuid = coll.ns, coll.uuid
            before = coll.docs.get(w.key)
            if w.raw is None:
                coll.remove(w.key)
                op = DELETE
            else:
                coll.put(w.key, w.raw)
                op = w.op or (INSERT if before is None else UPDATE)
            append(ts, ns, op, w.key, w.id_value, w.raw, before, lsid, number, wall, uuid, w.paths)
        if self.commit_hook is not None:
            self.commit_hook({w.collection.ns for w in writes})
        return ts

    def commit_one(
        self,
        coll: Collection,
        key: Hashable,
        id_value: Any,
        raw: bytes,
        op: str,
        paths: tuple[str, ...] | None = None,
    ) -> Timestamp | None:
        """``commit([DocWrite(coll, key, id_value, raw, op, paths)])`` (a new version of one document: an
        update by ``_id``) without the loops a batch needs."""
        if self._held is not None or coll.capped is not None or self.intents:
            return self.commit([DocWrite(coll, key, id_value, raw, op, paths)])
        if coll.ns in self.unlogged:  # (_adopt's own test, without a call per write)
            self._adopt(coll)
        ns = coll.ns
        clock = self.clock
        ts = clock.tick()
        wall = clock.wall
        if self.writer is not None:
            self.last_lsn = self.writer.append(_WRITE_BATCH, encode_put(ns, raw, ts, op, paths, wall))
        before = coll.docs.get(key)
        coll.put(key, raw)
        kind = op or (INSERT if before is None else UPDATE)
        self.history.append(ts, ns, kind, key, id_value, raw, before, None, None, wall, coll.uuid, paths)
        if self.commit_hook is not None:
            self.commit_hook((ns,))
        return ts

    def commit_inserts(
        self, coll: Collection, keys: list[Hashable], ids: list[Any], raws: list[bytes]
    ) -> bool:
        """``commit`` of an insert of each of ``raws`` (``ids[i]`` its ``_id``, ``keys[i]`` that _id's
        ``hash_key``) into ``coll``, which holds none of them and has no built index, is neither capped nor
        time-series: one record, one C-level update of the documents and of the history. False (nothing
        done) while commits are held, whose caller needs ``DocWrite``s."""
        if self._held is not None or self.intents:  # open transactions' documents need check_intents
            return False
        if coll.ns in self.unlogged:  # (_adopt's own test, without a call per write)
            self._adopt(coll)
        ns = coll.ns
        clock = self.clock
        ts = clock.tick()
        wall = clock.wall
        if self.writer is not None:
            self.last_lsn = self.writer.append(_WRITE_BATCH, encode_put_batch(ns, raws, ts, wall))
        size = sum(map(len, raws))  # (once, for both)
        coll.put_new(keys, raws, size)
        self.history.extend_inserts(ts, ns, keys, ids, raws, wall, coll.uuid, size)
        if self.commit_hook is not None:
            self.commit_hook((ns,))
        return True

    def hold_commits(self) -> list[DocWrite]:
        """Until ``release_commits``, collect the writes committed instead of logging them: the
        retryable-write step logs a statement's writes itself, with the fact that it ran (one record)."""
        held: list[DocWrite] = []
        self._held = held
        return held

    def release_commits(self) -> None:
        self._held = None

    def attach_collection(self, coll: Collection, ts: Timestamp | None = None) -> None:
        """Make a collection created inside a transaction visible; its commit record (``ts``) created it."""
        if ts is not None:
            coll.created_ts = ts
        coll.intents = self.intents
        self.databases.setdefault(coll.db, {})[coll.name] = coll

    # -- the log ---------------------------------------------------------------------------------------

    def snapshot(self) -> list[CollectionSnapshot]:
        """The live state for compaction, cheap enough for the event loop: document bytes are immutable,
        so copying each collection's references is a consistent snapshot."""
        return [
            CollectionSnapshot(
                coll.ns,
                coll.uuid,
                dict(coll.options),
                list(getattr(coll, "index_specs", [])),
                list(coll.docs.values()),
            )
            for colls in self.databases.values()
            for coll in colls.values()
            if coll.ns not in self.unlogged
        ]

    def replace_writer(self, writer: LogWriter) -> None:
        """Append to ``writer`` from now on (compaction swapped in a new file holding the same records)."""
        self.writer = writer
        self.last_lsn = writer.size

    def apply_record(self, rtype: int, payload: bytes | memoryview) -> None:
        """Apply one logged record, as recovery does (the file tools replay into a scratch catalog)."""
        self._replay(rtype, payload)
        self._advance_clock()

    def _advance_clock(self) -> None:
        """Never stamp a change at or before the newest Timestamp replayed."""
        if self._last_batch is not None:
            self._replayed_ts = max(self._replayed_ts, write_batch_tail(self._last_batch)[0])
            self._last_batch = None
        ts = self._replayed_ts
        if ts:
            self.clock.advance(Timestamp(ts >> 32, ts & 0xFFFFFFFF))

    def _log(self, rtype: RecordType, payload: dict[str, Any]) -> Timestamp:
        """Stamp ``payload`` with the change's Timestamp (its ``ts`` field: recovery advances the clock
        past it) and wall-clock time (``w``, a date: change events' ``wallTime``) and append it to the
        log."""
        ts = payload["ts"] = self.clock.tick()
        payload["w"] = DatetimeMS(self.clock.wall)
        if self.writer is not None:
            self.last_lsn = self.writer.append(rtype, bson.encode(payload, codec_options=CODEC_OPTIONS))
        return ts

    def _log_write_batch(self, writes: list[DocWrite], txn: dict[str, Any] | None) -> Timestamp:
        """``_log`` of ``{ops, txn?, ts, w}`` for ``writes``, the payload written without a dict per op."""
        ts = self.clock.tick()
        if self.writer is not None:
            ops = []
            coll = ns = None
            for w in writes:
                if w.collection is not coll:
                    coll = w.collection
                    ns = coll.ns
                ops.append((ns, w.id_value, w.raw, w.op, w.paths))
            self.last_lsn = self.writer.append(
                _WRITE_BATCH, encode_write_batch(ops, txn, ts, self.clock.wall)
            )
        return ts

    def _replay(self, rtype: int, payload: bytes | memoryview) -> None:
        if rtype == RecordType.WRITE_BATCH:
            raw = bytes(payload)
            txn = write_batch_txn(raw)
            if txn is not None:
                self._apply_txn_creates(txn)
            self._apply_write_batch(raw)
            self._last_batch = raw  # Timestamps grow along the log: the last batch's is the newest
            if txn is not None:
                fold(self.session_facts, txn)
            return
        doc = decode_document(payload)
        ts = ts_number(doc.get("ts"))
        if ts > self._replayed_ts:
            self._replayed_ts = ts
        if rtype == RecordType.CREATE_COLLECTION:
            self._apply_create(doc)
        elif rtype == RecordType.DROP_COLLECTION:
            self._apply_drop(doc)
        elif rtype == RecordType.RENAME_COLLECTION:
            self._apply_rename(doc)
        elif rtype == RecordType.DROP_DATABASE:
            self._apply_drop_database(doc)
        elif rtype == RecordType.CREATE_INDEXES:
            self._apply_create_indexes(doc)
        elif rtype == RecordType.DROP_INDEXES:
            self._apply_drop_indexes(doc)
        elif rtype == RecordType.COLL_MOD:
            self._apply_coll_mod(doc)
        elif rtype == RecordType.HISTORY:
            pass  # no state: history entries, read at start-up only when in the window (_load)
        else:
            log.warning("skipping record of type %d this version does not apply", rtype)

    def _replay_into_history(self, rtype: int, payload: bytes) -> bool:
        """Replay one record of the history window, adding its changes to the history as the live
        commit did (False: a record without a Timestamp, such as compaction's, is replayed plainly)."""
        history = self.history
        if rtype != RecordType.WRITE_BATCH:
            doc = decode_document(payload)
            ts = doc.get("ts")
            if not isinstance(ts, Timestamp) or not ts_number(ts):
                return False
            window_started(history, ts)
            dropped = []
            if rtype == RecordType.DROP_DATABASE:
                dropped = [(c.ns, c.uuid) for c in self.collections(doc["db"])]
            specs = self._dropped_specs(doc) if rtype == RecordType.DROP_INDEXES else []
            ns = doc.get("from", doc.get("ns"))
            coll = self.collection(*split_namespace(ns)) if isinstance(ns, str) else None
            uuid = coll.uuid if coll is not None else None
            self._replay(rtype, payload)
            append_ddl_changes(history, rtype, doc, ts, dropped, specs, uuid)
            return True
        fields = bson.decode(payload, codec_options=_RAW_OPTIONS)
        ts = fields.get("ts")
        if not isinstance(ts, Timestamp) or not ts_number(ts):
            return False
        window_started(history, ts)
        wall = wall_of(fields.get("w"), ts)
        txn = fields.get("txn")
        txn_doc = decode_document(txn.raw) if txn is not None else None
        lsid = number = None
        if txn_doc is not None:
            self._apply_txn_creates(txn_doc)
            if txn_doc.get("committed"):
                lsid, number = bytes(txn_doc["lsid"]), int(txn_doc["txnNumber"])
                if txn_doc.get("creates"):
                    history.note_creates(ts, txn_doc["creates"])
            elif txn_doc.get("stmts"):
                history.note_statements(
                    ts, bytes(txn_doc["lsid"]), int(txn_doc["txnNumber"]), txn_doc["stmts"]
                )
            fold(self.session_facts, txn_doc)
        append = history.append
        for op in fields["ops"]:
            ns = op["ns"]
            coll = self.collection(*split_namespace(ns))
            if coll is None:
                coll = self._apply_create(
                    {"ns": ns, "options": {}, "uuid": Binary(uuid_module.uuid4().bytes, 4)}
                )
            put = op.get("put")
            if put is not None:
                raw = put.raw
                if type(raw) is not bytes:  # PyMongo gives a large embedded document as a memoryview
                    raw = bytes(raw)
                id_value = first_id(raw)
            else:
                raw, id_value = None, decode_document(op.raw)["del"]
            key = history_key(id_value)
            before = coll.docs.get(key)
            if raw is None:
                coll.remove(key)
                kind = DELETE
            else:
                coll.put(key, raw)
                # the logged kind; a put without one (older files) is told apart by what was there
                kind = KINDS.get(op.get("k")) or (INSERT if before is None else UPDATE)
            paths = op.get("m")  # an update's logged paths (absent: its event compares the images)
            append(
                ts, ns, kind, key, id_value, raw, before, lsid, number, wall, coll.uuid,
                tuple(paths) if paths else None,
            )  # fmt: skip
        self._last_batch = payload
        return True

    def _dropped_specs(self, doc: dict[str, Any]) -> list[dict[str, Any]]:
        """The specs of the indexes a DROP_INDEXES record names, before it is applied (as the live
        ``drop_indexes`` put them in the history)."""
        coll = self.collection(*split_namespace(doc["ns"]))
        indexes = coll.indexes if coll is not None else {}
        return [dict(indexes[n].spec) for n in doc["names"] if n in indexes]

    def _apply_write_batch(self, payload: bytes) -> None:
        """The restart hot path: ``iter_write_runs`` walks the bytes, decoding only each ``_id``, and
        hands each namespace's run of ops to its collection at once."""
        for ns, ids, raws in iter_write_runs(payload):
            coll = self.collection(*split_namespace(ns))
            if coll is None:
                coll = self._apply_create(
                    {"ns": ns, "options": {}, "uuid": Binary(uuid_module.uuid4().bytes, 4)}
                )
            coll.apply_ops(ids, raws)

    def _apply_create(self, payload: dict[str, Any]) -> Collection:
        db, name = split_namespace(payload["ns"])
        coll = Collection(db, name, payload["uuid"], payload.get("options") or {})
        coll.intents = self.intents
        self.databases.setdefault(db, {})[name] = coll
        return coll

    def _apply_txn_creates(self, txn: dict[str, Any]) -> None:
        """The collections a committed transaction created, with their options and indexes."""
        for created in txn.get("creates", ()):
            ns = created["ns"]
            if self.collection(*split_namespace(ns)) is None:
                options = created.get("options") or {}
                self._apply_create({"ns": ns, "options": options, "uuid": created["uuid"]})
                if created.get("indexes"):
                    self._apply_create_indexes({"ns": ns, "indexes": created["indexes"]})

    def _apply_drop(self, payload: dict[str, Any]) -> None:
        db, name = split_namespace(payload["ns"])
        colls = self.databases.get(db, {})
        colls.pop(name, None)
        if not colls:
            self.databases.pop(db, None)

    def _apply_create_indexes(self, payload: dict[str, Any], built: list[Index] | None = None) -> None:
        """Attach the indexes; replay attaches them unbuilt (built after the whole log is read)."""
        coll = self.collection(*split_namespace(payload["ns"]))
        if coll is None:
            return
        for index in built if built is not None else [make_index(spec) for spec in payload["indexes"]]:
            coll.indexes[index.name] = index

    def _apply_drop_indexes(self, payload: dict[str, Any]) -> None:
        coll = self.collection(*split_namespace(payload["ns"]))
        if coll is not None:
            for name in payload["names"]:
                coll.indexes.pop(name, None)

    def _apply_coll_mod(self, payload: dict[str, Any]) -> None:
        coll = self.collection(*split_namespace(payload["ns"]))
        changes = payload["changes"]
        options = {
            k: v
            for k, v in changes.items()
            if k in VALIDATION_OPTIONS or k in _CAPPED_KEYS or k == "expireAfterSeconds"
        }
        if coll is not None and options:
            coll.set_options(options)
        change = changes.get("index")
        if coll is None or change is None or change.get("name") not in coll.indexes:
            return
        index = coll.indexes[change["name"]]
        for option in ("hidden", "expireAfterSeconds"):  # mongod rewrites a changed option at the end
            if option in change:
                index.spec.pop(option, None)
                index.spec[option] = change[option]
        if index.spec.get("hidden") is False:
            del index.spec["hidden"]

    def _apply_drop_database(self, payload: dict[str, Any]) -> None:
        self.databases.pop(payload["db"], None)

    def _apply_rename(self, payload: dict[str, Any]) -> None:
        src_db, src_name = split_namespace(payload["from"])
        dst_db, dst_name = split_namespace(payload["to"])
        coll = self.databases[src_db].pop(src_name)
        if not self.databases[src_db]:
            del self.databases[src_db]
        coll.rename(dst_db, dst_name)
        self.databases.setdefault(dst_db, {})[dst_name] = coll
