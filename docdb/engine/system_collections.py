"""The collections a fresh standalone mongod holds in ``admin``, ``config`` and ``local``.

A new mongod lists three databases before any user data exists: ``admin`` (``system.version`` with the
featureCompatibilityVersion document), ``config`` (``system.sessions``, the logical-session store, with its
``lsidTTLIndex``) and ``local`` (``startup_log``, one document per start of this process). Tools read
them (``show dbs``, admin UIs' database lists, FCV checks), so docdb holds them too.

They are installed in memory at start and are not logged: they describe this server process and this
binary, so writing them would add records to every file on every start. A client write to one of them
adopts it (``Catalog.commit`` logs its creation and contents first), after which it is an ordinary
durable collection.
"""

from __future__ import annotations

from typing import Any

from docdb.bson_codec import encode_document
from docdb.engine.bson_order import hash_key
from docdb.engine.catalog import Catalog
from docdb.engine.writes import insert_documents, with_id_first

FEATURE_COMPATIBILITY_VERSION = "7.0"
# config.system.sessions' TTL index: a session record expires 30 minutes after its last use
SESSIONS_TTL_INDEX = {"v": 2, "key": {"lastUse": 1}, "name": "lsidTTLIndex", "expireAfterSeconds": 1800}


def install_system_collections(catalog: Catalog, startup_document: dict[str, Any]) -> None:
    """Put mongod's standalone system collections into ``catalog`` where missing (unlogged), and add
    ``startup_document`` to ``local.startup_log``."""
    fcv = {"_id": "featureCompatibilityVersion", "version": FEATURE_COMPATIBILITY_VERSION}
    _ensure(catalog, "admin.system.version", [fcv])
    _ensure(catalog, "config.system.sessions", [], [SESSIONS_TTL_INDEX])
    if not _ensure(catalog, "local.startup_log", [startup_document]):
        insert_documents(catalog, "local", "startup_log", [startup_document], ordered=True)


def _ensure(catalog: Catalog, ns: str, docs: list[dict[str, Any]], specs: list[dict] | None = None) -> bool:
    """Install ``ns`` unlogged with ``docs`` unless it exists; True if it was installed."""
    db, _, name = ns.partition(".")
    if catalog.collection(db, name) is not None:
        return False
    raws = [(hash_key(doc["_id"]), encode_document(with_id_first(doc))) for doc in docs]
    catalog.install_unlogged(ns, raws, specs or [])
    return True
