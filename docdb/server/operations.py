"""Operations in progress: the registry ``currentOp`` lists and ``killOp`` marks, and the greenlets that
let a long read give the event loop a turn.

Every command runs in a worker greenlet (taken from a small pool: a switch costs about half a
microsecond) and is registered from its arrival until its reply goes out, waits included (an awaitData
``getMore``, a blocked fail point, an awaitable ``hello``). A read outside a transaction installs its
operation as the engine's checker (``engine/interrupts.py``): at the scans' checkpoints the operation
raises Interrupted once killed, MaxTimeMSExpired once past ``maxTimeMS``, and every ``YIELD_SLICE_S`` of
work it switches back to the event loop, which resumes it on its next turn (``call_soon``) after serving
whatever else is ready. Writes never suspend: a write computes its after-images from what it read, and
a yield in between would let another write slip under it. A killed wait ends at once with the error.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from greenlet import getcurrent, greenlet

from docdb.engine import interrupts
from docdb.errors import ErrorCode, MongoError

if TYPE_CHECKING:
    from docdb.server.context import CommandContext, ConnectionInfo

YIELD_SLICE_S = 0.010  # work between yields (mongod's internalQueryExecYieldPeriodMS)
CHECK_EVERY_S = 0.001  # the checkpoints' target spacing: the row count between them adapts to it
MAX_STEP = 4096
IDLE_WORKERS = 8  # finished worker greenlets kept for reuse
SUSPENDED = object()  # what a worker hands the loop when its operation yields
# Commands whose reads may yield (their checkpoints suspend); every other command runs to completion.
YIELDING = frozenset({"aggregate", "count", "distinct", "find", "getMore"})


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
    """One command from arrival to reply; the engine's checker while its slices of work run."""

    __slots__ = (
        "opid", "ctx", "body", "name", "started", "started_perf", "killed", "num_yields", "deadline",
        "may_yield", "slice_end", "last_check", "step", "worker", "on_done", "cancel_wait",
    )  # fmt: skip

    def __init__(self, opid: int, ctx: CommandContext, body: dict[str, Any]) -> None:
        self.opid = opid
        self.ctx = ctx
        self.body = body
        self.name = next(iter(body), "")
        self.started = time.monotonic()
        self.started_perf = now = time.perf_counter()
        self.killed = False
        self.num_yields = 0
        self.may_yield = self.name in YIELDING and _reads_outside_transaction(self.name, body)
        limit = body.get("maxTimeMS")
        timed = self.may_yield and self.name != "getMore" and isinstance(limit, (int, float)) and limit > 0
        self.deadline = now + limit / 1000 if timed else float("inf")
        self.slice_end = now + YIELD_SLICE_S
        self.last_check = now
        self.step = 64
        self.worker: Any = None
        self.on_done: Callable[[dict[str, Any]], None] | None = None  # set when the command suspended
        self.cancel_wait: Callable[[], None] | None = None  # set while its reply waits (interruptibly)

    # -- engine.interrupts.Checker ---------------------------------------------------------------------

    def check(self, may_suspend: bool) -> int:
        if self.killed:
            raise killed_error(self.name)
        now = time.perf_counter()
        if now >= self.deadline:
            context = _CONTEXT.get(self.name, "")
            raise MongoError(ErrorCode.MaxTimeMSExpired, f"{context}operation exceeded time limit")
        step = self.step
        spacing = now - self.last_check
        if spacing > 2 * CHECK_EVERY_S and step > 1:
            step //= 2
        elif spacing < CHECK_EVERY_S / 2 and step < MAX_STEP:
            step *= 2
        self.step = step
        self.last_check = now
        if may_suspend and now >= self.slice_end:
            self.num_yields += 1
            asyncio.get_running_loop().call_soon(_resume, self)
            getcurrent().parent.switch(SUSPENDED)  # back to the event loop until _resume
            self.last_check = now = time.perf_counter()
            self.slice_end = now + YIELD_SLICE_S
            if self.killed:
                raise killed_error(self.name)
        return step

    def due(self) -> bool:
        return time.perf_counter() >= self.slice_end

    @property
    def micros_running(self) -> int:
        return int((time.perf_counter() - self.started_perf) * 1_000_000)


class Operations:
    """The server's operations in progress by opid, and its open connections (for ``$all``)."""

    def __init__(self) -> None:
        self.running: dict[int, Operation] = {}
        self.connections: dict[int, ConnectionInfo] = {}
        self.next_opid = 1
        self._idle: list[Any] = []

    def start(self, ctx: CommandContext, body: dict[str, Any]) -> Operation:
        op = Operation(self.next_opid, ctx, body)
        self.next_opid += 1
        self.running[op.opid] = op
        return op

    def end(self, op: Operation) -> None:
        self.running.pop(op.opid, None)
        op.cancel_wait = None

    def execute(self, op: Operation, fn: Callable[..., dict[str, Any]], *args: Any) -> Any:
        """``fn(*args)`` in a worker greenlet: its result, or SUSPENDED when the operation yielded (it
        then goes on at later turns of the loop and hands its result to ``op.on_done``)."""
        worker = self._idle.pop() if self._idle else greenlet(_serve)
        op.worker = worker
        return self._enter(op, (fn, args))

    def _enter(self, op: Operation, value: Any) -> Any:
        if op.may_yield:
            interrupts.checker = op
        interrupts.pinned = 0  # a suspended operation was suspended with nothing pinned
        try:
            outcome = op.worker.switch(value)
        finally:
            interrupts.checker = None
        if outcome is SUSPENDED:
            return SUSPENDED
        if len(self._idle) < IDLE_WORKERS:
            self._idle.append(op.worker)
        op.worker = None
        ok, result = outcome
        if not ok:
            raise result
        return result

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


def _serve(job: tuple[Callable[..., Any], tuple[Any, ...]]) -> None:
    """A worker greenlet's life: run a job, hand ``(ok, result)`` to the loop, wait for the next."""
    while True:
        fn, args = job
        try:
            outcome: tuple[bool, Any] = (True, fn(*args))
        except Exception as error:  # handed to the loop, which raises it there
            outcome = (False, error)
        job = getcurrent().parent.switch(outcome)


def _resume(op: Operation) -> None:
    """The loop's turn for a suspended operation: run its next slice; when it finishes, deliver."""
    operations: Operations = op.ctx.state.operations
    result = operations._enter(op, None)
    if result is not SUSPENDED and op.on_done is not None:
        op.on_done(result)
