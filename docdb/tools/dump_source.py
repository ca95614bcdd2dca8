"""Where ``docdb dump`` reads from: a running server over the wire, or an ``.mdb`` file offline.

Both hand out the same thing per collection (:class:`SourceCollection`): its metadata and its documents
as chunks of concatenated stored BSON, never decoded and re-encoded, so a ``.bson`` file holds exactly the
bytes the server stores. Which namespaces are dumped follows mongodump: every database but ``local``
(unless named), ``<db>.system.*`` skipped except ``system.js`` and the ``admin`` database's own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pymongo
from bson.codec_options import CodecOptions

from docdb import MONGODB_VERSION
from docdb.bson_codec import decode_document
from docdb.tools.dump_layout import CollectionMetadata, uuid_hex

_CHUNK_DOCS = 1000  # documents per chunk read from a file (over the wire: the server's batches)
_WIRE_BATCH_DOCS = 10_000  # a getMore of ~3 MB: bounded memory, few round trips
SYSTEM_VIEWS = "system.views"  # where mongod (and docdb) keep view definitions, one document per view
_DICT_OPTIONS: CodecOptions = CodecOptions(document_class=dict, tz_aware=True)


@dataclass(slots=True)
class SourceCollection:
    """One namespace to dump; ``chunks()`` reads its documents when called (one pass)."""

    db: str
    metadata: CollectionMetadata
    count: int
    chunks: Callable[[], Iterator[bytes]]

    @property
    def name(self) -> str:
        return self.metadata.name


def skip_namespace(db: str, name: str, named_db: str | None) -> bool:
    """mongodump's rule for system collections it leaves out of a dump."""
    if db == "admin":
        return name == "system.keys"
    if db == "config" and named_db != "config":
        return True
    if name.startswith("system.") and name != "system.js":
        return True
    return "$" in name


def _wanted_dbs(names: list[str], db: str | None) -> list[str]:
    if db is not None:
        return [db] if db in names else []
    return sorted(n for n in names if n != "local")


class WireSource:
    """A running server (``--uri``); reads each collection with one find over raw BSON batches."""

    def __init__(self, client: pymongo.MongoClient) -> None:
        self.client = client
        try:
            self.server_version = str(client.server_info().get("version", MONGODB_VERSION))
        except BaseException:
            client.close()
            raise

    def close(self) -> None:
        self.client.close()

    def collections(
        self,
        db: str | None = None,
        collection: str | None = None,
        query: dict[str, Any] | None = None,
        views_as_collections: bool = False,
    ) -> Iterator[SourceCollection]:
        """Collections and views; ``views_as_collections`` (mongodump's --viewsAsCollections): only the
        views, each dumped as a collection of the documents it returns."""
        for db_name in _wanted_dbs(self.client.list_database_names(), db):
            database = self.client.get_database(db_name, codec_options=_DICT_OPTIONS)
            infos = sorted(database.list_collections(), key=lambda i: i["name"])
            for info in infos:
                name = info["name"]
                if collection is not None and name != collection:
                    continue
                if collection is None and skip_namespace(db_name, name, db):
                    continue
                coll = database[name]
                kind = info.get("type", "collection")
                options = dict(info.get("options") or {})
                if views_as_collections:
                    if kind != "view":
                        continue
                    kind = "collection"
                    options = {k: v for k, v in options.items() if k not in ("viewOn", "pipeline")}
                    indexes: list[dict[str, Any]] = []
                    count = coll.count_documents(query or {})
                elif kind == "view":
                    indexes, count = [], 0
                else:
                    indexes = [dict(i) for i in coll.list_indexes()]
                    count = coll.count_documents(query) if query else coll.estimated_document_count()
                meta = CollectionMetadata(
                    name, options, indexes, uuid_hex((info.get("info") or {}).get("uuid")), kind
                )
                reads_data = kind == "collection"
                yield SourceCollection(db_name, meta, count, self._chunks(coll, query, reads_data))

    def users_and_roles(self, db: str) -> Iterator[tuple[str, Callable[[], Iterator[bytes]]]]:
        """``admin.system.users`` / ``.roles`` documents of ``db`` (what --dumpDbUsersAndRoles writes)."""
        admin = self.client.get_database("admin", codec_options=_DICT_OPTIONS)
        for which in ("users", "roles"):
            yield which, self._chunks(admin[f"system.{which}"], {"db": db})

    @staticmethod
    def _chunks(
        coll: Any, query: dict[str, Any] | None, reads_data: bool = True
    ) -> Callable[[], Iterator[bytes]]:
        def read() -> Iterator[bytes]:
            if not reads_data:  # a view dumped as a view: its definition only
                return
            yield from coll.find_raw_batches(query or {}, batch_size=_WIRE_BATCH_DOCS)

        return read


