"""2dsphere and 2d indexes over the wire: specs, mongod's errors for bad locations, and maintenance."""

from __future__ import annotations

import pytest
from pymongo.errors import OperationFailure, WriteError

from tests.serverproc import ServerProcess

NEAR_ORIGIN = {"location": {"$near": {"$geometry": {"type": "Point", "coordinates": [0, 0]}}}}


def test_2dsphere_spec(db):
    assert db.c.create_index([("location", "2dsphere")]) == "location_2dsphere"
    specs = list(db.c.list_indexes())
    assert specs[1] == {
        "v": 2,
        "key": {"location": "2dsphere"},
        "name": "location_2dsphere",
        "2dsphereIndexVersion": 3,
    }


def test_compound_2dsphere_spec(db):
    assert db.c.create_index([("location", "2dsphere"), ("category", -1), ("name", 1)]) == (
        "location_2dsphere_category_-1_name_1"
    )


def test_2d_spec_and_errors(db):
    assert db.c.create_index([("loc", "2d")], min=-500, max=500, bits=26) == "loc_2d"
    spec = list(db.c.list_indexes())[1]
    assert spec == {"v": 2, "key": {"loc": "2d"}, "name": "loc_2d", "min": -500, "max": 500, "bits": 26}
    with pytest.raises(OperationFailure) as exc:
        db.d.create_index([("a", 1), ("loc", "2d")])
    assert (exc.value.code, exc.value.details["errmsg"]) == (16801, "2d has to be first in index")
    with pytest.raises(OperationFailure) as exc:
        db.d.create_index([("loc", "2d"), ("other", "2d")])
    assert (exc.value.code, exc.value.details["errmsg"]) == (16800, "can't have 2 geo fields")
    with pytest.raises(OperationFailure) as exc:
        db.d.create_index([("loc", "2d"), ("other", "2dsphere")])
    assert exc.value.code == 67


def test_invalid_geometry_refused_with_16755(db):
    db.c.create_index([("loc", "2dsphere")])
    with pytest.raises(WriteError) as exc:
        db.c.insert_one({"_id": 1, "loc": {"type": "Point", "coordinates": [200, 10]}})
    assert exc.value.code == 16755
    assert exc.value.details["errmsg"] == (
        'Can\'t extract geo keys: { _id: 1, loc: { type: "Point", coordinates: [ 200, 10 ] } }  '
        "Longitude/latitude is out of bounds, lng: 200 lat: 10"
    )
    with pytest.raises(WriteError) as exc:
        db.c.insert_one({"_id": 2, "loc": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1]]]}})
    assert exc.value.details["errmsg"] == (
        'Can\'t extract geo keys: { _id: 2, loc: { type: "Polygon", coordinates: [ [ [ 0, 0 ], [ 1, 0 ], '
        "[ 1, 1 ] ] ] } }  Loop is not closed, first vertex does not equal last vertex: "
        "[ [ 0, 0 ], [ 1, 0 ], [ 1, 1 ] ]"
    )
    with pytest.raises(WriteError) as exc:
        db.c.insert_one({"_id": 3, "loc": {"type": "Pt", "coordinates": [1, 1]}})
    assert exc.value.details["errmsg"].endswith('unknown GeoJSON type: { type: "Pt", coordinates: [ 1, 1 ] }')
    with pytest.raises(WriteError) as exc:
        db.c.insert_one({"_id": 4, "loc": {"type": "LineString", "coordinates": [[1, 1]]}})
    assert exc.value.details["errmsg"].endswith(
        "GeoJSON LineString must have at least 2 vertices, instead got 1 vertices: [ [ 1, 1 ] ]"
    )
    with pytest.raises(WriteError) as exc:
        db.c.insert_one(
            {"_id": 5, "loc": {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}}
        )
    assert exc.value.code == 16755
    assert "Loop is not valid" in exc.value.details["errmsg"]
    # no location at all is fine (and not indexed)
    db.c.insert_many([{"_id": 10}, {"_id": 11, "loc": None}, {"_id": 12, "loc": []}])
    assert db.c.count_documents({}) == 3


def test_update_to_invalid_geometry_refused(db):
    db.c.create_index([("loc", "2dsphere")])
    db.c.insert_one({"_id": 1, "loc": [1, 1]})
    with pytest.raises(WriteError) as exc:
        db.c.update_one({"_id": 1}, {"$set": {"loc": [1, 100]}})
    assert exc.value.code == 16755
    assert db.c.find_one() == {"_id": 1, "loc": [1, 1]}


def test_index_build_over_invalid_document(db):
    db.c.insert_one({"_id": 1, "loc": {"type": "Point", "coordinates": [0, 91]}})
    with pytest.raises(OperationFailure) as exc:
        db.c.create_index([("loc", "2dsphere")])
    assert exc.value.code == 16755
    assert [i["name"] for i in db.c.list_indexes()] == ["_id_"]


def test_2d_bounds(db):
    db.c.create_index([("loc", "2d")])
    with pytest.raises(WriteError) as exc:
        db.c.insert_one({"loc": [180, 0]})
    assert (exc.value.code, exc.value.details["errmsg"]) == (13027, "point not in interval of [ -180, 180 )")


def test_near_without_index(db):
    db.c.insert_one({"location": {"type": "Point", "coordinates": [0, 0]}})
    with pytest.raises(OperationFailure) as exc:
        list(db.c.find(NEAR_ORIGIN))
    assert exc.value.code == 291
    assert exc.value.details["codeName"] == "NoQueryExecutionPlans"


def test_index_follows_writes(db):
    db.c.create_index([("location", "2dsphere")])
    db.c.insert_many([{"_id": i, "location": {"type": "Point", "coordinates": [i, 0]}} for i in range(1, 6)])
    db.c.update_one({"_id": 5}, {"$set": {"location.coordinates": [0.5, 0]}})
    db.c.delete_one({"_id": 2})
    assert [d["_id"] for d in db.c.find(NEAR_ORIGIN)] == [5, 1, 3, 4]
    assert db.command("validate", "c")["keysPerIndex"] == {"_id_": 4, "location_2dsphere": 4}


def test_index_survives_restart(tmp_path):
    path = tmp_path / "geo.mdb"
    with ServerProcess(path) as proc, proc.client() as client:
        client.t.c.create_index([("location", "2dsphere")])
        client.t.c.insert_many(
            [{"_id": i, "location": {"type": "Point", "coordinates": [i, i]}} for i in range(3)]
        )
    with ServerProcess(path) as proc, proc.client() as client:
        assert [d["_id"] for d in client.t.c.find(NEAR_ORIGIN)] == [0, 1, 2]
        assert client.t.c.index_information()["location_2dsphere"]["key"] == [("location", "2dsphere")]
