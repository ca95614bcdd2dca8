"""The column path's process-wide knobs, apart from the numpy code so that reading or setting them (the
server does at start-up) and checking whether a collection is big enough never imports numpy."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class ColumnSettings:
    """Process-wide knobs, set once by the server from its config."""

    max_bytes: int = 256 << 20
    min_docs: int = 1000
    enabled: bool = True


SETTINGS = ColumnSettings()
