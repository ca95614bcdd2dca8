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
from docdb.engine.expressions.dates_util import ms_to_date
from docdb.engine.history import Change, wall_ms
from docdb.engine.updates.compile import same_value
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


def wall_time(change: Change) -> datetime.datetime:
    """The change's wall-clock time (its commit's, to the millisecond) as a naive UTC datetime: an event's
    ``wallTime`` and an oplog entry's ``wall``.

    >>> wall_time(Change(0, Timestamp(7, 1), "d.c", "insert", 1, 1, b"", None, wall=7042))
    datetime.datetime(1970, 1, 1, 0, 0, 7, 42000)
    """
    return ms_to_date(wall_ms(change))


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


def logged_update_description(
    before: dict[str, Any], after: dict[str, Any], paths: tuple[str, ...], expanded: bool
) -> dict[str, Any]:
    """``update_description`` of a modifier-style update from the paths its operators logged
    (``CompiledUpdate.apply``), as mongod 7.0 builds it from the oplog delta its operators logged: a
    value written at a path is reported whole at that path (``$set: {a: {x: 1}}`` gives ``a``, a $pop,
    $pull or $addToSet the whole array), a path created through missing fields at its first missing one,
    a $push that only appended as its new elements (``arr.3``); an operator that changed nothing is left
    out, and no array is reported truncated. Values are read from ``after``; whether each path was
    updated, created, removed or left alone is told by comparing ``before`` and ``after`` there.

    The delta is a tree like mongod's: per sub-document the updated fields, then the created ones,
    then the removed ones, then the sub-documents and arrays below (array elements by index), so the
    description lists its fields in mongod's order."""
    root = _LogNode(False)
    for entry in paths:
        _log_path(root, before, after, entry[1:].split("."), entry[0] == "+")
    diff = _Diff()
    _emit(diff, root, "", (), False)
    description: dict[str, Any] = {
        "updatedFields": diff.updated,
        "removedFields": diff.removed,
        "truncatedArrays": [],
    }
    if expanded:
        description["disambiguatedPaths"] = diff.disambiguated
    return description


class _LogNode:
    """A sub-document (or, ``array``, an array) of the delta: what was logged directly in it, and the
    nodes below it, each in the order first logged."""

    __slots__ = ("array", "updated", "created", "removed", "children")

    def __init__(self, array: bool) -> None:
        self.array = array
        self.updated: dict[Any, Any] = {}  # name (index for an array) -> new value
        self.created: dict[str, Any] = {}
        self.removed: list[str] = []
        self.children: dict[Any, _LogNode] = {}


def _step(container: Any, part: str) -> tuple[Any, Any]:
    """``(key, value)`` of ``part`` in ``container``: an index into an array, a name into a document;
    value ``_ABSENT`` when there is none."""
    if isinstance(container, list):
        if part.isdigit():
            index = int(part)
            return index, container[index] if index < len(container) else _ABSENT
        return part, _ABSENT
    if isinstance(container, dict):
        return part, container.get(part, _ABSENT)
    return part, _ABSENT


def _log_path(root: _LogNode, before: dict, after: dict, parts: list[str], appended: bool) -> None:
    """Add one logged path to the delta under ``root``: walked down while both versions have it, then
    recorded where it was created, removed or changed (nothing when the operator left it alone)."""
    node, old, new = root, before, after
    last = len(parts) - 1
    for depth, part in enumerate(parts):
        key, new_value = _step(new, part)
        old_value = _step(old, part)[1]
        if depth == last or old_value is _ABSENT or new_value is _ABSENT:
            break
        child = node.children.get(key)
        if child is None:
            child = node.children[key] = _LogNode(isinstance(new_value, list))
        node, old, new = child, old_value, new_value
    if old_value is _ABSENT:
        if new_value is _ABSENT:  # nothing there before or after: the operator did nothing
            return
        if node.array:
            node.updated.setdefault(key, new_value)
        else:
            node.created.setdefault(key, new_value)
    elif new_value is _ABSENT:
        if depth == last and key not in node.removed:
            node.removed.append(key)
    elif depth == last and not same_value(old_value, new_value):
        if appended and isinstance(old_value, list) and isinstance(new_value, list) and old_value:
            items = node.children.setdefault(key, _LogNode(True))
            for index in range(len(old_value), len(new_value)):
                items.updated[index] = new_value[index]
        else:
            node.updated[key] = new_value


def _index_order(key: Any) -> tuple:
    return (0, key, "") if type(key) is int else (1, 0, str(key))


def _emit(diff: _Diff, node: _LogNode, prefix: str, parts: tuple, ambiguous: bool) -> None:
    """The description's entries of ``node`` (at ``prefix``, whose components are ``parts``)."""
    if node.array:
        for index in sorted(set(node.updated) | set(node.children), key=_index_order):
            path, named = f"{prefix}{index}", (*parts, index)
            if index in node.updated:
                diff.updated[diff._note(path, named, ambiguous)] = node.updated[index]
            else:
                _emit(diff, node.children[index], path + ".", named, ambiguous)
        return
    for fields in (node.updated, node.created):
        for name, value in fields.items():
            odd = ambiguous or _ambiguous(name)
            diff.updated[diff._note(prefix + name, (*parts, name), odd)] = value
    for name in node.removed:
        odd = ambiguous or _ambiguous(name)
        diff.removed.append(diff._note(prefix + name, (*parts, name), odd))
    for name, child in node.children.items():
        _emit(diff, child, f"{prefix}{name}.", (*parts, name), ambiguous or _ambiguous(name))


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
            if change.paths is None:
                event["updateDescription"] = update_description(before, after, expanded)
            else:
                event["updateDescription"] = logged_update_description(before, after, change.paths, expanded)
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
