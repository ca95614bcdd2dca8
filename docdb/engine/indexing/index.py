"""One secondary index: a sorted list of flat ``key + id sort key + (id hash key,)`` entries (see keys.py).

The entry's last item is the document's key in ``Collection.docs``, so a scan fetches by a dict lookup.
The ``_id`` sort key breaks ties, so entries are unique and a document's entries can be removed exactly.
Building sorts all entries once (not one insertion at a time): start-up rebuilds run at sort speed.
"""

from __future__ import annotations

import gc
import time
from bisect import bisect_left
from collections.abc import Hashable, Iterable, Iterator, Mapping
from itertools import islice, repeat
from typing import Any

from sortedcontainers import SortedList

from docdb.bson_codec import decode_documents
from docdb.engine.bson_order import MISSING, RANK_NUMBER, RANK_STRING, sort_key
from docdb.engine.collation import SIMPLE, parse_collation
from docdb.engine.indexing.hashed import HashedKeyMaker, hashed_field
from docdb.engine.indexing.keys import HIGH, NULL_KEY, KeyMaker, fast_sort_key, invert, split_key
from docdb.engine.indexing.points import first_entries, note_added, note_removed
from docdb.engine.indexing.spec import direction, same_key
from docdb.engine.indexing.wildcard import WildcardKeyMaker, is_wildcard_key
from docdb.engine.key_format import duplicate_key_message
from docdb.engine.matcher import compile_filter
from docdb.errors import ErrorCode, MongoError


class SpecOptions:
    """The options every index kind reads from its stored ``listIndexes`` spec (B-tree and text alike)."""

    __slots__ = ()
    spec: dict[str, Any]

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


class Index(SpecOptions):
    """A secondary index of one collection. ``spec`` is the normalized ``listIndexes`` document."""

    __slots__ = ("spec", "name", "fields", "collator", "maker", "entries", "built", "multikey", "accesses")
    __slots__ += ("since", "points")
    builds_itself = False  # True for indexes that are no sorted key list (geo): they fill themselves

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self.name: str = spec["name"]
        key = spec["key"]
        self.fields = list(key)
        partial = spec.get("partialFilterExpression")
        self.collator = parse_collation(spec["collation"]) if "collation" in spec else SIMPLE
        args = (
            self.fields,
            [direction(key[f]) < 0 for f in self.fields],
            bool(spec.get("sparse")),
            compile_filter(partial, collator=self.collator) if partial is not None else None,
        )
        hashed = hashed_field(key)
        if is_wildcard_key(key):
            self.maker: KeyMaker = WildcardKeyMaker(spec)
        elif hashed is not None:
            self.maker = HashedKeyMaker(*args, self.fields.index(hashed))
        else:
            self.maker = KeyMaker(*args, self.collator)
        self.entries: SortedList = SortedList()
        # a one-field hashed index's first entry per hash (points.py): its point lookups in one dict get
        one_hashed = isinstance(self.maker, HashedKeyMaker) and len(self.fields) == 1
        self.points: dict[int, tuple] | None = {} if one_hashed else None
        self.built = False
        self.multikey: dict[str, set[str]] = {}
        self.accesses = 0
        self.since = time.time()

    # -- properties the planner and explain read (the spec's options: SpecOptions) ---------------------

    @property
    def is_multikey(self) -> bool:
        return bool(self.multikey)

    def duplicate_key_error(self, ns: str, doc: dict, key: tuple) -> MongoError:
        """E11000 for ``doc`` holding ``key``, which another document of ``ns`` holds: mongod's message,
        ``keyPattern`` and ``keyValue``."""
        key_value = self.maker.key_values(doc, key)
        return MongoError(
            ErrorCode.DuplicateKey,
            duplicate_key_message(ns, self.name, key_value),
            keyPattern=dict(self.key_pattern),
            keyValue=key_value,
        )

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
        """Fill the index from ``(hash key, raw document)`` pairs with one sort (see ``build_indexes``)."""
        build_indexes([self], dict(docs))

    def clear(self) -> None:
        self.entries = SortedList()
        if self.points is not None:
            self.points = {}
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
                if self.points is not None:
                    note_added(self.points, key + tail)

    def replace(self, hk: Hashable, old: dict, new: dict) -> None:
        """``remove(hk, old)`` then ``add(hk, new)``, skipping both when the document keeps the same
        entries (an update of fields this index does not cover: the common case)."""
        new_keys, expanded = self.maker.keys(new)
        if expanded:
            self._note_multikey(expanded)
        old_keys, _ = self.maker.keys(old)
        new_tail = fast_sort_key(new["_id"]) + (hk,)
        old_tail = fast_sort_key(old["_id"]) + (hk,)
        if new_keys == old_keys and new_tail == old_tail:
            return
        for key in old_keys:
            self._discard(key + old_tail)
        for key in new_keys:
            self.entries.add(key + new_tail)
            if self.points is not None:
                note_added(self.points, key + new_tail)

    def remove(self, hk: Hashable, doc: dict) -> None:
        keys, _ = self.maker.keys(doc)
        if keys:
            tail = fast_sort_key(doc["_id"]) + (hk,)
            for key in keys:
                self._discard(key + tail)

    def _discard(self, entry: tuple) -> None:
        self.entries.discard(entry)
        if self.points is not None:
            note_removed(self.points, self.entries, entry)

    # -- lookups -------------------------------------------------------------------------------------

    def owners(self, key: tuple) -> Iterator[Hashable]:
        """Hash keys of the documents holding exactly ``key``."""
        for entry in self.entries.irange(key, key + (HIGH,), inclusive=(True, False)):
            yield entry[-1]

    def scan(self, start: tuple, end: tuple, reverse: bool) -> Iterator[tuple]:
        """Entries with ``start <= entry < end`` in index order (or reversed)."""
        if reverse:
            return self.entries.irange(start, end, inclusive=(True, False), reverse=True)
        return _forward(self.entries, start, end)

    def size_bytes(self) -> int:
        """An estimate of the memory the entries hold (reported as the index size)."""
        return len(self.entries) * ENTRY_BYTES_ESTIMATE


