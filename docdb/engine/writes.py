"""Inserts, updates, deletes and findAndModify: compute after-images, then commit them as one record.

Every statement's changes go to the catalog in a single ``commit`` (one log record), so a multi-document
update is all-or-nothing after a crash. Per-document failures of an insert batch become write errors in
MongoDB's shape; the documents before them (and, unordered, after them) are still written.
"""

from __future__ import annotations

import struct
from collections.abc import Hashable
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

from bson.objectid import ObjectId
from bson.regex import Regex

from docdb.bson_codec import decode_document, encode_document, encode_in_order
from docdb.engine.bson_order import RANK_DATE, hash_key, object_id_keys
from docdb.engine.capped import check_insert as check_capped_insert
from docdb.engine.catalog import Catalog, DocWrite
from docdb.engine.change_events import update_description
from docdb.engine.collation import active, operation_collator, using
from docdb.engine.collection import Collection
from docdb.engine.history import INSERT, REPLACE, UPDATE
from docdb.engine.indexing.keys import HIGH, invert
from docdb.engine.key_format import duplicate_key_message
from docdb.engine.planner import id_equality
from docdb.engine.projection import compile_projection
from docdb.engine.reads import FindSpec, iter_matches, ordered_matches, validate_filter
from docdb.engine.timeseries import check_update, measurement
from docdb.engine.timeseries import expired as timeseries_expired
from docdb.engine.update import CompiledUpdate, compile_update
from docdb.engine.updates.in_place import patch as patch_in_place
from docdb.engine.write_intents import WriteBlocked
from docdb.errors import ErrorCode, MongoError

MAX_DOCUMENT_SIZE = 16 * 1024 * 1024
_INT32 = struct.Struct("<i")


# -- document preparation ------------------------------------------------------------------------------


def with_id_first(doc: dict[str, Any]) -> dict[str, Any]:
    """The document with ``_id`` as its first field, generating an ObjectId when it has none (as mongod)."""
    if "_id" not in doc:
        return {"_id": ObjectId(), **doc}
    if next(iter(doc)) == "_id":
        return doc
    return {"_id": doc["_id"], **{k: v for k, v in doc.items() if k != "_id"}}


def validate_id(value: Any) -> None:
    if isinstance(value, list):
        raise MongoError(ErrorCode.InvalidIdField, "The '_id' value cannot be of type array")
    if isinstance(value, Regex):
        raise MongoError(ErrorCode.InvalidIdField, "The '_id' value cannot be of type regex")


MAX_NESTING_DEPTH = 180  # mongod's limit for stored documents (200 less 20 kept for the system)
# The smallest encoding of a document nested too deep: a chain of MAX_NESTING_DEPTH + 1 containers, each an
# element of at least 7 bytes (type byte, empty key's NUL, int32 length, terminator) inside the 5-byte
# top document. Anything shorter cannot be too deep, so its nesting need not be walked.
MIN_TOO_DEEP_BYTES = 5 + 7 * (MAX_NESTING_DEPTH + 1)


def nesting_depth_exceeds(value: Any, limit: int) -> bool:
    """True when ``value`` nests objects/arrays deeper than ``limit`` levels below the top document.

    >>> nesting_depth_exceeds({"a": {"b": 1}}, 1), nesting_depth_exceeds({"a": {"b": 1}}, 0)
    (False, True)
    """
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item
        for child in children:
            if isinstance(child, (dict, list)):
                if depth + 1 > limit:
                    return True
                stack.append((child, depth + 1))
    return False


def _check_depth(doc: dict[str, Any]) -> None:
    if nesting_depth_exceeds(doc, MAX_NESTING_DEPTH):
        raise MongoError(
            ErrorCode.Overflow,
            f"cannot insert document because it exceeds {MAX_NESTING_DEPTH} levels of nesting",
        )


def encode_stored(doc: dict[str, Any], in_order: bool = False) -> bytes:
    """The stored bytes of ``doc``, refused as mongod refuses: too deep (Overflow 15) or too large.

    Too deep is decided first, as mongod does; the nesting is walked only when the encoding (or its
    failure, e.g. a RecursionError) leaves the question open.
    """
    try:
        raw = encode_in_order(doc) if in_order else encode_document(doc)
    except Exception:
        _check_depth(doc)
        raise
    check_stored(doc, raw)
    return raw