class FileSource:
    """An ``.mdb`` file replayed read-only into a scratch catalog, as ``docdb verify`` reads it."""

    def __init__(self, path: str, key: bytes | None = None) -> None:
        from docdb.engine.catalog import Catalog
        from docdb.engine.log import read_log

        self.catalog = Catalog()
        reader = read_log(path, key)
        for rtype, payload in reader:
            self.catalog.apply_record(rtype, payload)
        self.server_version = MONGODB_VERSION

    def close(self) -> None:
        self.catalog.databases.clear()

    def collections(
        self,
        db: str | None = None,
        collection: str | None = None,
        query: dict[str, Any] | None = None,
        views_as_collections: bool = False,
    ) -> Iterator[SourceCollection]:
        if views_as_collections:
            raise ValueError("--viewsAsCollections needs a running server (--uri): a view is a query")
        for db_name in _wanted_dbs(list(self.catalog.databases), db):
            entries: list[tuple[str, SourceCollection]] = []
            for name, coll in self.catalog.databases[db_name].items():
                if (collection is not None and name != collection) or (
                    collection is None and skip_namespace(db_name, name, db)
                ):
                    continue
                meta = CollectionMetadata(name, dict(coll.options), coll.list_indexes(), uuid_hex(coll.uuid))
                raws = list(coll.docs.values())
                if query:
                    raws = _matching(raws, query)
                entries.append((name, SourceCollection(db_name, meta, len(raws), _chunked(raws))))
            for name, options in self._views(db_name):
                if collection is None or name == collection:
                    meta = CollectionMetadata(name, options, [], "", "view")
                    entries.append((name, SourceCollection(db_name, meta, 0, _chunked([]))))
            for _, entry in sorted(entries, key=lambda e: e[0]):
                yield entry

    def _views(self, db: str) -> list[tuple[str, dict[str, Any]]]:
        """``(name, listCollections options)`` of the views of ``db``, from its ``system.views``
        documents (``{_id: "db.name", viewOn, pipeline[, collation]}``, mongod's format)."""
        coll = self.catalog.collection(db, SYSTEM_VIEWS)
        if coll is None:
            return []
        found = []
        for raw in coll.docs.values():
            doc = decode_document(raw)
            view_id = doc.get("_id")
            if not isinstance(view_id, str) or not view_id.startswith(f"{db}."):
                continue
            options = {"viewOn": doc.get("viewOn"), "pipeline": doc.get("pipeline", [])}
            if "collation" in doc:
                options["collation"] = doc["collation"]
            found.append((view_id[len(db) + 1 :], options))
        return found

    def users_and_roles(self, db: str) -> Iterator[tuple[str, Callable[[], Iterator[bytes]]]]:
        for which in ("users", "roles"):
            coll = self.catalog.collection("admin", f"system.{which}")
            raws = _matching(list(coll.docs.values()), {"db": db}) if coll is not None else []
            yield which, _chunked(raws)


def _matching(raws: list[bytes], query: dict[str, Any]) -> list[bytes]:
    from docdb.engine.matcher import compile_filter

    matches = compile_filter(query)
    return [raw for raw in raws if matches(decode_document(raw))]


def _chunked(raws: list[bytes]) -> Callable[[], Iterator[bytes]]:
    def read() -> Iterator[bytes]:
        for start in range(0, len(raws), _CHUNK_DOCS):
            yield b"".join(raws[start : start + _CHUNK_DOCS])

    return read
