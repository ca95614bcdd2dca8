"""``profile`` (the profiler's settings) and ``currentOp`` (what is running), as mongod answers them."""

from __future__ import annotations

from typing import Any

from docdb.engine.bson_types import bson_type_alias
from docdb.errors import ErrorCode, MongoError
from docdb.server.context import CommandContext
from docdb.server.current_op import current_ops
from docdb.server.params import GENERIC_FIELDS, get_int, is_number
from docdb.server.profiler import PROFILER_CHANGED_ID, log
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
    old_state = _profile_state(profiler, old)
    reply: dict[str, Any] = {"was": old.level, "slowms": profiler.slowms, "sampleRate": profiler.sample_rate}
    if old.filter is not None:
        reply["filter"] = old.filter
    if old.filter is not None or filter_:
        reply["note"] = _FILTER_NOTE
    profiler.configure(ctx.db, level, slowms, sample_rate, filter_)
    if level != -1 or slowms is not None or sample_rate is not None or filter_ is not False:
        new_state = _profile_state(profiler, profiler.settings(ctx.db))
        log.info(
            "Profiler settings changed",
            extra={"mongo_id": PROFILER_CHANGED_ID, "attr": {"from": old_state, "to": new_state}},
        )
    return reply


def _profile_state(profiler: Any, settings: Any) -> dict[str, Any]:
    """A database's profiler settings as mongod's "Profiler settings changed" line shows them."""
    state: dict[str, Any] = {
        "level": settings.level,
        "slowms": profiler.slowms,
        "sampleRate": profiler.sample_rate,
    }
    if settings.filter is not None:
        state["filter"] = settings.filter
    return state


@command("currentOp", admin_only=True)
def current_op(ctx: CommandContext, cmd: dict[str, Any]) -> dict[str, Any]:
    """The operations in progress (server/current_op.py) that match the command's filter fields, as
    mongod lists them: ``$all`` adds idle connections, ``idleCursors`` open cursors, ``$ownOps`` keeps
    the caller's user's."""
    from docdb.engine.matcher import compile_filter

    filter_ = {
        k: v
        for k, v in cmd.items()
        if k != "currentOp" and k not in _CURRENT_OP_OPTIONS and k not in GENERIC_FIELDS
    }
    matches = compile_filter(filter_)
    ops = current_ops(
        ctx,
        cmd,
        all_users=not cmd.get("$ownOps"),
        idle_connections=bool(cmd.get("$all") or cmd.get("idleConnections")),
        idle_cursors=bool(cmd.get("idleCursors")),
    )
    return {"inprog": [op for op in ops if matches(op)]}
