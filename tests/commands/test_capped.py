"""Capped collections: create options and errors, limits by size and by count, natural order, what
mongod 7.0 refuses, convertToCapped / cloneCollectionAsCapped, and the state across restart and compaction."""

from __future__ import annotations

import pymongo
import pytest
from pymongo.errors import OperationFailure

from tests.serverproc import ServerProcess


def _ids(coll, **kwargs) -> list:
    return [d["_id"] for d in coll.find({}, {"_id": 1}, **kwargs)]


def test_create_reports_capped_options(db):
    db.create_collection("c", capped=True, size=1000, max=5)
    info = next(db.list_collections(filter={"name": "c"}))
    assert info["options"] == {"capped": True, "size": 1024, "max": 5}
    stats = db.command("collStats", "c")
    assert (stats["capped"], stats["max"], stats["maxSize"]) == (True, 5, 1024)
    assert db.command("collStats", "c", scale=1024)["maxSize"] == 1
    db.create_collection("plain")
    assert db.command("collStats", "plain")["capped"] is False
    assert "max" not in db.command("collStats", "plain")


def test_create_same_options_again_is_a_no_op(db):
    db.command("create", "c", capped=True, size=4096)
    assert db.command("create", "c", capped=True, size=4096)["ok"] == 1.0
    with pytest.raises(OperationFailure) as exc:
        db.command("create", "c", capped=True, size=8192)
    assert exc.value.code == 48


@pytest.mark.parametrize(
    ("options", "code", "message"),
    [
        ({"capped": True}, 72, "the 'size' field is required when 'capped' is true"),
        ({"capped": True, "max": 5}, 72, "the 'size' field is required when 'capped' is true"),
        (
            {"size": 4096},
            72,
            "the 'capped' field needs to be true when either the 'size' or 'max' fields are present",
        ),
        ({"capped": True, "size": 0}, 51024, "BSON field 'size' value must be >= 1, actual value '0'"),
        ({"capped": True, "size": -500}, 51024, "BSON field 'size' value must be >= 1, actual value '-500'"),
        (
            {"capped": True, "size": "foo"},
            14,
            "BSON field 'create.size' is the wrong type 'string', "
            "expected types '[long, int, decimal, double']",
        ),
        (
            {"capped": True, "size": 4096, "max": 2**31},
            51022,
            "BSON field 'max' value must be < 2147483648, actual value '2147483648'",
        ),
    ],
)
def test_create_errors(db, options, code, message):
    with pytest.raises(OperationFailure) as exc:
        db.command("create", "c", **options)
    assert (exc.value.code, exc.value.details["errmsg"]) == (code, message)


def test_max_removes_oldest_first(db):
    coll = db.create_collection("c", capped=True, size=100_000, max=3)
    for i in range(5):
        coll.insert_one({"_id": i})
    assert _ids(coll) == [2, 3, 4]
    coll.insert_many([{"_id": i} for i in range(5, 10)])
    assert _ids(coll) == [7, 8, 9]
    assert _ids(coll, sort=[("$natural", -1)]) == [9, 8, 7]


def test_size_removes_oldest_until_it_fits(db):
    coll = db.create_collection("c", capped=True, size=256)
    for i in range(10):
        coll.insert_one({"_id": i, "pad": "x" * 40})  # 64 bytes each: 4 fit in 256
    assert _ids(coll) == [6, 7, 8, 9]
    assert db.command("collStats", "c")["size"] == 256


def test_document_larger_than_the_collection(db):
    coll = db.create_collection("c", capped=True, size=256)
    coll.insert_one({"_id": 1})
    with pytest.raises(pymongo.errors.WriteError) as exc:
        coll.insert_one({"_id": 2, "pad": "x" * 300})
    assert exc.value.code == 10334
    assert exc.value.details["errmsg"] == "object to insert exceeds cappedMaxSize"
    assert _ids(coll) == [1]


def test_updates_and_deletes_are_allowed(db):
    coll = db.create_collection("c", capped=True, size=4096, max=3)
    coll.insert_many([{"_id": i, "v": 0} for i in range(3)])
    coll.update_one({"_id": 0}, {"$set": {"v": "grown" * 10}})  # keeps its place
    coll.delete_one({"_id": 1})
    coll.insert_many([{"_id": 3}, {"_id": 4}])
    assert _ids(coll) == [2, 3, 4]


