"""listDatabases, listCollections, dbStats, collStats: what the catalog holds."""

from __future__ import annotations

from typing import Any

from bson.int64 import Int64

from docdb.engine.collection import Collection
from docdb.engine.matcher import compile_filter
from docdb.server.commands.crud import collection_name, cursor_reply
from docdb.server.commands.ddl import ID_INDEX
from docdb.server.context import CommandContext
from docdb.server.params import check_fields, get_bool, get_doc
from docdb.server.registry import command


@command("listDatabases", admin_only=True)
def list_databases(ctx: CommandContext, cmd: dict[str, Any]) -> dict[str, Any]:
    """Databases that hold at least one collection, with their sizes."""
    check_fields(cmd, {"filter", "nameOnly", "authorizedDatabases"})
    name_only = get_bool(cmd, "nameOnly")
    predicate = compile_filter(get_doc(cmd, "filter") or {})
    databases = []
    total = 0
    for db in sorted(ctx.catalog.databases):
        size = sum(c.data_size for c in ctx.catalog.collections(db))
        entry: dict[str, Any] = (
            {"name": db} if name_only else {"name": db, "sizeOnDisk": Int64(size), "empty": size == 0}
        )
        if predicate({"name": db, "sizeOnDisk": Int64(size), "empty": size == 0}):
            databases.append(entry)
            total += size
    if name_only:
        return {"databases": databases}
    return {"databases": databases, "totalSize": Int64(total), "totalSizeMb": Int64(total // (1024 * 1024))}


def _collection_info(coll: Collection) -> dict[str, Any]:
    return {
        "name": coll.name,
        "type": "collection",
        "options": dict(coll.options),
        "info": {"readOnly": False, "uuid": coll.uuid},
        "idIndex": dict(ID_INDEX),
    }


@command("listCollections")
def list_collections(ctx: CommandContext, cmd: dict[str, Any]) -> dict[str, Any]:
    """Collections of a database as a cursor; ``filter`` applies to the full entries (or names only)."""
    check_fields(cmd, {"filter", "nameOnly", "cursor", "authorizedCollections", "includePendingDrops"})
    name_only = get_bool(cmd, "nameOnly")
    predicate = compile_filter(get_doc(cmd, "filter") or {})
    entries = []
    for coll in sorted(ctx.catalog.collections(ctx.db), key=lambda c: c.name):
        info = _collection_info(coll)
        if predicate(info):
            entries.append({"name": coll.name, "type": "collection"} if name_only else info)
    cursor = cmd.get("cursor") or {}
    return cursor_reply(ctx, f"{ctx.db}.$cmd.listCollections", entries, cursor.get("batchSize"))


def _scaled(value: int, scale: int) -> int:
    return value // scale


@command("dbStats")
def db_stats(ctx: CommandContext, cmd: dict[str, Any]) -> dict[str, Any]:
    """Counts and sizes of one database (sizes are of live BSON; there is no per-database file)."""
    check_fields(cmd, {"scale", "freeStorage"})
    scale = int(cmd.get("scale") or 1)
    colls = ctx.catalog.collections(ctx.db)
    objects = sum(len(c) for c in colls)
    data = sum(c.data_size for c in colls)
    index_size = sum(sum(c.index_sizes().values()) for c in colls)
    return {
        "db": ctx.db,
        "collections": len(colls),
        "views": 0,
        "objects": objects,
        "avgObjSize": float(data / objects) if objects else 0.0,
        "dataSize": float(_scaled(data, scale)),
        "storageSize": float(_scaled(data, scale)),
        "indexes": sum(1 + len(c.indexes) for c in colls),
        "indexSize": float(_scaled(index_size, scale)),
        "totalSize": float(_scaled(data + index_size, scale)),
        "scaleFactor": float(scale),
        "fsUsedSize": 0.0,
        "fsTotalSize": 0.0,
    }


@command("collStats")
def coll_stats(ctx: CommandContext, cmd: dict[str, Any]) -> dict[str, Any]:
    """Counts and sizes of one collection (sizes are of live BSON)."""
    check_fields(cmd, {"scale", "verbose"})
    name = collection_name(ctx, cmd)
    scale = int(cmd.get("scale") or 1)
    coll = ctx.catalog.collection(ctx.db, name)
    if coll is None:  # mongod 7.0 answers a missing collection with zeros
        return {
            "ns": f"{ctx.db}.{name}",
            "size": 0,
            "count": 0,
            "storageSize": 0,
            "totalIndexSize": 0,
            "totalSize": 0,
            "indexSizes": {},
            "scaleFactor": scale,
            "nindexes": 0,
            "capped": False,
        }
    return {"ns": coll.ns, **coll.storage_stats(scale)}