def check_stored(doc: dict[str, Any], raw: bytes) -> None:
    """``encode_stored``'s limits for ``raw``, the encoding of ``doc``: nesting depth, then size."""
    if len(raw) >= MIN_TOO_DEEP_BYTES:
        _check_depth(doc)
    if len(raw) > MAX_DOCUMENT_SIZE:
        raise MongoError(
            ErrorCode.BadValue,
            f"object to insert too large. size in bytes: {len(raw)}, max size: {MAX_DOCUMENT_SIZE}",
        )


def encode_many(docs: list[dict[str, Any]]) -> list[bytes | None]:
    """The stored bytes of each document whose ``_id`` comes first (None for the others), by one call
    of the C encoder for the lot: a call's fixed cost (the codec options read again) is most of the time
    of a small document. A document nested inside encodes to the same bytes as alone (only a top-level
    ``_id`` is moved first, and these already have it first). Anything the encoder refuses makes every
    entry None, so each document is encoded, and refused, on its own as before; the size and depth
    limits are still checked per document (``insert``)."""
    together = _encode_together(docs)
    if together is None:
        return [None] * len(docs)
    raws, id_first = together
    if id_first:
        return list(raws)
    return [raw if raw.startswith(_ID_FIRST, 5) else None for raw in raws]


_ID_FIRST = b"_id\x00"  # a document's first element name, just after its length and type byte
# A document's length, its first element's type byte (skipped) and the first 4 bytes after it, as an int:
# _ID_KEY when that element's name is "_id". The last document may be empty (5 bytes, then the array's
# and the wrapper's terminators): the blob is read with 4 bytes of padding so those 9 bytes exist.
_SIZE_AND_KEY = struct.Struct("<ixI")
_ID_KEY = int.from_bytes(_ID_FIRST, "little")
_PADDING = bytes(4)
_element_heads: list[int] = []  # array element i's type byte, key str(i) and NUL: 2 + len(str(i))


def _encode_together(docs: list[dict[str, Any]]) -> tuple[list[bytes], bool] | None:
    """Each document's encoding as an element of one array (``encode_many``) and whether every one has
    ``_id`` as its first field (found on the way: no second pass over them), or None if the encoder
    refuses any of them."""
    try:
        blob = encode_document({"d": docs}) + _PADDING
    except Exception:
        return None
    n = len(docs)
    if len(_element_heads) < n:
        _element_heads.extend(2 + len(str(i)) for i in range(len(_element_heads), n))
    raws: list[bytes] = []
    add = raws.append
    unpack = _SIZE_AND_KEY.unpack_from
    id_key = _ID_KEY
    id_first = True
    pos = 11  # document length, array element (type, "d", NUL), array length
    for head in _element_heads[:n] if n < len(_element_heads) else _element_heads:
        start = pos + head
        size, key = unpack(blob, start)
        pos = start + size
        add(blob[start:pos])
        if key != id_key:
            id_first = False
    return raws, id_first


_PLAIN_ID_TYPES = frozenset({int, str})  # valid _id types that are their own keys (``DocumentBatch.insert``)
# Valid _id types the plain paths take: those, and ObjectId (what drivers generate), keyed by ``hash_key``.
POINT_ID_TYPES = _PLAIN_ID_TYPES | {ObjectId}
# how a point write's _id is stored: the type byte (an int here is an int32)
_ID_TYPE_BYTE = {int: 0x10, str: 0x02, ObjectId: 0x07}
_OBJECT_ID_ONLY = {ObjectId}
_get_id = itemgetter("_id")


def _plain_target(catalog: Any, coll: Collection, bypass_validation: bool) -> bool:
    """Whether a write to ``coll`` changes nothing but its documents and the history, so the fast write
    paths may take it: a catalog (not a transaction's store), no index to maintain, no validator (or
    bypassing it), no cap, no time series."""
    return not (
        catalog.__class__ is not Catalog
        or coll.capped is not None
        or (coll.validation is not None and not bypass_validation)
        or "timeseries" in coll.options
        or coll.indexes
        or coll.has_built_indexes()
    )


