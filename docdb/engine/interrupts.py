"""Checkpoints of a long read: where it may let the server run other commands and learn it was killed.

The engine knows nothing of connections; the server installs ``checker`` while it runs an operation
that may yield (a read outside a transaction, see ``server/operations.py``) and removes it afterwards.
A scan calls :func:`check` every few rows (the count it returns, tuned by the checker so that checks
come about once a millisecond); the checker raises the operation's error when it was killed or its
``maxTimeMS`` passed, and when the operation has run its time slice it suspends it (a greenlet switch)
so that the event loop serves other connections, then returns here.

A checkpoint may only suspend where every iteration in progress is over a snapshot. Collection scans
iterate a list taken from the collection's dict (stored documents are immutable bytes), so they are
safe. An index scan walks the live sorted index: it pins its operation while it does, and when a
yield is due it copies the rest of its range first, unpins and then checks. Without a checker
(the engine in-process, a write, a transaction) :func:`check` costs one call per thousand rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Protocol, TypeVar

T = TypeVar("T")


class Checker(Protocol):
    """The server's side of a checkpoint (``server/operations.Operation``)."""

    pins: int  # live (non-snapshot) iterations of this operation in progress: while > 0 it never suspends

    def check(self) -> int:
        """Raise if the operation must end; suspend it if its slice is over and nothing is pinned;
        return how many rows to process before the next call."""

    def due(self) -> bool:
        """Whether the operation's time slice is over (it would suspend at a safe checkpoint)."""


# The running operation's checker, installed and removed by the server around each slice of its work.
checker: Checker | None = None
UNCHECKED = 1024  # rows between calls when no checker is installed


def check() -> int:
    """Let the running operation be interrupted (and suspended, when nothing is pinned); the number of
    rows to process before the next call."""
    hook = checker
    if hook is None:
        return UNCHECKED
    return hook.check()


def checked(rows: Iterable[T]) -> Iterator[T]:
    """``rows`` (a snapshot the caller owns) with a checkpoint every few rows."""
    countdown = 1
    for row in rows:
        countdown -= 1
        if not countdown:
            countdown = check()
        yield row


def pinned_range(entries: Iterator[T]) -> Iterator[T]:
    """``entries`` of a live structure (an index range), pinned in the running operation while live;
    when a yield is due, the rest of the range is copied and iterated as a snapshot with checkpoints.
    The pin is the operation's own, so an iterator that outlives its operation never unpins another."""
    hook = checker
    if hook is None:
        yield from entries
        return
    hook.pins += 1
    live = True
    try:
        countdown = 64
        for entry in entries:
            yield entry
            countdown -= 1
            if not countdown:
                if hook.due():
                    rest = list(entries)
                    hook.pins -= 1
                    live = False
                    yield from checked(rest)
                    return
                countdown = hook.check()
    finally:
        if live:
            hook.pins -= 1
