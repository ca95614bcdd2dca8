"""update / delete / findAndModify options through PyMongo: let, hint, comment, bypassDocumentValidation."""

from __future__ import annotations

import pytest
from pymongo import ReturnDocument
from pymongo.errors import WriteError


def test_delete_with_let(db):
    db.c.insert_many([{"_id": 1, "a": 1}, {"_id": 2, "a": 2}, {"_id": 3, "a": 3}])
    result = db.c.delete_many({"$expr": {"$gte": ["$a", "$$low"]}}, let={"low": 2})
    assert result.deleted_count == 2
    assert list(db.c.find()) == [{"_id": 1, "a": 1}]


def test_find_one_and_delete_with_let(db):
    db.c.insert_many([{"_id": 1, "a": 1}, {"_id": 2, "a": 2}])
    doc = db.c.find_one_and_delete({"$expr": {"$eq": ["$a", "$$v"]}}, let={"v": 2})
    assert doc == {"_id": 2, "a": 2}


def test_find_one_and_update_let_in_filter_and_projection(db):
    db.c.insert_one({"_id": 1, "a": 1})
    doc = db.c.find_one_and_update(
        {"$expr": {"$eq": ["$a", "$$v"]}},
        {"$set": {"b": 2}},
        projection={"a": 1, "tag": "$$v"},
        let={"v": 1},
        return_document=ReturnDocument.AFTER,
    )
    assert doc == {"_id": 1, "a": 1, "tag": 1}


def test_hint_and_comment_accepted(db):
    db.c.insert_one({"_id": 1, "a": 1})
    result = db.c.update_one({"a": 1}, {"$set": {"b": 1}}, hint={"_id": 1}, comment="why")
    assert result.modified_count == 1
    assert db.c.delete_one({"a": 1}, hint="_id_", comment={"k": 1}).deleted_count == 1
    reply = db.command(
        "update",
        "c",
        updates=[{"q": {}, "u": {"$set": {"x": 1}}, "upsert": True}],
        bypassDocumentValidation=True,
    )
    assert reply["n"] == 1


@pytest.mark.parametrize("operation", ["update", "delete"])
def test_hint_naming_no_index(db, operation):
    db.c.insert_one({"_id": 1})
    with pytest.raises(WriteError) as exc:  # a statement's error: a write error, as from mongod
        if operation == "update":
            db.c.update_one({}, {"$set": {"a": 1}}, hint="nope_1")
        else:
            db.c.delete_one({}, hint="nope_1")
    assert exc.value.details == {
        "index": 0,
        "code": 2,
        "errmsg": "hint provided does not correspond to an existing index",
    }
