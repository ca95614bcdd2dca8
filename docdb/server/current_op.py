"""The ``inprog`` documents of ``currentOp`` and ``$currentOp``: operations in progress, idle connections
and idle cursors, in mongod's field order.

What is listed follows mongod's options: by default the operations in progress (waits included: an
awaitData ``getMore``, a blocked fail point, an awaitable ``hello``); ``idleConnections`` adds a
``type: "op"``, ``active: false`` entry for every connection with nothing in progress; ``idleCursors``
adds an ``idleCursor`` entry per open cursor no operation is using; ``allUsers: false`` keeps the ops of
connections logged in as the caller's user (everything, without ``--auth``).
"""

from __future__ import annotations

import datetime
import socket
import time
from typing import Any

from bson.int64 import Int64

from docdb.server.context import CommandContext, ConnectionInfo, ServerState
from docdb.server.operations import Operation
from docdb.server.profiler import OP_TYPES, namespace


def current_ops(
    ctx: CommandContext,
    body: dict[str, Any],
    *,
    all_users: bool,
    idle_connections: bool,
    idle_cursors: bool,
) -> list[dict[str, Any]]:
    """The ``inprog`` documents the options ask for, as the caller (command ``body`` of ``ctx``) may see
    them; the caller's own operation is among them, as mongod lists it."""
    state = ctx.state
    own = ctx.operation
    if own is None:  # a command that cannot yield is registered only while it lists itself
        own = Operation(ctx, body, next(iter(body), ""))
    state.operations.register(own)
    try:
        return _listed(state, ctx.connection, all_users, idle_connections, idle_cursors)
    finally:
        if ctx.operation is None:
            state.operations.end(own)


def _listed(
    state: ServerState, caller: ConnectionInfo, all_users: bool, idle_connections: bool, idle_cursors: bool
) -> list[dict[str, Any]]:
    host = f"{socket.gethostname()}:{caller.local.rpartition(':')[2]}"
    now = datetime.datetime.now(datetime.timezone.utc)
    op_time = now.isoformat(timespec="milliseconds")
    user = caller.auth.user
    out: list[dict[str, Any]] = []
    busy: set[int] = set()
    for op in list(state.operations.running.values()):
        conn = op.ctx.connection
        busy.add(conn.connection_id)
        if all_users or conn.auth.user == user:
            out.append(operation_document(op, host, op_time))
    if idle_connections:
        for conn in list(state.operations.connections.values()):
            if conn.connection_id not in busy and (all_users or conn.auth.user == user):
                doc = _client_fields(conn, host)
                doc["active"] = False
                doc["currentOpTime"] = op_time
                out.append(doc)
    if idle_cursors:
        out.extend(_idle_cursors(state, host, now))
    return out


def _client_fields(conn: ConnectionInfo, host: str) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "type": "op",
        "host": host,
        "desc": f"conn{conn.connection_id}",
        "connectionId": conn.connection_id,
        "client": conn.peer,
    }
    metadata = conn.client_metadata
    if metadata is not None:
        app = metadata.get("application")
        if isinstance(app, dict) and isinstance(app.get("name"), str):
            doc["appName"] = app["name"]
        doc["clientMetadata"] = metadata
    return doc


def operation_document(op: Operation, host: str, op_time: str) -> dict[str, Any]:
    """One operation in progress, as mongod reports it."""
    body = op.body
    name = op.name
    doc = _client_fields(op.ctx.connection, host)
    doc["active"] = True
    doc["currentOpTime"] = op_time
    doc["threaded"] = True
    doc["opid"] = op.opid
    if op.killed:
        doc["killPending"] = True
    if "lsid" in body:
        doc["lsid"] = body["lsid"]
    micros = op.micros_running
    doc["secs_running"] = Int64(micros // 1_000_000)
    doc["microsecs_running"] = Int64(micros)
    doc["op"] = OP_TYPES.get(name, "command")
    db = op.ctx.db
    if name == "currentOp":
        doc["ns"] = f"{db}.$cmd"
    elif name == "aggregate" and body.get("aggregate") == 1:
        doc["ns"] = f"{db}.$cmd.aggregate"
    else:
        doc["ns"] = namespace(db, name, body)
    doc["redacted"] = False
    doc["command"] = body
    doc["numYields"] = op.num_yields
    doc["locks"] = {}
    doc["waitingForLock"] = False
    doc["lockStats"] = {}
    doc["waitingForFlowControl"] = False
    doc["flowControlStats"] = {}
    return doc


def _idle_cursors(state: ServerState, host: str, now_wall: datetime.datetime) -> list[dict[str, Any]]:
    """An ``idleCursor`` entry per open cursor; the command that opened a cursor is not kept, so
    ``originatingCommand`` is left out."""
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
                "tailable": cursor.source is not None,
                "awaitData": cursor.await_data,
            },
        }
        for cursor in list(state.cursors.cursors.values())
    ]
