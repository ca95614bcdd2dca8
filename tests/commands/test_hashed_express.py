"""find_one by a field with a sole hashed index (the express path): the candidate documents are
checked by their bytes first and decoded only when those differ, with the same answers as the planned
find (explain and hint go through the planner)."""

from __future__ import annotations

from bson.int64 import Int64
from bson.regex import Regex


def test_find_one_by_string_and_ints(db):
    db.c.create_index([("s", "hashed")])
    db.c.insert_many(
        [{"_id": i, "n": {"s": f"p{i + 1}"}, "s": f"p{i}", "k": i, "big": 2**40 + i} for i in range(50)]
    )
    assert db.c.find_one({"s": "p7"}) == {"_id": 7, "n": {"s": "p8"}, "s": "p7", "k": 7, "big": 2**40 + 7}
    assert db.c.find_one({"s": "p50"}) is None  # held by a nested field only
    db.c.create_index([("k", "hashed")])
    db.c.create_index([("big", "hashed")])
    assert db.c.find_one({"k": 9})["_id"] == 9
    assert db.c.find_one({"big": 2**40 + 3})["_id"] == 3
    assert db.c.find_one({"big": Int64(2**40 + 4)})["_id"] == 4


def test_equal_numbers_of_other_types_and_collisions(db):
    db.c.create_index([("a", "hashed")])
    db.c.insert_many([{"_id": 1, "a": 42.5}, {"_id": 2, "a": 42.0}, {"_id": 3, "a": Int64(5)}])
    # 42 and 42.5 share a hash: the first candidate is not 42, the second is 42 as a double
    assert db.c.find_one({"a": 42}) == {"_id": 2, "a": 42.0}
    assert db.c.find_one({"a": 42.5}) == {"_id": 1, "a": 42.5}
    assert db.c.find_one({"a": 5}) == {"_id": 3, "a": 5}
    assert db.c.find_one({"a": Int64(42)}) == {"_id": 2, "a": 42.0}
    assert db.c.find_one({"a": 43}) is None


def test_matches_counted_as_index_accesses(db):
    db.c.create_index([("a", "hashed")], name="a_h")
    db.c.insert_many([{"_id": i, "a": f"v{i}"} for i in range(5)])
    for i in range(3):
        assert db.c.find_one({"a": f"v{i}"}) == {"_id": i, "a": f"v{i}"}
    stats = {s["name"]: s["accesses"]["ops"] for s in db.c.aggregate([{"$indexStats": {}}])}
    assert stats["a_h"] == 3


def test_dotted_path_and_values_after_a_regex(db):
    db.c.create_index([("x.y", "hashed")])
    db.c.insert_many([{"_id": 1, "x": {"y": "a"}}, {"_id": 2, "x": {"y": "b"}}])
    assert db.c.find_one({"x.y": "b"}) == {"_id": 2, "x": {"y": "b"}}
    db.d.create_index([("a", "hashed")])
    db.d.insert_one({"_id": 1, "r": Regex("z", "i"), "a": "q"})
    db.d.insert_one({"_id": 2, "a": "z"})
    assert db.d.find_one({"a": "q"})["_id"] == 1


def test_answers_follow_writes_and_restart_shapes(db):
    db.c.create_index([("a", "hashed")])
    db.c.insert_many([{"_id": i, "a": "v" if i < 3 else f"v{i}"} for i in range(6)])
    assert db.c.find_one({"a": "v"})["_id"] == 0
    db.c.delete_one({"_id": 0})
    assert db.c.find_one({"a": "v"})["_id"] == 1
    db.c.update_one({"_id": 1}, {"$set": {"a": "w"}})
    assert db.c.find_one({"a": "v"})["_id"] == 2
    assert db.c.find_one({"a": "w"})["_id"] == 1
    db.c.delete_many({"a": "v"})
    assert db.c.find_one({"a": "v"}) is None
    db.c.insert_one({"_id": -1, "a": "v"})
    assert db.c.find_one({"a": "v"})["_id"] == -1
    db.c.drop_indexes()
    db.c.create_index([("a", "hashed")])  # built from the stored documents
    assert [db.c.find_one({"a": v})["_id"] for v in ("v", "w", "v5")] == [-1, 1, 5]