def _forward(entries: SortedList, start: tuple, end: tuple) -> Iterator[tuple]:
    """``entries.irange(start, end)`` with half its searches: it finds ``start`` and walks on until an
    entry reaches ``end``, where ``irange`` also searches for ``end`` first. On a large index each search
    is a chain of cache misses, and a point lookup (find_one by an indexed field) walks one entry. Reads
    SortedList's sublists (``_maxes``/``_lists``, stable since sortedcontainers 2.0) and, like ``irange``,
    expects no change to the index while it runs."""
    maxes = entries._maxes
    pos = bisect_left(maxes, start)
    if pos == len(maxes):
        return
    lists = entries._lists
    sublist = lists[pos]
    i = bisect_left(sublist, start)
    while True:
        while i < len(sublist):
            entry = sublist[i]
            if not entry < end:
                return
            yield entry
            i += 1
        pos += 1
        if pos >= len(lists):
            return
        sublist = lists[pos]
        i = 0


BUILD_CHUNK = 1_000  # documents decoded per ``bson.decode_all`` call while building

# One flat tuple per entry (a one-field number key over an int _id: 7 slots) plus the list's pointer;
# bench/bench_indexes.py reports the measured RSS growth per entry.
ENTRY_BYTES_ESTIMATE = 120


def build_indexes(indexes: list[Index], docs: Mapping[Hashable, bytes]) -> None:
    """Fill ``indexes`` from ``docs`` (hash key -> raw document) in one pass: documents are decoded in
    chunks by one C call each, each index's entries are sorted once. The cyclic garbage collector is
    paused meanwhile (millions of new tuples would otherwise trigger full collections over and over).
    Raises on a document an index cannot hold (parallel arrays), before any index is changed."""
    for index in indexes:
        if index.builds_itself:
            index.build(docs.items())
    indexes = [index for index in indexes if not index.builds_itself]
    if not indexes:
        return
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        collected: list[tuple[Index, list[tuple], list[tuple[str, str]]]] = [(i, [], []) for i in indexes]
        hks = iter(docs.keys())
        raws = iter(docs.values())
        for _ in range(0, len(docs), BUILD_CHUNK):
            chunk_hks = list(islice(hks, BUILD_CHUNK))
            decoded = decode_documents(b"".join(islice(raws, BUILD_CHUNK)))
            tails = [
                (RANK_NUMBER, 1, hk, hk) if type(hk) is int else _id_tail(hk, doc)
                for hk, doc in zip(chunk_hks, decoded, strict=True)
            ]
            for index, entries, multikey in collected:
                _collect_entries(index, decoded, tails, entries, multikey)
        for index, entries, multikey in collected:
            index.entries = SortedList(entries)
            if index.points is not None:
                index.points = first_entries(index.entries)
            index.multikey = {}
            index._note_multikey(multikey)
            index.built = True
    finally:
        if was_enabled:
            gc.enable()


