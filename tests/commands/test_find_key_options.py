"""find's min/max (with a hint), returnKey and showRecordId through PyMongo."""

from __future__ import annotations

import pytest
from bson.int64 import Int64
from pymongo.errors import OperationFailure


@pytest.fixture
def coll(db):
    db.c.insert_many([{"_id": i, "a": 10 - i, "b": i % 2} for i in range(6)])
    db.c.create_index("a")
    return db.c


def _find_error(coll, **options) -> tuple[int, str]:
    with pytest.raises(OperationFailure) as exc:
        coll.database.command("find", coll.name, **options)
    return exc.value.code, exc.value.details["errmsg"]


def test_min_inclusive_max_exclusive_in_index_order(coll):
    found = coll.find().min([("a", 6)]).max([("a", 9)]).hint("a_1")
    assert list(found) == [{"_id": 4, "a": 6, "b": 0}, {"_id": 3, "a": 7, "b": 1}, {"_id": 2, "a": 8, "b": 0}]
    coll.create_index([("a", -1)])
    assert [d["a"] for d in coll.find().min([("a", 8)]).hint([("a", -1)])] == [8, 7, 6, 5]


def test_min_max_errors(coll):
    assert _find_error(coll, min={"a": 6}) == (
        51173,
        "When using min()/max() a hint of which index to use must be provided",
    )
    assert _find_error(coll, min={"b": 6}, hint="a_1") == (
        51174,
        "The index chosen is not compatible with min/max",
    )
    assert _find_error(coll, min={"a": 9}, max={"a": 6}, hint="a_1") == (
        51175,
        "The value provided for min() does not come before the value provided for max() in the hinted index",
    )


def test_return_key_and_show_record_id(coll):
    assert list(coll.find({"a": {"$gt": 7}}, return_key=True).hint("a_1")) == [{"a": 8}, {"a": 9}, {"a": 10}]
    assert list(coll.find({"b": 1}, return_key=True)) == [{}, {}, {}]
    shown = list(coll.find({}, {"b": 1}, show_record_id=True).limit(3))
    assert shown == [
        {"_id": 0, "b": 0, "$recordId": Int64(1)},
        {"_id": 1, "b": 1, "$recordId": Int64(2)},
        {"_id": 2, "b": 0, "$recordId": Int64(3)},
    ]
    assert all(type(doc["$recordId"]) is Int64 for doc in shown)
    both = coll.find({"a": {"$gt": 8}}, return_key=True, show_record_id=True).hint("a_1")
    assert list(both) == [{"a": 9, "$recordId": Int64(2)}, {"a": 10, "$recordId": Int64(1)}]
