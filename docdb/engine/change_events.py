"""Change events as mongod 7.0 shapes them, built from change-history entries; resume tokens.

A resume token is ``{_data: hex}``: the change's Timestamp (8 hex digits of seconds, 8 of increment), its
position among the changes of that Timestamp (8 hex digits; FFFFFFFF for a "high-water mark" that stands
after every change of that Timestamp) and a flag byte (01: an invalidate event). Fixed-width upper-case hex,
so the strings sort in event order; positions are those of the history, which a restart rebuilds from the
log in the same order, so a token stays valid across restarts. Drivers treat the token as opaque; it is
not mongod's KeyString encoding.
"""

from __future__ import annotations

import datetime
from typing import Any

from bson.binary import Binary
from bson.int64 import Int64
from bson.timestamp import Timestamp

from docdb.bson_codec import decode_document
from docdb.engine.history import Change, wall_ms
from docdb.errors import ErrorCode, MongoError

HIGH_WATER = 0xFFFFFFFF
INVALIDATE_FLAG = 1
INVALID_RESUME_TOKEN = ErrorCode.InvalidResumeToken


def make_token(ts: Timestamp, index: int, flag: int = 0) -> dict[str, str]:
    return {"_data": f"82{ts.time:08X}{ts.inc:08X}{index:08X}{flag:02X}"}


def parse_token(token: Any) -> tuple[Timestamp, int, int]:
    """``(ts, index, flag)`` of a token this server made; InvalidResumeToken (260) otherwise."""
    data = token.get("_data") if isinstance(token, dict) else None
    if not isinstance(data, str) or len(data) != 28 or not data.startswith("82"):
        raise MongoError(INVALID_RESUME_TOKEN, "malformed resume token")
    try:
        time, inc, index, flag = (int(data[a:b], 16) for a, b in ((2, 10), (10, 18), (18, 26), (26, 28)))
    except ValueError:
        raise MongoError(INVALID_RESUME_TOKEN, "malformed resume token") from None
    return Timestamp(time, inc), index, flag


_EPOCH = datetime.datetime(1970, 1, 1)


def wall_time(change: Change) -> datetime.datetime:
    """The change's wall-clock time (its commit's, to the millisecond) as a naive UTC datetime: an event's
    ``wallTime`` and an oplog entry's ``wall``.

    >>> wall_time(Change(0, Timestamp(7, 1), "d.c", "insert", 1, 1, b"", None, wall=7042))
    datetime.datetime(1970, 1, 1, 0, 0, 7, 42000)
    """
    return _EPOCH + datetime.timedelta(milliseconds=wall_ms(change))


def _ns(ns: str) -> dict[str, str]:
    db, _, coll = ns.partition(".")
    return {"db": db, "coll": coll} if coll else {"db": db}


def update_description(before: dict[str, Any], after: dict[str, Any], expanded: bool) -> dict[str, Any]:
    """``updatedFields`` (dotted paths into changed sub-documents and array elements), ``removedFields``
    and ``truncatedArrays`` from the two versions of the document; with ``showExpandedEvents`` also
    ``disambiguatedPaths``: for each path that reads ambiguously (a numeric or dotted field name), its
    components, array indexes as numbers (as 7.0 gives them)."""
    diff = _Diff()
    diff.object(before, after, "", (), False)
    description: dict[str, Any] = {
        "updatedFields": diff.updated,
        "removedFields": diff.removed,
        "truncatedArrays": diff.truncated,
    }
    if expanded:
        description["disambiguatedPaths"] = diff.disambiguated
    return description


