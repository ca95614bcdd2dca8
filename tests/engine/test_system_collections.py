"""The unlogged system collections: installed in memory, left out of compaction, and logged in full
(creation, indexes, documents) the first time anything changes them."""

from __future__ import annotations

from bson.int64 import Int64

from docdb.engine.catalog import Catalog
from docdb.engine.system_collections import install_system_collections
from docdb.engine.writes import insert_documents

STARTUP = {"_id": "host-1", "hostname": "host", "pid": Int64(7)}
SYSTEM = {"admin.system.version", "config.system.sessions", "local.startup_log"}


def _names(catalog: Catalog) -> set[str]:
    return {coll.ns for colls in catalog.databases.values() for coll in colls.values()}


def test_installed_unlogged_and_left_out_of_snapshots(data_file):
    catalog = Catalog.open(str(data_file))
    try:
        size = catalog.writer.size
        install_system_collections(catalog, STARTUP)
        assert _names(catalog) == SYSTEM
        assert catalog.unlogged == SYSTEM
        assert catalog.writer.size == size
        assert catalog.snapshot() == []
        assert [c.name for c in catalog.collection("config", "system.sessions").indexes.values()] == [
            "lsidTTLIndex"
        ]
    finally:
        catalog.close()
    reopened = Catalog.open(str(data_file))
    try:
        assert _names(reopened) == set()
    finally:
        reopened.close()


def test_first_write_adopts_the_collection(data_file):
    catalog = Catalog.open(str(data_file))
    try:
        install_system_collections(catalog, STARTUP)
        insert_documents(catalog, "local", "startup_log", [{"_id": "mine"}], ordered=True)
        assert catalog.unlogged == SYSTEM - {"local.startup_log"}
        assert [s.ns for s in catalog.snapshot()] == ["local.startup_log"]
    finally:
        catalog.close()
    reopened = Catalog.open(str(data_file))
    try:
        assert _names(reopened) == {"local.startup_log"}
        coll = reopened.collection("local", "startup_log")
        assert len(coll) == 2  # the installed document was logged with the adoption
        # a second start adds its own document to the now durable collection
        install_system_collections(reopened, {**STARTUP, "_id": "host-2"})
        assert len(coll) == 3 and "local.startup_log" not in reopened.unlogged
    finally:
        reopened.close()
