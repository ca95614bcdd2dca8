"""The change history in the log: how a restart rebuilds it, and the HISTORY records compaction keeps it in.

A restart rebuilds the history (``engine/history.py``) from the records in the last ``--oplog-size-mb`` of
the file, so change streams and ``local.oplog.rs`` resume across it. Two kinds of records feed it:

- ordinary records replayed as the live commit made them (``Catalog._replay_into_history``): a
  WRITE_BATCH put's kind is its ``k`` (:data:`KINDS`; a put without one, as files written before kinds
  were logged hold, is an insert when no document had its ``_id``, else an update), its before-image is
  the document it replaces; catalog records become the entries of :func:`append_ddl_changes`. A record's
  ``w`` is its commit's wall-clock time (:func:`wall_of`: the Timestamp's seconds for a record written
  before ``w`` was logged); a change's collection UUID is the one the replayed catalog holds for it then
  (the UUID its CREATE_COLLECTION record or transaction ``creates`` gave it);
- HISTORY records, which a compaction writes after the live state: the entries the history held, images
  included (:func:`encode_history`, read back by :func:`load_history_record`). Compaction keeps only live
  documents, so without them a compaction followed by a restart would end every stream's window.

A HISTORY payload is ``{horizon: Timestamp, changes: [change, ...], statements?, creates?}``; ``horizon``
says that changes up to that Timestamp are not in this record or a later one (the history's horizon when
the record is the first one read). A change is ``{ts, [w], ns, [ui], op, id, [a], [b], [lsid, txnNumber],
[m]}``: ``op`` the history's kind (insert, update, replace, delete, or a catalog change: create, drop,
rename, dropDatabase,
createIndexes, dropIndexes, modify), ``id`` the document's ``_id`` (a catalog change's details for
those), ``a`` the after-image and ``b`` the before-image as binary (subtype 0: the stored BSON bytes,
never decoded on the way). ``b`` is left out when it is the previous ``a`` of the same document in the same
record (or, for an insert, when there was none); ``b: null`` is a missing before-image. ``w`` (a date: the
commit's wall-clock time) is left out when the previous change in the record has the same Timestamp and
``w``; without one, and no such previous change (records written before ``w`` was kept), it is the
Timestamp's seconds. ``ui`` (the collection's UUID at the change, binary subtype 4; ``ui: null`` for
none, as a database's drop) is left out when the previous change in the record has the same ``ns`` and
``ui``; without one, and no such previous change (records written before ``ui`` was kept), the change's
UUID is unknown (None: readers fall back to the collection's current one). Changes of one
Timestamp are never split between records, so a record read alone gives every change's position within
its Timestamp, which resume tokens name. ``statements`` are the retryable writes among the record's
commits (``{ts, lsid, txnNumber, stmts, prev?}``, the history's ``Statements``), which ``local.oplog.rs``
shows with their session fields; ``creates`` the collections its transactions created (``{ts, colls}``,
``colls`` as the commit record's ``creates``), shown inside their ``applyOps``. ``m`` is an update's
logged paths (``Change.paths``), when it has them.
"""

from __future__ import annotations

import copy
import datetime
from collections.abc import Hashable, Iterable, Iterator
from typing import Any

import bson
from bson.binary import Binary
from bson.datetime_ms import DatetimeMS
from bson.int64 import Int64
from bson.timestamp import Timestamp

from docdb.bson_codec import CODEC_OPTIONS, decode_document
from docdb.engine.bson_order import datetime_to_ms, hash_key
from docdb.engine.history import (
    DELETE,
    ENTRY_BYTES,
    INSERT,
    REPLACE,
    UPDATE,
    Change,
    ChangeHistory,
    Statements,
    wall_ms,
)
from docdb.engine.log.record import RecordType

KINDS = {"i": INSERT, "u": UPDATE, "r": REPLACE}  # a WRITE_BATCH put's ``k`` (log/batch_encode.py)
DOCUMENT_OPS = frozenset({INSERT, UPDATE, REPLACE, DELETE})
HISTORY_BATCH_BYTES = 4 << 20  # a HISTORY record is cut at the first Timestamp change past this size
REPLSET_NS = ("local", "system.replset")


