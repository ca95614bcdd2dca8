"""A change stream: the ``$changeStream`` stage's options, and the cursor source that turns the change
history into events for one collection, one database or the whole deployment.

The source remembers the history position it reads next, so a getMore reads only what was committed
since (sequentially, never from the start); a resume token is turned into a position once, by a binary
search on the Timestamps. Positions older than the history holds are ChangeStreamHistoryLost (286).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable
from typing import Any

from bson.timestamp import Timestamp

from docdb.bson_codec import decode_document
from docdb.engine.catalog import Catalog
from docdb.engine.change_events import (
    HIGH_WATER,
    INVALID_RESUME_TOKEN,
    INVALIDATE_FLAG,
    build_event,
    invalidate_event,
    make_token,
    parse_token,
)
from docdb.engine.history import Change
from docdb.engine.history_records import change_uuid
from docdb.errors import ErrorCode, MongoError

HISTORY_LOST = ErrorCode.ChangeStreamHistoryLost
FATAL = ErrorCode.ChangeStreamFatalError
NO_MATCHING_DOCUMENT = ErrorCode.NoMatchingDocument
SPEC_FIELDS = (
    "allChangesForCluster",
    "fullDocument",
    "fullDocumentBeforeChange",
    "resumeAfter",
    "startAfter",
    "startAtOperationTime",
    "showExpandedEvents",
    "showSystemEvents",
    "allowToRunOnConfigDB",
    "allowToRunOnSystemNS",
)
LATER_STAGES = frozenset(
    {"$match", "$project", "$addFields", "$set", "$unset", "$replaceRoot", "$replaceWith", "$redact"}
)
_DOC_OPS = frozenset({"insert", "update", "replace", "delete"})
_EXPANDED = frozenset({"create", "createIndexes", "dropIndexes", "modify"})
_INTERNAL_DBS = frozenset({"admin", "config", "local"})


def parse_spec(spec: Any) -> dict[str, Any]:
    """The ``$changeStream`` document, checked as mongod's IDL does."""
    if not isinstance(spec, dict):
        raise MongoError(50808, "$changeStream stage expects a document as argument")
    for key in spec:
        if key not in SPEC_FIELDS:
            raise MongoError(40415, f"BSON field '$changeStream.{key}' is an unknown field.")
    full = spec.get("fullDocument", "default")
    if full not in ("default", "updateLookup", "whenAvailable", "required"):
        raise MongoError(
            ErrorCode.BadValue,
            f"Enumeration value '{full}' for field '$changeStream.fullDocument' is not a valid value.",
        )
    before = spec.get("fullDocumentBeforeChange", "off")
    if before not in ("off", "whenAvailable", "required"):
        raise MongoError(
            ErrorCode.BadValue,
            f"Enumeration value '{before}' for field '$changeStream.fullDocumentBeforeChange' is not a "
            "valid value.",
        )
    starts = [k for k in ("resumeAfter", "startAfter", "startAtOperationTime") if spec.get(k) is not None]
    if len(starts) > 1:
        raise MongoError(
            40674 if "startAtOperationTime" in starts else 50865,
            "Only one type of resume option is allowed, but multiple were found."
            if "startAtOperationTime" in starts
            else "Do not specify both 'startAfter' and 'resumeAfter' in a $changeStream stage.",
        )
    return spec


def check_later_stages(pipeline: list[Any]) -> None:
    for stage in pipeline:
        name = next(iter(stage), "") if isinstance(stage, dict) else ""
        if name not in LATER_STAGES:
            raise MongoError(
                ErrorCode.IllegalOperation, f"{name} is not permitted in a $changeStream pipeline"
            )