def _insert_plain(
    catalog: Any, coll: Collection, docs: list[dict[str, Any]], bypass_validation: bool
) -> bool:
    """Insert the whole batch by a few C-level steps per document, when nothing about it can fail and
    nothing but the documents and the history changes: a catalog (not a transaction's store), a
    collection without built index, validator (or bypassing it), cap or time series, and documents
    with an int, string or ObjectId ``_id`` first, new and distinct, of a size needing no depth walk. False
    (nothing done) for anything else, which ``DocumentBatch.insert`` then treats document by document,
    reporting what fails exactly as before."""
    if not _plain_target(catalog, coll, bypass_validation):
        return False
    try:
        ids = list(map(_get_id, docs))
    except KeyError:
        return False
    kinds = set(map(type, ids))
    if kinds <= _PLAIN_ID_TYPES:
        keys = ids
    elif kinds == _OBJECT_ID_ONLY:
        keys = object_id_keys(ids)
    elif kinds <= POINT_ID_TYPES:
        keys = list(map(hash_key, ids))
    else:
        return False
    if len(set(keys)) != len(keys) or not coll.docs.keys().isdisjoint(keys):
        return False
    together = _encode_together(docs)
    if together is None or not together[1]:
        return False
    raws = together[0]
    if max(map(len, raws)) >= MIN_TOO_DEEP_BYTES:
        for doc, raw in zip(docs, raws, strict=True):
            if len(raw) >= MIN_TOO_DEEP_BYTES and (
                len(raw) > MAX_DOCUMENT_SIZE or nesting_depth_exceeds(doc, MAX_NESTING_DEPTH)
            ):
                return False
    return catalog.commit_inserts(coll, keys, ids, raws)


def duplicate_id_error(coll: Collection, id_value: Any) -> MongoError:
    key_value = {"_id": id_value}
    return MongoError(
        ErrorCode.DuplicateKey,
        duplicate_key_message(coll.ns, "_id_", key_value),
        keyPattern={"_id": 1},
        keyValue=key_value,
    )


