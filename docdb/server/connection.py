"""One client connection: bytes in -> frames -> commands, run in arrival order -> replies out.

An ``asyncio.Protocol`` rather than streams: ``data_received`` feeds a frame buffer and runs complete
commands synchronously, which keeps a round trip to a few Python calls. A command that must wait (a
``j: true`` write waiting for its fsync) parks the connection's queue until the wait is over, so replies
never overtake each other. Reading pauses when too many frames are queued or the peer stops reading.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections import deque
from typing import Any, cast

from docdb.errors import MongoError, ProtocolError, failed_wait_document
from docdb.protocol import (
    EXHAUST_ALLOWED,
    MAX_MESSAGE_SIZE,
    MORE_TO_COME,
    FrameBuffer,
    InvalidRequest,
    OpMsg,
    OpQuery,
    Request,
    compress_frame,
    decode_request,
    encode_op_msg,
    encode_op_reply,
)
from docdb.server import cluster_time
from docdb.server.context import CommandContext, ConnectionInfo, ServerState
from docdb.server.dispatch import account_command, answer_command, run_command
from docdb.server.operations import SUSPENDED, YIELDING, Operation, Operations, killed_error
from docdb.server.tls import certificate_subject
from docdb.server.write_concern import durable_future
from docdb.server.write_lane import CannedReply

log = logging.getLogger("docdb.connection")

_request_ids = itertools.count(1)
MAX_QUEUED_FRAMES = 64
# With --auth, what a client that has not authenticated may make the server hold: frames of at most this
# size (hello, saslStart/saslContinue, a first createUser are far smaller), this many queued, and this
# much unsent reply data before reading stops.
UNAUTHENTICATED_MAX_FRAME = 8 * 1024
UNAUTHENTICATED_MAX_QUEUED = 2
UNAUTHENTICATED_WRITE_BUFFER = 8 * 1024
QUERY_FAILURE = 1 << 1  # OP_REPLY responseFlags bit


def _peer_name(address: Any) -> str:
    if isinstance(address, tuple) and len(address) >= 2:
        host = address[0]
        return f"[{host}]:{address[1]}" if ":" in host else f"{host}:{address[1]}"
    return str(address)


class MongoProtocol(asyncio.Protocol):
    """Serves one TCP connection for ``state``."""

    def __init__(self, state: ServerState, on_close: Any = None) -> None:
        self.state = state
        self.buffer = FrameBuffer()
        self.queue: deque[bytes] = deque()
        self.transport: asyncio.Transport | None = None
        self.info: ConnectionInfo | None = None
        self.busy = False  # a command is waiting (fsync); the queue holds until it's done
        self.awaiting_topology = False  # the wait is an awaitable hello's: shutdown need not wait for it
        self.write_paused = False
        self.read_paused = False
        self.closed = False
        self.rejected = False  # refused at accept (too many connections): never counted as open
        self.limited = False  # the small limits of a client that has not authenticated are in force
        self.max_queued = MAX_QUEUED_FRAMES
        self.on_close = on_close

    # -- asyncio.Protocol ------------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's transports don't subclass it
        if self.state.connections_current >= self.state.max_connections:
            self.rejected = self.closed = True
            self.state.connections_rejected += 1
            log.warning(
                "connection refused because there are too many open connections: %s (%d open)",
                _peer_name(transport.get_extra_info("peername")),
                self.state.connections_current,
            )
            self.transport.abort()
            return
        self.state.connections_current += 1
        self.state.connections_total += 1
        self.info = ConnectionInfo(
            connection_id=self.state.new_connection_id(),
            peer=_peer_name(transport.get_extra_info("peername")),
            local=_peer_name(transport.get_extra_info("sockname")),
        )
        self.state.operations.connections[self.info.connection_id] = self.info
        ssl_object = transport.get_extra_info("ssl_object")
        if ssl_object is not None:
            self.info.tls = True
            self.info.peer_certificate_subject = certificate_subject(ssl_object)
        self._apply_auth_limits()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self.info is not None:
            self.info.closed = True
        if not self.rejected:
            self.state.connections_current -= 1
        if self.info is not None:
            self.state.operations.disconnected(self.info)
        self.queue.clear()
        if self.on_close is not None:
            self.on_close(self)

    def data_received(self, data: bytes) -> None:
        self.state.metrics.physical_bytes_in += len(data)
        try:
            frames = self.buffer.feed(data)
        except ProtocolError as error:
            self._abort(error)
            return
        self.queue.extend(frames)
        self._drain()

    def pause_writing(self) -> None:
        self.write_paused = True

    def resume_writing(self) -> None:
        self.write_paused = False
        self._drain()

    @property
    def idle(self) -> bool:
        return not self.queue and (not self.busy or self.awaiting_topology)

    # -- running commands ------------------------------------------------------------------------------

    def _abort(self, error: Exception) -> None:
        info = self.info.peer if self.info else "?"
        self.state.log_limiter.warning("protocol", "closing connection %s: %s", info, error)
        self.queue.clear()
        if self.transport is not None:
            self.transport.abort()

    def _drain(self) -> None:
        """Run queued frames in order until one must wait or the peer stops reading."""
        while self.queue and not self.busy and not self.write_paused and not self.closed:
            frame = self.queue.popleft()
            try:
                request = decode_request(frame)
            except InvalidRequest as error:  # well framed, bad content: mongod replies with an error
                self.state.metrics.count_request(frame, False)
                if not error.more_to_come and self.transport is not None:
                    reply = MongoError(error.code, error.errmsg).to_document()
                    out = encode_op_msg(reply, next(_request_ids), error.request_id)
                    self.state.metrics.count_reply_bytes(len(out), len(out))
                    self.transport.write(out)
                continue
            except ProtocolError as error:
                self._abort(error)
                return
            self.state.metrics.count_request(frame, request.compressor_id is not None)
            self._run(request)
            if self.limited or self.state.config.auth:
                self._apply_auth_limits()
        if self.read_paused or len(self.queue) >= self.max_queued:  # (_flow_control would change nothing)
            self._flow_control()

    def _apply_auth_limits(self) -> None:
        """With --auth, small limits until the client authenticates (and again after it logs out), so
        that an unauthenticated client cannot make the server hold more than a few KB for it."""
        assert self.info is not None
        limited = self.state.config.auth and self.info.auth.user is None
        if limited == self.limited:
            return
        self.limited = limited
        self.buffer.max_length = UNAUTHENTICATED_MAX_FRAME if limited else MAX_MESSAGE_SIZE
        self.max_queued = UNAUTHENTICATED_MAX_QUEUED if limited else MAX_QUEUED_FRAMES
        if self.transport is not None:
            self.transport.set_write_buffer_limits(high=UNAUTHENTICATED_WRITE_BUFFER if limited else None)

    def _flow_control(self) -> None:
        if self.transport is None or self.closed:
            return
        too_many = len(self.queue) >= self.max_queued
        if too_many and not self.read_paused:
            self.transport.pause_reading()
            self.read_paused = True
        elif not too_many and self.read_paused:
            self.transport.resume_reading()
            self.read_paused = False

    def _run(self, request: Request) -> None:
        message = request.message
        if message.__class__ is OpMsg:
            body = message.body
            if message.sequences:
                body.update(message.sequences)
            db = body.get("$db")
            ctx = self._context(db if type(db) is str else "")  # a wrong type fails in run_command
            ctx.exhaust_allowed = bool(message.flags & EXHAUST_ALLOWED)
            no_reply = bool(message.flags & MORE_TO_COME)
            if db is None and "$db" not in body or db == "":
                reply = MongoError(40571, "OP_MSG requests require a $db argument").to_document()
                self._answer(None, ctx, request, reply, no_reply)
            else:
                self._execute(ctx, request, body, no_reply)
            return
        assert isinstance(message, OpQuery)
        self._run_op_query(request, message)

    def _execute(self, ctx: CommandContext, request: Request, body: dict[str, Any], no_reply: bool) -> None:
        """Run the command; a read that may yield runs as an operation in a worker greenlet
        (server/operations.py), and if it yields, the connection holds its queue until it finishes at a
        later turn of the loop."""
        name = next(iter(body), "")
        op = Operations.prepare(ctx, body, name) if name in YIELDING else None
        if op is None:  # cannot yield: runs straight, registered only if its reply waits
            reply, seconds = answer_command(ctx, body)
            self._answer(None, ctx, request, reply, no_reply, body)
            # the metrics and the profiler once the reply is on its way (still before the next command)
            account_command(ctx, body, reply, seconds)
            return
        ctx.operation = op
        reply = self.state.operations.execute(op, run_command, ctx, body)
        if reply is not SUSPENDED:
            self._answer(op, ctx, request, reply, no_reply)
            return
        self.busy = True

        def finished(reply: dict[str, Any]) -> None:
            self.busy = False
            self._answer(op, ctx, request, reply, no_reply)
            self._drain()

        op.on_done = finished

    def _answer(
        self,
        op: Operation | None,
        ctx: CommandContext,
        request: Request,
        reply: dict[str, Any],
        no_reply: bool,
        body: dict[str, Any] | None = None,
    ) -> None:
        """After the command ran: close the connection, wait for what its reply waits for (registered as
        an operation meanwhile, so that currentOp lists it and killOp ends it), or reply."""
        waits = ctx.wait_lsn is not None or ctx.pending is not None
        if waits and reply.get("ok") and not ctx.close_connection:
            if op is None and body is not None:
                op = ctx.operation = Operation(ctx, body, next(iter(body), ""))
            if op is not None:
                self.state.operations.register(op)
            self._wait_then_reply(ctx, request, reply, no_reply, op)
            return
        if op is not None:
            self.state.operations.end(op)
        if ctx.close_connection:
            self._abort_for_test(ctx)
        elif not no_reply:
            self._reply(ctx, request, reply)

    def _run_op_query(self, request: Request, message: OpQuery) -> None:
        db, _, coll = message.full_collection_name.partition(".")
        if coll != "$cmd":
            # mongod >= 5.1 only accepts OP_QUERY for commands; anything else fails the query.
            failure = {"$err": "OP_QUERY is no longer supported", "code": 5739101, "ok": 0.0}
            self._send(
                request,
                encode_op_reply(
                    [failure], next(_request_ids), request.header.request_id, response_flags=QUERY_FAILURE
                ),
            )
            return
        body = message.query
        if isinstance(body.get("$query"), dict):  # {$query: cmd, $readPreference: …} wrapping
            body = body["$query"]
        self._execute(self._context(db), request, dict(body), False)

    def _context(self, db: str) -> CommandContext:
        assert self.info is not None
        return CommandContext(self.state, db, self.info)

    def _send(self, request: Request, frame: bytes) -> None:
        if self.transport is None or self.closed:
            return
        logical = len(frame)
        if request.compressor_id is not None:
            frame = compress_frame(frame, request.compressor_id)
        self.transport.write(frame)
        self.state.metrics.count_reply_bytes(logical, len(frame))

    def _abort_for_test(self, ctx: CommandContext) -> None:
        """Close without replying (failCommand's closeConnection), as mongod ends the session."""
        self.queue.clear()
        self.busy = False
        if self.transport is not None:
            self.transport.close()

    def _reply(self, ctx: CommandContext, request: Request, body: dict[str, Any]) -> None:
        """Send ``body``; a streamed reply goes with moreToCome, and the command's next invocation runs
        as a request whose id is this reply's (exhaust replies answer the previous reply, as mongod's)."""
        reply_id = next(_request_ids)
        if request.message.__class__ is OpQuery:  # legacy: one OP_REPLY, never streamed
            self._send(request, encode_op_reply([body], reply_id, request.header.request_id))
            return
        streaming = ctx.next_invocation is not None and body.get("ok") and not self.closed
        flags = MORE_TO_COME if streaming else 0
        data = body.encoded if body.__class__ is CannedReply else body  # (bytes: sent as they are)
        self._send(request, encode_op_msg(data, reply_id, request.header.request_id, flags))
        if streaming:
            assert ctx.next_invocation is not None and isinstance(request.message, OpMsg)
            message = OpMsg(request.message.flags, ctx.next_invocation, {})
            self._run(Request(request.header._replace(request_id=reply_id), message, request.compressor_id))

    def _wait_then_reply(
        self,
        ctx: CommandContext,
        request: Request,
        reply: dict[str, Any],
        no_reply: bool,
        op: Operation | None = None,
    ) -> None:
        """Hold this connection until what the command waits for is done, then reply and go on. A
        killOp ends the wait at once with Interrupted (not a compaction's nor a durability wait's: their
        work is done or under way whatever the client is told)."""
        operations = self.state.operations
        writer = self.state.catalog.writer
        if ctx.pending is not None:
            future: asyncio.Future[Any] = ctx.pending
        elif writer is not None and ctx.wait_lsn is not None:
            future = durable_future(writer, ctx.wait_lsn)
        else:
            if op is not None:
                operations.end(op)
            if not no_reply:
                self._send(request, encode_op_msg(reply, next(_request_ids), request.header.request_id))
            return
        self.busy = True
        self.awaiting_topology = ctx.awaits_topology
        over = False

        def end_wait() -> bool:
            """Whether this is the first end of the wait (its reply, or a kill): it ends the operation."""
            nonlocal over
            if over:
                return False
            over = True
            self.busy = self.awaiting_topology = False
            if op is not None:
                operations.end(op)
            return True

        def interrupted() -> None:
            if not end_wait():
                return
            if not no_reply:
                self._reply(
                    ctx,
                    request,
                    cluster_time.stamp(ctx, killed_error(op.name if op is not None else "").to_document()),
                )
            self._drain()

        if op is not None and ctx.pending is not None and op.name != "compact":
            op.cancel_wait = interrupted

        def done(fut: asyncio.Future[Any]) -> None:
            nonlocal over
            if not end_wait():
                return
            body = reply
            error = fut.exception()
            if error is not None:
                body = failed_wait_document(error)
            elif ctx.finish is not None:
                waited = ctx.pending
                body = ctx.finish(fut.result())
                if ctx.pending is not waited and ctx.pending is not None and body.get("ok"):
                    self.busy = True  # finishing began another wait (a fail point's command that waits)
                    over = False
                    ctx.pending.add_done_callback(done)
                    return
                body.setdefault("ok", 1.0)
                body = cluster_time.stamp(ctx, body)
            if ctx.close_connection:
                self._abort_for_test(ctx)
                return
            if not no_reply:
                self._reply(ctx, request, body)
            self._drain()

        future.add_done_callback(done)
