"""Plain writes that wait for an open transaction to end, without blocking the event loop.

In mongod a plain (non-transactional) write of a document that an open multi-document transaction has
written meets a write conflict, which it retries internally until the transaction commits or aborts (or
its own ``maxTimeMS`` passes: MaxTimeMSExpired); it then applies on top of the committed state and the
transaction commits normally. Here the catalog's commit funnel refuses such a statement before applying
anything of it (``engine/write_intents.WriteBlocked``) and dispatch hands the command to ``park``: its
connection waits on a future, the holder's end schedules the next try (nothing polls), and the command
runs again from the blocked statement. The statements before it were applied already; their result is
kept and merged into the final reply, which reads as if the command had run at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from docdb.engine.write_intents import WriteBlocked
from docdb.errors import ErrorCode, MongoError, failed_wait_document
from docdb.server.commands.crud import write_reply
from docdb.server.context import CommandContext
from docdb.server.operations import killed_error
from docdb.server.registry import CommandSpec
from docdb.server.retryable import STATEMENT_FIELDS
from docdb.server.write_concern import durable_future

_GONE = "operation was interrupted because a client disconnected"

RunAgain = Callable[[dict[str, Any]], "dict[str, Any] | WriteBlocked"]


def park(
    ctx: CommandContext, spec: CommandSpec, body: dict[str, Any], blocked: WriteBlocked, run_again: RunAgain
) -> dict[str, Any]:
    """Make the command wait for ``blocked.holder`` to end; its reply comes through ``ctx.finish``.

    ``run_again(body)`` runs a body through the session step and the handler, as dispatch does, and
    returns its reply (an error's too) or the WriteBlocked that makes it wait again."""
    wait = _Wait(ctx, spec, body, run_again)
    wait.block(blocked)
    ctx.pending = wait.result
    ctx.finish = _final_reply
    return {}


def _final_reply(reply: dict[str, Any]) -> dict[str, Any]:
    return reply


class _Wait:
    """One parked write command: what of it ran, and the next try."""

    def __init__(self, ctx: CommandContext, spec: CommandSpec, body: dict[str, Any], run_again: RunAgain):
        loop = asyncio.get_running_loop()
        self.ctx = ctx
        self.body = body
        self.field = STATEMENT_FIELDS.get(spec.name)
        self.is_update = spec.name == "update"
        self.run_again = run_again
        self.result: asyncio.Future[dict[str, Any]] = loop.create_future()
        self.applied: dict[str, Any] | None = None  # the reply of the statements applied so far
        self.offset = 0  # how many of the body's statements those are
        self.timer: asyncio.TimerHandle | None = None
        max_time_ms = body.get("maxTimeMS")
        if isinstance(max_time_ms, (int, float)) and not isinstance(max_time_ms, bool) and max_time_ms > 0:
            self.timer = loop.call_later(max_time_ms / 1000, self._expire)

    def block(self, blocked: WriteBlocked) -> None:
        """Keep what ran before the blocked statement, and wait for its holder to end."""
        if self.field is not None and blocked.outcome is not None:
            ran = write_reply(blocked.outcome, with_modified=self.is_update)
            if blocked.retried:
                ran["retriedStmtIds"] = list(blocked.retried)
            self.applied = _merge(self.applied or {}, ran, self.offset, self.is_update)
            self.offset += blocked.done
        blocked.holder.when_ended(self._holder_ended)

    def _holder_ended(self) -> None:
        asyncio.get_running_loop().call_soon(self._try_again)

    def _try_again(self) -> None:
        if self.result.done():  # maxTimeMS passed meanwhile
            return
        if self.ctx.connection.closed:  # mongod kills an operation whose client went away
            self._resolve(MongoError(ErrorCode.ClientDisconnect, _GONE).to_document())
            return
        op = self.ctx.operation  # the connection's record of this wait: killOp answered it already
        if op is not None and op.killed:
            self._resolve(killed_error(op.name).to_document())
            return
        self.ctx.wait_lsn = None
        outcome = self.run_again(self._remaining())
        if isinstance(outcome, WriteBlocked):
            self.block(outcome)
            return
        reply = outcome
        if self.applied is not None and reply.get("ok"):
            reply = {**_merge(self.applied, reply, self.offset, self.is_update), "ok": reply["ok"]}
        lsn, writer = self.ctx.wait_lsn, self.ctx.state.catalog.writer
        if lsn is not None and writer is not None and reply.get("ok"):  # j: true / w: "majority"
            durable_future(writer, lsn).add_done_callback(lambda fsync: self._after_fsync(fsync, reply))
        else:
            self._resolve(reply)

    def _after_fsync(self, fsync: asyncio.Future[None], reply: dict[str, Any]) -> None:
        error = fsync.exception()
        self._resolve(reply if error is None else failed_wait_document(error))

    def _remaining(self) -> dict[str, Any]:
        """The body from the first statement not applied yet (a retryable write keeps its statement ids)."""
        if not self.offset or self.field is None:
            return self.body
        body = self.body
        rest = {**body, self.field: body[self.field][self.offset :]}
        if "txnNumber" in body and "autocommit" not in body:
            ids = body.get("stmtIds")
            if isinstance(ids, list):
                rest["stmtIds"] = ids[self.offset :]
            else:
                rest["stmtId"] = int(body.get("stmtId", 0)) + self.offset
        return rest

    def _expire(self) -> None:
        self._resolve(MongoError(ErrorCode.MaxTimeMSExpired, "operation exceeded time limit").to_document())

    def _resolve(self, reply: dict[str, Any]) -> None:
        if self.timer is not None:
            self.timer.cancel()
        if not self.result.done():
            self.result.set_result(reply)


def _merge(first: dict[str, Any], rest: dict[str, Any], offset: int, is_update: bool) -> dict[str, Any]:
    """One reply for a command whose first ``offset`` statements gave ``first`` and the others ``rest``
    (whose statement positions count from ``offset``)."""
    reply: dict[str, Any] = {"n": first.get("n", 0) + rest.get("n", 0)}
    if is_update:
        upserted = first.get("upserted", []) + [
            {**u, "index": u["index"] + offset} for u in rest.get("upserted", [])
        ]
        if upserted:
            reply["upserted"] = upserted
        reply["nModified"] = first.get("nModified", 0) + rest.get("nModified", 0)
    errors = first.get("writeErrors", []) + [
        {**e, "index": e["index"] + offset} for e in rest.get("writeErrors", [])
    ]
    if errors:
        reply["writeErrors"] = errors
    retried = first.get("retriedStmtIds", []) + rest.get("retriedStmtIds", [])
    if retried:
        reply["retriedStmtIds"] = retried
    for key, value in rest.items():  # anything else the last part says (writeConcernError, ...)
        if key not in reply and key not in ("upserted", "writeErrors", "retriedStmtIds", "ok"):
            reply[key] = value
    return reply