class DocumentBatch:
    """After-images of one statement, checked against the collection and each other before the commit:
    ``_id`` clashes, unique index keys and unindexable documents (parallel arrays).

    Each after-image is checked as it is added, against the index with the batch's earlier images in
    force — the order in which mongod would apply them — so a failing statement commits nothing.
    """

    def __init__(self, coll: Collection, *, bypass_validation: bool = False) -> None:
        self.coll = coll
        self.validation = None if bypass_validation else coll.validation
        self.timeseries: dict[str, Any] | None = coll.options.get("timeseries")
        self.writes: list[DocWrite] = []
        self.pending: dict[Hashable, bytes | None] = {}
        self._claims: dict[str, dict[tuple, Hashable]] = {}
        self._held: dict[Hashable, list[tuple[str, tuple]]] = {}

    def _release(self, key: Hashable) -> None:
        for name, ikey in self._held.pop(key, ()):
            claims = self._claims.get(name)
            if claims is not None and claims.get(ikey) == key:
                del claims[ikey]

    def _check_indexes(self, key: Hashable, doc: dict[str, Any]) -> None:
        """Raise DuplicateKey / CannotIndexParallelArrays if ``doc`` cannot join the indexes as ``key``."""
        if not self.coll.indexes:
            return
        held: list[tuple[str, tuple]] = []
        for index in self.coll.indexes.values():
            keys = index.keys(doc)
            if not index.unique or not index.built:
                continue
            claims = self._claims.setdefault(index.name, {})
            for ikey in keys:
                owner = claims.get(ikey)
                if owner is not None and owner != key:
                    raise index.duplicate_key_error(self.coll.ns, doc, ikey)
                for other in index.owners(ikey):
                    if other != key and other not in self.pending:
                        self._wait_if_freed(other, index.name, ikey, key)
                        raise index.duplicate_key_error(self.coll.ns, doc, ikey)
                held.append((index.name, ikey))
        self._release(key)
        for name, ikey in held:
            self._claims[name][ikey] = key
        self._held[key] = held

    def _wait_if_freed(self, owner: Hashable, index_name: str, ikey: tuple, key: Hashable) -> None:
        """WriteBlocked instead of DuplicateKey when an open transaction deleted or changed ``owner``
        so that it no longer holds ``ikey``: mongod's write waits for that transaction to end."""
        intents = getattr(self.coll, "intents", None)  # a transaction's view of a collection has none
        if not intents:
            return
        holder = intents.get((self.coll.ns, owner))
        if (
            holder is not None
            and holder.open
            and not holder.holds_unique(self.coll.ns, index_name, ikey, key)
        ):
            raise WriteBlocked(holder)

    def claimant(self, index_name: str, ikey: tuple) -> Hashable | None:
        """The document of this batch that holds ``ikey`` in the unique index ``index_name``, if any."""
        claims = self._claims.get(index_name)
        return None if claims is None else claims.get(ikey)

    def release(self, key: Hashable) -> None:
        """Give up the unique keys ``key`` claimed (it was deleted: a transaction's write set)."""
        self._release(key)

    def check_indexes(self, key: Hashable, doc: dict[str, Any]) -> None:
        """Raise as ``insert``/``put`` would if ``doc`` joined the indexes as ``key`` (a transaction's
        write set checked against the live indexes: ``engine/store.py``)."""
        self._check_indexes(key, doc)

    def exists(self, key: Hashable) -> bool:
        if key in self.pending:
            return self.pending[key] is not None
        return key in self.coll.docs

    def insert(self, doc: dict[str, Any], raw: bytes | None = None) -> dict[str, Any]:
        """Add ``doc`` as a new document; ``raw``, when given, is its encoding (``encode_many``)."""
        timeseries = self.timeseries is not None
        if timeseries:  # laid out as mongod returns a measurement, and encoded in that order
            doc, raw = measurement(doc, self.timeseries), None
        elif not doc or next(iter(doc)) != "_id":
            doc = with_id_first(doc)
        id_value = doc["_id"]
        kind = type(id_value)
        if kind is int or kind is str:  # the commonest _id types: valid, and their own hash keys
            key: Hashable = id_value
        else:
            validate_id(id_value)
            key = hash_key(id_value)
        coll = self.coll
        if self.validation is not None:
            self.validation.check(coll.ns, doc)
        pending = self.pending
        if (pending[key] is not None) if key in pending else (key in coll.docs):
            raise duplicate_id_error(coll, id_value)
        if raw is None:
            raw = encode_stored(doc, timeseries)
        else:
            check_stored(doc, raw)
        if coll.capped is not None:
            check_capped_insert(coll, raw)
        if coll.indexes:
            self._check_indexes(key, doc)
        pending[key] = raw
        self.writes.append(DocWrite(coll, key, id_value, raw, INSERT))
        return doc

    def replace(
        self, old: dict[str, Any], new: dict[str, Any], op: str = "", paths: tuple[str, ...] | None = None
    ) -> None:
        self.put(new, old["_id"], op, paths)

    def put(
        self, doc: dict[str, Any], id_value: Any = None, op: str = "", paths: tuple[str, ...] | None = None
    ) -> None:
        """``doc`` as the after-image of its ``_id`` (``id_value`` when given), inserted or replacing;
        ``op`` is the change's kind for the history (history.UPDATE / REPLACE), ``paths`` what a
        modifier-style update logged (``CompiledUpdate.apply``), for its change event."""
        id_value = doc["_id"] if id_value is None else id_value
        validate_id(id_value)
        key = hash_key(id_value)
        if self.validation is not None:
            self._validate_after_image(key, doc)
        raw = encode_stored(doc, self.timeseries is not None)
        if self.coll.capped is not None:
            check_capped_insert(self.coll, raw)
        self._check_indexes(key, doc)
        self.pending[key] = raw
        self.writes.append(DocWrite(self.coll, key, id_value, raw, op, paths))

    def _validate_after_image(self, key: Hashable, doc: dict[str, Any]) -> None:
        """The validator's check of a new version: under ``moderate`` a document that already failed
        the validator may change freely (mongod's rule), a new one is always checked."""
        validation = self.validation
        assert validation is not None
        if validation.level == "moderate":
            old = self.pending[key] if key in self.pending else self.coll.docs.get(key)
            if old is not None and not validation.matches(decode_document(old)):
                return
        validation.check(self.coll.ns, doc)

    def delete(self, doc: dict[str, Any]) -> None:
        key = hash_key(doc["_id"])
        self._release(key)
        self.pending[key] = None
        self.writes.append(DocWrite(self.coll, key, doc["_id"], None))


# -- insert ---------------------------------------------------------------------------------------------


@dataclass(slots=True)
class WriteOutcome:
    """What a write command reports: counts plus per-statement errors (``index`` = statement position)."""

    n: int = 0
    n_modified: int = 0
    upserted: list[dict[str, Any]] = field(default_factory=list)
    write_errors: list[dict[str, Any]] = field(default_factory=list)

    def add_error(self, index: int, error: MongoError) -> None:
        self.write_errors.append({"index": index, "code": error.code, **error.extra, "errmsg": error.errmsg})


