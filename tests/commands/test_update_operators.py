"""Field and array update operators through PyMongo, the manual's examples; errors by code."""

from __future__ import annotations

import datetime

import pytest
from bson.decimal128 import Decimal128
from bson.int64 import Int64
from bson.timestamp import Timestamp


@pytest.mark.parametrize(
    "doc,update,expected",
    [
        pytest.param(
            {"_id": 1, "sku": "abc123", "quantity": 10, "metrics": {"orders": 2, "ratings": 3.5}},
            {"$inc": {"quantity": -2, "metrics.orders": 1}},
            {"_id": 1, "sku": "abc123", "quantity": 8, "metrics": {"orders": 3, "ratings": 3.5}},
            id="inc",
        ),
        pytest.param(
            {"_id": 1, "item": "Hats", "price": Decimal128("10.99"), "quantity": 25},
            {"$mul": {"price": Decimal128("1.25"), "quantity": 2}},
            {"_id": 1, "item": "Hats", "price": Decimal128("13.7375"), "quantity": 50},
            id="mul-decimal",
        ),
        pytest.param(
            {"_id": 2, "item": "Unknown"},
            {"$mul": {"price": Int64(100)}},
            {"_id": 2, "item": "Unknown", "price": Int64(0)},
            id="mul-missing",
        ),
        pytest.param(
            {"_id": 3, "item": "Scarf", "price": Int64(10)},
            {"$mul": {"price": 5}},
            {"_id": 3, "item": "Scarf", "price": Int64(50)},
            id="mul-mixed",
        ),
        pytest.param(
            {"_id": 1, "nmae": {"first": "george"}, "mobile": "555"},
            {"$rename": {"nmae": "name", "name.first": "x"}},
            None,
            id="rename-conflict",
        ),
        pytest.param(
            {"_id": 1, "nmae": {"first": "george"}, "mobile": "555"},
            {"$rename": {"nmae": "name"}},
            {"_id": 1, "mobile": "555", "name": {"first": "george"}},
            id="rename",
        ),
        pytest.param(
            {"_id": 1, "highScore": 800, "lowScore": 200},
            {"$min": {"lowScore": 150}, "$max": {"highScore": 950}},
            {"_id": 1, "highScore": 950, "lowScore": 150},
            id="min-max",
        ),
        pytest.param(
            {"_id": 1, "item": "x", "quantity": 1, "instock": True},
            {"$unset": {"quantity": "", "instock": ""}},
            {"_id": 1, "item": "x"},
            id="unset",
        ),
        pytest.param(
            {"_id": 1, "quizzes": [{"wk": 1, "score": 10}, {"wk": 2, "score": 8}, {"wk": 3, "score": 5}]},
            {
                "$push": {
                    "quizzes": {
                        "$each": [{"wk": 5, "score": 8}, {"wk": 6, "score": 7}],
                        "$sort": {"score": -1},
                        "$slice": 3,
                    }
                }
            },
            {"_id": 1, "quizzes": [{"wk": 1, "score": 10}, {"wk": 2, "score": 8}, {"wk": 5, "score": 8}]},
            id="push-each-sort-slice",
        ),
        pytest.param(
            {"_id": 1, "scores": [100]},
            {"$push": {"scores": {"$each": [50, 60, 70], "$position": 0}}},
            {"_id": 1, "scores": [50, 60, 70, 100]},
            id="push-position",
        ),
        pytest.param(
            {"_id": 1, "letters": ["a", "b"]},
            {"$addToSet": {"letters": ["c", "d"]}},
            {"_id": 1, "letters": ["a", "b", ["c", "d"]]},
            id="addtoset-array-value",
        ),
        pytest.param(
            {"_id": 2, "tags": ["electronics", "supplies"]},
            {"$addToSet": {"tags": {"$each": ["camera", "electronics", "accessories"]}}},
            {"_id": 2, "tags": ["electronics", "supplies", "camera", "accessories"]},
            id="addtoset-each",
        ),
        pytest.param(
            {"_id": 1, "s": [8, 9, 10]}, {"$pop": {"s": -1}}, {"_id": 1, "s": [9, 10]}, id="pop-first"
        ),
        pytest.param({"_id": 1, "s": [8, 9, 10]}, {"$pop": {"s": 1}}, {"_id": 1, "s": [8, 9]}, id="pop-last"),
        pytest.param(
            {
                "_id": 1,
                "fruits": ["apples", "pears", "oranges", "grapes", "bananas"],
                "vegetables": ["carrots", "celery", "squash", "carrots"],
            },
            {"$pull": {"fruits": {"$in": ["apples", "oranges"]}, "vegetables": "carrots"}},
            {"_id": 1, "fruits": ["pears", "grapes", "bananas"], "vegetables": ["celery", "squash"]},
            id="pull",
        ),
        pytest.param(
            {"_id": 6, "votes": [3, 5, 6, 7, 7, 8]},
            {"$pull": {"votes": {"$gte": 6}}},
            {"_id": 6, "votes": [3, 5]},
            id="pull-condition",
        ),
        pytest.param(
            {"_id": 1, "results": [{"item": "A", "score": 5}, {"item": "B", "score": 8}]},
            {"$pull": {"results": {"score": 8, "item": "B"}}},
            {"_id": 1, "results": [{"item": "A", "score": 5}]},
            id="pull-documents",
        ),
        pytest.param(
            {"_id": 1, "scores": [0, 2, 5, 5, 1, 0]},
            {"$pullAll": {"scores": [0, 5]}},
            {"_id": 1, "scores": [2, 1]},
            id="pullall",
        ),
        pytest.param(
            {"_id": 1, "grades": [85, 82, 80]},
            {"$inc": {"grades.$[]": 10}},
            {"_id": 1, "grades": [95, 92, 90]},
            id="all-positional",
        ),
        pytest.param({"_id": 1, "e": 13}, {"$bit": {"e": {"and": 10}}}, {"_id": 1, "e": 8}, id="bit-and"),
        pytest.param({"_id": 2, "e": 3}, {"$bit": {"e": {"or": 5}}}, {"_id": 2, "e": 7}, id="bit-or"),
        pytest.param({"_id": 3, "e": 1}, {"$bit": {"e": {"xor": 5}}}, {"_id": 3, "e": 4}, id="bit-xor"),
    ],
)
def test_manual_examples(db, doc, update, expected):
    db.c.insert_one(doc)
    reply = db.command("update", "c", updates=[{"q": {"_id": doc["_id"]}, "u": update}])
    if expected is None:
        assert reply["writeErrors"][0]["code"] == 40
        expected = doc
    assert db.c.find_one() == expected


