"""MongoDB 7.0 compatibility of listDatabases, listCollections, dbStats, collStats and validate: field
sets, order, types and errors."""

from __future__ import annotations

import pytest
from bson.binary import Binary
from bson.int64 import Int64
from pymongo.errors import OperationFailure


def _error(db, command: dict) -> dict:
    with pytest.raises(OperationFailure) as exc:
        db.command(command)
    return exc.value.details


# -- listDatabases --------------------------------------------------------------------------------------


def test_list_databases_entry_and_types(client, db):
    db.a.insert_one({"_id": 1})
    reply = client.admin.command({"listDatabases": 1, "filter": {"name": db.name}})
    assert list(reply) == ["databases", "totalSize", "totalSizeMb", "ok"]
    (entry,) = reply["databases"]
    assert list(entry) == ["name", "sizeOnDisk", "empty"]
    assert isinstance(entry["sizeOnDisk"], Int64) and entry["sizeOnDisk"] > 0
    assert entry["empty"] is False
    assert reply["totalSize"] == entry["sizeOnDisk"]
    assert isinstance(reply["totalSizeMb"], Int64)


def test_list_databases_name_only_filter_sees_the_name_only_entry(client, db):
    db.a.insert_one({"_id": 1})
    by_size = {"name": db.name, "sizeOnDisk": {"$gt": 0}}
    assert client.admin.command({"listDatabases": 1, "filter": by_size})["databases"][0]["name"] == db.name
    assert client.admin.command({"listDatabases": 1, "nameOnly": True, "filter": by_size}) == {
        "databases": [],
        "ok": 1.0,
    }
    assert client.admin.command(
        {"listDatabases": 1, "nameOnly": 1, "authorizedDatabases": True, "filter": {"name": db.name}}
    ) == {"databases": [{"name": db.name}], "ok": 1.0}


@pytest.mark.parametrize(
    ("extra", "code", "errmsg"),
    [
        pytest.param(
            {"bogus": 1}, 40415, "BSON field 'listDatabases.bogus' is an unknown field.", id="unknown"
        ),
        pytest.param(
            {"filter": 1},
            14,
            "BSON field 'listDatabases.filter' is the wrong type 'int', expected type 'object'",
            id="filter-type",
        ),
        pytest.param(
            {"authorizedDatabases": 1},
            14,
            "BSON field 'listDatabases.authorizedDatabases' is the wrong type 'int', expected type 'bool'",
            id="authorized-type",
        ),
    ],
)
def test_list_databases_errors(client, extra, code, errmsg):
    with pytest.raises(OperationFailure) as exc:
        client.admin.command({"listDatabases": 1, **extra})
    assert exc.value.code == code
    assert exc.value.details["errmsg"] == errmsg


# -- listCollections ------------------------------------------------------------------------------------


def test_list_collections_entry_fields(db):
    db.create_collection("a")
    (entry,) = db.command("listCollections")["cursor"]["firstBatch"]
    assert list(entry) == ["name", "type", "options", "info", "idIndex"]
    assert list(entry["info"]) == ["readOnly", "uuid"]
    assert isinstance(entry["info"]["uuid"], Binary) and entry["info"]["uuid"].subtype == 4
    assert entry["idIndex"] == {"v": 2, "key": {"_id": 1}, "name": "_id_"}


def test_list_collections_name_only_filter_sees_the_name_only_entry(db):
    db.create_collection("a")
    db.create_collection("b")
    by_options = {"options": {}}
    assert [e["name"] for e in db.command("listCollections", filter=by_options)["cursor"]["firstBatch"]] == [
        "a",
        "b",
    ]
    assert db.command("listCollections", filter=by_options, nameOnly=True)["cursor"]["firstBatch"] == []
    reply = db.command("listCollections", filter={"type": "collection", "name": "b"}, nameOnly=True)
    assert reply["cursor"]["firstBatch"] == [{"name": "b", "type": "collection"}]


def test_list_collections_batches(db):
    for name in ("a", "b", "c"):
        db.create_collection(name)
    reply = db.command("listCollections", nameOnly=True, authorizedCollections=True, cursor={"batchSize": 2})
    assert [e["name"] for e in reply["cursor"]["firstBatch"]] == ["a", "b"]
    assert reply["cursor"]["id"] != 0


@pytest.mark.parametrize(
    ("extra", "code", "errmsg"),
    [
        pytest.param(
            {"cursor": {"batchSize": -1}},
            51024,
            "BSON field 'batchSize' value must be >= 0, actual value '-1'",
            id="negative-batch",
        ),
        pytest.param(
            {"cursor": {"bogus": 1}},
            40415,
            "BSON field 'cursor.bogus' is an unknown field.",
            id="cursor-field",
        ),
        pytest.param(
            {"filter": "x"},
            14,
            "BSON field 'listCollections.filter' is the wrong type 'string', expected type 'object'",
            id="filter-type",
        ),
        pytest.param(
            {"bogus": 1}, 40415, "BSON field 'listCollections.bogus' is an unknown field.", id="unknown"
        ),
    ],
)
def test_list_collections_errors(db, extra, code, errmsg):
    assert _error(db, {"listCollections": 1, **extra})["errmsg"] == errmsg
    assert _error(db, {"listCollections": 1, **extra})["code"] == code


