"""Rate-limited warnings: a client that loops sending garbage must not grow the log without bound.

Each kind of warning (e.g. ``protocol``: a connection closed for a malformed frame) may log ``burst``
lines per ``interval_s`` window; later ones in the window are only counted. When a window with suppressed
lines is over, one summary line says how many were dropped (written by the next warning of that kind,
or by ``flush``, which the server calls periodically). So per kind and window the log grows by at most
``burst + 1`` lines, however fast the warnings come. The counts are in serverStatus (``docdb.log``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bson.int64 import Int64

DEFAULT_BURST = 10
DEFAULT_INTERVAL_S = 60.0


@dataclass(slots=True)
class _Window:
    started: float
    logged: int = 0
    suppressed: int = 0


class RateLimitedLog:
    """Warnings through ``logger``, at most ``burst`` per kind per ``interval_s`` (see the module doc)."""

    def __init__(
        self,
        logger: logging.Logger,
        burst: int = DEFAULT_BURST,
        interval_s: float = DEFAULT_INTERVAL_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.logger = logger
        self.burst = burst
        self.interval_s = interval_s
        self.clock = clock
        self.windows: dict[str, _Window] = {}
        self.warnings = 0  # every warning asked for, logged or not
        self.suppressed = 0

    def warning(self, kind: str, message: str, *args: Any) -> None:
        """Log ``message % args`` unless this window's burst for ``kind`` is used up (then count it)."""
        self.warnings += 1
        now = self.clock()
        window = self.windows.get(kind)
        if window is None or now - window.started >= self.interval_s:
            if window is not None:
                self._summarize(kind, window)
            window = self.windows[kind] = _Window(now)
        if window.logged < self.burst:
            window.logged += 1
            self.logger.warning(message, *args)
        else:
            window.suppressed += 1
            self.suppressed += 1

    def flush(self) -> None:
        """Write the summary of every window that is over (called periodically by the server)."""
        now = self.clock()
        for kind, window in list(self.windows.items()):
            if now - window.started >= self.interval_s:
                self._summarize(kind, window)
                del self.windows[kind]

    def _summarize(self, kind: str, window: _Window) -> None:
        if window.suppressed:
            self.logger.warning(
                "suppressed %d more %s warnings in the last %.0f s", window.suppressed, kind, self.interval_s
            )
            window.suppressed = 0

    def status(self) -> dict[str, Any]:
        """serverStatus ``docdb.log``: warnings raised and how many of them were not written."""
        return {"warnings": Int64(self.warnings), "suppressed": Int64(self.suppressed)}