def insert_documents(
    catalog: Catalog,
    db: str,
    name: str,
    docs: list[dict[str, Any]],
    ordered: bool,
    bypass_validation: bool = False,
) -> WriteOutcome:
    coll = catalog.ensure_collection(db, name)
    if len(docs) > 1 and _insert_plain(catalog, coll, docs, bypass_validation):
        return WriteOutcome(len(docs))
    batch = DocumentBatch(coll, bypass_validation=bypass_validation)
    outcome = WriteOutcome()
    raws = encode_many(docs) if len(docs) > 1 else [None] * len(docs)
    for index, doc in enumerate(docs):
        try:
            batch.insert(doc, raws[index])
        except MongoError as error:
            outcome.add_error(index, error)
            if ordered:
                break
    catalog.commit(batch.writes)
    outcome.n = len(batch.writes)
    return outcome


# -- update ---------------------------------------------------------------------------------------------


@dataclass(slots=True)
class UpdateStatement:
    q: dict[str, Any]
    u: dict[str, Any] | list[Any]
    upsert: bool = False
    multi: bool = False
    array_filters: list[dict[str, Any]] | None = None
    variables: dict[str, Any] | None = None  # the command's evaluated `let`
    constants: dict[str, Any] | None = None  # the statement's `c` (pipeline updates only)
    hint: Any = None  # an index name or key pattern, already validated
    bypass_validation: bool = False  # the command's bypassDocumentValidation
    collation: Any = None  # the statement's own collation option (validated), else the collection's


def _compile_statement(st: UpdateStatement) -> CompiledUpdate:
    compiled = compile_update(
        st.u, array_filters=st.array_filters, variables=st.variables, constants=st.constants
    )
    if compiled.is_replacement and compiled.pipeline is None and st.multi:
        raise MongoError(
            ErrorCode.FailedToParse, "multi update is not supported for replacement-style update"
        )
    return compiled


def change_kind(compiled: CompiledUpdate, old: dict[str, Any], new: dict[str, Any]) -> str:
    """What the oplog and change streams call an update: a replacement document is a replace; a pipeline
    update is an update (mongod logs it as a delta) unless its delta would outweigh the new document,
    which mongod then logs whole, as a replace."""
    if not compiled.is_replacement:
        return UPDATE
    if compiled.pipeline is None:
        return REPLACE
    delta = update_description(old, new, False)
    size = len(encode_document(delta["updatedFields"])) + sum(len(f) + 2 for f in delta["removedFields"])
    return UPDATE if size <= len(encode_document(new)) else REPLACE


def _upsert_document(st: UpdateStatement, compiled: CompiledUpdate) -> dict[str, Any]:
    """The document an upsert inserts: seeded from the filter's equality fields, then updated."""
    return compiled.upsert_document(st.q)


def _id_match(coll: Collection, st: UpdateStatement) -> list[tuple[bytes, dict[str, Any]]] | None:
    """The match of a ``{_id: v}`` filter without a hint, found as the planner's IDHACK plan finds it
    (same lookup, same access count) without building the plan; None for any other statement."""
    if st.hint not in (None, {}, "") or not active().is_simple:  # the _id index is binary (collation)
        return None
    is_id, id_value = id_equality(st.q)
    if not is_id:
        return None
    coll.id_accesses += 1
    raw = coll.docs.get(hash_key(id_value))
    return [] if raw is None else [(raw, decode_document(raw))]


def update_one_statement(catalog: Catalog, db: str, name: str, st: UpdateStatement) -> tuple[int, int, Any]:
    """Run one update statement; returns ``(matched, modified, upserted _id or None)``."""
    coll = catalog.collection(db, name)
    if coll is not None and "timeseries" in coll.options:
        check_update(coll.options["timeseries"], st.q, st.u, st.multi, st.upsert)
    collator = operation_collator(st.collation, coll)
    if collator is active():  # (the usual: simple, outside any operation) no context to enter
        return _update_one(catalog, db, name, st, coll)
    with using(collator):
        return _update_one(catalog, db, name, st, coll)


