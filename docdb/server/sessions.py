"""Logical sessions: the server's record of each ``lsid`` (last use, transaction state), and expiry.

A session record is created or touched by every command that carries an ``lsid`` (as mongod's logical
session cache vivifies them), and expires ``logicalSessionTimeoutMinutes`` after its last use; killing
or ending a session aborts its open transaction and closes its cursors. Records are keyed by the
session id's 16 bytes; ``uid`` is the SHA-256 of the owning user (the digest of no user while docdb has no
authentication), as ``$listLocalSessions`` reports it.
"""

from __future__ import annotations

import datetime
import hashlib
import time
from collections.abc import Callable, Iterable
from time import monotonic as _monotonic
from typing import Any

from bson.binary import Binary

from docdb.errors import ErrorCode, MongoError

LOGICAL_SESSION_TIMEOUT_MINUTES = 30
TRANSACTION_LIFETIME_LIMIT_S = 60.0  # mongod's transactionLifetimeLimitSeconds default
NO_AUTH_UID = hashlib.sha256(b"").digest()  # mongod's digest for sessions of no authenticated user


def user_digest(user: str, db: str) -> bytes:
    """mongod's ``uid`` for a user: SHA-256 of ``user@db`` (of nothing for no user)."""
    if not user and not db:
        return NO_AUTH_UID
    return hashlib.sha256(f"{user}@{db}".encode()).digest()


class Session:
    """One logical session. ``txn_number`` is the newest transaction number the session used (-1: none);
    ``txn`` is its multi-document transaction, open or finished (``server/transactions.py`` owns it)."""

    __slots__ = ("id", "uid", "last_use", "txn_number", "txn", "ended")

    def __init__(self, sid: bytes, uid: bytes = NO_AUTH_UID) -> None:
        self.id = sid
        self.uid = uid
        self.last_use = time.monotonic()  # the wall-clock lastUse is derived when listed (cheap touch)
        self.txn_number = -1
        self.txn: Any = None
        self.ended = False  # endSessions: no longer listed, but kept until it expires (its retry facts too)

    def touch(self) -> None:
        self.last_use = time.monotonic()
        self.ended = False

    def describe(self) -> str:
        """The session as mongod names it in messages: ``<uuid> - <uid base64> -  - ``."""
        return describe_lsid(self.id, self.uid)

    def record(self) -> dict[str, Any]:
        """The session's document in ``$listLocalSessions`` / ``$listSessions``."""
        wall = time.time() - (time.monotonic() - self.last_use)
        last_use = datetime.datetime.fromtimestamp(int(wall * 1000) / 1000, datetime.timezone.utc)
        return {"_id": {"id": Binary(self.id, 4), "uid": Binary(self.uid, 0)}, "lastUse": last_use}


def describe_lsid(sid: bytes, uid: bytes = NO_AUTH_UID) -> str:
    import base64
    import uuid

    return f"{uuid.UUID(bytes=sid)} - {base64.b64encode(uid).decode()} -  - "


def session_id(lsid: Any, where: str = "OperationSessionInfo.lsid") -> bytes:
    """The 16 bytes of an ``lsid`` document's ``id`` (a UUID), refused as mongod's IDL refuses others."""
    if type(lsid) is dict and len(lsid) == 1:  # what drivers send: {id: UUID}
        sid = lsid.get("id")
        if type(sid) is Binary and sid.subtype == 4 and len(sid) == 16:
            return bytes(sid)
    if not isinstance(lsid, dict):
        raise MongoError(
            ErrorCode.TypeMismatch, f"BSON field '{where}' is the wrong type, expected type 'object'"
        )
    sid = lsid.get("id")
    if sid is None:
        raise MongoError(40414, f"BSON field '{where}.id' is missing but a required field")
    if not isinstance(sid, Binary) or sid.subtype != 4 or len(sid) != 16:
        raise MongoError(
            ErrorCode.TypeMismatch, f"BSON field '{where}.id' is the wrong type, expected type 'uuid'"
        )
    for key in lsid:
        if key not in ("id", "uid"):
            raise MongoError(40415, f"BSON field '{where}.{key}' is an unknown field.")
    return bytes(sid)


class SessionRegistry:
    """Session records by id; ``on_kill`` (set by the server) aborts a session's transaction and closes
    its cursors when the session is killed, ended or expires."""

    def __init__(self, timeout_s: float = LOGICAL_SESSION_TIMEOUT_MINUTES * 60.0) -> None:
        self.timeout_s = timeout_s
        self.sessions: dict[bytes, Session] = {}
        self.on_kill: Callable[[Session], None] | None = None

    def touch(self, sid: bytes) -> Session:
        """The session with id ``sid``, created when new, its last use now."""
        session = self.sessions.get(sid)
        if session is None:
            session = self.sessions[sid] = Session(sid)
        else:  # Session.touch, inline: this runs for every command with an lsid
            session.last_use = _monotonic()
            session.ended = False
        return session

    def kill(self, sessions: Iterable[Session], *, end: bool = False, remove: bool = False) -> None:
        """Abort the sessions' transactions and close their cursors; ``end`` stops listing them (as
        endSessions), ``remove`` forgets them (expiry)."""
        for session in list(sessions):
            if self.on_kill is not None:
                self.on_kill(session)
            if end:
                session.ended = True
            if remove:
                self.sessions.pop(session.id, None)

    def matching(self, predicate: Callable[[Session], bool]) -> list[Session]:
        return [s for s in self.sessions.values() if predicate(s)]

    def reap_expired(self, now: float | None = None) -> list[Session]:
        """Forget sessions unused for longer than the timeout (killing what they hold); returns them."""
        now = time.monotonic() if now is None else now
        stale = [s for s in self.sessions.values() if now - s.last_use > self.timeout_s]
        self.kill(stale, remove=True)
        return stale

    def records(self, users: list[tuple[str, str]] | None) -> list[dict[str, Any]]:
        """Session documents of the ``(user, db)`` pairs given (None: every user's)."""
        uids = None if users is None else {user_digest(user, db) for user, db in users}
        return [s.record() for s in self.sessions.values() if not s.ended and (uids is None or s.uid in uids)]
