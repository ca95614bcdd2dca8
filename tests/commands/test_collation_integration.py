"""Collation together with the features merged beside it: index kinds that take (or refuse) a collation,
collated sorts with a text score, and the columnar path under a collection's default collation."""

from __future__ import annotations

import pymongo
import pytest
from pymongo.errors import OperationFailure

CASELESS = {"locale": "en", "strength": 2}


@pytest.mark.parametrize("key", [{"t": "text"}, {"p": "2d"}])
def test_text_and_2d_indexes_refuse_a_collation(db, key) -> None:
    with pytest.raises(OperationFailure) as exc:
        db.c.create_index(list(key.items()), collation=CASELESS)
    assert exc.value.code == 67
    assert exc.value.details["codeName"] == "CannotCreateIndex"
    kind = next(iter(key.values()))
    assert exc.value.details["errmsg"].startswith(
        f"Index type '{kind}' does not support collation: {{ locale: "
    )


def test_text_index_refuses_the_collections_default_collation(db) -> None:
    db.create_collection("c", collation=CASELESS)
    with pytest.raises(OperationFailure) as exc:
        db.c.create_index([("t", "text")])
    assert exc.value.code == 67


@pytest.mark.parametrize("key", [[("h", "hashed")], [("$**", 1)], [("g", "2dsphere")]])
def test_hashed_wildcard_2dsphere_with_a_collation_are_not_implemented(db, key) -> None:
    with pytest.raises(OperationFailure) as exc:
        db.c.create_index(key, collation=CASELESS)
    assert exc.value.code == 238


def test_simple_collation_is_allowed_on_every_index_kind(db) -> None:
    simple = {"locale": "simple"}
    for key in ([("h", "hashed")], [("$**", 1)], [("t", "text")]):
        db.c.create_index(key, collation=simple)
    assert [i["name"] for i in db.c.list_indexes()] == ["_id_", "h_hashed", "$**_1", "t_text"]
    assert all("collation" not in i for i in db.c.list_indexes())


def test_collated_sort_with_a_text_score_component(db) -> None:
    db.c.create_index([("t", "text")])
    db.c.insert_many(
        [
            {"_id": 1, "t": "apple", "k": "b"},
            {"_id": 2, "t": "apple apple", "k": "a"},
            {"_id": 3, "t": "apple", "k": "A"},
            {"_id": 4, "t": "pear", "k": "c"},
        ]
    )
    found = db.c.find(
        {"$text": {"$search": "apple"}},
        {"_id": 1},
        sort=[("k", pymongo.ASCENDING), ("score", {"$meta": "textScore"})],
        collation=CASELESS,
    )
    ids = [d["_id"] for d in found]
    assert ids[2] == 1 and sorted(ids[:2]) == [2, 3]  # "a" and "A" tie under strength 2
    by_score = db.c.find(
        {"$text": {"$search": "apple"}},
        {"_id": 1},
        sort=[("score", {"$meta": "textScore"}), ("k", pymongo.ASCENDING)],
        collation=CASELESS,
    )
    assert [d["_id"] for d in by_score][0] == 2


def test_default_collation_filters_and_groups_without_the_columns(db) -> None:
    db.create_collection("c", collation=CASELESS)
    db.c.insert_many([{"_id": i, "s": s, "n": i} for i, s in enumerate(["a", "A", "b", "B", "a"])])
    assert sorted(d["_id"] for d in db.c.find({"s": "a"})) == [0, 1, 4]
    assert db.c.count_documents({"s": {"$gt": "a"}}) == 2
    groups = list(
        db.c.aggregate([{"$match": {"s": {"$lte": "A"}}}, {"$group": {"_id": None, "n": {"$sum": 1}}}])
    )
    assert groups == [{"_id": None, "n": 3}]


def test_a_collated_index_does_not_cover_a_projection_of_its_strings(db) -> None:
    db.c.create_index([("s", 1)], collation=CASELESS)
    db.c.insert_many([{"_id": 1, "s": "Abc"}, {"_id": 2, "s": "abc"}, {"_id": 3, "s": "x"}])
    found = db.c.find({"s": "ABC"}, {"_id": 0, "s": 1}, collation=CASELESS).sort("s", 1)
    assert sorted(d["s"] for d in found) == ["Abc", "abc"]
    plan = db.c.find({"s": "ABC"}, {"_id": 0, "s": 1}, collation=CASELESS).explain()["queryPlanner"]
    stage = plan["winningPlan"]
    assert stage["stage"] == "PROJECTION_SIMPLE" and stage["inputStage"]["stage"] == "FETCH"
    assert stage["inputStage"]["inputStage"]["indexName"] == "s_1"


def test_update_shapes_are_not_shared_across_collations(db):
    """A compiled update keeps its collator: the same $addToSet shape under a collation and without one
    (in both orders) answers each by its own rules."""
    strength2 = {"locale": "en", "strength": 2}
    db.t.insert_many([{"_id": 1, "tags": ["abc"]}, {"_id": 2, "tags": ["abc"]}])
    db.t.update_one({"_id": 1}, {"$addToSet": {"tags": "ABC"}})  # simple first
    db.t.update_one({"_id": 2}, {"$addToSet": {"tags": "ABC"}}, collation=strength2)
    db.t.update_one({"_id": 1}, {"$addToSet": {"tags": "Abc"}}, collation=strength2)
    db.t.update_one({"_id": 2}, {"$addToSet": {"tags": "Abc"}})
    assert list(db.t.find().sort("_id", 1)) == [
        {"_id": 1, "tags": ["abc", "ABC"]},
        {"_id": 2, "tags": ["abc", "Abc"]},
    ]
    found = db.t.update_one({"_id": 1, "tags": "ABC"}, {"$set": {"x": 1}}, collation=strength2)
    assert found.matched_count == 1
