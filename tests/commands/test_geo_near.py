"""$near, $nearSphere and the $geoNear stage over the wire: sorted by distance (around the antimeridian
and the poles too), units (metres, radians, flat), errors, and the MongoDB manual's $geoNear examples with
their documented results."""

from __future__ import annotations

import math

import pytest
from pymongo.errors import OperationFailure

# The manual's "places" collection (geospatial-places-data-setup).
PLACES = [
    {
        "_id": 1,
        "name": "Central Park",
        "location": {"type": "Point", "coordinates": [-73.97, 40.77]},
        "legacy": [-73.97, 40.77],
        "category": "Parks",
    },
    {
        "_id": 2,
        "name": "Sara D. Roosevelt Park",
        "location": {"type": "Point", "coordinates": [-73.9928, 40.7193]},
        "category": "Parks",
    },
    {
        "_id": 3,
        "name": "Polo Grounds",
        "location": {"type": "Point", "coordinates": [-73.9375, 40.8303]},
        "legacy": [-73.9375, 40.8303],
        "category": "Stadiums",
    },
]


def _point(x: float, y: float) -> dict:
    return {"type": "Point", "coordinates": [x, y]}


def _ids(cursor) -> list:
    return [d["_id"] for d in cursor]


def _near(x: float, y: float, **limits: float) -> dict:
    return {"location": {"$near": {"$geometry": _point(x, y), **{f"${k}": v for k, v in limits.items()}}}}


# -- $geoNear: the manual's examples -----------------------------------------------------------------------


@pytest.fixture
def places(db):
    db.places.insert_many([dict(p) for p in PLACES])
    db.places.create_index([("location", "2dsphere")])
    return db.places


def test_geo_near_max_distance(places):
    got = list(
        places.aggregate(
            [
                {
                    "$geoNear": {
                        "near": _point(-73.99279, 40.719296),
                        "distanceField": "dist.calculated",
                        "maxDistance": 2,
                        "query": {"category": "Parks"},
                        "includeLocs": "dist.location",
                        "spherical": True,
                    }
                }
            ]
        )
    )
    assert got == [
        {
            "_id": 2,
            "name": "Sara D. Roosevelt Park",
            "location": _point(-73.9928, 40.7193),
            "category": "Parks",
            "dist": {"calculated": 0.9539931676365992, "location": _point(-73.9928, 40.7193)},
        }
    ]


def test_geo_near_min_distance(places):
    got = places.aggregate(
        [
            {
                "$geoNear": {
                    "near": _point(-73.99279, 40.719296),
                    "distanceField": "dist.calculated",
                    "minDistance": 2,
                    "query": {"category": "Parks"},
                    "includeLocs": "dist.location",
                    "spherical": True,
                }
            }
        ]
    )
    assert _ids(got) == [1]


def test_geo_near_key(places):
    places.create_index([("legacy", "2d")])
    got = list(
        places.aggregate(
            [
                {
                    "$geoNear": {
                        "near": _point(-73.98142, 40.71782),
                        "key": "location",
                        "distanceField": "dist.calculated",
                        "query": {"category": "Parks"},
                    }
                },
                {"$limit": 5},
            ]
        )
    )
    assert [d["_id"] for d in got] == [2, 1]
    assert got[0]["dist"] == {"calculated": 974.175764916902}
    # the manual prints 5887.92792958097: the same distance to within 2e-15 (the last bits of the sine)
    assert got[1]["dist"]["calculated"] == pytest.approx(5887.92792958097, rel=1e-14)


def test_geo_near_legacy_spherical_radians_and_multiplier(places):
    places.create_index([("legacy", "2d")])
    got = list(
        places.aggregate(
            [
                {
                    "$geoNear": {
                        "near": [-73.97, 40.77],
                        "key": "legacy",
                        "spherical": True,
                        "distanceField": "d",
                        "distanceMultiplier": 6378.1,
                        "includeLocs": "at",
                    }
                },
                {"$project": {"d": 1, "at": 1}},
            ]
        )
    )
    assert [d["_id"] for d in got] == [1, 3]
    assert got[0] == {"_id": 1, "d": 0.0, "at": [-73.97, 40.77]}
    assert got[1]["d"] == pytest.approx(7.0, abs=0.5)  # km from Central Park to the Polo Grounds


def test_geo_near_flat_2d(db):
    db.c.insert_many([{"_id": i, "loc": [i, 0]} for i in range(5)])
    db.c.create_index([("loc", "2d")])
    got = list(db.c.aggregate([{"$geoNear": {"near": [2.25, 0], "distanceField": "d"}}]))
    assert [(d["_id"], d["d"]) for d in got] == [(2, 0.25), (3, 0.75), (1, 1.25), (4, 1.75), (0, 2.25)]


def test_geo_near_errors(places):
    def error(pipeline: list) -> tuple:
        with pytest.raises(OperationFailure) as exc:
            list(places.aggregate(pipeline))
        return exc.value.code, exc.value.details["errmsg"]

    stage = {"$geoNear": {"near": _point(0, 0), "distanceField": "d"}}
    assert error([{"$match": {}}, stage]) == (
        40602,
        "$geoNear is only valid as the first stage in a pipeline.",
    )
    assert error([{"$geoNear": {"near": _point(0, 0)}}]) == (
        16606,
        "$geoNear requires a 'distanceField' option as a String",
    )
    assert error([{"$geoNear": {"distanceField": "d"}}]) == (5860400, "$geoNear requires a 'near' argument")
    assert error([{"$geoNear": {"near": _point(0, 0), "distanceField": "d", "limit": 2}}])[0] == 50858
    places.database.empty.insert_one({})
    with pytest.raises(OperationFailure) as exc:
        list(places.database.empty.aggregate([stage]))
    assert exc.value.code == 27
    assert exc.value.details["errmsg"].endswith(
        "$geoNear requires a 2d or 2dsphere index, but none were found"
    )