def test_positional_dollar(db):
    db.c.insert_one({"_id": 1, "grades": [85, 80, 80]})
    db.c.update_one({"_id": 1, "grades": 80}, {"$set": {"grades.$": 82}})
    assert db.c.find_one() == {"_id": 1, "grades": [85, 82, 80]}


def test_array_filters(db):
    db.c.insert_many(
        [
            {"_id": 1, "grades": [95, 92, 90]},
            {"_id": 2, "grades": [98, 100, 102]},
            {"_id": 3, "grades": [95, 110, 100]},
        ]
    )
    result = db.c.update_many(
        {}, {"$set": {"grades.$[element]": 100}}, array_filters=[{"element": {"$gte": 100}}]
    )
    assert (result.matched_count, result.modified_count) == (3, 2)
    assert [d["grades"] for d in db.c.find()] == [[95, 92, 90], [98, 100, 100], [95, 100, 100]]


def test_set_on_insert(db):
    update = {"$set": {"item": "apple"}, "$setOnInsert": {"defaultQty": 100}}
    db.c.update_one({"_id": 1}, update, upsert=True)
    assert db.c.find_one() == {"_id": 1, "item": "apple", "defaultQty": 100}
    db.c.update_one({"_id": 1}, {"$set": {"item": "pear"}, "$setOnInsert": {"defaultQty": 5}}, upsert=True)
    assert db.c.find_one() == {"_id": 1, "item": "pear", "defaultQty": 100}


def test_current_date_date_and_increasing_timestamps(db):
    db.c.insert_many([{"_id": 1}, {"_id": 2}])
    before = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None) - datetime.timedelta(seconds=1)
    db.c.update_many(
        {}, {"$currentDate": {"lastModified": True, "cancellation.date": {"$type": "timestamp"}}}
    )
    db.c.update_one({"_id": 1}, {"$currentDate": {"again": {"$type": "timestamp"}}})
    first, second = db.c.find()
    assert first["lastModified"] >= before and isinstance(first["lastModified"], datetime.datetime)
    stamps = [first["cancellation"]["date"], second["cancellation"]["date"], first["again"]]
    assert all(isinstance(stamp, Timestamp) for stamp in stamps)
    assert stamps == sorted(stamps) and len(set(stamps)) == 3


@pytest.mark.parametrize(
    "update,code,message",
    [
        pytest.param(
            {"$inc": {"s": 1}},
            14,
            "Cannot apply $inc to a value of non-numeric type. {_id: 1} has the field 's' of "
            "non-numeric type string",
            id="inc-string",
        ),
        pytest.param(
            {"$set": {"a": 1}, "$inc": {"a": 1}},
            40,
            "Updating the path 'a' would create a conflict at 'a'",
            id="conflict",
        ),
        pytest.param(
            {"$set": {"_id": 2}},
            66,
            "Performing an update on the path '_id' would modify the immutable field '_id'",
            id="immutable-id",
        ),
        pytest.param(
            {"$foo": {"a": 1}},
            9,
            "Unknown modifier: $foo. Expected a valid update modifier or pipeline-style update "
            "specified as an array",
            id="unknown-modifier",
        ),
        pytest.param(
            {"$set": {"grades.$[x]": 1}},
            2,
            "No array filter found for identifier 'x' in path 'grades.$[x]'",
            id="missing-array-filter",
        ),
    ],
)
def test_errors(db, update, code, message):
    db.c.insert_one({"_id": 1, "s": "text"})
    reply = db.command("update", "c", updates=[{"q": {"_id": 1}, "u": update}])
    assert reply["writeErrors"] == [{"index": 0, "code": code, "errmsg": message}]
    assert db.c.find_one() == {"_id": 1, "s": "text"}
