"""The logical clock: one BSON ``Timestamp`` per logged change (the cluster time of a replica-set member).

Why not the log offset: compaction rewrites the file, so offsets are not stable names for a change. A
Timestamp is (seconds, increment): the wall clock's seconds, and a counter that restarts when the seconds
move on. It never goes backwards, even if the wall clock does, so it totally orders every change the
catalog commits — the order change streams, ``local.oplog.rs``, snapshot reads and write-conflict checks
rely on.

Each tick also notes the wall clock in milliseconds (``wall``), read at the same instant as the
Timestamp's seconds: a change event's ``wallTime`` and an oplog entry's ``wall``. Unlike the Timestamp it
follows the wall clock, backwards too, as mongod's does.
"""

from __future__ import annotations

import time

from bson.timestamp import Timestamp

# bson's Timestamp checks its arguments in a Python ``__init__`` and hands out its parts through Python
# properties: together several times what the rest of a tick costs, on every write. The clock, which
# makes valid ones only, sets and reads the two slots behind those properties (bson's ``__time`` and
# ``__inc``, so ``_Timestamp__time`` and ``_Timestamp__inc``); ``fast_timestamp_agrees`` is checked at
# import and by tests, and the public API is used if a bson release ever names them otherwise.
_new_object = object.__new__


def fast_timestamp_agrees() -> bool:
    """Whether a Timestamp made and read through its slots is the one its public API makes and reads."""
    try:
        ts = _new_object(Timestamp)
        ts._Timestamp__time, ts._Timestamp__inc = 7, 9  # type: ignore[attr-defined]
        return ts == Timestamp(7, 9) and (ts.time, ts.inc) == (7, 9) and ts.__class__ is Timestamp
    except AttributeError:
        return False


FAST = fast_timestamp_agrees()


class LogicalClock:
    """Hands out strictly increasing Timestamps; ``last`` is the newest one given out (or advanced to)."""

    __slots__ = ("last", "wall")

    def __init__(self, last: Timestamp | None = None) -> None:
        self.last = last if last is not None else Timestamp(0, 0)
        self.wall = 0  # the wall clock at the last tick, in milliseconds since the epoch

    def tick(self) -> Timestamp:
        """A new Timestamp, later than every earlier one.

        >>> clock = LogicalClock(Timestamp(2**31, 5))
        >>> clock.tick() > Timestamp(2**31, 5)
        True
        >>> ts = clock.tick(); clock.wall // 1000 <= ts.time
        True
        """
        nanoseconds = time.time_ns()
        now = nanoseconds // 1_000_000_000
        self.wall = nanoseconds // 1_000_000
        last = self.last
        if not FAST:
            ts = Timestamp(now, 1) if now > last.time else Timestamp(last.time, last.inc + 1)
        else:
            ts = _new_object(Timestamp)
            seconds = last._Timestamp__time
            if now > seconds:
                ts._Timestamp__time, ts._Timestamp__inc = now, 1
            else:
                ts._Timestamp__time, ts._Timestamp__inc = seconds, last._Timestamp__inc + 1
        self.last = ts
        return ts

    def advance(self, ts: Timestamp) -> None:
        """Never hand out ``ts`` or anything before it (recovery: the newest Timestamp in the file)."""
        if ts > self.last:
            self.last = ts
