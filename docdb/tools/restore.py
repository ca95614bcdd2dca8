"""``docdb restore``: load a mongodump directory or archive into a running server over the wire.

Per namespace, as mongorestore: drop it first under ``--drop``, create it with its dumped options when it
does not exist, insert its documents in unordered batches (a duplicate key is counted as a failure and the
restore goes on), then build its dumped indexes unless ``--noIndexRestore``. Documents are sent as the
raw bytes read from the dump: never decoded, so every value keeps its BSON type.
"""

from __future__ import annotations

import gzip
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO

import pymongo
from bson.raw_bson import RawBSONDocument
from pymongo.errors import BulkWriteError

from docdb.errors import StorageError
from docdb.tools.archive import ArchiveReader
from docdb.tools.dump_layout import (
    ROLES_FILE_COLLECTION,
    USERS_FILE_COLLECTION,
    CollectionMetadata,
    decode_metadata,
    scan_dump_dir,
)
from docdb.tools.namespaces import NamespaceRules
from docdb.tools.progress import NoProgress, Progress

_USER_FILES = {USERS_FILE_COLLECTION: "system.users", ROLES_FILE_COLLECTION: "system.roles"}


class RestoreStopped(Exception):
    """A failed insert under --stopOnError or --maintainInsertionOrder (the counts are in the result)."""


@dataclass(slots=True)
class RestoreOptions:
    """mongorestore's options, by their mongorestore names."""

    directory: str | None = None
    archive: str | None = None
    gzip: bool = False
    db: str | None = None
    collection: str | None = None
    rules: NamespaceRules = field(default_factory=NamespaceRules)
    drop: bool = False
    no_index_restore: bool = False
    users_and_roles: bool = False
    maintain_insertion_order: bool = False
    stop_on_error: bool = False
    batch_size: int = 1000


@dataclass(slots=True)
class RestoreResult:
    restored: int = 0
    failed: int = 0
    namespaces: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """mongorestore's closing line."""
        return (
            f"{self.restored} document(s) restored successfully. {self.failed} document(s) failed to restore."
        )


def iter_bson(stream: BinaryIO) -> Iterator[bytes]:
    """The documents of a ``.bson`` stream, one at a time (StorageError on a torn last document)."""
    while True:
        head = stream.read(4)
        if not head:
            return
        length = int.from_bytes(head, "little")
        body = stream.read(length - 4) if length >= 5 else b""
        if len(head) < 4 or len(body) != length - 4:
            raise StorageError("bson file is truncated")
        yield head + body


