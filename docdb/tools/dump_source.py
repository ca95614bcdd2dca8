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

    def __init__(self, uri: str) -> None:
        self.client: pymongo.MongoClient = pymongo.MongoClient(uri, document_class=dict, tz_aware=True)
        self.server_version = str(self.client.server_info().get("version", MONGODB_VERSION))

    def close(self) -> None:
        self.client.close()

    def collections(
        self, db: str | None = None, collection: str | None = None, query: dict[str, Any] | None = None
    ) -> Iterator[SourceCollection]:
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
                indexes = [dict(i) for i in coll.list_indexes()] if kind == "collection" else []
                meta = CollectionMetadata(
                    name,
                    dict(info.get("options") or {}),
                    indexes,
                    uuid_hex((info.get("info") or {}).get("uuid")),
                    kind,
                )
                count = coll.count_documents(query) if query else coll.estimated_document_count()
                yield SourceCollection(db_name, meta, count, self._chunks(coll, query, kind))

    def users_and_roles(self, db: str) -> Iterator[tuple[str, Callable[[], Iterator[bytes]]]]:
        """``admin.system.users`` / ``.roles`` documents of ``db`` (what --dumpDbUsersAndRoles writes)."""
        admin = self.client.get_database("admin", codec_options=_DICT_OPTIONS)
        for which in ("users", "roles"):
            yield which, self._chunks(admin[f"system.{which}"], {"db": db}, "collection")

    @staticmethod
    def _chunks(coll: Any, query: dict[str, Any] | None, kind: str) -> Callable[[], Iterator[bytes]]:
        def read() -> Iterator[bytes]:
            if kind != "collection":
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
        self, db: str | None = None, collection: str | None = None, query: dict[str, Any] | None = None
    ) -> Iterator[SourceCollection]:
        for db_name in _wanted_dbs(list(self.catalog.databases), db):
            for name, coll in sorted(self.catalog.databases[db_name].items()):
                if collection is not None and name != collection:
                    continue
                if collection is None and skip_namespace(db_name, name, db):
                    continue
                meta = CollectionMetadata(name, dict(coll.options), coll.list_indexes(), uuid_hex(coll.uuid))
                raws = list(coll.docs.values())
                if query:
                    raws = _matching(raws, query)
                yield SourceCollection(db_name, meta, len(raws), _chunked(raws))

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