class _Diff:
    def __init__(self) -> None:
        self.updated: dict[str, Any] = {}
        self.removed: list[str] = []
        self.truncated: list[dict[str, Any]] = []
        self.disambiguated: dict[str, list[Any]] = {}

    def _note(self, path: str, parts: tuple, ambiguous: bool) -> str:
        if ambiguous:
            self.disambiguated[path] = list(parts)
        return path

    def object(self, old: dict, new: dict, prefix: str, parts: tuple, ambiguous: bool) -> None:
        for name in old:
            if name not in new:
                odd = ambiguous or _ambiguous(name)
                self.removed.append(self._note(prefix + name, (*parts, name), odd))
        for name, value in new.items():
            path, odd, named = prefix + name, ambiguous or _ambiguous(name), (*parts, name)
            previous = old.get(name, _ABSENT)
            if previous is _ABSENT:
                self.updated[self._note(path, named, odd)] = value
            elif _same(previous, value):
                continue
            elif isinstance(previous, dict) and isinstance(value, dict):
                self.object(previous, value, path + ".", named, odd)
            elif isinstance(previous, list) and isinstance(value, list):
                self.array(previous, value, path, named, odd)
            else:
                self.updated[self._note(path, named, odd)] = value

    def array(self, old: list, new: list, path: str, parts: tuple, ambiguous: bool) -> None:
        if len(new) < len(old):
            self.truncated.append({"field": self._note(path, parts, ambiguous), "newSize": len(new)})
        for i, value in enumerate(new):
            item_path, item_parts = f"{path}.{i}", (*parts, i)
            if i < len(old) and _same(old[i], value):
                continue
            if i < len(old) and isinstance(old[i], dict) and isinstance(value, dict):
                self.object(old[i], value, item_path + ".", item_parts, ambiguous)
            else:
                self.updated[self._note(item_path, item_parts, ambiguous)] = value


_ABSENT = object()


def _ambiguous(name: str) -> bool:
    """A field name a dotted path could read as something else: an array index (digits, no leading
    zero) or a name holding a dot."""
    return "." in name or (name.isascii() and name.isdigit() and (name == "0" or name[0] != "0"))


def _same(a: Any, b: Any) -> bool:
    return type(a) is type(b) and a == b


def build_event(
    change: Change,
    index: int,
    full_document: Any = None,
    before_doc: Any = None,
    expanded: bool = False,
    uuid: Binary | None = None,
) -> dict[str, Any]:
    """The event document of one history entry (``full_document``: the looked-up document for an
    update, ``before_doc``: a pre-image; both None when not asked for, the missing marker ``...`` when
    asked for but absent, which becomes null), its fields in mongod's order: a transaction's
    ``txnNumber``/``lsid`` and a rename's ``to`` come before ``_id``, as 7.0 builds them. With
    ``expanded`` (``showExpandedEvents``), ``uuid`` (the collection's UUID at the change; None for a
    database's drop) is the ``collectionUUID`` that 7.0 puts between ``clusterTime`` and ``wallTime``."""
    event: dict[str, Any] = {}
    op = change.op
    if op in _DOC_OPS and change.lsid is not None:
        event["txnNumber"] = Int64(change.txn_number or 0)
        event["lsid"] = {"id": Binary(change.lsid, 4)}
    if op == "rename":
        event["to"] = _ns(change.id_value)
    event["_id"] = make_token(change.ts, index)
    event["operationType"] = op
    event["clusterTime"] = change.ts
    if expanded and uuid is not None:
        event["collectionUUID"] = uuid
    event["wallTime"] = wall_time(change)
    if op in ("insert", "replace"):
        event["fullDocument"] = decode_document(change.after)
    elif op == "update" and full_document is not None:
        event["fullDocument"] = None if full_document is ... else full_document
    event["ns"] = _ns(change.ns)
    if op in _DOC_OPS:
        event["documentKey"] = {"_id": change.id_value}
        if op == "update":
            before, after = decode_document(change.before), decode_document(change.after)
            event["updateDescription"] = update_description(before, after, expanded)
        if op != "insert" and before_doc is not None:
            event["fullDocumentBeforeChange"] = None if before_doc is ... else before_doc
    elif op == "rename":
        if expanded:
            event["operationDescription"] = {"to": event["to"]}
    elif op == "create":
        event["operationDescription"] = {"idIndex": {"v": 2, "key": {"_id": 1}, "name": "_id_"}}
    elif op == "createIndexes" or op == "dropIndexes":
        event["operationDescription"] = {"indexes": change.id_value}
    elif op == "modify":
        event["operationDescription"] = dict(change.id_value)
    return event


_DOC_OPS = frozenset({"insert", "update", "replace", "delete"})


def invalidate_event(change: Change, index: int) -> dict[str, Any]:
    """The invalidate that follows a drop/rename/dropDatabase ending a stream (its token flagged)."""
    return {
        "_id": make_token(change.ts, index, INVALIDATE_FLAG),
        "operationType": "invalidate",
        "clusterTime": change.ts,
        "wallTime": wall_time(change),
    }
