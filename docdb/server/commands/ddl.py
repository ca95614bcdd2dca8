"""create, drop, dropDatabase, renameCollection, collMod, and the index commands."""

from __future__ import annotations

from typing import Any

from docdb.engine.capped import coll_mod_options as capped_coll_mod_options
from docdb.engine.capped import create_options as capped_create_options
from docdb.engine.capped import images_option
from docdb.engine.collation import cached_collation
from docdb.engine.indexing import ddl as indexing_ddl
from docdb.engine.namespaces import validate_collection_name, validate_db_name
from docdb.engine.timeseries import parse_expire_after, parse_timeseries
from docdb.engine.validation.rules import OPTION_NAMES as VALIDATION_OPTIONS
from docdb.engine.validation.rules import parse_validation_options
from docdb.engine.views import (
    check_view_options,
    create_view,
    drop_view,
    modify_view,
    refuse_view,
    view_definition,
)
from docdb.errors import ErrorCode, MongoError
from docdb.server.commands.crud import collection_name, cursor_reply
from docdb.server.context import CommandContext
from docdb.server.params import check_fields, get_array, get_strict_bool, get_string
from docdb.server.registry import command

# create options that would change behaviour and are not built yet: refused, never ignored.  # sorted
_CREATE_UNSUPPORTED = (
    "clusteredIndex",
    "encryptedFields",
)
_CAPPED_OPTIONS = ("capped", "size", "max", "changeStreamPreAndPostImages")
_CREATE_IGNORED = ("autoIndexId", "flags", "idIndex", "indexOptionDefaults", "storageEngine")
_VIEW_OPTIONS = ("viewOn", "pipeline")


def _requested_options(cmd: dict[str, Any]) -> dict[str, Any]:
    """The options of a create that would change the collection (a simple collation is no option)."""
    options = {k: cmd[k] for k in _CREATE_UNSUPPORTED if cmd.get(k) not in (False, None)}
    return options


def _default_collation(cmd: dict[str, Any]) -> dict[str, Any]:
    """``{collation: <normalized>}`` for a create's non-simple ``collation`` option, else ``{}``."""
    if "collation" not in cmd:
        return {}
    if not isinstance(cmd["collation"], dict):
        raise MongoError(
            ErrorCode.TypeMismatch, "BSON field 'create.collation' is the wrong type, expected type 'object'"
        )
    collator = cached_collation(cmd["collation"])
    return {} if collator.spec is None else {"collation": collator.spec}


def _refuse_unsupported(requested: dict[str, Any]) -> None:
    for option in requested:
        raise MongoError(ErrorCode.NotImplemented, f"create option '{option}' is not supported by docdb")


@command("create", writes=True, in_transaction=True)
def create(ctx: CommandContext, cmd: dict[str, Any]) -> dict[str, Any]:
    """Create a collection or a view explicitly. As in mongod 7.0, repeating it with the same options is a
    no-op and with other options is NamespaceExists, whether or not docdb could build those options."""
    check_fields(
        cmd,
        {*_CREATE_UNSUPPORTED, *_CAPPED_OPTIONS, *_CREATE_IGNORED, *_VIEW_OPTIONS, *VALIDATION_OPTIONS}
        | {"collation", "timeseries", "expireAfterSeconds"},
    )
    name = collection_name(ctx, cmd)
    if "viewOn" in cmd or "pipeline" in cmd:
        return _create_view(ctx, cmd, name)
    capped = capped_create_options(cmd) | images_option(cmd, "create")
    requested = {**_timeseries_options(cmd), **_requested_options(cmd)}
    validation = parse_validation_options("create", cmd)
    collation = _default_collation(cmd)
    existing = ctx.catalog.collection(ctx.db, name)
    if existing is not None:
        if existing.options == {**capped, **requested, **validation, **collation}:
            return {}
        raise MongoError(ErrorCode.NamespaceExists, f"Collection {ctx.db}.{name} already exists.")
    if view_definition(ctx.catalog, ctx.db, name) is not None:
        raise MongoError(ErrorCode.NamespaceExists, f"Collection {ctx.db}.{name} already exists.")
    _refuse_unsupported(_requested_options(cmd))
    if validation and (ctx.db in ("admin", "local", "config") or name.startswith("system.")):
        raise MongoError(
            ErrorCode.InvalidOptions, f"Document validators not allowed on system collection {ctx.db}.{name}"
        )
    coll = ctx.catalog.create_collection(ctx.db, name, {**capped, **requested, **validation, **collation})
    meta = requested.get("timeseries", {}).get("metaField")
    if meta is not None:  # 7.0 indexes a time-series collection's meta and time fields from the start
        time_field = requested["timeseries"]["timeField"]
        key = {meta: 1, time_field: 1}
        spec = {"v": 2, "key": key, "name": f"{meta}_1_{time_field}_1"}
        if collation:
            spec["collation"] = collation["collation"]
        ctx.catalog.create_indexes(coll, [spec])
    return {}


