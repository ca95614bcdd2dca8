"""Collation through PyMongo: the MongoDB manual's cases on find, sort, count, distinct, aggregate and
writes; mongod's errors for bad collations."""

from __future__ import annotations

import pytest
from pymongo.collation import Collation
from pymongo.errors import OperationFailure

from tests.commands.collation_cases import EN_1, EN_2, FR, NUMERIC, UPPER, insert_words
from tests.commands.collation_cases import failure as _failure


@pytest.fixture
def words(db):
    return insert_words(db)


# -- matching -----------------------------------------------------------------------------------------


def test_strength_1_matches_case_and_accents_alike(words):
    found = list(words.find({"w": "cafe"}, collation=EN_1).sort("_id", 1))
    assert [d["_id"] for d in found] == [1, 2, 3, 4]
    assert words.count_documents({"w": "cafe"}, collation=EN_1) == 4
    assert [d["_id"] for d in words.find({"w": "cafe"})] == [1]


def test_strength_2_ignores_case_only(words):
    assert [d["_id"] for d in words.find({"w": "CAFE"}, collation=EN_2).sort("_id", 1)] == [1, 4]
    assert [d["_id"] for d in words.find({"w": "CAFÉ"}, collation=EN_2).sort("_id", 1)] == [2, 3]


def test_ranges_and_in_use_the_collation(words):
    assert [d["_id"] for d in words.find({"w": {"$in": ["CAFES"]}}, collation=EN_2)] == [5]
    assert [d["_id"] for d in words.find({"w": {"$gt": "CAFE"}}, collation=EN_1)] == [5]
    assert [d["_id"] for d in words.find({"w": {"$ne": "cafe"}}, collation=EN_1)] == [5]


def test_numeric_ordering_puts_10_after_9(db):
    db.n.insert_many([{"_id": i, "v": v} for i, v in enumerate(["10", "9", "2", "100", "1"])])
    by_numeric = [d["v"] for d in db.n.find({}, collation=NUMERIC).sort("v", 1)]
    assert by_numeric == ["1", "2", "9", "10", "100"]
    assert [d["v"] for d in db.n.find({}).sort("v", 1)] == ["1", "10", "100", "2", "9"]
    assert [d["v"] for d in db.n.find({"v": {"$gt": "9"}}, collation=NUMERIC).sort("v", 1)] == ["10", "100"]


def test_case_first_upper_sorts_capitals_first(db):
    db.c.insert_many([{"_id": i, "v": v} for i, v in enumerate(["b", "a", "B", "A"])])
    assert [d["v"] for d in db.c.find({}, collation=UPPER).sort("v", 1)] == ["A", "a", "B", "b"]
    lower = {"locale": "en", "caseFirst": "lower"}
    assert [d["v"] for d in db.c.find({}, collation=lower).sort("v", 1)] == ["a", "A", "b", "B"]
    assert [d["v"] for d in db.c.find({}).sort("v", 1)] == ["A", "B", "a", "b"]


def test_french_backwards_orders_accents_from_the_end(db):
    words = ["cote", "côte", "coté", "côté"]
    db.f.insert_many([{"_id": i, "v": v} for i, v in enumerate(words)])
    assert [d["v"] for d in db.f.find({}, collation=FR).sort("v", 1)] == ["cote", "coté", "côte", "côté"]
    backwards = {"locale": "fr", "backwards": True}
    assert [d["v"] for d in db.f.find({}, collation=backwards).sort("v", 1)] == [
        "cote",
        "côte",
        "coté",
        "côté",
    ]
    assert [d["v"] for d in db.f.find({}, collation={"locale": "fr_CA"}).sort("v", -1)] == [
        "côté",
        "coté",
        "côte",
        "cote",
    ]


def test_alternate_shifted_ignores_punctuation_and_spaces(db):
    db.p.insert_many([{"_id": 1, "v": "a-b"}, {"_id": 2, "v": "a b"}, {"_id": 3, "v": "ab"}])
    shifted = {"locale": "en", "strength": 1, "alternate": "shifted"}
    assert [d["_id"] for d in db.p.find({"v": "ab"}, collation=shifted)] == [1, 2, 3]
    space_only = {**shifted, "maxVariable": "space"}
    assert [d["_id"] for d in db.p.find({"v": "ab"}, collation=space_only)] == [2, 3]


def test_strings_inside_documents_and_arrays_collate(db):
    db.d.insert_many(
        [{"_id": 1, "a": {"x": "ABC"}}, {"_id": 2, "a": ["Abc", "z"]}, {"_id": 3, "a": {"x": "z"}}]
    )
    assert [d["_id"] for d in db.d.find({"a": {"x": "abc"}}, collation=EN_2)] == [1]
    assert [d["_id"] for d in db.d.find({"a": "abc"}, collation=EN_2)] == [2]
    assert [d["_id"] for d in db.d.find({"a": ["abc", "Z"]}, collation=EN_2)] == [2]


