"""Index DDL over the catalog: createIndexes, dropIndexes and collMod's ``index`` option, with mongod's
replies and errors. The handlers in ``server/commands/ddl.py`` only check the command's shape."""

from __future__ import annotations

from typing import Any

from docdb.engine.catalog import Catalog
from docdb.engine.collection import Collection
from docdb.engine.indexing.spec import ID_INDEX_SPEC, find_conflict, parse_index_spec, same_key
from docdb.engine.key_format import format_value
from docdb.engine.store import CollectionView, TransactionStore
from docdb.errors import ErrorCode, MongoError

MAX_INDEXES = 64  # per collection, the _id index included (mongod's limit)


def create_indexes(
    catalog: Catalog, db: str, name: str, raw_specs: list[Any], commit_quorum: Any = None
) -> dict[str, Any]:
    """Create the indexes of ``raw_specs`` that do not exist yet; all are built before any is kept.

    ``catalog`` may be a transaction's store: then mongod 7.0's rules apply (``_in_transaction``).
    ``commit_quorum`` (replica-set mode: a replica set builds indexes in two phases) is the reply's
    ``commitQuorum`` when the build path is taken.
    """
    if not raw_specs:
        raise MongoError(ErrorCode.BadValue, "Must specify at least one index to create")
    existing_coll = catalog.collection(db, name)
    default = existing_coll.options.get("collation") if existing_coll is not None else None
    specs = [parse_index_spec(raw, default) for raw in raw_specs]
    if (
        existing_coll is not None
        and "timeseries" in existing_coll.options
        and any(s.get("unique") for s in specs)
    ):
        raise MongoError(
            ErrorCode.InvalidOptions, "Unique indexes are not supported on time-series collections"
        )
    if isinstance(catalog, TransactionStore):
        return _in_transaction(catalog, db, name, existing_coll, specs, commit_quorum)
    created = existing_coll is None
    coll = catalog.ensure_collection(db, name)
    existing = coll.list_indexes()
    new = _new_specs(coll.ns, existing, specs)
    if new:
        catalog.create_indexes(coll, new)
    elif not created:  # nothing to build: mongod answers before taking the build path
        count = len(existing)
        return {"numIndexesBefore": count, "numIndexesAfter": count, "note": "all indexes already exist"}
    return _built_reply(len(existing), len(new), len(specs), created, commit_quorum)


def _built_reply(before: int, new: int, asked: int, created: bool, commit_quorum: Any) -> dict[str, Any]:
    """The reply of a createIndexes that took the build path (mongod's field order); a note says when
    some or all of the ``asked`` specs existed already."""
    reply: dict[str, Any] = {
        "numIndexesBefore": before,
        "numIndexesAfter": before + new,
        "createdCollectionAutomatically": created,
    }
    if commit_quorum is not None:
        reply["commitQuorum"] = commit_quorum
    if not new:
        reply["note"] = "all indexes already exist"
    elif new < asked:
        reply["note"] = "index already exists"
    return reply


