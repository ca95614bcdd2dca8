"""writeConcern on a standalone: w:1 is acknowledged once written to the OS; j:true, w:"majority" and
fsync:true also wait for the fsync that covers the write (the connection waits, the loop does not).

Group commit on the loop side (``durable_future``): the writes a loop iteration handles register their waits
without waking the sync thread, which is woken once when the iteration's callbacks are done, so requests
that arrived together share one fsync rather than the first one's fsync starting alone; and the replies an
fsync releases come back to the loop in one batch (one cross-thread wake-up per fsync, not one per reply).
"""

from __future__ import annotations

import asyncio
import threading
import weakref
from functools import partial
from typing import Any

from docdb.engine.log.writer import LogWriter
from docdb.errors import ErrorCode, MongoError, StorageError
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


def request_durability(ctx: CommandContext, durable: bool) -> None:
    """After a write: make the reply wait for the fsync covering it when ``durable`` (what
    ``needs_fsync`` said before the write)."""
    if durable and ctx.catalog.writer is not None:
        ctx.wait_lsn = ctx.catalog.last_lsn


def durable_future(writer: LogWriter, lsn: int) -> asyncio.Future[None]:
    """A future of the running loop, done once an fsync covering ``lsn`` completes (or failed with the
    writer's StorageError when none will)."""
    loop = asyncio.get_running_loop()
    bridge = _BRIDGES.get(loop)
    if bridge is None:
        bridge = _BRIDGES[loop] = _DurabilityBridge(loop)
    return bridge.wait(loop, writer, lsn)


class _DurabilityBridge:
    """The durability waits of one event loop; the sync thread hands back finished ones in batches.

    It refers to its loop weakly: ``_BRIDGES`` must not keep a finished loop alive.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = weakref.ref(loop)
        self._loop_thread = threading.get_ident()
        self._lock = threading.Lock()
        self._finished: list[tuple[asyncio.Future[None], StorageError | None]] = []  # guarded by _lock
        self._to_wake: list[LogWriter] = []  # loop thread only

    def wait(self, loop: asyncio.AbstractEventLoop, writer: LogWriter, lsn: int) -> asyncio.Future[None]:
        future: asyncio.Future[None] = loop.create_future()
        if not self._to_wake:
            loop.call_soon(self._wake_writers)
        if writer not in self._to_wake:
            self._to_wake.append(writer)
        writer.on_durable(lsn, partial(self._finish, future), wake=False)
        return future

    def _wake_writers(self) -> None:
        """Runs once the callbacks ready in this loop iteration (every request read with it) are done."""
        writers, self._to_wake = self._to_wake, []
        for writer in writers:
            writer.wake()

    def _finish(self, future: asyncio.Future[None], failure: StorageError | None) -> None:
        """The writer's answer, from the sync thread (or from the loop when it was known at once)."""
        if threading.get_ident() == self._loop_thread:
            _resolve(future, failure)
            return
        with self._lock:
            first = not self._finished
            self._finished.append((future, failure))
        loop = self._loop()
        if first and loop is not None:
            try:
                loop.call_soon_threadsafe(self._resolve_finished)
            except RuntimeError:  # the loop is closed: nobody is left to reply to
                pass

    def _resolve_finished(self) -> None:
        with self._lock:
            finished, self._finished = self._finished, []
        for future, failure in finished:
            _resolve(future, failure)


def _resolve(future: asyncio.Future[None], failure: StorageError | None) -> None:
    if future.done():  # cancelled: the connection went away
        return
    if failure is None:
        future.set_result(None)
    else:
        future.set_exception(failure)


_BRIDGES: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _DurabilityBridge]
_BRIDGES = weakref.WeakKeyDictionary()
