"""Operations in progress: the registry ``currentOp`` lists and ``killOp`` marks, and the greenlets that
let a long read give the event loop a turn.

A read that may yield (find, aggregate, count, distinct outside a transaction; not a find that reads
at most one document, by ``_id`` or by the express path, nor a pipeline that ends in ``$out`` or
``$merge``) runs in a worker greenlet taken from a small pool, with its operation installed as the
engine's checker (``engine/interrupts.py``). At the scans' checkpoints the operation raises Interrupted
once killed, MaxTimeMSExpired once past ``maxTimeMS``, and after every ``YIELD_SLICE_S`` of work it
switches back to the event loop, which resumes it at its next turn (``call_soon``) after serving
whatever else is ready. Every other command runs straight on the loop and to completion: a write
computes its after-images from what it read, and a yield in between would let another write slip
under it.

An operation is registered (given its opid, listed by currentOp) when another client could see it: when
it first yields, while its reply waits (an awaitData ``getMore``, a blocked fail point, an awaitable
``hello``: killOp ends such a wait at once), or while it lists itself. A command that completes in one
slice is never registered, so point reads and writes pay one set lookup for all this.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from greenlet import getcurrent, greenlet

from docdb.engine import interrupts
from docdb.engine.planner import id_equality, sole_point_index
from docdb.errors import ErrorCode, MongoError

if TYPE_CHECKING:
    from docdb.server.context import CommandContext, ConnectionInfo

YIELD_SLICE_S = 0.010  # work between yields (mongod's internalQueryExecYieldPeriodMS)
CHECK_EVERY_S = 0.001  # the checkpoints' target spacing: the row count between them adapts to it
MAX_STEP = 4096
IDLE_WORKERS = 8  # finished worker greenlets kept for reuse
SUSPENDED = object()  # what a worker hands the loop when its operation yields
# Commands whose reads may yield (their checkpoints suspend); every other command runs to completion. A
# getMore only slices a finished result or reads a tail's new entries; its waits are registered anyway.
YIELDING = frozenset({"aggregate", "count", "distinct", "find"})


# The context mongod adds to an executor's error (an aggregation's is added by engine/aggregate.py).
_CONTEXT = {
    "distinct": "Executor error during distinct command :: caused by :: ",
    "find": "Executor error during find command :: caused by :: ",
    "getMore": "Executor error during getMore :: caused by :: ",
}


def killed_error(name: str) -> MongoError:
    """What a killed operation fails with, as mongod words it for command ``name``."""
    return MongoError(ErrorCode.Interrupted, f"{_CONTEXT.get(name, '')}operation was interrupted")


class Operation:
    """One command from arrival to reply; the engine's checker while its slices of work run.

    Made for every command that may yield and for every reply that waits; ``opid`` is 0 until the
    operation is registered (when it first suspends or waits, or lists itself): a command that runs to
    completion in one slice is never seen by another client, so it costs no registration.
    """

    __slots__ = (
        "opid", "ctx", "body", "name", "started_perf", "killed", "num_yields", "deadline", "slice_end",
        "last_check", "step", "pins", "worker", "on_done", "cancel_wait",
    )  # fmt: skip

    def __init__(self, ctx: CommandContext, body: dict[str, Any], name: str) -> None:
        self.opid = 0
        self.ctx = ctx
        self.body = body
        self.name = name
        self.started_perf = time.perf_counter()
        self.killed = False
        self.num_yields = 0
        self.step = 0  # the checker's state is set up at the first check (a point read never checks)
        self.pins = 0  # live index iterations in progress (engine/interrupts.pinned_range)
        self.worker: Any = None
        self.on_done: Callable[[dict[str, Any]], None] | None = None  # set when the command suspended
        self.cancel_wait: Callable[[], None] | None = None  # set while its reply waits (interruptibly)

    # -- engine.interrupts.Checker ---------------------------------------------------------------------

    def check(self) -> int:
        if self.killed:
            raise killed_error(self.name)
        now = time.perf_counter()
        step = self.step
        if not step:
            self._first_check()
            step = self.step
        if now >= self.deadline:
            context = _CONTEXT.get(self.name, "")
            raise MongoError(ErrorCode.MaxTimeMSExpired, f"{context}operation exceeded time limit")
        spacing = now - self.last_check
        if spacing > 2 * CHECK_EVERY_S and step > 1:
            step //= 2
        elif spacing < CHECK_EVERY_S / 2 and step < MAX_STEP:
            step *= 2
        self.step = step
        self.last_check = now
        if now >= self.slice_end and not self.pins:
            self.num_yields += 1
            self.ctx.state.operations.register(self)
            asyncio.get_running_loop().call_soon(_resume, self)
            getcurrent().parent.switch(SUSPENDED)  # back to the event loop until _resume
            self.last_check = now = time.perf_counter()
            self.slice_end = now + YIELD_SLICE_S
            if self.killed:
                raise killed_error(self.name)
        return step

    def _first_check(self) -> None:
        started = self.started_perf
        limit = self.body.get("maxTimeMS")
        timed = isinstance(limit, (int, float)) and limit > 0
        self.deadline = started + limit / 1000 if timed else float("inf")
        self.slice_end = started + YIELD_SLICE_S
        self.last_check = started
        self.step = 64

    def due(self) -> bool:
        if not self.step:
            self._first_check()
        return time.perf_counter() >= self.slice_end

    @property
    def micros_running(self) -> int:
        return int((time.perf_counter() - self.started_perf) * 1_000_000)


class Operations:
    """The server's registered operations by opid, and its open connections (for ``$all``)."""

    def __init__(self) -> None:
        self.running: dict[int, Operation] = {}
        self.connections: dict[int, ConnectionInfo] = {}
        self.next_opid = 1
        self._idle: list[Any] = []

    @staticmethod
    def prepare(ctx: CommandContext, body: dict[str, Any], name: str) -> Operation | None:
        """The operation of command ``name`` (one of YIELDING) if it may yield (a read outside a
        transaction), else None: such a command runs straight, with no worker (it cannot suspend)."""
        if name == "find" and _reads_one(ctx, body):
            return None
        if _reads_outside_transaction(name, body):
            return Operation(ctx, body, name)
        return None

    def register(self, op: Operation) -> Operation:
        """Give ``op`` its opid and list it (once)."""
        if not op.opid:
            op.opid = self.next_opid
            self.next_opid += 1
            self.running[op.opid] = op
        return op

    def end(self, op: Operation) -> None:
        if op.opid:
            self.running.pop(op.opid, None)
        op.cancel_wait = None

    def execute(self, op: Operation, fn: Callable[..., dict[str, Any]], *args: Any) -> Any:
        """``fn(*args)`` in a worker greenlet: its result, or SUSPENDED when the operation yielded (it
        then goes on at later turns of the loop and hands its result to ``op.on_done``)."""
        idle = self._idle
        op.worker = idle.pop() if idle else greenlet(_serve)
        return self._enter(op, (fn, args))

    def _enter(self, op: Operation, value: Any) -> Any:
        interrupts.checker = op
        try:
            outcome = op.worker.switch(value)
        finally:
            interrupts.checker = None
        if outcome is SUSPENDED:
            return SUSPENDED
        if len(self._idle) < IDLE_WORKERS:
            self._idle.append(op.worker)
        op.worker = None
        if outcome.__class__ is _Failure:
            raise outcome.error
        return outcome

    def kill(self, opid: int) -> None:
        """Mark operation ``opid`` killed: a suspended read fails at its next checkpoint, a waiting reply
        ends now; a killed getMore's cursor is closed, as mongod's is. An unknown opid is no error."""
        op = self.running.get(opid)
        if op is None:
            return
        op.killed = True
        if op.name == "getMore" and isinstance(op.body.get("getMore"), int):
            op.ctx.state.cursors.kill([op.body["getMore"]])
        if op.cancel_wait is not None:
            cancel, op.cancel_wait = op.cancel_wait, None
            cancel()

    def disconnected(self, conn: ConnectionInfo) -> None:
        """The client of ``conn`` went away: its operations are killed (mongod interrupts a disconnected
        client's operations too): a yielded read stops at its next checkpoint, a wait ends now."""
        self.connections.pop(conn.connection_id, None)
        for op in list(self.running.values()):
            if op.ctx.connection is conn:
                self.kill(op.opid)