def _timeseries_options(cmd: dict[str, Any]) -> dict[str, Any]:
    """``{timeseries, expireAfterSeconds}`` of a create, checked and normalized (empty for a plain one)."""
    if "timeseries" not in cmd:
        if cmd.get("expireAfterSeconds") is not None:
            raise MongoError(
                ErrorCode.InvalidOptions, "'expireAfterSeconds' is only supported on time-series collections"
            )
        return {}
    options: dict[str, Any] = {"timeseries": parse_timeseries(cmd["timeseries"])}
    if cmd.get("expireAfterSeconds") is not None:
        options["expireAfterSeconds"] = parse_expire_after(cmd["expireAfterSeconds"])
    return options


def _create_view(ctx: CommandContext, cmd: dict[str, Any], name: str) -> dict[str, Any]:
    """``create`` with ``viewOn``/``pipeline``: a read-only view (a ``system.views`` document)."""
    if "viewOn" not in cmd:
        raise MongoError(ErrorCode.InvalidOptions, "'pipeline' requires 'viewOn' to also be specified")
    for option in (
        *_CREATE_UNSUPPORTED,
        *_CAPPED_OPTIONS,
        *VALIDATION_OPTIONS,
        "timeseries",
        "expireAfterSeconds",
    ):
        if option in cmd:
            raise MongoError(ErrorCode.InvalidOptions, f"option not supported on a view: {option}")
    pipeline = check_view_options("create", cmd["viewOn"], cmd.get("pipeline"))
    collation = _default_collation(cmd).get("collation")
    existing = view_definition(ctx.catalog, ctx.db, name)
    if (
        existing is not None
        and existing.get("viewOn") == cmd["viewOn"]
        and existing.get("pipeline") == pipeline
        and existing.get("collation") == collation
    ):
        return {}
    create_view(ctx.catalog, ctx.db, name, cmd["viewOn"], pipeline, collation)
    return {}


@command("drop", writes=True)
def drop(ctx: CommandContext, cmd: dict[str, Any]) -> dict[str, Any]:
    """Drop a collection; dropping a missing one succeeds (mongod 7.0)."""
    check_fields(cmd, set())
    name = collection_name(ctx, cmd)
    dropped = ctx.catalog.drop_collection(ctx.db, name)
    if dropped is None:
        drop_view(ctx.catalog, ctx.db, name)
        return {}
    return {"nIndexesWas": len(dropped.indexes) + 1, "ns": dropped.ns}


@command("dropDatabase", writes=True)
def drop_database(ctx: CommandContext, cmd: dict[str, Any]) -> dict[str, Any]:
    """Drop the command's database and every collection in it."""
    check_fields(cmd, set())
    validate_db_name(ctx.db)
    if ctx.catalog.drop_database(ctx.db):
        return {"dropped": ctx.db}
    return {}