def _update_by_id(
    catalog: Any, coll: Collection, st: UpdateStatement, compiled: CompiledUpdate
) -> tuple[int, int, Any] | None:
    """A top-level operator update of the document ``{_id: v}`` names, in a collection where the new
    version changes nothing but itself and the history (no built index, validator, cap or time series):
    looked up as ``_id_match`` does, applied, then committed alone (``Catalog.commit_one``) without a
    DocumentBatch. None (nothing done) for any other statement; an upsert that may insert is one."""
    if not compiled.top_level or st.upsert or not _plain_target(catalog, coll, st.bypass_validation):
        return None
    match = _id_match(coll, st)
    if not match:
        return None if match is None else (0, 0, None)
    doc = match[0][1]
    new_doc, changed, paths = compiled.apply_logged(doc, query=st.q)
    if not changed:
        return 1, 0, None
    stored_id = doc["_id"]
    raw = encode_stored(with_id_first(new_doc))
    catalog.commit_one(coll, hash_key(stored_id), stored_id, raw, UPDATE, paths)
    return 1, 1, None


def plain_collection(catalog: Any, coll: Collection) -> bool:
    """Whether the point-write lane (``update_plain_by_id``, ``insert_one_plain``) may write to ``coll``:
    ``_plain_target`` without bypassing validation, and the simple collation (the ``_id`` lookup is
    binary)."""
    return "collation" not in coll.options and _plain_target(catalog, coll, False)


def update_plain_by_id(
    catalog: Catalog, coll: Collection, id_value: int | str | ObjectId, compiled: CompiledUpdate
) -> tuple[int, int] | None:
    """``(matched, modified)`` of the statement ``{q: {_id: id_value}, u}`` (``compiled``: a top-level
    operator update, compiled under the simple collation) on ``coll``, which ``plain_collection`` took,
    with ``catalog.intents`` empty and no commits held: what ``_update_by_id`` does for it, every step
    that may fail (applying, encoding) taken before anything changes. None, with nothing changed, when
    a step fails: the caller then runs the statement by the general path, which reports the failure."""
    # (an int or a string is its own key; an ObjectId's is hash_key's, which only an ObjectId has)
    key = id_value if id_value.__class__ is not ObjectId else hash_key(id_value)
    raw = coll.docs.get(key)
    if raw is None:
        coll.id_accesses += 1  # (as _id_match counts every lookup)
        return 0, 0
    # The stored _id is id_value itself when it is stored as an int32, a string or an ObjectId (else,
    # say 5.0 for a query's 5, the general path reads it): then the update may apply to the bytes
    # (updates/in_place.py).
    if compiled.in_place is not None and raw[4] == _ID_TYPE_BYTE.get(id_value.__class__):
        new_raw = patch_in_place(raw, compiled.in_place)
        if new_raw is not None:  # the bytes apply() and encode_stored() give, in a few byte steps
            coll.id_accesses += 1
            if new_raw is raw:
                return 1, 0
            catalog.commit_one(coll, key, id_value, new_raw, UPDATE)
            return 1, 1
    doc = decode_document(raw)
    try:
        new_doc, changed, paths = compiled.apply_logged(doc)
        new_raw = encode_stored(with_id_first(new_doc)) if changed else None
    except Exception:
        return None
    coll.id_accesses += 1
    if new_raw is None:
        return 1, 0
    stored_id = doc["_id"]
    catalog.commit_one(coll, hash_key(stored_id), stored_id, new_raw, UPDATE, paths)
    return 1, 1


def insert_one_plain(catalog: Catalog, coll: Collection, doc: dict[str, Any]) -> bool:
    """Insert ``doc`` into ``coll`` (which ``plain_collection`` took, with ``catalog.intents`` empty and
    no commits held) as ``insert_documents`` does for a batch of one, when ``doc`` has an int, string or
    ObjectId ``_id`` first that ``coll`` does not hold and it encodes within the limits: one
    ``commit_one`` (the same record, history entry and document as ``commit`` of its ``DocWrite``).
    False, with nothing changed, for anything else: the general path then inserts it or reports why not."""
    if not doc or next(iter(doc)) != "_id":
        return False
    id_value = doc["_id"]
    if id_value.__class__ not in POINT_ID_TYPES:
        return False
    key = id_value if id_value.__class__ is not ObjectId else hash_key(id_value)  # as update_plain_by_id
    if key in coll.docs:
        return False
    try:
        raw = encode_stored(doc)
    except Exception:
        return False
    catalog.commit_one(coll, key, id_value, raw, INSERT)
    return True