# -- dbStats / collStats --------------------------------------------------------------------------------


def test_db_stats_fields_and_types(db):
    db.a.insert_many([{"_id": i, "s": "x" * 10} for i in range(4)])  # 32 bytes each
    stats = db.command("dbStats")
    assert list(stats) == [
        "db",
        "collections",
        "views",
        "objects",
        "avgObjSize",
        "dataSize",
        "storageSize",
        "indexes",
        "indexSize",
        "totalSize",
        "scaleFactor",
        "fsUsedSize",
        "fsTotalSize",
        "ok",
    ]
    assert (stats["db"], stats["collections"], stats["views"], stats["objects"], stats["indexes"]) == (
        db.name,
        1,
        0,
        4,
        1,
    )
    assert stats["avgObjSize"] == 32.0 and type(stats["avgObjSize"]) is float
    assert stats["dataSize"] == 128.0 and type(stats["dataSize"]) is float
    assert stats["fsTotalSize"] >= stats["fsUsedSize"] > 0


def test_db_stats_scale_divides_without_rounding(db):
    db.a.insert_many([{"_id": i, "s": "x" * 10} for i in range(4)])
    stats = db.command("dbStats", scale=1024.9)
    assert stats["scaleFactor"] == 1024
    assert stats["dataSize"] == 128 / 1024
    assert stats["avgObjSize"] == 32.0


def test_db_stats_free_storage_fields(db):
    db.a.insert_one({})
    stats = db.command("dbStats", freeStorage=1)
    keys = list(stats)
    assert keys[keys.index("storageSize") + 1] == "freeStorageSize"
    assert keys[keys.index("indexSize") + 1] == "indexFreeStorageSize"
    assert keys[keys.index("totalSize") + 1] == "totalFreeStorageSize"


def test_db_stats_of_a_missing_database(client):
    stats = client["no_such_db_stats"].command("dbStats")
    assert (stats["collections"], stats["objects"], stats["dataSize"], stats["avgObjSize"]) == (
        0,
        0,
        0.0,
        0.0,
    )


@pytest.mark.parametrize("command", ["dbStats", "collStats"])
def test_scale_errors(db, command):
    db.a.insert_one({})
    target = 1 if command == "dbStats" else "a"
    assert _error(db, {command: target, "scale": 0}) == {
        "ok": 0.0,
        "errmsg": "BSON field 'scale' value must be >= 1, actual value '0'",
        "code": 51024,
        "codeName": "Location51024",
    }
    assert _error(db, {command: target, "scale": "k"}) == {
        "ok": 0.0,
        "errmsg": f"BSON field '{command}.scale' is the wrong type 'string', "
        "expected types '[long, int, decimal, double]'",
        "code": 14,
        "codeName": "TypeMismatch",
    }


def test_coll_stats_scale(db):
    db.a.insert_many([{"_id": i, "s": "x" * 10} for i in range(64)])  # 2048 bytes
    stats = db.command("collStats", "a", scale=1024)
    assert (stats["size"], stats["scaleFactor"], stats["count"]) == (2, 1024, 64)


# -- validate -------------------------------------------------------------------------------------------


def test_validate_reply(db):
    db.a.insert_many([{"_id": i, "x": [i, i + 1]} for i in range(3)])
    db.a.create_index("x")
    reply = db.command("validate", "a", full=True)
    uuid = db.command("listCollections", filter={"name": "a"})["cursor"]["firstBatch"][0]["info"]["uuid"]
    assert reply == {
        "ns": f"{db.name}.a",
        "uuid": uuid,
        "nInvalidDocuments": 0,
        "nNonCompliantDocuments": 0,
        "nrecords": 3,
        "nIndexes": 2,
        "keysPerIndex": {"_id_": 3, "x_1": 6},
        "indexDetails": {"_id_": {"valid": True}, "x_1": {"valid": True}},
        "valid": True,
        "repaired": False,
        "warnings": [],
        "errors": [],
        "extraIndexEntries": [],
        "missingIndexEntries": [],
        "corruptRecords": [],
        "ok": 1.0,
    }
    assert list(reply) == [
        "ns",
        "uuid",
        "nInvalidDocuments",
        "nNonCompliantDocuments",
        "nrecords",
        "nIndexes",
        "keysPerIndex",
        "indexDetails",
        "valid",
        "repaired",
        "warnings",
        "errors",
        "extraIndexEntries",
        "missingIndexEntries",
        "corruptRecords",
        "ok",
    ]


def test_validate_errors(db):
    assert _error(db, {"validate": "missing"}) == {
        "ok": 0.0,
        "errmsg": f"Collection '{db.name}.missing' does not exist to validate.",
        "code": 26,
        "codeName": "NamespaceNotFound",
    }
    db.a.insert_one({})
    assert _error(db, {"validate": "a", "background": True, "full": True}) == {
        "ok": 0.0,
        "errmsg": "Running the validate command with both { background: true } and { full: true } "
        "is not supported.",
        "code": 72,
        "codeName": "InvalidOptions",
    }
    assert _error(db, {"validate": "a", "bogus": 1})["code"] == 40415
