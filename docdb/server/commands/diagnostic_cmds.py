"""``profile`` (the profiler's settings) and ``currentOp`` (what is running), as mongod answers them."""

from __future__ import annotations

import datetime
import socket
import time
from typing import Any

from bson.int64 import Int64

from docdb.engine.bson_types import bson_type_alias
from docdb.errors import ErrorCode, MongoError
from docdb.server.context import CommandContext
from docdb.server.params import GENERIC_FIELDS, get_int, is_number
from docdb.server.profiler import OP_TYPES, PROFILER_CHANGED_ID, log, namespace
from docdb.server.registry import command

_CURRENT_OP_OPTIONS = frozenset(
    {"$all", "$ownOps", "$truncateOps", "idleConnections", "idleCursors", "idleSessions", "backtrace"}
)
_FILTER_NOTE = (
    "When a filter expression is set, slowms and sampleRate are not used for profiling and slow-query "
    "log lines."
)


@command("profile")
def profile(ctx: CommandContext, cmd: dict[str, Any]) -> dict[str, Any]:
    """Read (-1) or set the database's profiling level; ``slowms`` and ``sampleRate`` are server-wide.
    Other fields are ignored: mongod's parser for ``profile`` is not strict."""
    level = get_int(cmd, "profile")
    assert level is not None
    if level not in (-1, 0, 1, 2):
        raise MongoError(ErrorCode.BadValue, f"Invalid profiling level: {level}")
    slowms = get_int(cmd, "slowms")
    sample_rate = cmd.get("sampleRate")
    if sample_rate is not None:
        if not is_number(sample_rate):
            raise MongoError(
                ErrorCode.TypeMismatch,
                f"BSON field 'profile.sampleRate' is the wrong type '{bson_type_alias(sample_rate)}', "
                "expected type 'double'",
            )
        sample_rate = float(sample_rate)
        if not 0.0 <= sample_rate <= 1.0:
            raise MongoError(ErrorCode.BadValue, "'sampleRate' must be between 0.0 and 1.0 inclusive")
    filter_: Any = False
    if "filter" in cmd:
        filter_ = cmd["filter"]
        if filter_ == "unset":
            filter_ = None
        elif not isinstance(filter_, dict):
            raise MongoError(ErrorCode.BadValue, "Expected an object, or the string 'unset'.")
    profiler = ctx.state.profiler
    old = profiler.settings(ctx.db)
    old_state: dict[str, Any] = {
        "level": old.level,
        "slowms": profiler.slowms,
        "sampleRate": profiler.sample_rate,
    }
    if old.filter is not None:
        old_state["filter"] = old.filter
    reply: dict[str, Any] = {"was": old.level, "slowms": profiler.slowms, "sampleRate": profiler.sample_rate}
    if old.filter is not None:
        reply["filter"] = old.filter
    if old.filter is not None or filter_:
        reply["note"] = _FILTER_NOTE
    profiler.configure(ctx.db, level, slowms, sample_rate, filter_)
    if level != -1 or slowms is not None or sample_rate is not None or filter_ is not False:
        new = profiler.settings(ctx.db)
        new_state: dict[str, Any] = {
            "level": new.level,
            "slowms": profiler.slowms,
            "sampleRate": profiler.sample_rate,
        }
        if new.filter is not None:
            new_state["filter"] = new.filter
        log.info(
            "Profiler settings changed",
            extra={"mongo_id": PROFILER_CHANGED_ID, "attr": {"from": old_state, "to": new_state}},
        )
    return reply


@command("currentOp", admin_only=True)
def current_op(ctx: CommandContext, cmd: dict[str, Any]) -> dict[str, Any]:
    """Commands run one at a time to completion, so the only operation in progress is this one; it is
    listed (as mongod lists its own currentOp) when it matches the command's filter fields."""
    from docdb.engine.matcher import compile_filter

    filter_ = {
        k: v
        for k, v in cmd.items()
        if k != "currentOp" and k not in _CURRENT_OP_OPTIONS and k not in GENERIC_FIELDS
    }
    ops = [running_operation(ctx, cmd)]
    if cmd.get("idleCursors"):
        ops.extend(idle_cursors(ctx))
    matches = compile_filter(filter_)
    return {"inprog": [op for op in ops if matches(op)]}


def idle_cursors(ctx: CommandContext) -> list[dict[str, Any]]:
    """An ``idleCursor`` entry per open cursor (mongod's ``idleCursors: true``); the command that opened
    a cursor is not kept, so ``originatingCommand`` is left out."""
    host = f"{socket.gethostname()}:{ctx.connection.local.rpartition(':')[2]}"
    now_wall = datetime.datetime.now(datetime.timezone.utc)
    now_mono = time.monotonic()

    def wall(mono: float) -> datetime.datetime:
        return now_wall - datetime.timedelta(seconds=now_mono - mono)

    return [
        {
            "type": "idleCursor",
            "host": host,
            "ns": cursor.ns,
            "cursor": {
                "cursorId": Int64(cursor.cursor_id),
                "createdDate": wall(cursor.opened),
                "lastAccessDate": wall(cursor.last_used),
                "nDocsReturned": Int64(cursor.position),
                "nBatchesReturned": Int64(cursor.batches),
                "noCursorTimeout": False,
                "tailable": False,
                "awaitData": False,
            },
        }
        for cursor in list(ctx.state.cursors.cursors.values())
    ]


def running_operation(ctx: CommandContext, body: dict[str, Any]) -> dict[str, Any]:
    """One ``inprog`` document in mongod's field order for the command ``body`` of ``ctx``."""
    conn = ctx.connection
    name = next(iter(body))
    op: dict[str, Any] = {
        "type": "op",
        "host": f"{socket.gethostname()}:{conn.local.rpartition(':')[2]}",
        "desc": f"conn{conn.connection_id}",
        "connectionId": conn.connection_id,
        "client": conn.peer,
    }
    metadata = conn.client_metadata
    if metadata is not None:
        app = metadata.get("application")
        if isinstance(app, dict) and isinstance(app.get("name"), str):
            op["appName"] = app["name"]
        op["clientMetadata"] = metadata
    op["active"] = True
    op["currentOpTime"] = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds")
    op["threaded"] = True
    op["opid"] = ctx.state.command_counts.total()
    if "lsid" in body:
        op["lsid"] = body["lsid"]
    op["secs_running"] = Int64(0)
    op["microsecs_running"] = Int64(0)
    op["op"] = OP_TYPES.get(name, "command")
    op["ns"] = namespace(ctx.db, name, body) if name != "currentOp" else f"{ctx.db}.$cmd"
    op["redacted"] = False
    op["command"] = body
    op["numYields"] = 0
    op["locks"] = {}
    op["waitingForLock"] = False
    op["lockStats"] = {}
    op["waitingForFlowControl"] = False
    op["flowControlStats"] = {}
    return op
