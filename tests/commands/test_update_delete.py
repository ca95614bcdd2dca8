"""update, delete and findAndModify through PyMongo."""

from __future__ import annotations

import pytest
from bson.int64 import Int64
from bson.objectid import ObjectId
from pymongo import ReturnDocument
from pymongo.errors import OperationFailure, WriteError


def test_update_one_set_inc_unset(db):
    db.c.insert_one({"_id": 1, "a": 1, "b": 2, "c": 3})
    result = db.c.update_one({"_id": 1}, {"$set": {"a": 10, "d.e": 1}, "$inc": {"b": 5}, "$unset": {"c": ""}})
    assert (result.matched_count, result.modified_count) == (1, 1)
    assert db.c.find_one() == {"_id": 1, "a": 10, "b": 7, "d": {"e": 1}}


def test_update_reply_shape(db):
    db.c.insert_many([{"_id": 1, "x": 1}, {"_id": 2, "x": 1}])
    reply = db.command("update", "c", updates=[{"q": {"x": 1}, "u": {"$set": {"y": 1}}, "multi": True}])
    assert reply == {"n": 2, "nModified": 2, "ok": 1.0}
    reply = db.command("update", "c", updates=[{"q": {"x": 1}, "u": {"$set": {"y": 1}}, "multi": True}])
    assert reply == {"n": 2, "nModified": 0, "ok": 1.0}


def test_upsert_seeds_from_filter(db):
    reply = db.command(
        "update", "c", updates=[{"q": {"_id": 5, "a": 1}, "u": {"$inc": {"n": 1}}, "upsert": True}]
    )
    assert reply == {"n": 1, "upserted": [{"index": 0, "_id": 5}], "nModified": 0, "ok": 1.0}
    assert db.c.find_one() == {"_id": 5, "a": 1, "n": 1}
    result = db.c.update_one({"k": "v"}, {"$set": {"z": 1}}, upsert=True)
    assert isinstance(result.upserted_id, ObjectId)
    assert db.c.find_one({"k": "v"}) == {"_id": result.upserted_id, "k": "v", "z": 1}


def test_replacement_update_keeps_id_and_position(db):
    db.c.insert_many([{"_id": 1, "a": 1}, {"_id": 2, "a": 2}])
    db.c.replace_one({"_id": 1}, {"b": 2})
    assert list(db.c.find()) == [{"_id": 1, "b": 2}, {"_id": 2, "a": 2}]


def test_replacement_upsert(db):
    result = db.c.replace_one({"_id": 9}, {"x": 1}, upsert=True)
    assert result.upserted_id == 9
    assert db.c.find_one() == {"_id": 9, "x": 1}


def test_update_many(db):
    db.c.insert_many([{"_id": i, "g": i % 2} for i in range(6)])
    result = db.c.update_many({"g": 0}, {"$set": {"even": True}})
    assert (result.matched_count, result.modified_count) == (3, 3)
    assert [d["_id"] for d in db.c.find({"even": True})] == [0, 2, 4]


def test_inc_overflow_and_types(db):
    db.c.insert_one({"_id": 1, "i": 2147483647, "f": 1})
    db.c.update_one({"_id": 1}, {"$inc": {"i": 1, "f": 0.5}})
    doc = db.c.find_one()
    assert doc == {"_id": 1, "i": 2147483648, "f": 1.5}
    assert isinstance(doc["i"], Int64)


def test_inc_on_string_is_type_mismatch(db):
    db.c.insert_one({"_id": 1, "a": "x"})
    with pytest.raises(WriteError) as exc:
        db.c.update_one({"_id": 1}, {"$inc": {"a": 1}})
    assert exc.value.code == 14


def test_changing_id_is_immutable_field(db):
    db.c.insert_one({"_id": 1})
    with pytest.raises(WriteError) as exc:
        db.c.update_one({"_id": 1}, {"$set": {"_id": 2}})
    assert exc.value.code == 66