def keeps_history(catalog: Any) -> bool:
    """Whether compaction keeps the history: the file belongs to a replica set (it holds the set's config,
    ``local.system.replset``), the mode with change streams and ``local.oplog.rs``. A standalone's
    compacted file holds only its live state."""
    return catalog.collection(*REPLSET_NS) is not None


def change_uuid(catalog: Any, change: Change) -> Binary | None:
    """The UUID of the collection a change was made on: its own; for a change that has none although it
    names a collection (read from a HISTORY record written before UUIDs were kept), the collection's
    current one, if it still exists. None for a database's drop."""
    uuid = change.uuid
    if uuid is None and change.op != "dropDatabase":
        db, _, name = change.ns.partition(".")
        coll = catalog.collection(db, name) if name else None
        if coll is not None:
            return coll.uuid
    return uuid


def history_key(id_value: Any) -> Hashable:
    """The collection key of an ``_id``, as ``DocumentBatch`` makes it."""
    return id_value if type(id_value) is int else hash_key(id_value)


def frozen_info(info: Any) -> Any:
    """A catalog change's details as the history keeps them: a copy, so a later change to the live
    options or index specs neither rewrites the entry nor races a compaction thread reading it."""
    return info if info is None or isinstance(info, str) else copy.deepcopy(info)


def compaction_history(catalog: Any) -> Iterable[bytes]:
    """At compaction's snapshot (on the event loop): the HISTORY payloads to write after the live state,
    made lazily by the worker thread that iterates them; none for a standalone's file."""
    if not keeps_history(catalog):
        return ()
    history = catalog.history
    return encode_history(
        history.entries(), history.horizon, history.max_bytes, dict(history.statements), dict(history.creates)
    )


def history_file_bytes(catalog: Any) -> int:
    """What compaction writes of the history, at most (the in-memory cost: both images of every change,
    where the records leave out a before-image that is the previous after-image)."""
    return catalog.history.size_bytes if keeps_history(catalog) else 0


def wall_of(value: Any, ts: Timestamp) -> int:
    """A logged ``w`` (a BSON date as decoded: ``DatetimeMS``, or a naive UTC datetime) in
    milliseconds since the epoch; without one (a record written before ``w`` was logged), the Timestamp's
    seconds.

    >>> ts = Timestamp(7, 1)
    >>> seven = datetime.datetime(1970, 1, 1, 0, 0, 7, 42000)
    >>> wall_of(seven, ts), wall_of(DatetimeMS(-1), ts), wall_of(None, ts)
    (7042, -1, 7000)
    """
    if type(value) is DatetimeMS:
        return int(value)
    if isinstance(value, datetime.datetime):
        return datetime_to_ms(value)
    return ts.time * 1000


# -- replaying ordinary records --------------------------------------------------------------------------


def window_started(history: ChangeHistory, ts: Timestamp) -> None:
    """The first record of the window: changes before its Timestamp are not in the history."""
    if not len(history) and history.horizon == Timestamp(0, 0):
        history.horizon = Timestamp(ts.time, ts.inc - 1) if ts.inc else Timestamp(ts.time - 1, 0)