def _new_specs(ns: str, existing: list[dict[str, Any]], specs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The specs that are not indexes yet (a conflicting one raises), within mongod's 64 per collection."""
    new: list[dict[str, Any]] = []
    for spec in specs:
        if find_conflict(existing + new, spec) is None:
            new.append(spec)
    before = len(existing)
    if before + len(new) > MAX_INDEXES:
        spec = new[MAX_INDEXES - before]
        raise MongoError(
            ErrorCode.CannotCreateIndex,
            f"add index fails, too many indexes for {ns} key:{format_value(spec['key'])}",
        )
    return new


def _in_transaction(
    store: TransactionStore,
    db: str,
    name: str,
    coll: Collection | CollectionView | None,
    specs: list[dict[str, Any]],
    commit_quorum: Any,
) -> dict[str, Any]:
    """createIndexes inside a multi-document transaction, as mongod 7.0 allows it: indexes that all
    exist already answer as outside one; new ones only on a collection that does not exist (created
    here) or that this transaction created and is still empty in it. They are built on the
    transaction's private collection, so others see them at the commit, in its one record."""
    ns = f"{db}.{name}"
    if coll is not None:
        existing = coll.list_indexes()
        if not _new_specs(ns, existing, specs):
            count = len(existing)
            return {"numIndexesBefore": count, "numIndexesAfter": count, "note": "all indexes already exist"}
        if not store.created_here(db, name):
            raise MongoError(
                ErrorCode.OperationNotSupportedInTransaction,
                f"Cannot create new indexes on existing collection {ns} in a multi-document transaction.",
            )
        if len(coll):
            raise MongoError(
                ErrorCode.OperationNotSupportedInTransaction,
                f"Cannot create new indexes on non-empty collection {ns} in a multi-document transaction.",
            )
    else:
        coll = store.create_collection(db, name, {})
    existing = coll.list_indexes()
    new = _new_specs(ns, existing, specs)
    store.create_indexes(db, name, new)
    quorum = "votingMembers" if commit_quorum is None else commit_quorum  # transactions: replica sets only
    return _built_reply(len(existing), len(new), len(specs), True, quorum)


def _index_by_pattern(coll: Collection, pattern: dict[str, Any]) -> str:
    if same_key(pattern, ID_INDEX_SPEC["key"]):
        raise MongoError(ErrorCode.InvalidOptions, "cannot drop _id index")
    for index in coll.indexes.values():
        if index.matches_pattern(pattern):
            return index.name
    raise MongoError(ErrorCode.IndexNotFound, f"can't find index with key: {format_value(pattern)}")


def _index_by_name(coll: Collection, name: str) -> str:
    if name == "_id_":
        raise MongoError(ErrorCode.InvalidOptions, "cannot drop _id index")
    if name not in coll.indexes:
        raise MongoError(ErrorCode.IndexNotFound, f"index not found with name [{name}]")
    return name


def drop_indexes(catalog: Catalog, coll: Collection, index: Any) -> dict[str, Any]:
    """Drop by name, key pattern, list of names, or ``"*"`` (every index but ``_id_``)."""
    was = len(coll.indexes) + 1
    if index == "*":
        if coll.indexes:
            catalog.drop_indexes(coll, list(coll.indexes))
        return {"nIndexesWas": was, "msg": "non-_id indexes dropped for collection"}
    if isinstance(index, str):
        names = [_index_by_name(coll, index)]
    elif isinstance(index, dict):
        names = [_index_by_pattern(coll, index)]
    elif isinstance(index, list) and all(isinstance(item, str) for item in index):
        names = [_index_by_name(coll, item) for item in index]
    else:
        raise MongoError(
            ErrorCode.TypeMismatch,
            "BSON field 'dropIndexes.index' is the wrong type, expected type 'string or object or array'",
        )
    if names:
        catalog.drop_indexes(coll, list(dict.fromkeys(names)))
    return {"nIndexesWas": was}


def modify_index(catalog: Catalog, coll: Collection, change: Any) -> dict[str, Any]:
    """collMod ``index: {keyPattern | name, hidden?, expireAfterSeconds?}``; returns the old/new values."""
    if not isinstance(change, dict):
        raise MongoError(
            ErrorCode.TypeMismatch, "BSON field 'collMod.index' is the wrong type, expected type 'object'"
        )
    for field in change:
        if field not in ("keyPattern", "name", "hidden", "expireAfterSeconds", "prepareUnique", "unique"):
            raise MongoError(40415, f"BSON field 'collMod.index.{field}' is an unknown field.")
        if field in ("prepareUnique", "unique"):
            raise MongoError(
                ErrorCode.NotImplemented, f"collMod index option '{field}' is not supported by docdb"
            )
    if ("keyPattern" in change) == ("name" in change):
        raise MongoError(ErrorCode.InvalidOptions, "Must specify either index name or key pattern.")
    if "hidden" not in change and "expireAfterSeconds" not in change:
        raise MongoError(ErrorCode.InvalidOptions, "no expireAfterSeconds or hidden field")
    target = _find_for_mod(coll, change)
    if target is None:
        what = change.get("name") or format_value(change.get("keyPattern"))
        raise MongoError(ErrorCode.IndexNotFound, f"cannot find index {what} for ns {coll.ns}")
    index = coll.indexes[target]
    reply: dict[str, Any] = {}
    applied: dict[str, Any] = {"name": target}
    if "expireAfterSeconds" in change:
        seconds = change["expireAfterSeconds"]
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not 0 <= seconds < 2**31:
            raise MongoError(
                ErrorCode.InvalidOptions,
                "TTL index 'expireAfterSeconds' option must be within an acceptable range",
            )
        if len(index.fields) != 1:
            raise MongoError(
                ErrorCode.InvalidOptions,
                "TTL indexes are single-field indexes, compound indexes do not support TTL",
            )
        old = index.spec.get("expireAfterSeconds")
        if old is not None:
            reply["expireAfterSeconds_old"] = old
        reply["expireAfterSeconds_new"] = int(seconds)
        applied["expireAfterSeconds"] = int(seconds)
    if "hidden" in change:
        hidden = change["hidden"]
        if not isinstance(hidden, bool):
            raise MongoError(
                ErrorCode.TypeMismatch,
                "BSON field 'collMod.index.hidden' is the wrong type, expected type 'bool'",
            )
        old_hidden = index.hidden
        if old_hidden != hidden:
            reply["hidden_old"] = old_hidden
            reply["hidden_new"] = hidden
        applied["hidden"] = hidden
    catalog.modify_collection(coll, {"index": applied})
    return reply


def _find_for_mod(coll: Collection, change: dict[str, Any]) -> str | None:
    if "name" in change:
        if change["name"] == "_id_":
            raise MongoError(
                ErrorCode.BadValue,
                "can't hide _id index" if "hidden" in change else "cannot modify _id index",
            )
        return change["name"] if change["name"] in coll.indexes else None
    pattern = change["keyPattern"]
    if not isinstance(pattern, dict):
        raise MongoError(
            ErrorCode.TypeMismatch,
            "BSON field 'collMod.index.keyPattern' is the wrong type, expected type 'object'",
        )
    if same_key(pattern, ID_INDEX_SPEC["key"]):
        raise MongoError(
            ErrorCode.BadValue, "can't hide _id index" if "hidden" in change else "cannot modify _id index"
        )
    return next((i.name for i in coll.indexes.values() if i.matches_pattern(pattern)), None)
