"""The database profiler and the slow-operation log, as mongod's ``profile`` settings define them.

mongod keeps profile entries in ``<db>.system.profile``, a 1 MB capped collection. docdb has no capped
collections yet, so each database's entries live in a bounded in-memory ring (a detached
:class:`Collection`, never logged to the data file) that ``find`` and ``aggregate`` read as
``system.profile``; the ring drops its oldest entries past ``RING_BYTES``, as the capped collection would,
and is empty again after a restart.

Cost: dispatch reads the clock twice per command and calls :meth:`Profiler.after` only when a database
is being profiled or the command ran longer than ``slowms``; nothing else is done for a fast command.
"""

from __future__ import annotations

import datetime
import logging
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bson.binary import Binary, UuidRepresentation

from docdb.bson_codec import encode_document
from docdb.engine.collection import Collection
from docdb.errors import MongoError
from docdb.server.params import GENERIC_FIELDS

if TYPE_CHECKING:
    from docdb.server.context import CommandContext

log = logging.getLogger("docdb.command")

RING_BYTES = 1 << 20  # mongod's default system.profile capped size
PROFILE_COLLECTION = "system.profile"
SLOW_QUERY_ID = 51803  # mongod's log id of "Slow query"
PROFILER_CHANGED_ID = 48742

# Command name -> the ``op`` mongod's profiler and currentOp report for it.
OP_TYPES = {
    "find": "query",
    "insert": "insert",
    "update": "update",
    "delete": "remove",
    "getMore": "getmore",
}
# Arguments that drivers add to every command; mongod leaves them out of the profiled ``command``
# except ``$db`` and ``lsid``, which it keeps.
_DROPPED_ARGUMENTS = frozenset({"$clusterTime", "$readPreference", "signature"})
_EXPLAINED = frozenset({"find", "count", "distinct"})  # reads whose profile entry gets the plan


@dataclass(slots=True)
class DatabaseProfile:
    """One database's profiling level, filter and entries."""

    level: int = 0
    filter: dict[str, Any] | None = None
    matches: Callable[[dict[str, Any]], bool] | None = None
    ring: Collection | None = None
    next_key: int = 0


