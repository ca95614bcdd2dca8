"""listDatabases, listCollections, dbStats, collStats: what the catalog holds."""

from __future__ import annotations

import math
import os
from typing import Any

import bson
from bson.decimal128 import Decimal128
from bson.errors import InvalidBSON
from bson.int64 import Int64

from docdb.bson_codec import decode_documents
from docdb.engine.bson_types import bson_type_alias
from docdb.engine.collection import Collection
from docdb.engine.matcher import compile_filter
from docdb.engine.views import refuse_view, view_definitions, view_info
from docdb.errors import ErrorCode, MongoError
from docdb.server.auth.listing import collection_filter, database_filter
from docdb.server.commands.crud import collection_name, cursor_reply
from docdb.server.context import CommandContext
from docdb.server.params import check_fields, get_bool, get_doc, get_int, get_strict_bool, is_number
from docdb.server.registry import command


@command("listDatabases", admin_only=True)
def list_databases(ctx: CommandContext, cmd: dict[str, Any]) -> dict[str, Any]:
    """Databases that hold at least one collection, with their sizes (live BSON plus index estimates).

    As in mongod, ``filter`` sees the entry as it will be returned: ``{name}`` alone under ``nameOnly``."""
    check_fields(cmd, {"filter", "nameOnly", "authorizedDatabases"})
    name_only = get_bool(cmd, "nameOnly")
    get_strict_bool(cmd, "authorizedDatabases")
    predicate = compile_filter(get_doc(cmd, "filter") or {})
    databases = []
    total = 0
    visible = database_filter(ctx, cmd)
    for db in sorted(ctx.catalog.databases):
        if visible is not None and not visible(db):
            continue
        size = sum(_data_and_index_size(c) for c in ctx.catalog.collections(db))
        entry: dict[str, Any] = {"name": db}
        if not name_only:
            entry |= {"sizeOnDisk": Int64(size), "empty": size == 0}
        if predicate(entry):
            databases.append(entry)
            total += size
    if name_only:
        return {"databases": databases}
    return {"databases": databases, "totalSize": Int64(total), "totalSizeMb": Int64(total // (1024 * 1024))}


def _data_and_index_size(coll: Collection) -> int:
    return coll.data_size + sum(coll.index_sizes().values())


def _collection_info(coll: Collection) -> dict[str, Any]:
    if "timeseries" in coll.options:  # the user-facing entry; docdb keeps no system.buckets namespace
        return {
            "name": coll.name,
            "type": "timeseries",
            "options": dict(coll.options),
            "info": {"readOnly": False},
        }
    return {
        "name": coll.name,
        "type": "collection",
        "options": dict(coll.options),
        "info": {"readOnly": False, "uuid": coll.uuid},
        "idIndex": coll.id_index_spec(),
    }


@command("listCollections")
def list_collections(ctx: CommandContext, cmd: dict[str, Any]) -> dict[str, Any]:
    """Collections of a database as a cursor; ``filter`` applies to the entries as returned (so under
    ``nameOnly`` it sees only ``name`` and ``type``, as in mongod)."""
    check_fields(cmd, {"filter", "nameOnly", "cursor", "authorizedCollections", "includePendingDrops"})
    name_only = get_bool(cmd, "nameOnly")
    get_bool(cmd, "authorizedCollections")
    get_bool(cmd, "includePendingDrops")
    predicate = compile_filter(get_doc(cmd, "filter") or {})
    batch_size = _cursor_batch_size(cmd)
    entries = []
    visible = collection_filter(ctx, cmd)
    for coll in sorted(ctx.catalog.collections(ctx.db), key=lambda c: c.name):
        if visible is not None and not visible(coll.name):
            continue
        kind = "timeseries" if "timeseries" in coll.options else "collection"
        entry = {"name": coll.name, "type": kind} if name_only else _collection_info(coll)
        if predicate(entry):
            entries.append(entry)
    for definition in view_definitions(ctx.catalog, ctx.db):
        entry = view_info(definition, name_only)
        if predicate(entry):
            entries.append(entry)
    return cursor_reply(ctx, f"{ctx.db}.$cmd.listCollections", entries, batch_size)


def _cursor_batch_size(cmd: dict[str, Any]) -> int | None:
    """``cursor: {batchSize}`` checked as mongod's SimpleCursorOptions (a non-negative whole number)."""
    cursor = get_doc(cmd, "cursor")
    if cursor is None:
        return None
    options = {"cursor": 1, **cursor}
    check_fields(options, {"batchSize"})
    batch_size = get_int(options, "batchSize")
    if batch_size is not None and batch_size < 0:
        raise MongoError(51024, f"BSON field 'batchSize' value must be >= 0, actual value '{batch_size}'")
    return batch_size


def _scale(cmd: dict[str, Any]) -> int:
    """The ``scale`` of dbStats/collStats: a number whose integer part is used (1023.999 -> 1023),
    at least 1."""
    value = cmd.get("scale")
    if value is None:
        return 1
    if not is_number(value):
        raise MongoError(
            ErrorCode.TypeMismatch,
            f"BSON field '{next(iter(cmd))}.scale' is the wrong type '{bson_type_alias(value)}', "
            "expected types '[long, int, decimal, double]'",
        )
    number = float(value.to_decimal()) if isinstance(value, Decimal128) else float(value)
    scale = int(number) if math.isfinite(number) else 0
    if scale < 1:
        raise MongoError(51024, f"BSON field 'scale' value must be >= 1, actual value '{scale}'")
    return scale


def _filesystem_sizes(ctx: CommandContext) -> tuple[int, int]:
    """Used and total bytes of the filesystem holding the data file (the working directory in memory)."""
    path = os.path.dirname(os.path.abspath(ctx.state.config.file or "."))
    try:
        fs = os.statvfs(path)
    except OSError:
        return 0, 0
    return (fs.f_blocks - fs.f_bfree) * fs.f_frsize, fs.f_blocks * fs.f_frsize


@command("dbStats")
def db_stats(ctx: CommandContext, cmd: dict[str, Any]) -> dict[str, Any]:
    """Counts and sizes of one database, sizes divided (not rounded) by ``scale`` as mongod does.

    Sizes are of live BSON and index estimates: there is no per-database file, and space is reclaimed
    by compaction, so the ``freeStorage`` sizes are 0."""
    check_fields(cmd, {"scale", "freeStorage"})
    scale = _scale(cmd)
    free_storage = get_bool(cmd, "freeStorage")
    colls = ctx.catalog.collections(ctx.db)
    objects = sum(len(c) for c in colls)
    data = sum(c.data_size for c in colls)
    index_size = sum(sum(c.index_sizes().values()) for c in colls)
    fs_used, fs_total = _filesystem_sizes(ctx)
    reply: dict[str, Any] = {
        "db": ctx.db,
        "collections": len(colls),
        "views": len(view_definitions(ctx.catalog, ctx.db)),
        "objects": objects,
        "avgObjSize": data / objects if objects else 0.0,
        "dataSize": data / scale,
        "storageSize": data / scale,
    }
    if free_storage:
        reply["freeStorageSize"] = 0.0
    reply |= {"indexes": sum(1 + len(c.indexes) for c in colls), "indexSize": index_size / scale}
    if free_storage:
        reply["indexFreeStorageSize"] = 0.0
    reply["totalSize"] = (data + index_size) / scale
    if free_storage:
        reply["totalFreeStorageSize"] = 0.0
    reply |= {"scaleFactor": float(scale), "fsUsedSize": fs_used / scale, "fsTotalSize": fs_total / scale}
    return reply


@command("collStats")
def coll_stats(ctx: CommandContext, cmd: dict[str, Any]) -> dict[str, Any]:
    """Counts and sizes of one collection (sizes are of live BSON)."""
    check_fields(cmd, {"scale", "verbose"})
    name = collection_name(ctx, cmd)
    scale = _scale(cmd)
    refuse_view(ctx.catalog, ctx.db, name)
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


_VALIDATE_FIELDS = {"background", "checkBSONConformance", "enforceFastCount", "full", "metadata", "repair"}


def _invalid_documents(coll: Collection) -> int:
    """How many stored documents are not well-formed BSON with an ``_id`` (one C-level pass when all are,
    which is what the log's CRCs and the insert checks guarantee)."""
    raws = list(coll.docs.values())
    try:
        docs = decode_documents(b"".join(raws))
        return sum(1 for doc in docs if "_id" not in doc)
    except InvalidBSON:
        return sum(1 for raw in raws if not bson.is_valid(raw))


_NON_COMPLIANT_WARNING = (
    "Detected one or more documents not compliant with the collection's schema. "
    "Check logs for log id 5363500."
)


def _non_compliant_documents(coll: Collection) -> int:
    """How many stored documents fail the collection's validator (one written before it, or while the
    level was ``off`` or the action ``warn``); they count, as in mongod, without making it invalid."""
    validation = coll.validation
    if validation is None:
        return 0
    return sum(1 for _, doc in coll.scan() if not validation.matches(doc))


@command("validate")
def validate(ctx: CommandContext, cmd: dict[str, Any]) -> dict[str, Any]:
    """Check a collection as mongod's validate does: every record is a well-formed document and every
    index holds its entries (``keysPerIndex``). Option conflicts answer with mongod's errors."""
    check_fields(cmd, _VALIDATE_FIELDS)
    name = collection_name(ctx, cmd)
    options = {field: get_bool(cmd, field) for field in sorted(_VALIDATE_FIELDS)}
    if options["background"]:
        for other in ("full", "repair"):
            if options[other]:
                raise MongoError(
                    ErrorCode.InvalidOptions,
                    f"Running the validate command with both {{ background: true }} and {{ {other}: true }} "
                    "is not supported.",
                )
    refuse_view(ctx.catalog, ctx.db, name)
    coll = ctx.catalog.collection(ctx.db, name)
    if coll is None:
        raise MongoError(
            ErrorCode.NamespaceNotFound, f"Collection '{ctx.db}.{name}' does not exist to validate."
        )
    invalid = _invalid_documents(coll)
    keys = {"_id_": len(coll), **{index_name: len(index) for index_name, index in coll.indexes.items()}}
    errors = [f"Detected {invalid} invalid documents."] if invalid else []
    non_compliant = _non_compliant_documents(coll)
    warnings = [_NON_COMPLIANT_WARNING] if non_compliant else []
    return {
        "ns": coll.ns,
        "uuid": coll.uuid,
        "nInvalidDocuments": invalid,
        "nNonCompliantDocuments": non_compliant,
        "nrecords": len(coll),
        "nIndexes": len(keys),
        "keysPerIndex": keys,
        "indexDetails": {index_name: {"valid": True} for index_name in keys},
        "valid": not invalid,
        "repaired": False,
        "warnings": warnings,
        "errors": errors,
        "extraIndexEntries": [],
        "missingIndexEntries": [],
        "corruptRecords": [],
    }
