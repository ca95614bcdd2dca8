"""Parked awaitData getMores, woken by the commits that touch what they wait for — never by polling.

A waiting getMore registers ``(keys, ready, future)``: ``keys`` are the namespaces whose commits may end
the wait (``"db.coll"``, ``"db."`` for a whole database, ``""`` for every change), ``ready()`` says
whether the cursor has something to return now. The catalog's commit hook is installed only while some
getMore waits, so an idle server pays nothing per commit; a commit only schedules a check (``call_soon``)
of the waiters it concerns, so the writer does not pay for their filters either. Each wait also has a
timer (``maxTimeMS``) that ends it with an empty batch.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from typing import Any

from docdb.engine.catalog import Catalog


class _Waiter:
    __slots__ = ("keys", "ready", "future", "timer", "scheduled")

    def __init__(self, keys: tuple[str, ...], ready: Callable[[], bool], future: asyncio.Future[Any]) -> None:
        self.keys = keys
        self.ready = ready
        self.future = future
        self.timer: asyncio.TimerHandle | None = None
        self.scheduled = False


class CommitWaiters:
    """The parked getMores of one server (its event loop thread only)."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self._waiters: set[_Waiter] = set()
        self._by_key: dict[str, set[_Waiter]] = {}  # a commit finds its waiters without a scan

    def __len__(self) -> int:
        return len(self._waiters)

    def park(self, keys: Iterable[str], ready: Callable[[], bool], timeout_s: float) -> asyncio.Future[Any]:
        """A future that resolves (to None) when ``ready()`` turns true after a commit to ``keys``, or
        when ``timeout_s`` has passed."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        waiter = _Waiter(tuple(keys), ready, future)
        waiter.timer = loop.call_later(max(timeout_s, 0.0), self._end, waiter)
        self._waiters.add(waiter)
        for key in waiter.keys:
            self._by_key.setdefault(key, set()).add(waiter)
        self.catalog.commit_hook = self._on_commit
        return future

    def _end(self, waiter: _Waiter) -> None:
        if waiter.timer is not None:
            waiter.timer.cancel()
        self._waiters.discard(waiter)
        for key in waiter.keys:
            found = self._by_key.get(key)
            if found is not None:
                found.discard(waiter)
                if not found:
                    del self._by_key[key]
        if not self._waiters:
            self.catalog.commit_hook = None
        if not waiter.future.done():
            waiter.future.set_result(None)

    def _on_commit(self, namespaces: Iterable[str]) -> None:
        by_key = self._by_key
        due: set[_Waiter] = set()
        for ns in namespaces:
            for key in (ns, ns[: ns.find(".") + 1]):
                found = by_key.get(key)
                if found:
                    due |= found
        found = by_key.get("")
        if found:
            due |= found
        if not due:
            return
        loop = asyncio.get_running_loop()
        for waiter in due:
            if not waiter.scheduled:
                waiter.scheduled = True
                loop.call_soon(self._check, waiter)

    def _check(self, waiter: _Waiter) -> None:
        waiter.scheduled = False
        if waiter not in self._waiters:
            return
        if waiter.future.cancelled():
            self._end(waiter)
            return
        try:
            ready = waiter.ready()
        except Exception:  # the getMore itself will raise it
            ready = True
        if ready:
            self._end(waiter)
