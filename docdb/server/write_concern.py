"""writeConcern on a standalone: w:1 is acknowledged once written to the OS; j:true, w:"majority" and
fsync:true also wait for the fsync that covers the write (the connection waits, the loop does not)."""

from __future__ import annotations

from typing import Any

from docdb.errors import ErrorCode, MongoError
from docdb.server.context import CommandContext


def needs_fsync(cmd: dict[str, Any]) -> bool:
    """Validate ``writeConcern`` and say whether the reply must wait for an fsync."""
    wc = cmd.get("writeConcern")
    if wc is None:
        return False
    if not isinstance(wc, dict):
        raise MongoError(ErrorCode.TypeMismatch, "writeConcern must be an object")
    w = wc.get("w", 1)
    if isinstance(w, bool) or not isinstance(w, (int, float, str)):
        raise MongoError(ErrorCode.FailedToParse, "w has to be a number or string")
    if isinstance(w, (int, float)):
        if w < 0:
            raise MongoError(ErrorCode.FailedToParse, "w cannot be a negative value")
        if w > 1:
            raise MongoError(ErrorCode.BadValue, "cannot use 'w' > 1 with a standalone")
    elif w != "majority":
        raise MongoError(79, f"No write concern mode named '{w}' found in replica set configuration")
    return bool(wc.get("j")) or bool(wc.get("fsync")) or w == "majority"


def request_durability(ctx: CommandContext, cmd: dict[str, Any]) -> None:
    """After a write: make the reply wait for the fsync covering it when the write concern asks for one."""
    if needs_fsync(cmd) and ctx.catalog.writer is not None:
        ctx.wait_lsn = ctx.catalog.last_lsn