# -- $near / $nearSphere -----------------------------------------------------------------------------------


def test_near_min_max_distance(places):
    # the manual's $near example: at least 1000 m and at most 5000 m from the point
    assert _ids(places.find(_near(-73.9667, 40.78, minDistance=1000, maxDistance=5000))) == [1]
    assert _ids(places.find(_near(-73.9667, 40.78))) == [1, 3, 2]
    assert _ids(places.find({**_near(-73.9667, 40.78), "category": "Parks"}).limit(1)) == [1]


def test_near_explain(places):
    plan = places.find(_near(-73.9667, 40.78)).explain()["queryPlanner"]["winningPlan"]
    assert plan == {
        "stage": "GEO_NEAR_2DSPHERE",
        "keyPattern": {"location": "2dsphere"},
        "indexName": "location_2dsphere",
        "indexVersion": 2,
    }


def test_near_around_antimeridian(db):
    db.c.create_index([("location", "2dsphere")])
    coords = {1: (179.9, 0), 2: (-179.8, 0), 3: (179.5, 0.1), 4: (-179.0, 0), 5: (0, 0), 6: (178.0, -1)}
    db.c.insert_many([{"_id": k, "location": _point(*v)} for k, v in coords.items()])
    assert _ids(db.c.find(_near(180, 0))) == [1, 2, 3, 4, 6, 5]
    assert _ids(db.c.find(_near(-180, 0)).limit(3)) == [1, 2, 3]
    within = db.c.find(_near(-179.96, 0, maxDistance=0.2 * math.pi / 180 * 6378100))
    assert _ids(within) == [1, 2]


def test_near_around_poles(db):
    db.c.create_index([("location", "2dsphere")])
    coords = {1: (0, 89.9), 2: (180, 89.8), 3: (90, 89.5), 4: (-90, 85), 5: (45, 0), 6: (10, -89.9)}
    db.c.insert_many([{"_id": k, "location": _point(*v)} for k, v in coords.items()])
    assert _ids(db.c.find(_near(0, 90))) == [1, 2, 3, 4, 5, 6]
    assert _ids(db.c.find(_near(123, -90)).limit(2)) == [6, 5]
    # from (0, 89.9) the point across the pole at (180, 89.8) is 0.3 degrees away
    got = list(db.c.aggregate([{"$geoNear": {"near": _point(0, 89.9), "distanceField": "d"}}, {"$limit": 3}]))
    assert [d["_id"] for d in got] == [1, 2, 3]
    assert got[1]["d"] == pytest.approx(math.radians(0.3) * 6378100, rel=1e-9)


def test_near_sphere_legacy_radians(db):
    db.c.create_index([("loc", "2dsphere")])
    db.c.insert_many([{"_id": 1, "loc": [0, 0]}, {"_id": 2, "loc": [0, 10]}, {"_id": 3, "loc": [0, 1]}])
    assert _ids(db.c.find({"loc": {"$nearSphere": [0, 0], "$maxDistance": math.radians(5)}})) == [1, 3]
    with pytest.raises(OperationFailure) as exc:
        list(db.c.find({"loc": {"$near": [0, 0]}}))  # a flat $near needs a 2d index
    assert exc.value.code == 291


def test_near_flat_2d(db):
    db.c.create_index([("loc", "2d")])
    db.c.insert_many([{"_id": i, "loc": [i * 10, -i * 10]} for i in range(-3, 4)])
    assert _ids(db.c.find({"loc": {"$near": [12, -12], "$maxDistance": 25}})) == [1, 2, 0]


def test_near_lines_and_polygons(db):
    db.c.create_index([("location", "2dsphere")])
    square = {"type": "Polygon", "coordinates": [[[10, 10], [20, 10], [20, 20], [10, 20], [10, 10]]]}
    db.c.insert_many(
        [
            {"_id": "square", "location": square},
            {"_id": "line", "location": {"type": "LineString", "coordinates": [[-5, -5], [-5, 5]]}},
            {"_id": "far", "location": _point(100, 0)},
        ]
    )
    assert _ids(db.c.find(_near(0, 0))) == ["line", "square", "far"]
    got = list(db.c.aggregate([{"$geoNear": {"near": _point(15, 15), "distanceField": "d"}}, {"$limit": 1}]))
    assert (got[0]["_id"], got[0]["d"]) == ("square", 0.0)


def test_near_not_allowed_in_match_or_count_documents(places):
    with pytest.raises(OperationFailure) as exc:
        places.count_documents(_near(-73.9667, 40.78))
    assert exc.value.code == 5626500
    assert exc.value.details["errmsg"].startswith(
        "$geoNear, $near, and $nearSphere are not allowed in this context, as these operators require "
        "sorting geospatial data."
    )
    # a find, an update and a delete plan it on the index
    assert places.update_one(_near(-73.9667, 40.78), {"$set": {"nearest": True}}).modified_count == 1
    assert _ids(places.find({"nearest": True})) == [1]
    assert places.delete_one(_near(-73.9928, 40.7193)).deleted_count == 1
    assert _ids(places.find({}, sort=[("_id", 1)])) == [1, 3]