@command("renameCollection", admin_only=True, writes=True)
def rename_collection(ctx: CommandContext, cmd: dict[str, Any]) -> dict[str, Any]:
    """Rename ``db.a`` to ``db2.b`` (both full namespaces), optionally replacing an existing target; the
    fields are typed as in mongod's IDL (``dropTarget``/``stayTemp`` strictly bool) and checked in its
    order: namespaces, then renaming to itself, then the source's existence."""
    check_fields(cmd, {"to", "dropTarget", "stayTemp"})
    source = get_string(cmd, "renameCollection")
    target = get_string(cmd, "to", required=True)
    assert source is not None and target is not None
    drop_target = get_strict_bool(cmd, "dropTarget")
    get_strict_bool(cmd, "stayTemp")
    for role, ns in (("source", source), ("target", target)):
        db, _, coll = ns.partition(".")
        if not db or not coll:
            raise MongoError(ErrorCode.InvalidNamespace, f"Invalid {role} namespace: {ns}")
        validate_db_name(db)
        validate_collection_name(db, coll)
    if source == target:
        raise MongoError(ErrorCode.IllegalOperation, "Can't rename a collection to itself")
    src_db, _, src_name = source.partition(".")
    if ctx.catalog.collection(src_db, src_name) is None and view_definition(ctx.catalog, src_db, src_name):
        raise MongoError(ErrorCode.CommandNotSupportedOnView, f"cannot rename view: {source}")
    dst_db, _, dst_name = target.partition(".")
    if view_definition(ctx.catalog, dst_db, dst_name) is not None:
        raise MongoError(ErrorCode.NamespaceExists, f"a view already exists with that name: {target}")
    ctx.catalog.rename_collection(source, target, drop_target)
    return {}


@command("listIndexes")
def list_indexes(ctx: CommandContext, cmd: dict[str, Any]) -> dict[str, Any]:
    """The indexes of a collection: ``_id_`` first, then in creation order."""
    check_fields(cmd, {"cursor", "includeBuildUUIDs", "includeIndexBuildInfo"})
    name = collection_name(ctx, cmd)
    refuse_view(ctx.catalog, ctx.db, name)
    coll = ctx.catalog.collection(ctx.db, name)
    if coll is None:
        raise MongoError(ErrorCode.NamespaceNotFound, f"ns does not exist: {ctx.db}.{name}")
    batch_size = (cmd.get("cursor") or {}).get("batchSize")
    return cursor_reply(ctx, f"{ctx.db}.{name}", coll.list_indexes(), batch_size)


@command("createIndexes", writes=True, in_transaction=True)
def create_indexes(ctx: CommandContext, cmd: dict[str, Any]) -> dict[str, Any]:
    """Build indexes (several at once, all or none); repeating an existing one is a no-op."""
    check_fields(cmd, {"indexes", "commitQuorum"})
    name = collection_name(ctx, cmd)
    indexes = get_array(cmd, "indexes", required=True) or []
    if (
        ctx.catalog.collection(ctx.db, name) is None
        and view_definition(ctx.catalog, ctx.db, name) is not None
    ):
        raise MongoError(
            ErrorCode.CommandNotSupportedOnView, f"Cannot create indexes on a view: {ctx.db}.{name}"
        )
    return indexing_ddl.create_indexes(ctx.catalog, ctx.db, name, indexes, _commit_quorum(ctx, cmd))


def _commit_quorum(ctx: CommandContext, cmd: dict[str, Any]) -> Any:
    """The ``commitQuorum`` a replica set reports (its two-phase builds default to all voting members);
    a standalone builds in one phase and refuses the option, as mongod does."""
    if ctx.state.config.replica_set is None:
        if "commitQuorum" in cmd:
            raise MongoError(ErrorCode.BadValue, "Standalones can't specify commitQuorum")
        return None
    return cmd.get("commitQuorum", "votingMembers")


@command("dropIndexes", "deleteIndexes", writes=True)
def drop_indexes(ctx: CommandContext, cmd: dict[str, Any]) -> dict[str, Any]:
    """Drop indexes by name, key pattern, list of names, or ``"*"``; ``_id_`` stays."""
    check_fields(cmd, {"index"})
    name = collection_name(ctx, cmd)
    refuse_view(ctx.catalog, ctx.db, name)
    coll = ctx.catalog.collection(ctx.db, name)
    if coll is None:
        raise MongoError(ErrorCode.NamespaceNotFound, f"ns not found {ctx.db}.{name}")
    if "index" not in cmd:
        raise MongoError(40414, "BSON field 'dropIndexes.index' is missing but a required field")
    return indexing_ddl.drop_indexes(ctx.catalog, coll, cmd["index"])


