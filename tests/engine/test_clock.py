"""The logical clock's Timestamps: strictly increasing, and made through bson's slots exactly as its public
API would make them (engine/clock.py explains why it does not call ``Timestamp(...)``)."""

from __future__ import annotations

from unittest import mock

import bson
from bson.timestamp import Timestamp

from docdb.engine import clock as clock_module
from docdb.engine.clock import LogicalClock, fast_timestamp_agrees
from docdb.engine.log import batch_encode
from docdb.engine.log.batch_encode import _tail


def test_the_installed_bson_takes_the_fast_path() -> None:
    assert fast_timestamp_agrees() and clock_module.FAST


def test_ticks_are_real_timestamps_that_increase() -> None:
    clock = LogicalClock(Timestamp(2**31, 5))
    ticks = [clock.tick() for _ in range(50)]
    assert all(ts.__class__ is Timestamp for ts in ticks)
    assert all(a < b for a, b in zip(ticks, ticks[1:], strict=False))
    for ts in ticks:  # each is the Timestamp its parts make, through the public API too
        assert ts == Timestamp(ts.time, ts.inc) and hash(ts) == hash(Timestamp(ts.time, ts.inc))
        assert bson.decode(bson.encode({"t": ts}))["t"] == ts
    within = Timestamp(2**32 - 1, 7)  # a clock ahead of the wall clock counts on in its own second
    clock = LogicalClock(within)
    assert clock.tick() == Timestamp(2**32 - 1, 8)


def test_the_public_api_path_gives_the_same_clock_and_log_bytes() -> None:
    fast = LogicalClock(Timestamp(2**32 - 1, 7))
    with mock.patch.object(clock_module, "FAST", False):
        slow = LogicalClock(Timestamp(2**32 - 1, 7))
        assert slow.tick() == Timestamp(2**32 - 1, 8)
    assert fast.tick() == Timestamp(2**32 - 1, 8)
    ts = Timestamp(1_800_000_000, 3)
    expected = bson.encode({"ts": ts, "w": bson.DatetimeMS(1_800_000_000_123)})[4:]
    assert _tail(ts, 1_800_000_000_123) == expected
    assert _tail(ts, None) == bson.encode({"ts": ts})[4:]
    with mock.patch.object(batch_encode, "FAST_TIMESTAMPS", False):
        assert _tail(ts, 1_800_000_000_123) == expected and _tail(ts, None) == bson.encode({"ts": ts})[4:]
