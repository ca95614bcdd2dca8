"""The TTL monitor: every ``ttl_monitor_interval_s`` seconds, delete the documents TTL indexes expire.

Deletions go through the ordinary commit path, so each pass is logged (one record per collection) and
replays like any delete. A pass runs on the event loop between commands, so it is atomic with respect to
them, as every command is.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from docdb.engine.catalog import Catalog
from docdb.engine.writes import expire_documents

log = logging.getLogger("docdb.ttl")


def run_ttl_pass(catalog: Catalog, now: float | None = None) -> int:
    """One pass at ``now`` (epoch seconds; default the clock); returns how many documents it deleted."""
    now_ms = int((time.time() if now is None else now) * 1000)
    deleted = expire_documents(catalog, now_ms)
    if deleted:
        log.info("TTL monitor deleted %d expired documents", deleted)
    return deleted


async def run_ttl_monitor(
    catalog: Catalog,
    interval_s: Callable[[], float],
    enabled: Callable[[], bool] = lambda: True,
    changed: asyncio.Event | None = None,
) -> None:
    """Run passes forever, ``interval_s()`` apart (cancel the task to stop it); 0 or less disables it.
    A pass is skipped while ``enabled()`` is false (the ``ttlMonitorEnabled`` server parameter). Setting
    ``changed`` (``setParameter ttlMonitorSleepSecs``) restarts the sleep with the new interval, as mongod
    wakes its monitor when the parameter changes, so a shorter interval takes effect at once."""
    while True:
        seconds = interval_s()
        if seconds <= 0:
            return
        if changed is None:
            await asyncio.sleep(seconds)
        else:
            try:
                await asyncio.wait_for(changed.wait(), seconds)
            except asyncio.TimeoutError:
                pass
            else:
                changed.clear()
                continue
        if not enabled():
            continue
        try:
            run_ttl_pass(catalog)
        except Exception:
            log.exception("TTL monitor pass failed; retrying at the next interval")