class ChangeStreamSource:
    """``next_batch`` / ``has_more`` / ``wait_keys`` / ``resume_token`` of one change stream cursor."""

    def __init__(
        self,
        catalog: Catalog,
        db: str,
        coll: str | None,
        cluster: bool,
        spec: dict[str, Any],
        transform: Callable[[dict[str, Any]], list[dict[str, Any]]] | None,
    ) -> None:
        self.catalog = catalog
        self.history = catalog.history
        self.db, self.coll, self.cluster = db, coll, cluster
        self.ns = f"{db}.{coll}" if coll is not None else None
        self.full_document = spec.get("fullDocument", "default")
        self.before_change = spec.get("fullDocumentBeforeChange", "off")
        self.expanded = bool(spec.get("showExpandedEvents"))
        self.transform = transform
        self.closed = False
        self._last_ts = Timestamp(0, 0)
        self._index = 0
        self.seq = self.history.next_seq
        self.resume_token = make_token(catalog.clock.last, HIGH_WATER)
        self._start(spec)

    # -- where to start --------------------------------------------------------------------------------

    def _start(self, spec: dict[str, Any]) -> None:
        token = spec.get("resumeAfter") or spec.get("startAfter")
        if token is not None:
            ts, index, flag = parse_token(token)
            if flag & INVALIDATE_FLAG and spec.get("resumeAfter") is not None:
                raise MongoError(
                    INVALID_RESUME_TOKEN,
                    "Attempting to resume a change stream using 'resumeAfter' is not allowed from an "
                    "invalidate notification.",
                )
            self._seek(ts, index, inclusive=False)
            self.resume_token = dict(token)
        elif spec.get("startAtOperationTime") is not None:
            at = spec["startAtOperationTime"]
            if not isinstance(at, Timestamp):
                raise MongoError(
                    ErrorCode.TypeMismatch,
                    "BSON field '$changeStream.startAtOperationTime' is the wrong type, expected type "
                    "'timestamp'",
                )
            self._seek(at, 0, inclusive=True)

    def _seek(self, ts: Timestamp, index: int, inclusive: bool) -> None:
        history = self.history
        horizon = history.horizon
        if ts < horizon or (ts == horizon and horizon != Timestamp(0, 0) and index != HIGH_WATER):
            raise _history_lost()
        entries = history._entries
        if inclusive:
            start = _bisect_left(entries, ts)
        elif index == HIGH_WATER:
            start = bisect_right(entries, ts, key=_ts)
        else:
            start = min(_bisect_left(entries, ts) + index + 1, bisect_right(entries, ts, key=_ts))
            self._last_ts, self._index = ts, index
        self.seq = history.first_seq + start

    # -- reading ---------------------------------------------------------------------------------------

    def wait_keys(self) -> tuple[str, ...]:
        if self.ns is not None:
            return (self.ns,)
        return ("",) if self.cluster else (self.db + ".",)

    def has_more(self) -> bool:
        if self.closed:
            return False
        if self.seq < self.history.first_seq:
            return True
        return any(self._in_scope(c) for c in self.history.since(self.seq))

    def next_batch(self, n: int | None, max_bytes: int) -> list[dict[str, Any]]:
        if self.closed:
            return []
        history = self.history
        if self.seq < history.first_seq:
            raise _history_lost()
        out: list[dict[str, Any]] = []
        exhausted = True
        for change in history.since(self.seq):
            if change.ts == self._last_ts:
                self._index += 1
            else:
                self._last_ts, self._index = change.ts, 0
            self.seq = change.seq + 1
            self.resume_token = make_token(change.ts, self._index)
            if self._in_scope(change):
                for event in self._events(change):
                    out.extend(self._transformed(event))
                    self.resume_token = event["_id"]
            if self.closed or n is not None and len(out) >= n:
                exhausted = False
                break
        if exhausted and not self.closed:
            self.resume_token = make_token(max(self.catalog.clock.last, self._last_ts), HIGH_WATER)
        return out

    def _transformed(self, event: dict[str, Any]) -> list[dict[str, Any]]:
        if self.transform is None:
            return [event]
        out = self.transform(event)
        for doc in out:
            if doc.get("_id") != event["_id"]:
                raise MongoError(
                    FATAL,
                    "Encountered an event whose _id field, which contains the resume token, was modified by "
                    "the pipeline. Modifying the _id field of an event makes it impossible to resume the "
                    "stream from that point. Only transformations that retain the unmodified _id field are "
                    "allowed.",
                )
        return out

    def _in_scope(self, change: Change) -> bool:
        ns = change.ns
        if self.ns is not None:
            return ns == self.ns
        db, _, coll = ns.partition(".")
        if coll.startswith("system."):
            return False
        if self.cluster:
            return db not in _INTERNAL_DBS
        return db == self.db

    def _events(self, change: Change) -> list[dict[str, Any]]:
        op = change.op
        if op in _EXPANDED and not self.expanded:
            return []
        uuid = change_uuid(self.catalog, change) if self.expanded else None
        if op in _DOC_OPS:
            return [
                build_event(
                    change,
                    self._index,
                    self._post_image(change),
                    self._pre_image(change),
                    self.expanded,
                    uuid,
                )
            ]
        if op == "dropDatabase" and self.ns is not None:
            return []
        event = build_event(change, self._index, expanded=self.expanded, uuid=uuid)
        ends = (self.ns is not None and op in ("drop", "rename")) or (
            self.ns is None and not self.cluster and op == "dropDatabase"
        )
        if not ends:
            return [event]
        self.closed = True
        return [event, invalidate_event(change, self._index)]

    def _images_enabled(self, ns: str) -> bool:
        db, _, name = ns.partition(".")
        coll = self.catalog.collection(db, name)
        option = coll.options.get("changeStreamPreAndPostImages") if coll is not None else None
        return isinstance(option, dict) and bool(option.get("enabled"))

    def _post_image(self, change: Change) -> Any:
        mode = self.full_document
        if change.op != "update" or mode == "default":
            return None
        if mode == "updateLookup":
            db, _, name = change.ns.partition(".")
            coll = self.catalog.collection(db, name)
            raw = coll.docs.get(change.key) if coll is not None else None
            return decode_document(raw) if raw is not None else ...
        if self._images_enabled(change.ns):
            return decode_document(change.after)
        if mode == "required":
            raise MongoError(
                NO_MATCHING_DOCUMENT,
                f"Change stream was configured to require a post-image for all update, delete and replace "
                f"events, but the post-image was not found for event: {change.ns}",
            )
        return ...

    def _pre_image(self, change: Change) -> Any:
        mode = self.before_change
        if mode == "off" or change.op == "insert":
            return None
        if self._images_enabled(change.ns) and change.before is not None:
            return decode_document(change.before)
        if mode == "required":
            raise MongoError(
                NO_MATCHING_DOCUMENT,
                f"Change stream was configured to require a pre-image for all update, delete and replace "
                f"events, but the pre-image was not found for event: {change.ns}",
            )
        return ...


def _ts(change: Change) -> Timestamp:
    return change.ts


def _bisect_left(entries: Any, ts: Timestamp) -> int:
    return bisect_left(entries, ts, key=_ts)


def _history_lost() -> MongoError:
    return MongoError(
        HISTORY_LOST,
        "Resume of change stream was not possible, as the resume point may no longer be in the oplog.",
    )
