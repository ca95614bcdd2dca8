"""Feedback for the long-running tools (dump, restore, export, import, verify, repair, compact).

On a terminal: one bar redrawn in place with the count, the total when known, and the rate. Elsewhere
(a log file, CI): a plain line every ``interval`` seconds, so a pipe is not flooded with redraws. Always:
one summary line at the end. Everything goes to stderr, so stdout stays free for ``--archive`` and
``--out -`` streams.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import IO, Any

_BAR_WIDTH = 24
_TTY_REDRAW_S = 0.1  # a terminal is redrawn at most ten times a second


def _amount(value: float, unit: str) -> str:
    """``1234567 bytes`` -> ``1.2 MB``; counts of documents stay exact."""
    if unit != "bytes":
        return f"{int(value)}"
    for suffix, size in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if value >= size:
            return f"{value / size:.1f} {suffix}"
    return f"{int(value)} B"


class Progress:
    """Counts work done under ``label``; ``update(n)`` is cheap enough to call per batch or per record."""

    def __init__(
        self,
        label: str,
        total: int | None = None,
        unit: str = "docs",
        stream: IO[str] | None = None,
        *,
        tty: bool | None = None,
        interval: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.label = label
        self.total = total
        self.unit = unit
        self.done = 0
        self._stream = stream if stream is not None else sys.stderr
        self._tty = tty if tty is not None else bool(getattr(self._stream, "isatty", lambda: False)())
        self._interval = _TTY_REDRAW_S if self._tty else interval
        self._clock = clock
        self._start = clock()
        self._next_report = self._start + self._interval
        self._drawn = False

    def update(self, n: int) -> None:
        self.done += n
        now = self._clock()
        if now >= self._next_report:
            self._next_report = now + self._interval
            self._report(now)

    def add_total(self, n: int) -> None:
        """Grow the expected total (a tool that learns sizes as it goes, one collection at a time)."""
        self.total = (self.total or 0) + n

    def rate(self, now: float | None = None) -> float:
        elapsed = (now if now is not None else self._clock()) - self._start
        return self.done / elapsed if elapsed > 0 else 0.0

    def _with_unit(self, text: str) -> str:
        return text if self.unit == "bytes" else f"{text} {self.unit}"

    def _counts(self) -> str:
        done = _amount(self.done, self.unit)
        if self.total:
            return self._with_unit(f"{done}/{_amount(self.total, self.unit)}")
        return self._with_unit(done)

    def _rate_text(self, now: float) -> str:
        return self._with_unit(_amount(self.rate(now), self.unit)) + "/s"

    def _report(self, now: float) -> None:
        if self._tty:
            bar = ""
            if self.total:
                filled = min(_BAR_WIDTH, int(_BAR_WIDTH * self.done / self.total))
                bar = f"[{'#' * filled}{'.' * (_BAR_WIDTH - filled)}] "
            self._stream.write(f"\r{self.label} {bar}{self._counts()}  {self._rate_text(now)}\x1b[K")
            self._drawn = True
        else:
            percent = f" ({100 * self.done / self.total:.0f}%)" if self.total else ""
            self._stream.write(f"{self.label}: {self._counts()}{percent}, {self._rate_text(now)}\n")
        self._stream.flush()

    def note(self, text: str) -> None:
        """A line of its own between progress reports (a bar is cleared first and redrawn later)."""
        if self._drawn:
            self._stream.write("\r\x1b[K")
            self._drawn = False
        self._stream.write(text + "\n")
        self._stream.flush()

    def finish(self, detail: str = "") -> str:
        """Write and return the one summary line (clearing a bar first)."""
        now = self._clock()
        elapsed = now - self._start
        if self._drawn:
            self._stream.write("\r\x1b[K")
        line = (
            f"{self.label}: done, {self._with_unit(_amount(self.done, self.unit))} in {elapsed:.1f} s "
            f"({self._rate_text(now)}){f', {detail}' if detail else ''}"
        )
        self._stream.write(line + "\n")
        self._stream.flush()
        return line

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._drawn and exc[0] is not None:
            self._stream.write("\n")
            self._stream.flush()


class NoProgress(Progress):
    """Counts but never writes (``--quiet``, and library callers that want no output)."""

    def __init__(self, label: str = "", total: int | None = None, unit: str = "docs") -> None:
        super().__init__(label, total, unit, stream=sys.stderr, tty=False)

    def _report(self, now: float) -> None:
        return

    def note(self, text: str) -> None:
        return

    def finish(self, detail: str = "") -> str:
        return ""