class _Failure:
    """An exception a job raised, handed from the worker to the loop (which raises it there)."""

    __slots__ = ("error",)

    def __init__(self, error: Exception) -> None:
        self.error = error


def _reads_outside_transaction(name: str, body: dict[str, Any]) -> bool:
    """Whether the command may yield: no transaction or snapshot read (their stores are not built for
    others' writes in between), and no aggregation stage that writes ($out, $merge)."""
    if "autocommit" in body or "startTransaction" in body:
        return False
    read_concern = body.get("readConcern")
    if isinstance(read_concern, dict) and read_concern.get("level") == "snapshot":
        return False
    if name == "aggregate":
        pipeline = body.get("pipeline")
        if isinstance(pipeline, list) and pipeline:
            last = pipeline[-1]
            if isinstance(last, dict) and ("$out" in last or "$merge" in last):
                return False
    return True


# Find options that can make a one-field equality read more than one index entry.
_SCANNING_OPTIONS = frozenset({"collation", "hint", "max", "min", "skip", "sort"})


def _reads_one(ctx: CommandContext, body: dict[str, Any]) -> bool:
    """Whether a find reads at most one document whatever the data (it cannot run long): one ``_id``
    value (IDHACK), or ``find_one`` by a field that has a sole single-field index (the express path)."""
    spec = body.get("filter")
    name = body["find"]
    if spec.__class__ is not dict or len(spec) != 1 or name.__class__ is not str:
        return False
    coll = ctx.state.catalog.collection(ctx.db, name)  # None for a view: its pipeline may run long
    if coll is None:
        return False
    if not _SCANNING_OPTIONS.isdisjoint(body):  # e.g. a $natural hint turns even an _id lookup into a scan
        return False
    if id_equality(spec)[0]:  # the IDHACK lookup, as express_first and the planner take it
        return True
    if body.get("limit") != 1:
        return False
    ctx.point_index = sole_point_index(coll, spec)
    return ctx.point_index is not None


def _serve(job: tuple[Callable[..., Any], tuple[Any, ...]]) -> None:
    """A worker greenlet's life: run a job, hand its result to the loop, wait for the next."""
    loop_greenlet = getcurrent().parent
    while True:
        fn, args = job
        try:
            outcome: Any = fn(*args)
        except Exception as error:
            outcome = _Failure(error)
        job = loop_greenlet.switch(outcome)


def _resume(op: Operation) -> None:
    """The loop's turn for a suspended operation: run its next slice; when it finishes, deliver."""
    operations: Operations = op.ctx.state.operations
    result = operations._enter(op, None)
    if result is not SUSPENDED and op.on_done is not None:
        op.on_done(result)
