"""One secondary index: a sorted list of flat ``key + id sort key + (id hash key,)`` entries (see keys.py).

The entry's last item is the document's key in ``Collection.docs``, so a scan fetches by a dict lookup.
The ``_id`` sort key breaks ties, so entries are unique and a document's entries can be removed exactly.
Building sorts all entries once (not one insertion at a time): start-up rebuilds run at sort speed.
"""

from __future__ import annotations

import time
from collections.abc import Hashable, Iterable, Iterator
from typing import Any

import bson
from sortedcontainers import SortedList

from docdb.bson_codec import CODEC_OPTIONS
from docdb.engine.indexing.keys import HIGH, KeyMaker, fast_sort_key, split_key
from docdb.engine.indexing.spec import direction, same_key
from docdb.engine.matcher import compile_filter


class Index:
    """A secondary index of one collection. ``spec`` is the normalized ``listIndexes`` document."""

    __slots__ = ("spec", "name", "fields", "maker", "entries", "built", "multikey", "accesses", "since")

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self.name: str = spec["name"]
        key = spec["key"]
        self.fields = list(key)
        partial = spec.get("partialFilterExpression")
        self.maker = KeyMaker(
            self.fields,
            [direction(key[f]) < 0 for f in self.fields],
            bool(spec.get("sparse")),
            compile_filter(partial) if partial is not None else None,
        )
        self.entries: SortedList = SortedList()
        self.built = False
        self.multikey: dict[str, set[str]] = {}
        self.accesses = 0
        self.since = time.time()

    # -- properties the planner and explain read -----------------------------------------------------

    @property
    def key_pattern(self) -> dict[str, Any]:
        return self.spec["key"]

    @property
    def unique(self) -> bool:
        return bool(self.spec.get("unique"))

    @property
    def sparse(self) -> bool:
        return bool(self.spec.get("sparse"))

    @property
    def partial(self) -> dict[str, Any] | None:
        return self.spec.get("partialFilterExpression")

    @property
    def hidden(self) -> bool:
        return bool(self.spec.get("hidden"))

    @property
    def is_multikey(self) -> bool:
        return bool(self.multikey)

    def matches_pattern(self, pattern: dict[str, Any]) -> bool:
        return same_key(self.key_pattern, pattern)

    def __len__(self) -> int:
        return len(self.entries)

    # -- maintenance ---------------------------------------------------------------------------------

    def keys(self, doc: dict) -> list[tuple]:
        """Key tuples of ``doc``; raises CannotIndexParallelArrays. Does not change the index."""
        return self.maker.keys(doc)[0]

    def _note_multikey(self, expanded: list[tuple[str, str]]) -> None:
        for field, path in expanded:
            self.multikey.setdefault(field, set()).add(path)

    def build(self, docs: Iterable[tuple[Hashable, bytes]]) -> None:
        """Fill the index from ``(hash key, raw document)`` pairs with one sort; raises on a document it
        cannot index (parallel arrays). Documents are decoded in chunks by one C call each."""
        entries: list[tuple] = []
        append = entries.append
        maker_keys = self.maker.keys
        multikey: list[tuple[str, str]] = []
        pending = list(docs)
        for start in range(0, len(pending), BUILD_CHUNK):
            chunk = pending[start : start + BUILD_CHUNK]
            decoded = bson.decode_all(b"".join(raw for _, raw in chunk), CODEC_OPTIONS)
            for (hk, _), doc in zip(chunk, decoded, strict=True):
                keys, expanded = maker_keys(doc)
                if not keys:
                    continue
                if expanded:
                    multikey.extend(expanded)
                tail = fast_sort_key(doc["_id"]) + (hk,)
                for key in keys:
                    append(key + tail)
        self.entries = SortedList(entries)
        self.multikey = {}
        self._note_multikey(multikey)
        self.built = True

    def clear(self) -> None:
        self.entries = SortedList()
        self.multikey = {}
        self.built = False

    def first_duplicate(self) -> tuple[tuple, Hashable] | None:
        """``(key, hash key)`` of the first document whose key an earlier document already holds."""
        n = len(self.fields)
        previous_key: tuple | None = None
        previous_owner: Hashable = None
        for entry in self.entries:
            key = entry[: split_key(entry, n)[1]]
            if key == previous_key and entry[-1] != previous_owner:
                return key, entry[-1]
            previous_key, previous_owner = key, entry[-1]
        return None

    def add(self, hk: Hashable, doc: dict) -> None:
        keys, expanded = self.maker.keys(doc)
        if expanded:
            self._note_multikey(expanded)
        if keys:
            tail = fast_sort_key(doc["_id"]) + (hk,)
            for key in keys:
                self.entries.add(key + tail)

    def remove(self, hk: Hashable, doc: dict) -> None:
        keys, _ = self.maker.keys(doc)
        if keys:
            tail = fast_sort_key(doc["_id"]) + (hk,)
            for key in keys:
                self.entries.discard(key + tail)

    # -- lookups -------------------------------------------------------------------------------------

    def owners(self, key: tuple) -> Iterator[Hashable]:
        """Hash keys of the documents holding exactly ``key``."""
        for entry in self.entries.irange(key, key + (HIGH,), inclusive=(True, False)):
            yield entry[-1]

    def scan(self, start: tuple, end: tuple, reverse: bool) -> Iterator[tuple]:
        """Entries with ``start <= entry < end`` in index order (or reversed)."""
        return self.entries.irange(start, end, inclusive=(True, False), reverse=reverse)

    def size_bytes(self) -> int:
        """An estimate of the memory the entries hold (reported as the index size)."""
        return len(self.entries) * ENTRY_BYTES_ESTIMATE


BUILD_CHUNK = 10_000  # documents decoded per ``bson.decode_all`` call while building

# One flat tuple per entry (a one-field number key over an int _id: 7 slots) plus the list's pointer;
# bench/bench_indexes.py reports the measured RSS growth per entry.
ENTRY_BYTES_ESTIMATE = 120