def _id_tail(hk: Hashable, decoded: dict) -> tuple:
    """``sort_key(_id) + (hk,)``, from the hash key alone when it tells the sort key (see ``hash_key``):
    an int ``hk`` is the value of an int or Int64 ``_id``, a str one a str ``_id``, and a tuple one is
    the sort key itself (ObjectId and the other types). The entries then share ``Collection.docs``'s
    key objects instead of holding copies decoded from the document."""
    t = type(hk)
    if t is int:
        return (RANK_NUMBER, 1, hk, hk)
    if t is tuple:
        return hk + (hk,)  # type: ignore[operator]
    if t is str:
        return (RANK_STRING, hk, hk)
    return fast_sort_key(decoded["_id"]) + (hk,)


def _collect_entries(
    index: Index,
    decoded: list[dict],
    tails: list[tuple],
    entries: list[tuple],
    multikey: list[tuple[str, str]],
) -> None:
    """Append ``index``'s entries for ``decoded`` to ``entries``. Keys of top-level fields are built a
    column (one field over the chunk) at a time, a scalar value's component inline; a document the
    columns cannot key alone (an array value; missing from a sparse index) goes through ``KeyMaker``."""
    maker = index.maker
    column = getattr(maker, "column_keys", None)  # hashed.py: one hash per document, column by column
    keys_of_chunk = column(decoded) if column is not None else None
    if keys_of_chunk is not None:
        entries += [key + tail for key, tail in zip(keys_of_chunk, tails, strict=True)]
        return
    if maker.top_level is None or maker.partial is not None or (maker.sparse and len(maker.fields) > 1):
        _collect_general(maker, decoded, tails, entries, multikey)
        return
    sparse = maker.sparse
    n = len(decoded)
    keys: list[tuple | None] | None = None
    for name, desc in maker.top_level:
        values = list(map(dict.get, decoded, repeat(name, n), repeat(MISSING, n)))
        if desc:
            column = [(-RANK_NUMBER, -1, -v) if type(v) is int else _descending(v) for v in values]
        else:
            column = [(RANK_NUMBER, 1, v) if type(v) is int else _ascending(v, sparse) for v in values]
        if keys is None:
            keys = column
        else:
            keys = [
                k + c if k is not None and c is not None else None for k, c in zip(keys, column, strict=True)
            ]
    assert keys is not None
    if None not in keys:
        entries += [key + tail for key, tail in zip(keys, tails, strict=True)]  # type: ignore[operator]
        return
    append = entries.append
    for key, tail, doc in zip(keys, tails, decoded, strict=True):
        if key is not None:
            append(key + tail)
        else:
            _collect_general(maker, [doc], [tail], entries, multikey)


def _ascending(value: Any, sparse: bool) -> tuple | None:
    """The ascending component of a top-level value, or None when ``KeyMaker`` must decide."""
    t = type(value)
    if t is str:
        return (RANK_STRING, value)
    if t is list or (value is MISSING and sparse):
        return None
    return NULL_KEY if value is MISSING else sort_key(value)


def _descending(value: Any) -> tuple | None:
    if type(value) is list:
        return None
    return invert(NULL_KEY if value is MISSING else fast_sort_key(value))


def _collect_general(
    maker: KeyMaker,
    decoded: list[dict],
    tails: list[tuple],
    entries: list[tuple],
    multikey: list[tuple[str, str]],
) -> None:
    append = entries.append
    maker_keys = maker.keys
    for doc, tail in zip(decoded, tails, strict=True):
        keys, expanded = maker_keys(doc)
        if expanded:
            multikey.extend(expanded)
        for key in keys:
            append(key + tail)