def _update_one(
    catalog: Catalog, db: str, name: str, st: UpdateStatement, coll: Collection | None
) -> tuple[int, int, Any]:
    compiled = _compile_statement(st)
    if coll is not None:
        done = _update_by_id(catalog, coll, st, compiled)
        if done is not None:
            return done
    matches = _id_match(coll, st) if coll is not None else None
    if matches is None:
        matches = []
        for item in iter_matches(coll, st.q, hint=st.hint, variables=st.variables):
            matches.append(item)
            if not st.multi:
                break
    if not matches:
        if not st.upsert:
            return 0, 0, None
        coll = catalog.ensure_collection(db, name)
        batch = DocumentBatch(coll, bypass_validation=st.bypass_validation)
        doc = batch.insert(_upsert_document(st, compiled))
        catalog.commit(batch.writes)
        return 1, 0, doc["_id"]
    assert coll is not None
    batch = DocumentBatch(coll, bypass_validation=st.bypass_validation)
    modified = 0
    for _, doc in matches:
        new_doc, changed, paths = compiled.apply_logged(doc, query=st.q)
        if changed:
            after = new_doc if batch.timeseries is not None else with_id_first(new_doc)
            batch.replace(doc, after, change_kind(compiled, doc, after), paths)
            modified += 1
    catalog.commit(batch.writes)
    return len(matches), modified, None


def would_update(st: UpdateStatement, rows: list[tuple[bytes, dict[str, Any]]]) -> dict[str, Any]:
    """What ``st`` would do to ``rows`` (its matches), for explain: nothing is written."""
    compiled = _compile_statement(st)
    matched = rows if st.multi else rows[:1]
    modified = sum(1 for _, doc in matched if compiled.apply(doc, query=st.q)[1])
    return {
        "nMatched": len(matched),
        "nWouldModify": modified,
        "nWouldUpsert": int(st.upsert and not matched),
    }


def update_documents(
    catalog: Catalog, db: str, name: str, statements: list[UpdateStatement], ordered: bool
) -> WriteOutcome:
    outcome = WriteOutcome()
    for index, st in enumerate(statements):
        try:
            matched, modified, upserted_id = update_one_statement(catalog, db, name, st)
        except WriteBlocked as blocked:  # the statements before it are applied: the server goes on from it
            blocked.done, blocked.outcome = index, outcome
            raise
        except MongoError as error:
            outcome.add_error(index, error)
            if ordered:
                break
            continue
        outcome.n += matched
        outcome.n_modified += modified
        if upserted_id is not None:
            outcome.upserted.append({"index": index, "_id": upserted_id})
    return outcome


# -- delete ---------------------------------------------------------------------------------------------


def delete_documents(
    catalog: Catalog,
    db: str,
    name: str,
    statements: list[tuple],
    ordered: bool,
    variables: dict[str, Any] | None = None,
) -> WriteOutcome:
    """``statements`` are ``(filter, limit, hint[, collation])`` with limit 0 (all) or 1; ``variables``: the
    evaluated `let`."""
    outcome = WriteOutcome()
    for index, (spec, limit, hint, *collation) in enumerate(statements):
        try:
            coll = catalog.collection(db, name)
            with using(operation_collator(collation[0] if collation else None, coll)):
                matches = iter_matches(coll, spec, hint=hint, variables=variables)
                if coll is None:
                    list(matches)  # still validates the filter
                    continue
                batch = DocumentBatch(coll)
                for _, doc in matches:
                    batch.delete(doc)
                    if limit == 1:
                        break
            catalog.commit(batch.writes)
            outcome.n += len(batch.writes)
        except WriteBlocked as blocked:
            blocked.done, blocked.outcome = index, outcome
            raise
        except MongoError as error:
            outcome.add_error(index, error)
            if ordered:
                break
    return outcome


# -- findAndModify --------------------------------------------------------------------------------------


@dataclass(slots=True)
class FindAndModifySpec:
    query: dict[str, Any]
    sort: dict[str, Any] | None = None
    remove: bool = False
    update: dict[str, Any] | list[Any] | None = None
    new: bool = False
    fields: dict[str, Any] | None = None
    upsert: bool = False
    array_filters: list[dict[str, Any]] | None = None
    variables: dict[str, Any] | None = None  # the command's evaluated `let`
    hint: Any = None
    bypass_validation: bool = False


