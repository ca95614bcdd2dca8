"""``local.oplog.rs`` as mongod shows it, made from the change history (replica-set mode).

There is no stored oplog: each history entry becomes an oplog entry when read (``op`` i/u/d, or c for a
catalog change, with ``ns``, ``ui``, ``o``, ``o2``, ``ts``, ``t``, ``v`` and ``wall``). An update's ``o`` is
a ``$v: 2`` diff built from the two images (``u`` for the fields set, ``d`` for the removed ones, at the top
level). ``ui`` is the collection's UUID when the change was made (every entry but a database's drop) and
``wall`` the commit's wall-clock time to the millisecond, both kept by the history, so a change stream
event and its entry agree, also across restarts and compactions. A committed transaction is one entry, as
mongod 7.0 logs an unprepared commit: a command on ``admin.$cmd`` whose ``o`` is ``{applyOps: [operation,
...]}``, with the session's ``lsid`` and ``txnNumber`` and a null ``prevOpTime``; a filter on ``ns``
therefore does not see inside it. The collections a transaction created are ``create`` (and
``createIndexes``) elements of it. A retryable write's entries carry the session too, with ``stmtId`` and
``prevOpTime``. How far back it reaches is the history's window (``--oplog-size-mb``). A tailable cursor on
it continues from the history position it read last.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from bson.binary import Binary
from bson.int64 import Int64
from bson.timestamp import Timestamp

from docdb.bson_codec import decode_document
from docdb.engine.catalog import Catalog
from docdb.engine.change_events import wall_time
from docdb.engine.history import Change, Statements
from docdb.engine.history_records import change_uuid

OPLOG_NS = "local.oplog.rs"
_OPS = {"insert": "i", "update": "u", "replace": "u", "delete": "d"}
_NULL_UUID = Binary(b"\x00" * 16, 4)
_TERM = Int64(1)  # the one term of a docdb replica set
_VERSION = Int64(2)  # the oplog entry format version


def _command(change: Change) -> dict[str, Any] | None:
    db, _, name = change.ns.partition(".")
    op = change.op
    if op == "create":
        return {"create": name, **(change.id_value or {})}
    if op == "drop":
        return {"drop": name}
    if op == "dropDatabase":
        return {"dropDatabase": 1}
    if op == "rename":
        return {"renameCollection": change.ns, "to": change.id_value, "stayTemp": False}
    if op == "createIndexes":
        return {"createIndexes": name, "indexes": change.id_value}
    if op == "dropIndexes":
        return {"dropIndexes": name, "index": [spec.get("name") for spec in change.id_value or ()]}
    if op == "modify":
        return {"collMod": name, **(change.id_value or {})}
    return None


def _operation(catalog: Catalog, change: Change) -> dict[str, Any] | None:
    """What one history entry did, as an oplog entry's (or an ``applyOps`` element's) ``op``, ``ns``,
    ``ui``, ``o`` and ``o2`` (None for what has none)."""
    op = _OPS.get(change.op)
    if op is None:
        command = _command(change)
        if command is None:
            return None
        db = change.ns.partition(".")[0]
        entry: dict[str, Any] = {"op": "c", "ns": f"{db}.$cmd"}
        uuid = change_uuid(catalog, change)
        if uuid is not None:  # not on a database's drop
            entry["ui"] = uuid
        entry["o"] = command
        return entry
    operation: dict[str, Any] = {"op": op, "ns": change.ns, "ui": change_uuid(catalog, change) or _NULL_UUID}
    if op == "d":
        operation["o"] = {"_id": change.id_value}
        return operation
    if op == "i" or change.op == "replace":  # the whole new document
        operation["o"] = decode_document(change.after)
    else:
        operation["o"] = {
            "$v": 2,
            "diff": _diff(decode_document(change.before), decode_document(change.after)),
        }
    operation["o2"] = {"_id": change.id_value}
    return operation


def oplog_entry(
    catalog: Catalog, change: Change, statements: Statements | None = None
) -> dict[str, Any] | None:
    """The oplog entry of one history entry outside a transaction (None for what has none).

    A retryable write's (``statements``: its commit's) also carries, as mongod 7.0 logs one, the session
    (``lsid``, ``txnNumber``) first, its ``stmtId`` after the operation and ``prevOpTime`` last: the
    session's previous write under the same number (its first write's is null). The writes of one docdb
    commit share its Timestamp, so a statement after the first of a commit points at that Timestamp."""
    operation = _operation(catalog, change)
    if operation is None:
        return None
    times = {"ts": change.ts, "t": _TERM, "v": _VERSION, "wall": wall_time(change)}
    if statements is None:
        return operation | times
    index = change.seq - statements.first_seq
    if not 0 <= index < len(statements.stmt_ids):  # not one of the statements (a capped eviction)
        return operation | times
    prev = statements.prev if index == 0 else change.ts
    session = {"lsid": {"id": Binary(statements.lsid, 4)}, "txnNumber": Int64(statements.txn_number)}
    return (
        session
        | operation
        | {"stmtId": int(statements.stmt_ids[index])}
        | times
        | {"prevOpTime": _null_optime() if prev is None else {"ts": prev, "t": _TERM}}
    )


def _null_optime() -> dict[str, Any]:
    """The ``prevOpTime`` of a chain's first entry."""
    return {"ts": Timestamp(0, 0), "t": Int64(-1)}


