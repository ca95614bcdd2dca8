"""Capped collections: their options as mongod 7.0 parses them, and which oldest documents a commit removes.

A capped collection keeps at most ``size`` bytes of BSON and, optionally, ``max`` documents; when a commit
passes either limit, the oldest documents (natural order = insertion order, the order of
``Collection.docs``) are deleted *in the same record* as the writes that passed it, so a restart replays
exactly the state clients saw. The removals are ordinary deletes: the change history sees them.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import TYPE_CHECKING, Any

from bson.decimal128 import Decimal128

from docdb.bson_codec import decode_document
from docdb.engine.query.types import type_name
from docdb.errors import ErrorCode, MongoError

if TYPE_CHECKING:
    from docdb.engine.catalog import Catalog, DocWrite
    from docdb.engine.collection import Collection

MAX_SIZE = 1 << 50  # 1 PB, mongod's ceiling for ``size`` / ``cappedSize``
NO_MAX = 0x7FFFFFFF  # what a ``max`` <= 0 becomes: no document limit


def _int64(cmd: dict[str, Any], command: str, field: str) -> int | None:
    """A ``safeInt64`` IDL field: any number (truncated), else TypeMismatch; None when absent/null."""
    value = cmd.get(field)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal128)):
        raise MongoError(
            ErrorCode.TypeMismatch,
            f"BSON field '{command}.{field}' is the wrong type '{type_name(value)}', "
            "expected types '[long, int, decimal, double']",
        )
    return int(value.to_decimal() if isinstance(value, Decimal128) else value)


def round_size(size: int) -> int:
    """mongod 7.0 rounds a capped size up to a multiple of 256 bytes."""
    return (size + 0xFF) & ~0xFF


def check_size(size: int, field: str = "size") -> int:
    if size < 1:
        raise MongoError(51024, f"BSON field '{field}' value must be >= 1, actual value '{size}'")
    if size > MAX_SIZE:
        raise MongoError(51023, f"BSON field '{field}' value must be <= {MAX_SIZE}, actual value '{size}'")
    return round_size(size)


def check_max(max_docs: int, field: str = "max") -> int:
    if max_docs >= 1 << 31:
        raise MongoError(51022, f"BSON field '{field}' value must be < 2147483648, actual value '{max_docs}'")
    return NO_MAX if max_docs <= 0 else max_docs


def create_options(cmd: dict[str, Any]) -> dict[str, Any]:
    """The stored options of ``create`` with ``capped``/``size``/``max`` (``{}`` when not capped), with
    mongod's type checks, ranges and its two rules tying the three together."""
    capped = cmd.get("capped")
    if capped is not None and not isinstance(capped, bool | int | float):
        raise MongoError(
            ErrorCode.TypeMismatch,
            f"BSON field 'create.capped' is the wrong type '{type_name(capped)}', "
            "expected types '[bool, long, int, decimal, double']",
        )
    size = _int64(cmd, "create", "size")
    max_docs = _int64(cmd, "create", "max")
    if size is not None:
        size = check_size(size)
    if max_docs is not None:
        max_docs = check_max(max_docs)
    if capped and size is None:
        raise MongoError(ErrorCode.InvalidOptions, "the 'size' field is required when 'capped' is true")
    if (size or max_docs) and not capped:
        raise MongoError(
            ErrorCode.InvalidOptions,
            "the 'capped' field needs to be true when either the 'size' or 'max' fields are present",
        )
    if not capped:
        return {}
    options: dict[str, Any] = {"capped": True, "size": size}
    if max_docs:
        options["max"] = max_docs
    return options


def coll_mod_options(coll: Collection, cmd: dict[str, Any]) -> dict[str, Any]:
    """The option changes of a collMod's ``cappedSize``/``cappedMax`` (``{}`` when it has neither)."""
    size = _int64(cmd, "collMod", "cappedSize")
    max_docs = _int64(cmd, "collMod", "cappedMax")
    if size is None and max_docs is None:
        return {}
    if size is not None:
        size = check_size(size, "cappedSize")
    if max_docs is not None:
        max_docs = check_max(max_docs, "cappedMax")
    if coll.capped is None:
        raise MongoError(ErrorCode.InvalidOptions, "Collection must be capped.")
    changes: dict[str, Any] = {}
    if size is not None:
        changes["size"] = size
    if max_docs is not None:
        changes["max"] = max_docs
    return changes


def images_option(cmd: dict[str, Any], command: str) -> dict[str, Any]:
    """``changeStreamPreAndPostImages: {enabled: bool}`` (change streams' pre- and post-images), as a
    stored option; it lives with the capped options because both are plain collection options."""
    if "changeStreamPreAndPostImages" not in cmd:
        return {}
    value = cmd["changeStreamPreAndPostImages"]
    if not isinstance(value, dict):
        raise MongoError(
            ErrorCode.TypeMismatch,
            f"BSON field '{command}.changeStreamPreAndPostImages' is the wrong type "
            f"'{type_name(value)}', expected type 'object'",
        )
    for key in value:
        if key != "enabled":
            raise MongoError(
                40415, f"BSON field 'changeStreamPreAndPostImagesOptions.{key}' is an unknown field."
            )
    if "enabled" not in value:
        raise MongoError(
            40414, "BSON field 'changeStreamPreAndPostImagesOptions.enabled' is missing but a required field"
        )
    if not isinstance(value["enabled"], bool):
        raise MongoError(
            ErrorCode.TypeMismatch,
            "BSON field 'changeStreamPreAndPostImagesOptions.enabled' is the wrong type "
            f"'{type_name(value['enabled'])}', expected type 'bool'",
        )
    if not value["enabled"] and command == "create":  # mongod stores the option only when enabled
        return {}
    return {"changeStreamPreAndPostImages": {"enabled": value["enabled"]}}


