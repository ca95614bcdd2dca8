"""create, drop, dropDatabase, renameCollection, listDatabases, listCollections, stats, index commands."""

from __future__ import annotations

import pytest
from bson.binary import Binary
from pymongo.errors import OperationFailure

from tests.wire_client import raw_command


def test_create_and_list_collections(db):
    db.create_collection("b")
    db.a.insert_one({"x": 1})
    assert sorted(db.list_collection_names()) == ["a", "b"]
    entries = list(db.list_collections())
    assert [e["name"] for e in entries] == ["a", "b"]
    entry = entries[1]
    assert entry["type"] == "collection"
    assert entry["options"] == {}
    assert entry["info"]["readOnly"] is False
    assert isinstance(entry["info"]["uuid"], Binary) and entry["info"]["uuid"].subtype == 4
    assert entry["idIndex"] == {"v": 2, "key": {"_id": 1}, "name": "_id_"}
    assert list(db.list_collections(filter={"name": "b"}))[0]["name"] == "b"
    reply = db.command("listCollections", nameOnly=True)
    assert reply["cursor"]["firstBatch"] == [
        {"name": "a", "type": "collection"},
        {"name": "b", "type": "collection"},
    ]
    assert reply["cursor"]["ns"] == f"{db.name}.$cmd.listCollections"


def test_create_existing_collection(db):
    db.create_collection("a")
    assert db.command("create", "a") == {"ok": 1.0}


def test_create_unsupported_options_are_refused(db):
    with pytest.raises(OperationFailure) as exc:
        db.command("create", "ci", clusteredIndex={"key": {"_id": 1}, "unique": True})
    assert exc.value.code == 238
    assert exc.value.details["codeName"] == "NotImplemented"


def test_invalid_collection_names(db):
    for bad in ("", "a$b"):
        with pytest.raises(OperationFailure) as exc:
            db.command("create", bad)
        assert exc.value.code == 73


def test_invalid_database_name(server):
    reply = raw_command(server.port, {"insert": "c", "documents": [{}], "$db": "bad.name"})
    assert reply == {
        "ok": 0.0,
        "errmsg": "Invalid database name: 'bad.name'",
        "code": 73,
        "codeName": "InvalidNamespace",
    }


def test_drop_collection(db):
    db.a.insert_one({})
    reply = db.command("drop", "a")
    assert reply == {"nIndexesWas": 1, "ns": f"{db.name}.a", "ok": 1.0}
    assert db.command("drop", "a") == {"ok": 1.0}
    assert db.list_collection_names() == []


def test_drop_database(client, db):
    db.a.insert_one({})
    assert db.name in client.list_database_names()
    reply = db.command("dropDatabase")
    assert reply == {"dropped": db.name, "ok": 1.0}
    assert db.name not in client.list_database_names()


def test_list_databases(client, db):
    db.a.insert_one({"x": "y" * 100})
    reply = client.admin.command("listDatabases")
    entry = next(d for d in reply["databases"] if d["name"] == db.name)
    assert entry["empty"] is False
    assert entry["sizeOnDisk"] > 100
    assert reply["totalSize"] >= entry["sizeOnDisk"]
    names = client.admin.command("listDatabases", nameOnly=True, filter={"name": db.name})
    assert names == {"databases": [{"name": db.name}], "ok": 1.0}


def test_rename_collection(client, db):
    db.a.insert_many([{"_id": 1}, {"_id": 2}])
    db.a.rename("b")
    assert db.list_collection_names() == ["b"]
    assert [d["_id"] for d in db.b.find()] == [1, 2]
    db.c.insert_one({"_id": 3})
    with pytest.raises(OperationFailure) as exc:
        db.b.rename("c")
    assert exc.value.code == 48
    db.b.rename("c", dropTarget=True)
    assert [d["_id"] for d in db.c.find()] == [1, 2]
    with pytest.raises(OperationFailure) as exc:
        db.nothing.rename("x")
    assert exc.value.code == 26
    with pytest.raises(OperationFailure) as exc:
        db.command("renameCollection", f"{db.name}.c", to=f"{db.name}.d")
    assert exc.value.code == 13


def test_db_and_coll_stats(db):
    db.a.insert_many([{"_id": i, "s": "x" * 10} for i in range(4)])
    stats = db.command("dbStats")
    assert stats["db"] == db.name
    assert stats["collections"] == 1
    assert stats["objects"] == 4
    coll = db.command("collStats", "a")
    assert coll["ns"] == f"{db.name}.a"
    assert coll["count"] == 4
    assert coll["nindexes"] == 1
    assert coll["size"] == 4 * 32  # {_id: int32, s: 10-char string} encodes to 32 bytes


def test_list_indexes_has_the_id_index(db):
    db.a.insert_one({})
    assert list(db.a.list_indexes()) == [{"v": 2, "key": {"_id": 1}, "name": "_id_"}]
    with pytest.raises(OperationFailure) as exc:
        db.command("listIndexes", "missing")
    assert exc.value.code == 26
    assert list(db.missing.list_indexes()) == []  # PyMongo turns NamespaceNotFound into an empty list