def test_expr_comparisons_use_the_collation(words):
    query = {"$expr": {"$eq": ["$w", "CAFE"]}}
    assert [d["_id"] for d in words.find(query, collation=EN_1).sort("_id", 1)] == [1, 2, 3, 4]
    assert [d["_id"] for d in words.find(query)] == [4]


# -- distinct, aggregate ------------------------------------------------------------------------------


def test_distinct_counts_equal_strings_once(words):
    assert words.distinct("w", collation=EN_1) == ["cafe", "cafes"]
    assert words.distinct("w", collation=EN_2) == ["cafe", "Café", "cafes"]
    assert len(words.distinct("w")) == 5


def test_group_keys_sort_match_and_accumulators_use_the_collation(words):
    pipeline = [
        {"$match": {"w": {"$in": ["cafe", "cafes"]}}},
        {"$group": {"_id": "$w", "n": {"$sum": 1}, "ids": {"$push": "$_id"}}},
        {"$sort": {"_id": 1}},
    ]
    assert list(words.aggregate(pipeline, collation=EN_1)) == [
        {"_id": "cafe", "n": 4, "ids": [1, 2, 3, 4]},
        {"_id": "cafes", "n": 1, "ids": [5]},
    ]
    assert list(words.aggregate(pipeline)) == [
        {"_id": "cafe", "n": 1, "ids": [1]},
        {"_id": "cafes", "n": 1, "ids": [5]},
    ]
    sets = [{"$group": {"_id": None, "s": {"$addToSet": "$w"}, "hi": {"$max": "$w"}}}]
    assert list(words.aggregate(sets, collation=EN_1)) == [
        {"_id": None, "s": ["cafe", "cafes"], "hi": "cafes"}
    ]
    sort_array = [
        {"$project": {"_id": 0, "s": {"$sortArray": {"input": ["b", "C", "a"], "sortBy": 1}}}},
        {"$limit": 1},
    ]
    assert list(words.aggregate(sort_array, collation=EN_2)) == [{"s": ["a", "b", "C"]}]
    assert list(words.aggregate(sort_array)) == [{"s": ["C", "a", "b"]}]
    sets = [
        {"$limit": 1},
        {
            "$project": {
                "_id": 0,
                "u": {"$setUnion": [["a", "A"], ["b"]]},
                "e": {"$setEquals": [["a"], ["A"]]},
            }
        },
    ]
    assert list(words.aggregate(sets, collation=EN_2)) == [{"u": ["a", "b"], "e": True}]
    assert list(words.aggregate(sets)) == [{"u": ["a", "A", "b"], "e": False}]
    extremes = [
        {"$limit": 1},
        {
            "$project": {
                "_id": 0,
                "hi": {"$max": ["b", "C", "a"]},
                "low2": {"$minN": {"n": 2, "input": ["b", "C", "a"]}},
            }
        },
    ]
    assert list(words.aggregate(extremes, collation=EN_2)) == [{"hi": "C", "low2": ["a", "b"]}]
    assert list(words.aggregate(extremes)) == [{"hi": "b", "low2": ["C", "a"]}]
    index_of = [{"$limit": 1}, {"$project": {"_id": 0, "i": {"$indexOfArray": [["x", "B", "b"], "b"]}}}]
    assert list(words.aggregate(index_of, collation=EN_2)) == [{"i": 1}]
    assert list(words.aggregate(index_of)) == [{"i": 2}]
    projected = [{"$project": {"_id": 0, "same": {"$eq": ["$w", "CAFÉ"]}, "in": {"$in": ["$w", ["CAFES"]]}}}]
    assert list(words.aggregate(projected, collation=EN_2))[:2] == [
        {"same": False, "in": False},
        {"same": True, "in": False},
    ]


def test_lookup_matches_local_and_foreign_values_under_the_collation(words):
    db = words.database
    db.tags.insert_many([{"_id": 1, "name": "CAFE"}, {"_id": 2, "name": "tea"}])
    pipeline = [
        {"$match": {"_id": 1}},
        {"$lookup": {"from": "tags", "localField": "w", "foreignField": "name", "as": "t"}},
        {"$project": {"_id": 0, "t": "$t._id"}},
    ]
    assert list(words.aggregate(pipeline, collation=EN_2)) == [{"t": [1]}]
    assert list(words.aggregate(pipeline)) == [{"t": []}]


# -- writes -------------------------------------------------------------------------------------------


def test_update_delete_and_find_and_modify_use_the_collation(words):
    result = words.update_many({"w": "cafe"}, {"$set": {"hit": True}}, collation=EN_1)
    assert (result.matched_count, result.modified_count) == (4, 4)
    assert words.count_documents({"hit": True}) == 4
    doc = words.find_one_and_update(
        {"w": "CAFES"},
        {"$set": {"x": 1}},
        collation=EN_2,
        return_document=True,
        projection={"_id": 1, "x": 1},
    )
    assert doc == {"_id": 5, "x": 1}
    assert words.delete_many({"w": "CAFÉ"}, collation=EN_2).deleted_count == 2
    assert sorted(d["_id"] for d in words.find()) == [1, 4, 5]
    assert words.delete_one({"w": "Cafe"}, collation=EN_2).deleted_count == 1