def capped_options(size: int, max_docs: int | None = None) -> dict[str, Any]:
    options: dict[str, Any] = {"capped": True, "size": size}
    if max_docs:
        options["max"] = max_docs
    return options


def limits(options: dict[str, Any]) -> tuple[int, int] | None:
    """``(size, max)`` of a capped collection's options (max NO_MAX when unlimited), None when not capped."""
    if not options.get("capped"):
        return None
    return int(options.get("size") or 0), int(options.get("max") or NO_MAX)


def stats_fields(coll: Collection, scale: int) -> dict[str, Any]:
    """collStats' ``max`` and ``maxSize`` (after ``capped``)."""
    assert coll.capped is not None
    size, max_docs = coll.capped
    return {"max": int(coll.options.get("max") or 0), "maxSize": size // scale}


def check_insert(coll: Collection, raw: bytes) -> None:
    """A single document larger than the whole collection can never fit (mongod refuses it)."""
    assert coll.capped is not None
    if len(raw) > coll.capped[0]:
        raise MongoError(ErrorCode.BSONObjectTooLarge, "object to insert exceeds cappedMaxSize")


def refuse_in_transaction(coll: Collection) -> None:
    raise MongoError(
        ErrorCode.OperationNotSupportedInTransaction,
        f"Collection '{coll.ns}' is a capped collection. Writes in transactions are not allowed on "
        "capped collections.",
    )


def evictions(writes: list[DocWrite], make: Any) -> list[DocWrite]:
    """The deletes of oldest documents that bring every capped collection ``writes`` touch back under its
    limits once ``writes`` are applied (``make(coll, key, id_value)`` builds one delete)."""
    by_coll: dict[int, tuple[Collection, list[DocWrite]]] = {}
    for w in writes:
        if w.collection.capped is not None:
            by_coll.setdefault(id(w.collection), (w.collection, []))[1].append(w)
    out: list[DocWrite] = []
    for coll, own in by_coll.values():
        out.extend(_evict(coll, own, make))
    return out


def _evict(coll: Collection, writes: list[DocWrite], make: Any) -> list[DocWrite]:
    assert coll.capped is not None
    limit_size, limit_count = coll.capped
    docs = coll.docs
    size, count = coll.data_size, len(docs)
    pending: dict[Hashable, bytes | None] = {}
    new_keys: dict[Hashable, Any] = {}  # inserted by this commit, in order -> _id
    for w in writes:
        old = pending[w.key] if w.key in pending else docs.get(w.key)
        if old is not None:
            size -= len(old)
            count -= 1
        if w.raw is not None:
            size += len(w.raw)
            count += 1
            if old is None and w.key not in docs:
                new_keys[w.key] = w.id_value
        pending[w.key] = w.raw
    if size <= limit_size and count <= limit_count:
        return []
    out = []

    def candidates() -> Any:
        for key in docs:
            yield key, None
        yield from new_keys.items()

    for key, id_value in candidates():
        if size <= limit_size and count <= limit_count or count <= 1:
            break
        current = pending[key] if key in pending else docs.get(key)
        if current is None:
            continue
        if id_value is None:
            id_value = decode_document(docs[key])["_id"]
        size -= len(current)
        count -= 1
        pending[key] = None
        out.append(make(coll, key, id_value))
    return out


def clone_as_capped(catalog: Catalog, db: str, source: str, target: str, size: int) -> None:
    """``cloneCollectionAsCapped``: a new capped collection ``target`` holding the newest documents of
    ``source`` that fit in ``size`` (natural order kept); indexes other than ``_id`` are not copied."""
    from docdb.engine.catalog import DocWrite

    src = catalog.collection(db, source)
    if src is None:
        raise MongoError(ErrorCode.NamespaceNotFound, f"source collection {db}.{source} does not exist")
    if catalog.collection(db, target) is not None:
        raise MongoError(
            ErrorCode.NamespaceExists,
            f"cloneCollectionAsCapped failed - destination collection {db}.{target} already exists. "
            f"source collection: {db}.{source}",
        )
    size = check_size(size)
    rows = list(src.docs.items())
    coll = catalog.create_collection(db, target, capped_options(size))
    for _, raw in rows:
        check_insert(coll, raw)
    writes = [DocWrite(coll, key, decode_document(raw)["_id"], raw) for key, raw in rows]
    catalog.commit(writes)


def convert_to_capped(catalog: Catalog, db: str, name: str, size: int) -> None:
    """``convertToCapped``: clone into a temporary collection, then rename it over the original (as
    mongod does: the collection gets a new UUID and only the ``_id`` index)."""
    if catalog.collection(db, name) is None:
        raise MongoError(ErrorCode.NamespaceNotFound, f"source collection {db}.{name} does not exist")
    check_size(size)
    temp = f"tmp.convertToCapped.{name}"
    catalog.drop_collection(db, temp)
    clone_as_capped(catalog, db, name, temp, size)
    catalog.rename_collection(f"{db}.{temp}", f"{db}.{name}", True)