def transaction_entry(catalog: Catalog, changes: list[Change]) -> dict[str, Any]:
    """The one ``applyOps`` entry of a committed transaction (``changes``: its writes, in commit order).

    mongod 7.0 logs an unprepared commit as a command on ``admin.$cmd`` carrying the session, the
    operations as ``applyOps`` elements and a null ``prevOpTime`` (the first entry of its chain). It
    splits a transaction past 16 MB into ``partialTxn`` entries of their own Timestamps; a docdb commit
    has one Timestamp, so its transaction stays one entry whatever its size. A collection the
    transaction created (``ChangeHistory.creates``) is logged before its first write (one it did not
    write to, first): the commit record does not say when, within the transaction, it was created.
    """
    first = changes[0]
    created = {c["ns"]: c for c in catalog.history.creates.get(first.ts, ())}
    operations = []
    if created:  # a collection the transaction created comes before its first write, else first
        written = {change.ns for change in changes}
        for ns in [ns for ns in created if ns not in written]:
            operations += _create_operations(created.pop(ns))
    for change in changes:
        if created and change.ns in created:
            operations += _create_operations(created.pop(change.ns))
        operation = _operation(catalog, change)
        if operation is not None:
            operations.append(operation)
    return {
        "lsid": {"id": Binary(first.lsid, 4)},
        "txnNumber": Int64(first.txn_number or 0),
        "op": "c",
        "ns": "admin.$cmd",
        "o": {"applyOps": operations},
        "ts": first.ts,
        "t": _TERM,
        "v": _VERSION,
        "wall": wall_time(first),
        "prevOpTime": _null_optime(),
    }


def _create_operations(created: dict[str, Any]) -> list[dict[str, Any]]:
    """The ``applyOps`` elements of a collection a transaction created (an entry of its commit record's
    ``creates``): its ``create`` (with the ``_id`` index spec, as 7.0 logs it), then a ``createIndexes``
    per secondary index built in the transaction."""
    db, _, name = created["ns"].partition(".")
    options = created.get("options") or {}
    id_index: dict[str, Any] = {"v": 2, "key": {"_id": 1}, "name": "_id_"}
    if "collation" in options:
        id_index["collation"] = options["collation"]
    command = {"op": "c", "ns": f"{db}.$cmd", "ui": created["uuid"]}
    operations = [command | {"o": {"create": name, **options, "idIndex": id_index}}]
    for spec in created.get("indexes") or ():
        operations.append(command | {"o": {"createIndexes": name, **spec}})
    return operations


def iter_entries(catalog: Catalog, changes: Iterable[Change]) -> Iterator[tuple[int, dict[str, Any]]]:
    """The oplog entries of ``changes`` (consecutive history entries), each with the ``seq`` of the last
    history entry it covers: a transaction's writes (one Timestamp, its ``lsid``) become one entry.

    A commit adds all its history entries at once, so a transaction read up to the history's end is
    whole. The oldest entries of a transaction the history has partly dropped (its Timestamp is the
    horizon) are left out, as mongod's capped oplog drops whole entries.
    """
    history = catalog.history
    statements = history.statements
    group: list[Change] = []
    partial = None  # the Timestamp of a transaction whose first writes the history dropped
    for change in changes:
        if group and (change.ts != group[0].ts or change.lsid != group[0].lsid):
            yield group[-1].seq, transaction_entry(catalog, group)
            group = []
        if change.lsid is not None:
            if change.seq == history.first_seq and change.ts == history.horizon:
                partial = change.ts
            if change.ts != partial:
                group.append(change)
            continue
        entry = oplog_entry(catalog, change, statements.get(change.ts) if statements else None)
        if entry is not None:
            yield change.seq, entry
    if group:
        yield group[-1].seq, transaction_entry(catalog, group)


def _diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    diff: dict[str, Any] = {}
    removed = {k: False for k in before if k not in after}
    changed = {
        k: v for k, v in after.items() if k not in before or before[k] != v or type(before[k]) is not type(v)
    }
    if removed:
        diff["d"] = removed
    if changed:
        diff["u"] = changed
    return diff


def oplog_entries(catalog: Catalog) -> list[dict[str, Any]]:
    """Every entry the history still holds, oldest first."""
    history = catalog.history
    return [entry for _, entry in iter_entries(catalog, history.since(history.first_seq))]


class OplogTailSource:
    """A tailable cursor on ``local.oplog.rs``: the rest of its first result, then new history entries."""

    def __init__(
        self,
        catalog: Catalog,
        pending: list[Any],
        match: Callable[[dict[str, Any]], bool] | None,
        project: Callable[[dict[str, Any]], dict[str, Any]] | None,
    ) -> None:
        self.catalog = catalog
        self.pending = pending
        self.match = match
        self.project = project
        self.seq = catalog.history.next_seq

    def wait_keys(self) -> tuple[str, ...]:
        return ("",)

    def has_more(self) -> bool:
        return bool(self.pending) or self.catalog.history.next_seq > self.seq

    def next_batch(self, n: int | None, max_bytes: int) -> list[Any]:
        out: list[Any] = []
        while self.pending and (n is None or len(out) < n):
            out.append(self.pending.pop(0))
        if self.pending or n is not None and len(out) >= n:
            return out
        history = self.catalog.history
        if self.seq < history.first_seq:
            from docdb.errors import ErrorCode, MongoError

            raise MongoError(
                ErrorCode.CappedPositionLost,
                "CollectionScan died due to position in capped collection being deleted.",
            )
        for last_seq, entry in iter_entries(self.catalog, history.since(self.seq)):
            self.seq = last_seq + 1
            if self.match is not None and not self.match(entry):
                continue
            out.append(entry if self.project is None else self.project(entry))
            if n is not None and len(out) >= n:
                break
        return out