def test_update_operators_compare_under_the_collation(db):
    db.a.insert_one({"_id": 1, "tags": ["Red", "green"], "name": "b", "list": ["b", "A", "c"]})
    update = {
        "$addToSet": {"tags": {"$each": ["RED", "blue"]}},
        "$min": {"name": "A"},
        "$push": {"list": {"$each": [], "$sort": 1}},
    }
    db.a.update_one({"_id": 1}, update, collation=EN_2)
    assert db.a.find_one() == {
        "_id": 1,
        "tags": ["Red", "green", "blue"],
        "name": "A",
        "list": ["A", "b", "c"],
    }
    db.a.update_one({"_id": 1}, {"$pullAll": {"tags": ["GREEN"]}, "$pull": {"list": "B"}}, collation=EN_2)
    assert db.a.find_one() == {"_id": 1, "tags": ["Red", "blue"], "name": "A", "list": ["A", "c"]}
    db.a.update_one({"_id": 1}, {"$addToSet": {"tags": "RED"}})
    assert db.a.find_one()["tags"] == ["Red", "blue", "RED"]


def test_bulk_write_statements_each_take_their_collation(words):
    from pymongo import DeleteMany, UpdateOne

    result = words.bulk_write(
        [
            UpdateOne({"w": "CAFES"}, {"$set": {"up": 1}}, collation=Collation("en", strength=2)),
            DeleteMany({"w": "cafe"}, collation=Collation("en", strength=2)),
        ]
    )
    assert (result.modified_count, result.deleted_count) == (1, 2)
    assert sorted(d["_id"] for d in words.find()) == [2, 3, 5]


# -- errors ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("collation", "code", "name", "message"),
    [
        ({"locale": "xx"}, 2, "BadValue", "Field 'locale' is invalid in: { locale: \"xx\" }"),
        (
            {"locale": "en-US"},
            2,
            "BadValue",
            "Field 'locale' is invalid in: { locale: \"en-US\" }. Did you mean 'en_US'?",
        ),
        ({"strength": 2}, 4, "NoSuchKey", 'Missing expected field "locale"'),
        (
            {"locale": "en", "strength": 6},
            9,
            "FailedToParse",
            "Field 'strength' must be an integer 1 through 5. Got: 6",
        ),
        (
            {"locale": "en", "caseFirst": "UPPER"},
            9,
            "FailedToParse",
            "Field 'caseFirst' must be 'upper', 'lower', or 'off'. Got: UPPER",
        ),
        (
            {"locale": "en", "alternate": "x"},
            9,
            "FailedToParse",
            "Field 'alternate' must be 'non-ignorable' or 'shifted'. Got: x",
        ),
        (
            {"locale": "en", "blah": 1},
            9,
            "FailedToParse",
            'Collation spec contains unknown field. Collation spec: { locale: "en", blah: 1 }',
        ),
        (
            {"locale": "simple", "strength": 1},
            9,
            "FailedToParse",
            'If locale=simple, no other fields should be present in: { locale: "simple", strength: 1 }',
        ),
        (
            {"locale": "en", "caseLevel": 1},
            14,
            "TypeMismatch",
            '"caseLevel" had the wrong type. Expected bool, found int',
        ),
        (
            {"locale": "en", "strength": 1, "backwards": True},
            2,
            "BadValue",
            "'backwards' is invalid with 'strength' of 1 in: { locale: \"en\", caseLevel: false, caseFirst: "
            '"off", strength: 1, numericOrdering: false, alternate: "non-ignorable", maxVariable: "punct", '
            'normalization: false, backwards: true, version: "57.1" }',
        ),
        (
            {"locale": "en", "version": "1.0"},
            174,
            "IncompatibleCollationVersion",
            "Requested collation version 1.0 but the only available collator version was 57.1. "
            'Requested collation spec: { locale: "en", version: "1.0" }',
        ),
    ],
)
def test_bad_collations_fail_as_mongod(db, collation, code, name, message):
    db.e.insert_one({"a": 1})
    with pytest.raises(OperationFailure) as exc:
        db.command({"find": "e", "filter": {}, "collation": collation})
    assert _failure(exc) == (code, name, message)
    with pytest.raises(OperationFailure) as exc:
        db.command({"create": "e2", "collation": collation})
    assert _failure(exc) == (code, name, message)


def test_case_first_needs_strength_3_or_case_level(db):
    with pytest.raises(OperationFailure) as exc:
        db.command({"count": "e", "collation": {"locale": "en", "strength": 2, "caseFirst": "upper"}})
    assert exc.value.code == 2
    assert exc.value.details["errmsg"].startswith(
        "'caseFirst' is invalid unless 'caseLevel' is on or 'strength' is greater than 2 in: "
    )
    assert (
        db.command({"count": "e", "collation": {"locale": "en", "strength": 2, "caseLevel": True}})["n"] == 0
    )