def append_ddl_changes(
    history: ChangeHistory,
    rtype: int,
    doc: dict[str, Any],
    ts: Timestamp,
    dropped: list[tuple[str, Binary]],
    index_specs: list[dict[str, Any]],
    uuid: Binary | None,
) -> None:
    """The entries of a replayed catalog record, as ``Catalog._ddl_change`` made them live: ``dropped``
    names a dropped database's collections and their UUIDs, ``index_specs`` are the dropped indexes'
    specs, ``uuid`` is the UUID of the record's collection (a rename's source), all read before the record
    was applied (a created collection's is in the record)."""
    wall = wall_of(doc.get("w"), ts)

    def append(ns: str, op: str, info: Any, uuid: Binary | None) -> None:
        history.append(ts, ns, op, None, info, None, None, None, None, wall, uuid)

    if rtype == RecordType.CREATE_COLLECTION:
        append(doc["ns"], "create", frozen_info(doc.get("options") or {}), doc.get("uuid", uuid))
    elif rtype == RecordType.DROP_COLLECTION:
        append(doc["ns"], "drop", None, uuid)
    elif rtype == RecordType.DROP_DATABASE:
        for ns, dropped_uuid in dropped:
            append(ns, "drop", None, dropped_uuid)
        append(doc["db"], "dropDatabase", None, None)
    elif rtype == RecordType.RENAME_COLLECTION:
        append(doc["from"], "rename", doc["to"], uuid)
    elif rtype == RecordType.CREATE_INDEXES:
        append(doc["ns"], "createIndexes", frozen_info(doc["indexes"]), uuid)
    elif rtype == RecordType.DROP_INDEXES:
        append(doc["ns"], "dropIndexes", index_specs, uuid)
    elif rtype == RecordType.COLL_MOD:
        append(doc["ns"], "modify", frozen_info(doc["changes"]), uuid)


# -- HISTORY records -------------------------------------------------------------------------------------


def within_budget(entries: list[Change], horizon: Timestamp, budget: int) -> tuple[int, Timestamp]:
    """Where the newest entries costing at most ``budget`` bytes (as the history counts them) start,
    cut between Timestamps, and the horizon that leaves. The history already keeps to its budget unless
    an open snapshot pins older entries.

    >>> e = [Change(i, Timestamp(1, i // 2 + 1), "d.c", INSERT, i, i, b"x" * 100, None) for i in range(4)]
    >>> within_budget(e, Timestamp(0, 0), 10_000), within_budget(e, Timestamp(0, 0), 3 * (ENTRY_BYTES + 100))
    ((0, Timestamp(0, 0)), (2, Timestamp(1, 1)))
    """
    total = 0
    for i in range(len(entries) - 1, -1, -1):
        change = entries[i]
        total += ENTRY_BYTES + _size(change.after) + _size(change.before)
        if total > budget:
            start = i + 1
            while start < len(entries) and entries[start].ts == change.ts:
                start += 1
            return start, change.ts
    return 0, horizon


def encode_history(
    entries: list[Change],
    horizon: Timestamp,
    budget: int,
    statements: dict[Timestamp, Statements] | None = None,
    creates: dict[Timestamp, list[dict[str, Any]]] | None = None,
) -> Iterator[bytes]:
    """HISTORY payloads for the newest ``budget`` bytes of ``entries`` (oldest first), at least one (an
    empty history still carries its horizon), with the retryable-write ``statements`` and the collections
    transactions created (``creates``) of their commits.
    Runs in compaction's worker thread: the entries are immutable tuples of immutable bytes, the
    history's catalog details are copies (``frozen_info``), ``statements`` and ``creates`` copies of the
    history's."""
    start, record_horizon = within_budget(entries, horizon, budget)
    statements = statements or {}
    creates = creates or {}
    changes: list[dict[str, Any]] = []
    ran: list[dict[str, Any]] = []
    created: list[dict[str, Any]] = []
    size = 0
    last_after: dict[tuple[str, Hashable], bytes | None] = {}
    previous: Change | None = None  # the previous change in the record
    for i in range(start, len(entries)):
        change = entries[i]
        if size >= HISTORY_BATCH_BYTES and previous is not None and change.ts != previous.ts:
            yield _history_payload(record_horizon, changes, ran, created)
            record_horizon = previous.ts
            changes, ran, created, size, last_after, previous = [], [], [], 0, {}, None
        if previous is None or change.ts != previous.ts:
            if change.ts in statements:
                ran.append(_statements_doc(change.ts, statements[change.ts]))
            if change.ts in creates:
                created.append({"ts": change.ts, "colls": creates[change.ts]})
        op = change.op
        doc: dict[str, Any] = {"ts": change.ts}
        wall = wall_ms(change)
        if previous is None or previous.ts != change.ts or wall_ms(previous) != wall:
            doc["w"] = DatetimeMS(wall)
        doc["ns"] = change.ns
        if previous is None or previous.ns != change.ns or previous.uuid != change.uuid:
            doc["ui"] = change.uuid
        doc["op"] = op
        doc["id"] = change.id_value
        if op in DOCUMENT_OPS:
            after, before = change.after, change.before
            slot = (change.ns, change.key)
            if after is not None:
                doc["a"] = after
            if op == INSERT:
                explicit = before is not None
            else:
                explicit = before is None or slot not in last_after or before is not last_after[slot]
            if explicit:
                doc["b"] = before
                size += _size(before)
            last_after[slot] = after
            size += _size(after)
        if change.lsid is not None:
            doc["lsid"] = change.lsid
            doc["txnNumber"] = Int64(change.txn_number or 0)
        if change.paths is not None:
            doc["m"] = list(change.paths)
        changes.append(doc)
        size += 64 + len(change.ns)
        previous = change
    yield _history_payload(record_horizon, changes, ran, created)


