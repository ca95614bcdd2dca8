"""Logical sessions (accepted: a standalone tracks nothing) and transactions (refused, as a standalone mongod
refuses them)."""

from __future__ import annotations

import uuid
from typing import Any

from bson.binary import Binary

from docdb.errors import ErrorCode, MongoError
from docdb.server.commands.handshake import LOGICAL_SESSION_TIMEOUT_MINUTES
from docdb.server.context import CommandContext
from docdb.server.params import check_fields, get_array
from docdb.server.registry import command


@command("startSession")
def start_session(ctx: CommandContext, cmd: dict[str, Any]) -> dict[str, Any]:
    """A new logical session id."""
    return {"id": {"id": Binary(uuid.uuid4().bytes, 4)}, "timeoutMinutes": LOGICAL_SESSION_TIMEOUT_MINUTES}


@command("endSessions", "killSessions", "killAllSessions", "killAllSessionsByPattern", "refreshSessions")
def end_sessions(ctx: CommandContext, cmd: dict[str, Any]) -> dict[str, Any]:
    """Sessions hold no server state here (no transactions on a standalone), so there is nothing to end;
    the command is still checked as mongod's strict IDL does (an array of sessions, no other fields)."""
    check_fields(cmd, ())
    get_array(cmd, next(iter(cmd)))
    return {}


@command("commitTransaction", "abortTransaction", admin_only=True, in_transaction=True)
def transaction_command(ctx: CommandContext, cmd: dict[str, Any]) -> dict[str, Any]:
    """Transactions need a replica set, as on a standalone mongod."""
    raise MongoError(
        ErrorCode.IllegalOperation, "Transaction numbers are only allowed on a replica set member or mongos"
    )
