"""A one-field hashed index's ``points`` (its first entry per hash) stay equal to what the sorted entries
say through adds, replaces, removes, builds and clears, including hashes shared by several values
(42, 42.5, 42.9) and by several documents."""

from __future__ import annotations

import random

import pytest
from bson.int64 import Int64

from docdb.engine.bson_order import hash_key
from docdb.engine.indexing.index import Index, build_indexes
from docdb.engine.indexing.points import first_entries
from docdb.engine.indexing.spec import parse_index_spec
from docdb.engine.writes import encode_stored

VALUES = [42, 42.5, 42.9, Int64(42), "a", "b", None, 7, -3.5, "a"]


def _index(key: dict) -> Index:
    return Index(parse_index_spec({"key": key, "name": "i"}))


def _check(index: Index) -> None:
    assert index.points == first_entries(index.entries)


def test_only_one_field_hashed_indexes_keep_points():
    assert _index({"a": "hashed"}).points == {}
    assert _index({"a": "hashed", "b": 1}).points is None
    assert _index({"b": 1, "a": "hashed"}).points is None
    assert _index({"a": 1}).points is None


@pytest.mark.parametrize("seed", range(5))
def test_points_follow_random_changes(seed):
    rng = random.Random(seed)
    index = _index({"a": "hashed"})
    docs: dict = {}
    for _ in range(400):
        _id = rng.choice([rng.randrange(40), f"s{rng.randrange(10)}"])
        hk = hash_key(_id)
        old = docs.get(hk)
        action = rng.random()
        if old is None:
            doc = {"_id": _id, "a": rng.choice(VALUES)}
            index.add(hk, doc)
            docs[hk] = doc
        elif action < 0.5:
            new = {"_id": _id, "a": rng.choice(VALUES)}
            index.replace(hk, old, new)
            docs[hk] = new
        else:
            index.remove(hk, old)
            del docs[hk]
        _check(index)
    assert len(index.points) == len({e[2] for e in index.entries})
    rebuilt = _index({"a": "hashed"})
    build_indexes([rebuilt], {hk: encode_stored(doc) for hk, doc in docs.items()})
    assert rebuilt.points == index.points
    rebuilt.clear()
    assert rebuilt.points == {}


def test_first_entry_is_the_smallest_id_of_its_hash():
    index = _index({"a": "hashed"})
    for _id in (5, 3, 9):
        index.add(hash_key(_id), {"_id": _id, "a": 42.5})
    (entry,) = index.points.values()
    assert entry[-1] == 3
    index.remove(hash_key(3), {"_id": 3, "a": 42.5})
    assert next(iter(index.points.values()))[-1] == 5
    index.remove(hash_key(5), {"_id": 5, "a": 42.5})
    index.remove(hash_key(9), {"_id": 9, "a": 42.5})
    assert index.points == {}