# collMod options that are not built: refused, never ignored.  # sorted alphabetically
_CAPPED_MOD = ("cappedSize", "cappedMax", "changeStreamPreAndPostImages")
_COLL_MOD_UNSUPPORTED = ("timeseries",)


@command("collMod", writes=True)
def coll_mod(ctx: CommandContext, cmd: dict[str, Any]) -> dict[str, Any]:
    """Modify a collection (``index: {keyPattern|name, hidden|expireAfterSeconds}``, the validator
    options) or a view (``viewOn`` with ``pipeline``)."""
    check_fields(
        cmd,
        {
            "index",
            "dryRun",
            "expireAfterSeconds",
            *_CAPPED_MOD,
            *_COLL_MOD_UNSUPPORTED,
            *_VIEW_OPTIONS,
            *VALIDATION_OPTIONS,
        },
    )
    name = collection_name(ctx, cmd)
    for option in _COLL_MOD_UNSUPPORTED:
        if option in cmd:
            raise MongoError(ErrorCode.NotImplemented, f"collMod option '{option}' is not supported by docdb")
    if cmd.get("dryRun"):
        raise MongoError(ErrorCode.NotImplemented, "collMod option 'dryRun' is not supported by docdb")
    coll = ctx.catalog.collection(ctx.db, name)
    if coll is None:
        if view_definition(ctx.catalog, ctx.db, name) is not None:
            return _coll_mod_view(ctx, cmd, name)
        raise MongoError(ErrorCode.NamespaceNotFound, f"ns does not exist: {ctx.db}.{name}")
    for option in _VIEW_OPTIONS:
        if option in cmd:
            raise MongoError(ErrorCode.InvalidOptions, f"option only supported on a view: {option}")
    if "expireAfterSeconds" in cmd:
        _coll_mod_expiry(ctx, coll, cmd["expireAfterSeconds"])
    validation = parse_validation_options("collMod", cmd)
    if validation:
        if ctx.db in ("admin", "local", "config") or name.startswith("system."):
            raise MongoError(
                ErrorCode.InvalidOptions, f"Document validators not allowed on system collection {coll.ns}"
            )
        ctx.catalog.modify_collection(coll, validation)
    capped = capped_coll_mod_options(coll, cmd) | images_option(cmd, "collMod")
    if capped:
        ctx.catalog.modify_collection(coll, capped)
    if "index" not in cmd:
        return {}
    return indexing_ddl.modify_index(ctx.catalog, coll, cmd["index"])


def _coll_mod_expiry(ctx: CommandContext, coll: Any, value: Any) -> None:
    """collMod ``expireAfterSeconds`` (seconds, or ``"off"``) of a time-series collection."""
    if "timeseries" not in coll.options:
        raise MongoError(
            ErrorCode.NotImplemented, "collMod option 'expireAfterSeconds' is not supported by docdb"
        )
    seconds = None if value == "off" else parse_expire_after(value)
    ctx.catalog.modify_collection(coll, {"expireAfterSeconds": seconds})  # None: the option goes


def _coll_mod_view(ctx: CommandContext, cmd: dict[str, Any], name: str) -> dict[str, Any]:
    for option in ("index", *VALIDATION_OPTIONS):
        if option in cmd:
            raise MongoError(ErrorCode.InvalidOptions, f"option not supported on a view: {option}")
    if "viewOn" not in cmd and "pipeline" not in cmd:
        return {}
    if "viewOn" not in cmd or "pipeline" not in cmd:
        raise MongoError(
            ErrorCode.InvalidOptions, "must specify both 'viewOn' and 'pipeline' when modifying a view"
        )
    pipeline = check_view_options("collMod", cmd["viewOn"], cmd["pipeline"])
    modify_view(ctx.catalog, ctx.db, name, cmd["viewOn"], pipeline)
    return {}