class Restorer:
    """Writes namespaces into ``client`` as mongorestore would; one per ``docdb restore`` run."""

    def __init__(
        self, client: pymongo.MongoClient, options: RestoreOptions, progress: Progress | None
    ) -> None:
        self.client = client
        self.options = options
        self.progress = progress or NoProgress("restore")
        self.result = RestoreResult()
        self._pending_indexes: list[tuple[str, str, list[dict[str, Any]]]] = []
        self._counts: dict[str, list[int]] = {}  # namespace -> [restored, failed]

    # -- selection ------------------------------------------------------------------------------------

    def target(self, db: str, coll: str) -> tuple[str, str] | None:
        """Where ``db.coll`` of the dump goes, or None when the options leave it out."""
        if coll in _USER_FILES:
            return ("admin", _USER_FILES[coll]) if self.options.users_and_roles else None
        if not db or (db, coll) == ("admin", "system.version"):
            return None  # an --oplog dump's oplog (no --oplogReplay here); the auth schema version
        ns = f"{db}.{coll}"
        if self.options.db is not None and db != self.options.db:
            return None
        if self.options.collection is not None and coll != self.options.collection:
            return None
        if not self.options.rules.wanted(ns):
            return None
        target_db, _, target_coll = self.options.rules.target(ns).partition(".")
        return target_db, target_coll

    # -- the steps per namespace --------------------------------------------------------------------

    def prepare(self, db: str, coll: str, meta: CollectionMetadata) -> None:
        """Drop (``--drop``) and create the target with the dumped options; queue its indexes."""
        database = self.client[db]
        if coll in ("system.users", "system.roles") and db == "admin":
            return
        if self.options.drop:
            database.drop_collection(coll)
        if coll not in database.list_collection_names(filter={"name": coll}):
            database.command({"create": coll, **meta.options})
        if not self.options.no_index_restore:
            specs = [_index_spec(spec) for spec in meta.indexes if spec.get("name") != "_id_"]
            if specs:
                self._pending_indexes.append((db, coll, specs))
        self.result.namespaces.append(f"{db}.{coll}")

    def insert(self, db: str, coll: str, docs: Iterator[bytes]) -> None:
        collection = self.client[db][coll]
        counts = self._counts.setdefault(f"{db}.{coll}", [0, 0])
        batch: list[RawBSONDocument] = []
        for raw in docs:
            batch.append(RawBSONDocument(raw))
            if len(batch) >= self.options.batch_size:
                self._flush(collection, batch, counts)
                batch = []
        if batch:
            self._flush(collection, batch, counts)

    def _flush(self, collection: Any, batch: list[RawBSONDocument], counts: list[int]) -> None:
        """Insert one batch; ``counts`` (restored, failed) of its namespace and the totals go up."""
        restored, failed = len(batch), 0
        try:
            collection.insert_many(batch, ordered=self.options.maintain_insertion_order)
        except BulkWriteError as error:
            failed = len(error.details.get("writeErrors", []))
            restored = error.details.get("nInserted", len(batch) - failed)
            first = error.details["writeErrors"][0]["errmsg"] if failed else str(error)
            if self.options.stop_on_error or self.options.maintain_insertion_order:
                self._count(counts, restored, failed)
                raise RestoreStopped(first) from None
            self.progress.note(f"continuing through error: {first}")
        finally:
            self.progress.update(len(batch))
        self._count(counts, restored, failed)

    def _count(self, counts: list[int], restored: int, failed: int) -> None:
        counts[0] += restored
        counts[1] += failed
        self.result.restored += restored
        self.result.failed += failed

    def note_finished(self, ns: str) -> None:
        """mongorestore's line for a finished namespace."""
        restored, failed = self._counts.get(ns, (0, 0))
        self.progress.note(
            f"finished restoring {ns} ({restored} document{'s' if restored != 1 else ''}, "
            f"{failed} failure{'s' if failed != 1 else ''})"
        )

    def build_indexes(self) -> None:
        for db, coll, specs in self._pending_indexes:
            self.client[db].command({"createIndexes": coll, "indexes": specs})
        self._pending_indexes.clear()

    # -- the two inputs -------------------------------------------------------------------------------

    def restore_directory(self, root: str) -> RestoreResult:
        for entry in _directory_entries(root, self.options):
            dest = self.target(entry.db, entry.collection)
            if dest is None:
                continue
            meta = CollectionMetadata(entry.collection)
            if entry.metadata_path is not None:
                with _open_in(entry.metadata_path) as f:
                    meta = decode_metadata(f.read().decode(), entry.collection)
            if entry.bson_path is not None:
                self.progress.add_total(_estimate_docs(entry.bson_path))
            self.prepare(*dest, meta)
            if entry.bson_path is not None:
                with _open_in(entry.bson_path) as f:
                    self.insert(*dest, iter_bson(f))
            self.note_finished(".".join(dest))
        self.build_indexes()
        return self.result

    def restore_archive(self, stream: BinaryIO) -> RestoreResult:
        reader = ArchiveReader(stream)
        metas = {(e.db, e.collection): e for e in reader.entries}
        for (db, coll), entry in metas.items():
            dest = self.target(db, coll)
            if dest is not None:
                self.prepare(*dest, decode_metadata(entry.metadata, coll))
        for db, coll, docs in reader.namespaces():
            dest = self.target(db, coll)
            if dest is not None:
                self.insert(*dest, docs)
        for db, coll in metas:
            dest = self.target(db, coll)
            if dest is not None:
                self.note_finished(".".join(dest))
        self.build_indexes()
        return self.result


def _index_spec(spec: dict[str, Any]) -> dict[str, Any]:
    """A dumped index as createIndexes takes it: no ``ns`` (old dumps) and no ``v`` (old dumps hold 1 or a
    Decimal128; the server builds its current version, as mongod does when ``v`` is left out)."""
    return {k: v for k, v in spec.items() if k not in ("ns", "v")}


@dataclass(slots=True)
class _Entry:
    db: str
    collection: str
    bson_path: str | None
    metadata_path: str | None


def _directory_entries(root: str, options: RestoreOptions) -> Iterator[_Entry]:
    """The namespaces of a dump directory; a lone ``.bson`` file or a database folder (with ``--db``)
    is accepted too, as mongorestore accepts them."""
    if os.path.isfile(root):
        if options.db is None:
            raise ValueError("cannot restore a single file without --db")
        name = options.collection or os.path.basename(root).split(".bson")[0]
        meta = root.replace(".bson", ".metadata.json")
        yield _Entry(options.db, name, root, meta if os.path.exists(meta) else None)
        return
    if not os.path.isdir(root):
        raise ValueError(f"mongorestore target '{root}' invalid: no such file or directory")
    has_files = any(n.endswith((".bson", ".bson.gz")) for n in os.listdir(root))
    if has_files and options.db is not None:  # a database folder restored into --db
        parent, folder = os.path.split(os.path.normpath(root))
        for f in scan_dump_dir(parent or "."):
            if f.db == folder:
                yield _Entry(options.db, f.collection, f.bson_path, f.metadata_path)
        return
    for f in scan_dump_dir(root):
        yield _Entry(f.db, f.collection, f.bson_path, f.metadata_path)


def _open_in(path: str) -> BinaryIO:
    if path.endswith(".gz"):
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return open(path, "rb", buffering=1 << 20)  # noqa: SIM115


def _estimate_docs(path: str) -> int:
    """A progress total without reading the file: its size over the first document's size."""
    if path.endswith(".gz"):
        return 0
    with open(path, "rb") as f:
        head = f.read(4)
    first = int.from_bytes(head, "little") if len(head) == 4 else 0
    return os.path.getsize(path) // first if first >= 5 else 0
