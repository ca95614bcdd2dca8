"""Run one command document: look up its handler, run it, and shape the reply.

This is the one place where a raised :class:`MongoError` becomes ``{ok: 0, errmsg, code, codeName}``; an
unexpected exception becomes InternalError with a log line, never a traceback in a reply.
"""

from __future__ import annotations

import errno
import logging
from collections.abc import Callable
from time import perf_counter
from typing import Any

from docdb.engine.write_intents import WriteBlocked
from docdb.errors import ErrorCode, MongoError, StorageError
from docdb.server import api_version, cluster_time, failpoints, transactions, write_wait
from docdb.server.auth.authorize import authorize
from docdb.server.context import CommandContext
from docdb.server.generic_fields import check_generic_fields
from docdb.server.registry import REGISTRY, CommandSpec
from docdb.server.write_lane import LANE_COMMANDS, lane_reply

log = logging.getLogger("docdb.dispatch")

# Command name -> serverStatus opcounter it counts toward; everything else counts as "command".
_OPCOUNTER = {
    "insert": "insert",
    "find": "query",
    "update": "update",
    "delete": "delete",
    "getMore": "getmore",
}
_API_FIELDS = frozenset({"apiVersion", "apiStrict", "apiDeprecationErrors"})  # api_version.check's


def run_command(ctx: CommandContext, body: dict[str, Any]) -> dict[str, Any]:
    """The reply document for ``body`` (never raises); its latency and counters go to the metrics."""
    reply, seconds = answer_command(ctx, body)
    account_command(ctx, body, reply, seconds)
    return reply


def answer_command(ctx: CommandContext, body: dict[str, Any]) -> tuple[dict[str, Any], float]:
    """``run_command``'s reply and how many seconds it took, without the accounting: for a caller that
    sends the reply first and then calls ``account_command`` (the client need not wait for the books).

    The steps that apply only in some configurations (replica-set clock, auth, API parameters) are
    tested for here, so a command skips the calls that would find nothing to do (it runs once per
    command)."""
    started = perf_counter()
    name = next(iter(body), "")
    if name in LANE_COMMANDS:  # a driver's plain point write may take the lane (server/write_lane.py)
        reply = _guarded(lane_reply, ctx, body, name, _reply)
    else:
        reply = _guarded(_reply, ctx, body)
    seconds = perf_counter() - started
    if ctx.state.replica_set is not None:
        reply = cluster_time.stamp(ctx, reply)
    return reply, seconds


def account_command(ctx: CommandContext, body: dict[str, Any], reply: dict[str, Any], seconds: float) -> None:
    """A finished command's latency and counters in the metrics, and its profile entry or slow-query log
    line; and the change history's entries for what it inserted, made now that the client has its reply
    (``ChangeHistory.settle``: else on the history's next read). The profiler is called only when a
    database is profiled at level 2 or with a filter, or the command was slower than ``slowms`` (see
    server/profiler.py)."""
    state = ctx.state
    state.catalog.history.settle()
    profiler = state.profiler
    if profiler.watching or seconds >= profiler.slow_seconds:
        profiler.after(ctx, body, reply, seconds)
    state.metrics.count_command(next(iter(body), ""), reply, seconds)


def _reply(ctx: CommandContext, body: dict[str, Any]) -> dict[str, Any]:
    if not body:
        raise MongoError(ErrorCode.FailedToParse, "Empty command object")
    name = next(iter(body))
    spec = REGISTRY.get(name)
    state = ctx.state
    counts = state.command_counts
    counts[name] = counts.get(name, 0) + 1
    if spec is None:
        raise MongoError(ErrorCode.CommandNotFound, f"no such command: '{name}'")
    check_generic_fields(body)
    state.opcounters[_OPCOUNTER.get(name, "command")] += 1
    if state.replica_set is not None:
        cluster_time.receive(ctx, body)
    required = state.parameters.require_api_version
    if required or not _API_FIELDS.isdisjoint(body):
        api_version.check(name, body, required)
    if spec.admin_only and ctx.db != "admin":
        raise MongoError(ErrorCode.Unauthorized, f"{name} may only be run against the admin database.")
    if state.config.auth:
        authorize(ctx, spec, body)
    if state.fail_points and (point := failpoints.triggered(ctx, name, body)) is not None:
        return failpoints.apply(ctx, point, name, body, lambda: _guarded(_handle, ctx, body, spec))
    return _handle(ctx, body, spec)


def _handle(ctx: CommandContext, body: dict[str, Any], spec: CommandSpec) -> dict[str, Any]:
    try:
        reply = transactions.run(ctx, spec, body)
    except WriteBlocked as blocked:  # a plain write of a document an open transaction holds: it waits
        reply = write_wait.park(ctx, spec, body, blocked, lambda rest: _guarded(_run_again, ctx, rest, spec))
    reply["ok"] = 1.0
    return reply


def _run_again(ctx: CommandContext, body: dict[str, Any], spec: CommandSpec) -> Any:
    """A waiting write's next try (server/write_wait.py): its reply, or the WriteBlocked that makes it
    wait again."""
    try:
        reply = transactions.run(ctx, spec, body)
    except WriteBlocked as blocked:
        return blocked
    reply["ok"] = 1.0
    return reply


def _guarded(
    step: Callable[..., dict[str, Any]], ctx: CommandContext, body: dict[str, Any], *args: Any
) -> Any:
    """``step(ctx, body, *args)``, with any error turned into its reply document."""
    try:
        return step(ctx, body, *args)
    except MongoError as error:
        return error.to_document()
    except StorageError as error:
        log.error("storage failure: %s", error)
        cause = error.__cause__
        disk_full = isinstance(cause, OSError) and cause.errno in (errno.ENOSPC, errno.EDQUOT)
        return MongoError(
            ErrorCode.OutOfDiskSpace if disk_full else ErrorCode.InternalError,
            f"storage failure: {error}",
        ).to_document()
    except RecursionError:
        return MongoError(ErrorCode.Overflow, "document nesting too deep").to_document()
    except Exception as error:  # a bug: report it, keep serving
        log.exception("internal error running %r", next(iter(body), None))
        return MongoError(
            ErrorCode.InternalError, f"internal error: {type(error).__name__}: {error}"
        ).to_document()
