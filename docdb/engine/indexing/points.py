"""The first entry per hash of a one-field hashed index: a find_one by the hashed field in one dict lookup.

A hashed index serves only equality, so its point lookups are all that matter, and a lookup in the sorted
entry list is a dozen tuple comparisons over entries scattered in memory (a cache miss or two each on a
large index): several microseconds, most of a find_one's engine time. ``points`` maps each hash the index
holds to its first entry in index order (the smallest ``_id`` among the documents with that hash), which
is the entry the sorted scan would meet first. It costs about 50 bytes per distinct hash. Kept in step by
``Index`` on every add and discard; a lookup whose first document does not hold the value (another value
with the same hash: 42 and 42.5) falls back to the sorted scan.
"""

from __future__ import annotations

from collections.abc import Iterable

from sortedcontainers import SortedList

from docdb.engine.indexing.keys import HIGH

HASH_AT = 2  # an entry of a one-field hashed index: (RANK_NUMBER, 1, hash, *_id sort key, hash key)


def first_entries(entries: Iterable[tuple]) -> dict[int, tuple]:
    """``{hash: first entry}`` of sorted ``entries`` (the last assignment of a hash wins, so walk back)."""
    ordered = entries if isinstance(entries, list) else list(entries)
    return {entry[HASH_AT]: entry for entry in reversed(ordered)}


def note_added(points: dict[int, tuple], entry: tuple) -> None:
    """``entry`` joined the index: it is its hash's first entry if it sorts before the present one."""
    h = entry[HASH_AT]
    first = points.get(h)
    if first is None or entry < first:
        points[h] = entry


def note_removed(points: dict[int, tuple], entries: SortedList, entry: tuple) -> None:
    """``entry`` left ``entries``: if it was its hash's first, the next one with that hash takes over."""
    h = entry[HASH_AT]
    if points.get(h) != entry:
        return
    prefix = entry[: HASH_AT + 1]
    following = next(entries.irange(prefix, prefix + (HIGH,), inclusive=(True, False)), None)
    if following is None:
        del points[h]
    else:
        points[h] = following