@dataclass(slots=True)
class Profiler:
    """Process-wide ``slowms``/``sampleRate`` (mongod's are global) and per-database levels."""

    slowms: int = 100
    sample_rate: float = 1.0
    databases: dict[str, DatabaseProfile] = field(default_factory=dict)
    watching: bool = False  # some database has level 2 or a filter: dispatch must call after() always
    slow_seconds: float = 0.1  # slowms / 1000, read by dispatch on every command

    def settings(self, db: str) -> DatabaseProfile:
        found = self.databases.get(db)
        if found is None:
            found = self.databases[db] = DatabaseProfile()
        return found

    def configure(
        self,
        db: str,
        level: int,
        slowms: int | None,
        sample_rate: float | None,
        filter_: dict[str, Any] | None | bool,
    ) -> None:
        """Apply a ``profile`` command; ``filter_`` False leaves the filter as it is, None unsets it."""
        from docdb.engine.matcher import compile_filter

        target = self.settings(db)
        if filter_ is not False:
            target.matches = None if filter_ is None else compile_filter(filter_)
            target.filter = filter_  # type: ignore[assignment]
        if level >= 0:
            target.level = level
        if slowms is not None:
            self.slowms = slowms
            self.slow_seconds = slowms / 1000
        if sample_rate is not None:
            self.sample_rate = sample_rate
        # Level 1 without a filter records only slow commands, which dispatch's slowms check catches.
        self.watching = any(p.level == 2 or p.filter is not None for p in self.databases.values())

    def ring(self, db: str) -> Collection | None:
        """The ``system.profile`` entries of ``db`` (None when it never had any)."""
        found = self.databases.get(db)
        return None if found is None else found.ring

    def after(self, ctx: CommandContext, body: dict[str, Any], reply: dict[str, Any], seconds: float) -> None:
        """Profile and/or log one finished command, as its database's settings ask."""
        name = next(iter(body), "")
        if name in ("hello", "isMaster", "ismaster") and ctx.connection.client_metadata is None:
            return  # a driver's handshake: never slow, and mongod does not profile it
        settings = self.databases.get(ctx.db)
        level = 0 if settings is None else settings.level
        millis = int(seconds * 1000)
        matches = settings.matches if settings is not None else None
        entry: dict[str, Any] | None = None
        if matches is not None:
            entry = self.entry(ctx, name, body, reply, millis)
            chosen = matches(entry)
            profile, slow = (chosen and level > 0) or level == 2, chosen
        else:
            slow = seconds >= self.slow_seconds and (
                self.sample_rate >= 1.0 or random.random() < self.sample_rate
            )
            profile = level == 2 or (level == 1 and slow)
        if not (profile or slow):
            return
        if entry is None:
            entry = self.entry(ctx, name, body, reply, millis)
        if profile and name in _EXPLAINED and reply.get("ok"):
            entry = _with_plan(ctx, name, body, entry)
        if slow:
            self._log_slow(ctx, entry)
        if profile and settings is not None and entry["ns"] != f"{ctx.db}.{PROFILE_COLLECTION}":
            self._store(settings, ctx.db, entry)

    def entry(
        self, ctx: CommandContext, name: str, body: dict[str, Any], reply: dict[str, Any], millis: int
    ) -> dict[str, Any]:
        """A ``system.profile`` document in mongod's field order."""
        op = OP_TYPES.get(name, "command")
        entry: dict[str, Any] = {"op": op, "ns": namespace(ctx.db, name, body)}
        entry["command"] = {k: v for k, v in body.items() if k not in _DROPPED_ARGUMENTS}
        cursor = reply.get("cursor")
        if isinstance(cursor, dict):
            if cursor.get("id"):
                entry["cursorid"] = cursor["id"]
            else:
                entry["cursorExhausted"] = True
            batch = cursor.get("firstBatch", cursor.get("nextBatch", ()))
            entry["nreturned"] = len(batch)
        elif op == "insert":
            entry["ninserted"] = reply.get("n", 0)
        elif op == "update":
            entry["nMatched"] = reply.get("n", 0)
            entry["nModified"] = reply.get("nModified", 0)
            entry["nUpserted"] = len(reply.get("upserted", ()))
        elif op == "remove":
            entry["ndeleted"] = reply.get("n", 0)
        if not reply.get("ok"):
            entry["ok"] = 0.0
            entry["errMsg"] = reply.get("errmsg", "")
            entry["errName"] = reply.get("codeName", "")
            entry["errCode"] = reply.get("code", 0)
        entry["protocol"] = "op_msg"
        entry["millis"] = millis
        entry["ts"] = datetime.datetime.now(datetime.timezone.utc)
        entry["client"] = ctx.connection.peer.rpartition(":")[0] or ctx.connection.peer
        metadata = ctx.connection.client_metadata or {}
        app = metadata.get("application")
        if isinstance(app, dict) and isinstance(app.get("name"), str):
            entry["appName"] = app["name"]
        entry["allUsers"] = []
        entry["user"] = ""
        return entry

    def _store(self, settings: DatabaseProfile, db: str, entry: dict[str, Any]) -> None:
        ring = settings.ring
        if ring is None:
            ident = Binary.from_uuid(uuid.uuid4(), UuidRepresentation.STANDARD)
            ring = settings.ring = Collection(db, PROFILE_COLLECTION, ident, {"capped": True})
        ring.put(settings.next_key, encode_document(entry))
        settings.next_key += 1
        while ring.data_size > RING_BYTES and len(ring) > 1:
            ring.remove(next(iter(ring.docs)))

    def _log_slow(self, ctx: CommandContext, entry: dict[str, Any]) -> None:
        attr: dict[str, Any] = {"type": "command", "ns": entry["ns"]}
        if "appName" in entry:
            attr["appName"] = entry["appName"]
        attr["command"] = entry["command"]
        for key in ("cursorid", "nreturned", "ninserted", "nMatched", "nModified", "ndeleted", "ok"):
            if key in entry:
                attr[key] = entry[key]
        if "errCode" in entry:
            attr["errMsg"], attr["errName"], attr["errCode"] = (
                entry["errMsg"],
                entry["errName"],
                entry["errCode"],
            )
        attr["protocol"] = entry["protocol"]
        attr["durationMillis"] = entry["millis"]
        log.info(
            "Slow query",
            extra={"mongo_id": SLOW_QUERY_ID, "attr": attr, "ctx": f"conn{ctx.connection.connection_id}"},
        )


def _with_plan(ctx: CommandContext, name: str, body: dict[str, Any], entry: dict[str, Any]) -> dict[str, Any]:
    """``entry`` with ``keysExamined``, ``docsExamined`` and ``planSummary`` from an executionStats explain
    of the same read, run again after it (only for profiled reads: the planner keeps no per-run counters).
    """
    from docdb.server.commands.explain import explain_reply

    inner = {k: v for k, v in body.items() if k not in GENERIC_FIELDS}
    try:
        explained = explain_reply(ctx, inner, "executionStats")
    except MongoError:
        return entry
    stats = explained.get("executionStats", {})
    summary = plan_summary(explained.get("queryPlanner", {}).get("winningPlan", {}))
    ordered: dict[str, Any] = {}
    for key, value in entry.items():
        ordered[key] = value
        if key == "command":
            ordered["keysExamined"] = stats.get("totalKeysExamined", 0)
            ordered["docsExamined"] = stats.get("totalDocsExamined", 0)
        elif key == "millis" and summary:
            ordered["planSummary"] = summary
    return ordered


def plan_summary(plan: dict[str, Any]) -> str:
    """mongod's one-line plan summary: the leaf stage, with its key pattern for an index scan."""
    while "inputStage" in plan:
        plan = plan["inputStage"]
    if "inputStages" in plan and plan["inputStages"]:
        return ", ".join(plan_summary(p) for p in plan["inputStages"])
    stage = plan.get("stage", "")
    pattern = plan.get("keyPattern")
    if isinstance(pattern, dict) and stage != "IDHACK":
        fields = ", ".join(f"{k}: {_number(v)}" for k, v in pattern.items())
        return f"{stage} {{ {fields} }}"
    return stage


def _number(value: Any) -> str:
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def namespace(db: str, name: str, body: dict[str, Any]) -> str:
    """The namespace mongod names for a command: its collection, or ``db.$cmd``."""
    if name == "getMore":
        target = body.get("collection")
    else:
        target = body.get(name)
    return f"{db}.{target}" if isinstance(target, str) and target else f"{db}.$cmd"