def test_coll_mod_resizes(db):
    coll = db.create_collection("c", capped=True, size=4096, max=10)
    coll.insert_many([{"_id": i} for i in range(10)])
    db.command("collMod", "c", cappedMax=4)
    assert db.command("collStats", "c")["max"] == 4
    coll.insert_one({"_id": 10})
    assert _ids(coll) == [7, 8, 9, 10]
    db.command("collMod", "c", cappedMax=0, cappedSize=1000)
    stats = db.command("collStats", "c")
    assert (stats["max"], stats["maxSize"]) == (2147483647, 1024)
    db.create_collection("plain")
    with pytest.raises(OperationFailure) as exc:
        db.command("collMod", "plain", cappedSize=4096)
    assert (exc.value.code, exc.value.details["errmsg"]) == (72, "Collection must be capped.")


def test_out_into_capped_is_refused(db):
    db.create_collection("c", capped=True, size=4096)
    db.src.insert_one({"_id": 1})
    with pytest.raises(OperationFailure) as exc:
        list(db.src.aggregate([{"$out": "c"}]))
    assert exc.value.code == 17152
    assert f"namespace '{db.name}.c' is capped so it can't be used for $out" in exc.value.details["errmsg"]


def test_convert_to_capped(db):
    db.c.insert_many([{"_id": i, "pad": "x" * 40} for i in range(10)])
    db.c.create_index("pad")
    assert db.command("convertToCapped", "c", size=256) == {"ok": 1.0}
    assert _ids(db.c) == [6, 7, 8, 9]
    assert [i["name"] for i in db.c.list_indexes()] == ["_id_"]
    info = next(db.list_collections(filter={"name": "c"}))
    assert info["options"] == {"capped": True, "size": 256}
    with pytest.raises(OperationFailure) as exc:
        db.command("convertToCapped", "missing", size=256)
    assert exc.value.code == 26


def test_clone_collection_as_capped(db):
    db.src.insert_many([{"_id": i} for i in range(5)])
    db.command("cloneCollectionAsCapped", "src", toCollection="dst", size=4096)
    assert _ids(db.dst) == [0, 1, 2, 3, 4]
    assert _ids(db.src) == [0, 1, 2, 3, 4]
    assert db.command("collStats", "dst")["capped"] is True
    with pytest.raises(OperationFailure) as exc:
        db.command("cloneCollectionAsCapped", "src", toCollection="dst", size=4096)
    assert exc.value.code == 48
    with pytest.raises(OperationFailure) as exc:
        db.command("cloneCollectionAsCapped", "nope", toCollection="x", size=4096)
    assert (exc.value.code, exc.value.details["errmsg"]) == (
        26,
        f"source collection {db.name}.nope does not exist",
    )


def test_capped_kept_across_restart_and_compaction(tmp_path):
    path = tmp_path / "capped.mdb"
    with ServerProcess(path) as proc, proc.client() as client:
        coll = client.d.create_collection("c", capped=True, size=4096, max=3)
        coll.insert_many([{"_id": i} for i in range(5)])
    with ServerProcess(path) as proc, proc.client() as client:
        assert _ids(client.d.c) == [2, 3, 4]
        client.d.command("compact", "c")
        client.d.c.insert_one({"_id": 5})
    with ServerProcess(path) as proc, proc.client() as client:
        assert _ids(client.d.c) == [3, 4, 5]
        assert client.d.command("collStats", "c")["max"] == 3


def test_writes_in_a_transaction_are_refused(tmp_path):
    with ServerProcess(tmp_path / "rs.mdb", extra_args=["--replica-set", "rs0"]) as proc:
        with proc.client() as client:
            client.d.create_collection("c", capped=True, size=4096)
            with client.start_session() as session:
                session.start_transaction()
                with pytest.raises(OperationFailure) as exc:
                    client.d.c.insert_one({"_id": 1}, session=session)
            assert exc.value.code == 263
            assert exc.value.details["errmsg"] == (
                "Collection 'd.c' is a capped collection. Writes in transactions are not allowed on "
                "capped collections."
            )
            assert client.d.c.count_documents({}) == 0
