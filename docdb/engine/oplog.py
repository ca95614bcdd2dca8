"""``local.oplog.rs`` as mongod shows it, made from the change history (replica-set mode).

There is no stored oplog: each history entry becomes an oplog entry when read (``op`` i/u/d, or c for a
catalog change, with ``ns``, ``ui``, ``o``, ``o2``, ``ts``, ``t``, ``v``, ``wall`` and the session fields of
a transaction's writes). An update's ``o`` is a ``$v: 2`` diff built from the two images (``u`` for the
fields set, ``d`` for the removed ones, at the top level). ``ui`` is the collection's UUID when the
change was made (every entry but a database's drop) and ``wall`` the commit's wall-clock time to the
millisecond, both kept by the history, so a change stream event and its entry agree, also across
restarts and compactions. How far back it reaches is the history's window (``--oplog-size-mb``). A
tailable cursor on it continues from the history position it read last.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bson.binary import Binary
from bson.int64 import Int64

from docdb.bson_codec import decode_document
from docdb.engine.catalog import Catalog
from docdb.engine.change_events import wall_time
from docdb.engine.history import Change
from docdb.engine.history_records import change_uuid

OPLOG_NS = "local.oplog.rs"
_OPS = {"insert": "i", "update": "u", "replace": "u", "delete": "d"}
_NULL_UUID = Binary(b"\x00" * 16, 4)


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


def oplog_entry(catalog: Catalog, change: Change) -> dict[str, Any] | None:
    """The oplog entry of one history entry (None for what has none)."""
    entry: dict[str, Any] = {}
    if change.lsid is not None:
        entry["lsid"] = {"id": Binary(change.lsid, 4)}
        entry["txnNumber"] = Int64(change.txn_number or 0)
    op = _OPS.get(change.op)
    if op is None:
        command = _command(change)
        if command is None:
            return None
        db = change.ns.partition(".")[0]
        entry |= {"op": "c", "ns": f"{db}.$cmd"}
        uuid = change_uuid(catalog, change)
        if uuid is not None:  # not on a database's drop
            entry["ui"] = uuid
        entry["o"] = command
    else:
        entry |= {"op": op, "ns": change.ns, "ui": change_uuid(catalog, change) or _NULL_UUID}
        if op == "i":
            entry["o"] = decode_document(change.after)
            entry["o2"] = {"_id": change.id_value}
        elif op == "d":
            entry["o"] = {"_id": change.id_value}
        elif change.op == "replace":
            entry["o"] = decode_document(change.after)
            entry["o2"] = {"_id": change.id_value}
        else:
            entry["o"] = {
                "$v": 2,
                "diff": _diff(decode_document(change.before), decode_document(change.after)),
            }
            entry["o2"] = {"_id": change.id_value}
    entry |= {"ts": change.ts, "t": Int64(1), "v": Int64(2), "wall": wall_time(change)}
    return entry


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
    out = []
    for change in history.since(history.first_seq):
        entry = oplog_entry(catalog, change)
        if entry is not None:
            out.append(entry)
    return out


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
        for change in history.since(self.seq):
            self.seq = change.seq + 1
            entry = oplog_entry(self.catalog, change)
            if entry is None or self.match is not None and not self.match(entry):
                continue
            out.append(entry if self.project is None else self.project(entry))
            if n is not None and len(out) >= n:
                break
        return out