def _statements_doc(ts: Timestamp, statements: Statements) -> dict[str, Any]:
    doc = {
        "ts": ts,
        "lsid": statements.lsid,
        "txnNumber": Int64(statements.txn_number),
        "stmts": statements.stmt_ids,
    }
    if statements.prev is not None:
        doc["prev"] = statements.prev
    return doc


def _history_payload(
    horizon: Timestamp,
    changes: list[dict[str, Any]],
    ran: list[dict[str, Any]],
    created: list[dict[str, Any]],
) -> bytes:
    payload: dict[str, Any] = {"horizon": horizon, "changes": changes}
    if ran:
        payload["statements"] = ran
    if created:
        payload["creates"] = created
    return bson.encode(payload, codec_options=CODEC_OPTIONS)


def load_history_record(history: ChangeHistory, payload: bytes) -> None:
    """Append a HISTORY record's changes to ``history`` (a restart, the record being in the window); the
    first record read sets the horizon. ValueError for a change whose before-image it does not hold."""
    record = decode_document(payload)
    if not len(history):
        history.horizon = record["horizon"]
    append = history.append
    last_after: dict[tuple[str, Hashable], bytes | None] = {}
    ran = {doc["ts"]: doc for doc in record.get("statements", ())}
    for created in record.get("creates", ()):
        history.note_creates(created["ts"], created["colls"])
    previous_ts = previous_ns = None
    wall, uuid = 0, None
    for doc in record["changes"]:
        ts, ns, op, id_value = doc["ts"], doc["ns"], doc["op"], doc.get("id")
        if ran and ts in ran:  # before the first change of their commit
            s = ran.pop(ts)
            history.add_statements(s["ts"], s["lsid"], int(s["txnNumber"]), s["stmts"], s.get("prev"))
        if "w" in doc or ts != previous_ts:
            wall = wall_of(doc.get("w"), ts)
        if "ui" in doc:
            uuid = doc["ui"]
        elif ns != previous_ns:
            uuid = None  # written before UUIDs were kept
        previous_ts, previous_ns = ts, ns
        lsid = doc.get("lsid")
        number = int(doc["txnNumber"]) if lsid is not None else None
        if op not in DOCUMENT_OPS:
            append(ts, ns, op, None, id_value, None, None, lsid, number, wall, uuid)
            continue
        key = history_key(id_value)
        slot = (ns, key)
        after = doc.get("a")
        if "b" in doc:
            before = doc["b"]
        elif op == INSERT:
            before = None
        elif slot in last_after:
            before = last_after[slot]
        else:
            raise ValueError(f"HISTORY change of {ns} {id_value!r} refers to a before-image it does not hold")
        last_after[slot] = after
        paths = doc.get("m")
        append(
            ts,
            ns,
            op,
            key,
            id_value,
            after,
            before,
            lsid,
            number,
            wall,
            uuid,
            tuple(paths) if paths else None,
        )


def _size(image: bytes | None) -> int:
    return 0 if image is None else len(image)