def find_and_modify(catalog: Catalog, db: str, name: str, spec: FindAndModifySpec) -> dict[str, Any]:
    """Returns the reply's ``{lastErrorObject, value}``."""
    target = catalog.collection(db, name)
    if target is not None and "timeseries" in target.options:
        raise MongoError(
            ErrorCode.NotImplemented, "findAndModify on a time-series collection is not supported by docdb"
        )
    validate_filter(spec.query, variables=spec.variables)
    project = (
        compile_projection(spec.fields, query=spec.query, variables=spec.variables) if spec.fields else None
    )
    compiled = None
    if not spec.remove:
        assert spec.update is not None
        compiled = _compile_statement(
            UpdateStatement(
                spec.query, spec.update, spec.upsert, False, spec.array_filters, variables=spec.variables
            )
        )
    coll = catalog.collection(db, name)
    found = ordered_matches(
        coll, FindSpec(spec.query, sort=spec.sort, limit=1, variables=spec.variables, hint=spec.hint)
    )
    value: dict[str, Any] | None = None
    last_error: dict[str, Any]
    if spec.remove:
        last_error = {"n": 0}
        if found:
            assert coll is not None
            batch = DocumentBatch(coll)
            value = found[0][1]
            batch.delete(value)
            catalog.commit(batch.writes)
            last_error = {"n": 1}
    elif found:
        assert coll is not None and compiled is not None
        old = found[0][1]
        new_doc, changed, paths = compiled.apply_logged(old, query=spec.query)
        new_doc = with_id_first(new_doc)
        if changed:
            batch = DocumentBatch(coll, bypass_validation=spec.bypass_validation)
            batch.replace(old, new_doc, change_kind(compiled, old, new_doc), paths)
            catalog.commit(batch.writes)
        value = new_doc if spec.new else old
        last_error = {"n": 1, "updatedExisting": True}
    elif spec.upsert:
        assert compiled is not None
        st = UpdateStatement(spec.query, spec.update or {}, True, False, spec.array_filters, spec.variables)
        coll = catalog.ensure_collection(db, name)
        batch = DocumentBatch(coll, bypass_validation=spec.bypass_validation)
        doc = batch.insert(_upsert_document(st, compiled))
        catalog.commit(batch.writes)
        value = doc if spec.new else None
        last_error = {"n": 1, "updatedExisting": False, "upserted": doc["_id"]}
    else:
        last_error = {"n": 0, "updatedExisting": False}
    if value is not None and project is not None:
        value = project(value)
    return {"lastErrorObject": last_error, "value": value}


# -- TTL ------------------------------------------------------------------------------------------------


def expired_documents(coll: Collection, now_ms: int) -> list[dict[str, Any]]:
    """Documents of ``coll`` that a TTL index says are expired at ``now_ms`` (epoch milliseconds): the
    indexed field holds a date (an array: its earliest date) older than ``expireAfterSeconds``."""
    found: dict[Hashable, dict[str, Any]] = {}
    if "timeseries" in coll.options and "expireAfterSeconds" in coll.options:
        for key, raw in coll.docs.items():
            doc = decode_document(raw)
            if timeseries_expired(coll.options, doc, now_ms):
                found[key] = doc
    for index in coll.indexes.values():
        seconds = index.spec.get("expireAfterSeconds")
        if seconds is None or not index.built:
            continue
        cutoff = (RANK_DATE, now_ms - int(seconds) * 1000)
        if index.maker.descending[0]:
            entries = index.scan(invert(cutoff) + (HIGH,), (-RANK_DATE, HIGH), False)
        else:
            entries = index.scan((RANK_DATE,), cutoff, False)
        for entry in list(entries):
            if entry[-1] in found:
                continue
            raw = coll.docs.get(entry[-1])
            if raw is not None:
                found[entry[-1]] = decode_document(raw)
    return list(found.values())


def expire_documents(catalog: Catalog, now_ms: int) -> int:
    """Delete every expired document (one logged batch per collection); returns how many."""
    deleted = 0
    for colls in list(catalog.databases.values()):
        for coll in list(colls.values()):
            expired = expired_documents(coll, now_ms)
            if not expired:
                continue
            batch = DocumentBatch(coll)
            for doc in expired:
                batch.delete(doc)
            try:
                catalog.commit(batch.writes)
            except WriteBlocked:  # an open transaction wrote one of them: the next pass tries again
                continue
            deleted += len(expired)
    return deleted
