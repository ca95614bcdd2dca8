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
from docdb.engine.history import Change
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


def _wall_time(ts: Timestamp) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(ts.time, datetime.timezone.utc).replace(tzinfo=None)


def _ns(ns: str) -> dict[str, str]:
    db, _, coll = ns.partition(".")
    return {"db": db, "coll": coll} if coll else {"db": db}


def update_description(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """``updatedFields`` (dotted paths into changed sub-documents and array elements), ``removedFields``,
    ``truncatedArrays`` and ``disambiguatedPaths``, from the two versions of the document."""
    updated: dict[str, Any] = {}
    removed: list[str] = []
    truncated: list[dict[str, Any]] = []
    _diff_object(before, after, "", updated, removed, truncated)
    return {
        "updatedFields": updated,
        "removedFields": removed,
        "truncatedArrays": truncated,
        "disambiguatedPaths": {},
    }


def _diff_object(old: dict, new: dict, prefix: str, updated: dict, removed: list, truncated: list) -> None:
    for name in old:
        if name not in new:
            removed.append(prefix + name)
    for name, value in new.items():
        path = prefix + name
        if name not in old:
            updated[path] = value
            continue
        previous = old[name]
        if _same(previous, value):
            continue
        if isinstance(previous, dict) and isinstance(value, dict):
            _diff_object(previous, value, path + ".", updated, removed, truncated)
        elif isinstance(previous, list) and isinstance(value, list):
            _diff_array(previous, value, path, updated, removed, truncated)
        else:
            updated[path] = value


def _diff_array(old: list, new: list, path: str, updated: dict, removed: list, truncated: list) -> None:
    if len(new) < len(old):
        truncated.append({"field": path, "newSize": len(new)})
    for i, value in enumerate(new):
        item_path = f"{path}.{i}"
        if i >= len(old):
            updated[item_path] = value
        elif not _same(old[i], value):
            if isinstance(old[i], dict) and isinstance(value, dict):
                _diff_object(old[i], value, item_path + ".", updated, removed, truncated)
            else:
                updated[item_path] = value


def _same(a: Any, b: Any) -> bool:
    return type(a) is type(b) and a == b


def build_event(
    change: Change, index: int, full_document: Any = None, before_doc: Any = None
) -> dict[str, Any]:
    """The event document of one history entry (``full_document``: the looked-up document for an
    update, ``before_doc``: a pre-image; both None when not asked for, the missing marker ``...`` when
    asked for but absent, which becomes null)."""
    event: dict[str, Any] = {
        "_id": make_token(change.ts, index),
        "operationType": change.op,
        "clusterTime": change.ts,
        "wallTime": _wall_time(change.ts),
    }
    op = change.op
    if op in ("insert", "replace"):
        event["fullDocument"] = decode_document(change.after)
    elif op == "update" and full_document is not None:
        event["fullDocument"] = None if full_document is ... else full_document
    if op in ("insert", "update", "replace", "delete"):
        event["ns"] = _ns(change.ns)
        event["documentKey"] = {"_id": change.id_value}
        if change.lsid is not None:
            event["lsid"] = {"id": Binary(change.lsid, 4)}
            event["txnNumber"] = Int64(change.txn_number or 0)
        if op == "update":
            event["updateDescription"] = update_description(
                decode_document(change.before), decode_document(change.after)
            )
        if op in ("update", "replace", "delete") and before_doc is not None:
            event["fullDocumentBeforeChange"] = None if before_doc is ... else before_doc
        return event
    event["ns"] = _ns(change.ns)
    if op == "rename":
        event["to"] = _ns(change.id_value)
    elif op == "create":
        event["operationDescription"] = {"idIndex": {"v": 2, "key": {"_id": 1}, "name": "_id_"}}
    elif op == "createIndexes" or op == "dropIndexes":
        event["operationDescription"] = {"indexes": change.id_value}
    elif op == "modify":
        event["operationDescription"] = dict(change.id_value)
    return event


def invalidate_event(change: Change, index: int) -> dict[str, Any]:
    """The invalidate that follows a drop/rename/dropDatabase ending a stream (its token flagged)."""
    return {
        "_id": make_token(change.ts, index, INVALIDATE_FLAG),
        "operationType": "invalidate",
        "clusterTime": change.ts,
        "wallTime": _wall_time(change.ts),
    }
