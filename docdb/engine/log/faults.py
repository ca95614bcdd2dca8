"""Fault injection for the durability tests: crash at a compaction step, fail appends like a full disk.

Both hooks are off unless their environment variable is set, and cost one attribute test when off.

- ``DOCDB_FAULT=compaction:<step>`` makes the process ``os._exit(FAULT_EXIT_CODE)`` when compaction
  reaches ``<step>`` (one of :data:`COMPACTION_STEPS`): as abrupt as ``kill -9``, nothing is flushed.
- ``DOCDB_FAULT_FILE=<path>``: while that file exists and holds an errno name (``ENOSPC``, ``EIO``),
  every write to a log file fails with that error. Tests create and delete the file to switch the fault.
"""

from __future__ import annotations

import errno
import os

FAULT_EXIT_CODE = 86
# In the order compaction reaches them; docs/mdb-format.md says what the file holds at each one.
COMPACTION_STEPS = ("snapshot", "write", "catchup", "fsync", "rename", "swap")

_CRASH_AT = os.environ.get("DOCDB_FAULT", "")
FAULT_FILE = os.environ.get("DOCDB_FAULT_FILE") or None


def crash_point(step: str) -> None:
    """Exit the process here if ``DOCDB_FAULT`` names this compaction step."""
    if _CRASH_AT and _CRASH_AT == f"compaction:{step}":
        os._exit(FAULT_EXIT_CODE)


def check_write_fault() -> None:
    """Raise the OSError the fault file names, if it exists (a test simulating ENOSPC or EIO)."""
    if FAULT_FILE is None:
        return
    try:
        with open(FAULT_FILE) as f:
            name = f.read().strip() or "EIO"
    except FileNotFoundError:
        return
    code = getattr(errno, name, errno.EIO)
    raise OSError(code, os.strerror(code))