def test_unknown_update_operator(db):
    db.c.insert_one({"_id": 1})
    with pytest.raises(WriteError) as exc:
        db.c.update_one({"_id": 1}, {"$bogus": {"a": 1}})
    assert exc.value.code == 9


def test_delete_one_and_many(db):
    db.c.insert_many([{"_id": i, "a": i % 2} for i in range(6)])
    assert db.c.delete_one({"a": 1}).deleted_count == 1
    assert [d["_id"] for d in db.c.find()] == [0, 2, 3, 4, 5]
    assert db.command("delete", "c", deletes=[{"q": {"a": 1}, "limit": 0}]) == {"n": 2, "ok": 1.0}
    assert [d["_id"] for d in db.c.find()] == [0, 2, 4]


def test_delete_limit_must_be_0_or_1(db):
    with pytest.raises(OperationFailure) as exc:
        db.command("delete", "c", deletes=[{"q": {}, "limit": 2}])
    assert exc.value.code == 9


def test_find_one_and_update(db):
    db.c.insert_many([{"_id": 1, "n": 5}, {"_id": 2, "n": 3}])
    before = db.c.find_one_and_update({}, {"$inc": {"n": 1}}, sort=[("n", 1)])
    assert before == {"_id": 2, "n": 3}
    after = db.c.find_one_and_update(
        {"_id": 1}, {"$inc": {"n": 1}}, projection={"_id": 0}, return_document=ReturnDocument.AFTER
    )
    assert after == {"n": 6}


def test_find_and_modify_reply_shape(db):
    db.c.insert_one({"_id": 1, "n": 1})
    reply = db.command("findAndModify", "c", query={"_id": 1}, update={"$set": {"n": 2}}, new=True)
    assert reply == {
        "lastErrorObject": {"n": 1, "updatedExisting": True},
        "value": {"_id": 1, "n": 2},
        "ok": 1.0,
    }
    reply = db.command("findAndModify", "c", query={"_id": 7}, update={"$set": {"n": 2}}, upsert=True)
    assert reply == {
        "lastErrorObject": {"n": 1, "updatedExisting": False, "upserted": 7},
        "value": None,
        "ok": 1.0,
    }
    reply = db.command("findAndModify", "c", query={"_id": 7}, remove=True)
    assert reply == {"lastErrorObject": {"n": 1}, "value": {"_id": 7, "n": 2}, "ok": 1.0}
    reply = db.command("findAndModify", "c", query={"_id": 7}, remove=True)
    assert reply == {"lastErrorObject": {"n": 0}, "value": None, "ok": 1.0}


def test_find_and_modify_argument_errors(db):
    with pytest.raises(OperationFailure) as exc:
        db.command("findAndModify", "c", query={})
    assert exc.value.code == 9
    with pytest.raises(OperationFailure) as exc:
        db.command("findAndModify", "c", query={}, remove=True, update={"$set": {"a": 1}})
    assert exc.value.code == 9


def test_find_one_and_delete(db):
    db.c.insert_many([{"_id": 1, "n": 5}, {"_id": 2, "n": 3}])
    assert db.c.find_one_and_delete({}, sort=[("n", -1)]) == {"_id": 1, "n": 5}
    assert list(db.c.find()) == [{"_id": 2, "n": 3}]


def test_unacknowledged_writes_still_happen(db):
    from pymongo.write_concern import WriteConcern

    db.c.with_options(write_concern=WriteConcern(w=0)).insert_one({"_id": 1})
    assert db.c.find_one({"_id": 1}) == {"_id": 1}


def test_journaled_write_concern(db):
    from pymongo.write_concern import WriteConcern

    coll = db.c.with_options(write_concern=WriteConcern(j=True))
    assert coll.insert_one({"_id": 1}).acknowledged
    majority = db.c.with_options(write_concern=WriteConcern(w="majority"))
    assert majority.update_one({"_id": 1}, {"$set": {"a": 1}}).modified_count == 1
    with pytest.raises(OperationFailure) as exc:
        db.command("insert", "c", documents=[{"_id": 2}], writeConcern={"w": 2})
    assert exc.value.code == 2
