"""startSession, refreshSessions, endSessions, killSessions, killAllSessions, killAllSessionsByPattern."""

from __future__ import annotations

import uuid
from typing import Any

from bson.binary import Binary

from docdb.errors import ErrorCode, MongoError
from docdb.server.context import CommandContext
from docdb.server.params import check_fields, get_array
from docdb.server.registry import command
from docdb.server.sessions import LOGICAL_SESSION_TIMEOUT_MINUTES, Session, session_id, user_digest


@command("startSession")
def start_session(ctx: CommandContext, cmd: dict[str, Any]) -> dict[str, Any]:
    """A new logical session, recorded at once (as mongod's session cache records it)."""
    check_fields(cmd, ())
    sid = uuid.uuid4().bytes
    ctx.state.sessions.touch(sid)
    return {"id": {"id": Binary(sid, 4)}, "timeoutMinutes": LOGICAL_SESSION_TIMEOUT_MINUTES}


def _sessions_named(cmd: dict[str, Any]) -> list[bytes]:
    name = next(iter(cmd))
    check_fields(cmd, ())
    items = get_array(cmd, name, required=True) or []
    return [session_id(item, f"{name}.{name}") for item in items]


@command("refreshSessions")
def refresh_sessions(ctx: CommandContext, cmd: dict[str, Any]) -> dict[str, Any]:
    """Mark sessions as used now, so they do not expire."""
    for sid in _sessions_named(cmd):
        ctx.state.sessions.touch(sid)
    return {}


@command("endSessions")
def end_sessions(ctx: CommandContext, cmd: dict[str, Any]) -> dict[str, Any]:
    """End sessions: their transactions are aborted, their cursors closed; they are no longer listed
    (their retryable-write facts stay until they expire, as mongod keeps config.transactions)."""
    registry = ctx.state.sessions
    wanted = set(_sessions_named(cmd))
    registry.kill(registry.matching(lambda s: s.id in wanted), end=True)
    return {}


@command("killSessions")
def kill_sessions(ctx: CommandContext, cmd: dict[str, Any]) -> dict[str, Any]:
    """Kill the named sessions (all of them for ``[]``): abort their transactions, close their cursors."""
    registry = ctx.state.sessions
    wanted = set(_sessions_named(cmd))
    registry.kill(registry.matching(lambda s: not wanted or s.id in wanted))
    return {}


def _user_digest(item: Any, where: str) -> bytes:
    if not isinstance(item, dict):
        raise MongoError(
            ErrorCode.TypeMismatch, f"BSON field '{where}' is the wrong type, expected type 'object'"
        )
    for key in ("user", "db"):
        if not isinstance(item.get(key), str):
            raise MongoError(40414, f"BSON field '{where}.{key}' is missing but a required field")
    return user_digest(item["user"], item["db"])


@command("killAllSessions")
def kill_all_sessions(ctx: CommandContext, cmd: dict[str, Any]) -> dict[str, Any]:
    """Kill every session of the named users (every session for ``[]``)."""
    check_fields(cmd, ())
    users = get_array(cmd, "killAllSessions", required=True) or []
    uids = {_user_digest(u, "KillAllSessionsUser") for u in users}
    registry = ctx.state.sessions
    registry.kill(registry.matching(lambda s: not uids or s.uid in uids))
    return {}


@command("killAllSessionsByPattern")
def kill_all_sessions_by_pattern(ctx: CommandContext, cmd: dict[str, Any]) -> dict[str, Any]:
    """Kill every session matching one of the patterns (``{lsid}``, ``{uid}``, ``{users}``; ``[]``: all)."""
    check_fields(cmd, ())
    patterns = get_array(cmd, "killAllSessionsByPattern", required=True) or []
    matchers = [_pattern(p) for p in patterns]
    registry = ctx.state.sessions
    registry.kill(registry.matching(lambda s: not matchers or any(m(s) for m in matchers)))
    return {}


def _pattern(pattern: Any) -> Any:
    where = "KillAllSessionsByPattern"
    if not isinstance(pattern, dict):
        raise MongoError(
            ErrorCode.TypeMismatch, f"BSON field '{where}' is the wrong type, expected type 'object'"
        )
    for key in pattern:
        if key not in ("lsid", "uid", "users", "roles"):
            raise MongoError(40415, f"BSON field '{where}.{key}' is an unknown field.")
    if "roles" in pattern:
        raise MongoError(
            ErrorCode.NotImplemented, "killAllSessionsByPattern by roles is not supported by docdb"
        )
    sid = session_id(pattern["lsid"], f"{where}.lsid") if "lsid" in pattern else None
    uid = pattern.get("uid")
    if uid is not None and not isinstance(uid, bytes):
        raise MongoError(
            ErrorCode.TypeMismatch, f"BSON field '{where}.uid' is the wrong type, expected type 'binData'"
        )
    users = {_user_digest(u, f"{where}.users") for u in pattern.get("users") or []}

    def matches(session: Session) -> bool:
        if sid is not None and session.id != sid:
            return False
        if uid is not None and session.uid != bytes(uid):
            return False
        return not users or session.uid in users

    return matches
