"""$geoWithin ($geometry with holes, multipolygons and big polygons, $box, $polygon, $center,
$centerSphere) and $geoIntersects over the wire, with and without a geo index."""

from __future__ import annotations

import math

import pytest
from pymongo.errors import OperationFailure


def _point(x: float, y: float) -> dict:
    return {"type": "Point", "coordinates": [x, y]}


def _ids(cursor) -> list:
    return [d["_id"] for d in cursor]


# -- $geoWithin -------------------------------------------------------------------------------------------


@pytest.fixture
def grid(db):
    """GeoJSON points and legacy pairs on a 1-degree grid around (0, 0)."""
    db.g.insert_many(
        [
            {"_id": f"{x},{y}", "loc": _point(x, y), "legacy": [x, y]}
            for x in range(-3, 4)
            for y in range(-3, 4)
        ]
    )
    return db.g


def test_within_geometry_polygon_with_hole(grid):
    ring = [[-2.5, -2.5], [2.5, -2.5], [2.5, 2.5], [-2.5, 2.5], [-2.5, -2.5]]
    hole = [[-0.5, -0.5], [0.5, -0.5], [0.5, 0.5], [-0.5, 0.5], [-0.5, -0.5]]
    query = {"loc": {"$geoWithin": {"$geometry": {"type": "Polygon", "coordinates": [ring, hole]}}}}
    got = set(_ids(grid.find(query)))
    expected = {f"{x},{y}" for x in range(-2, 3) for y in range(-2, 3)} - {"0,0"}
    assert got == expected
    grid.create_index([("loc", "2dsphere")])
    assert set(_ids(grid.find(query))) == expected


def test_within_manual_triangle(grid):
    # the manual's $geoWithin example polygon
    triangle = {"type": "Polygon", "coordinates": [[[0, 0], [3, 6], [6, 1], [0, 0]]]}
    got = set(_ids(grid.find({"loc": {"$geoWithin": {"$geometry": triangle}}})))
    # (1, 2) is on the flat line from (0, 0) to (3, 6) but inside the triangle on the sphere, where that
    # edge is a great circle bowing toward the pole
    assert got == {"0,0", "1,1", "1,2", "2,1", "2,2", "2,3", "3,1", "3,2", "3,3"}


def test_within_multipolygon_and_legacy_pairs(grid):
    multi = {
        "type": "MultiPolygon",
        "coordinates": [
            [[[-3.5, -3.5], [-2.5, -3.5], [-2.5, -2.5], [-3.5, -2.5], [-3.5, -3.5]]],
            [[[2.5, 2.5], [3.5, 2.5], [3.5, 3.5], [2.5, 3.5], [2.5, 2.5]]],
        ],
    }
    assert sorted(_ids(grid.find({"legacy": {"$geoWithin": {"$geometry": multi}}}))) == ["-3,-3", "3,3"]


def test_within_box_polygon_center_on_legacy_pairs(grid):
    box = {"legacy": {"$geoWithin": {"$box": [[0, 0], [1, 1]]}}}
    assert sorted(_ids(grid.find(box))) == ["0,0", "0,1", "1,0", "1,1"]
    # GeoJSON points have no flat form: $box never matches them
    assert _ids(grid.find({"loc": {"$geoWithin": {"$box": [[0, 0], [1, 1]]}}})) == []
    triangle = {"legacy": {"$geoWithin": {"$polygon": [[0, 0], [3, 0], [0, 3]]}}}
    assert len(_ids(grid.find(triangle))) == 10
    circle = {"legacy": {"$within": {"$center": [[0, 0], 1]}}}
    assert sorted(_ids(grid.find(circle))) == ["-1,0", "0,-1", "0,0", "0,1", "1,0"]


def test_within_center_sphere(grid):
    # the manual's $centerSphere shape (radius in radians): 1.2 degrees holds the four neighbours at 1
    # degree, not the diagonal ones at 1.41
    query = {"loc": {"$geoWithin": {"$centerSphere": [[0, 0], math.radians(1.2)]}}}
    assert sorted(_ids(grid.find(query))) == ["-1,0", "0,-1", "0,0", "0,1", "1,0"]
    legacy = {"legacy": {"$geoWithin": {"$centerSphere": [[3, 3], 0.001]}}}
    assert _ids(grid.find(legacy)) == ["3,3"]


def test_big_polygon_strict_winding(grid):
    # counter-clockwise around the outside of a small square: the polygon is everything but the square
    big = {
        "type": "Polygon",
        "coordinates": [[[-0.5, -0.5], [-0.5, 0.5], [0.5, 0.5], [0.5, -0.5], [-0.5, -0.5]]],
        "crs": {"type": "name", "properties": {"name": "urn:x-mongodb:crs:strictwinding:EPSG:4326"}},
    }
    got = _ids(grid.find({"loc": {"$geoWithin": {"$geometry": big}}}))
    assert len(got) == 48 and "0,0" not in got
    big["coordinates"][0].reverse()  # clockwise: just the square
    assert _ids(grid.find({"loc": {"$geoIntersects": {"$geometry": big}}})) == ["0,0"]


def test_within_polygon_stored_shapes(db):
    outer = {"type": "Polygon", "coordinates": [[[0, 0], [10, 0], [10, 10], [0, 10], [0, 0]]]}
    db.c.insert_many(
        [
            {"_id": "inner", "geo": {"type": "Polygon", "coordinates": [[[1, 1], [2, 1], [2, 2], [1, 1]]]}},
            {"_id": "line-in", "geo": {"type": "LineString", "coordinates": [[1, 1], [9, 9]]}},
            {"_id": "line-out", "geo": {"type": "LineString", "coordinates": [[1, 1], [19, 9]]}},
            {"_id": "multi", "geo": {"type": "MultiPoint", "coordinates": [[1, 1], [5, 5]]}},
            {
                "_id": "collection",
                "geo": {"type": "GeometryCollection", "geometries": [_point(1, 1), _point(11, 1)]},
            },
        ]
    )
    assert _ids(db.c.find({"geo": {"$geoWithin": {"$geometry": outer}}})) == ["inner", "line-in", "multi"]


def test_within_errors(db):
    db.c.insert_one({"loc": [0, 0]})

    def error(query: dict) -> tuple:
        with pytest.raises(OperationFailure) as exc:
            list(db.c.find(query))
        return exc.value.code, exc.value.details["errmsg"]

    assert error({"loc": {"$geoWithin": {"$geometry": _point(0, 0)}}}) == (
        2,
        '$geoWithin not supported with provided geometry: { $geoWithin: { $geometry: { type: "Point", '
        "coordinates: [ 0, 0 ] } } }",
    )
    assert error({"loc": {"$geoWithin": {}}}) == (2, "geo query doesn't have any geometry")
    assert error({"loc": {"$geoWithin": {"$polygon": [[0, 0], [1, 1]]}}}) == (
        2,
        "Polygon must have at least 3 points, instead got 2 vertices",
    )
    assert error({"loc": {"$geoWithin": {"$center": [[0, 0], -1]}}}) == (
        2,
        "Radius must be a non-negative number: -1",
    )


# -- $geoIntersects ---------------------------------------------------------------------------------------


def test_geo_intersects(db):
    db.c.create_index([("geo", "2dsphere")])
    db.c.insert_many(
        [
            {"_id": "crossing", "geo": {"type": "LineString", "coordinates": [[-5, 5], [15, 5]]}},
            {"_id": "apart", "geo": {"type": "LineString", "coordinates": [[-5, 20], [15, 20]]}},
            {"_id": "inside", "geo": _point(5, 5)},
            {
                "_id": "overlap",
                "geo": {"type": "Polygon", "coordinates": [[[8, 8], [12, 8], [12, 12], [8, 8]]]},
            },
            {
                "_id": "around",
                "geo": {"type": "Polygon", "coordinates": [[[-9, -9], [19, -9], [19, 19], [-9, -9]]]},
            },
        ]
    )
    square = {"type": "Polygon", "coordinates": [[[0, 0], [10, 0], [10, 10], [0, 10], [0, 0]]]}
    got = _ids(db.c.find({"geo": {"$geoIntersects": {"$geometry": square}}}))
    assert sorted(got) == ["around", "crossing", "inside", "overlap"]
    line = {"type": "LineString", "coordinates": [[5, -1], [5, 30]]}
    got = _ids(db.c.find({"geo": {"$geoIntersects": {"$geometry": line}}}))
    assert sorted(got) == ["apart", "around", "crossing", "inside"]
    # the same answers without the index
    got = _ids(db.c.find({"geo": {"$geoIntersects": {"$geometry": line}}}, hint={"$natural": 1}))
    assert got == ["crossing", "apart", "inside", "around"]


def test_within_uses_the_geo_index(grid):
    grid.create_index([("loc", "2dsphere")])
    query = {"loc": {"$geoWithin": {"$centerSphere": [[0, 0], math.radians(1.2)]}}, "legacy": {"$ne": [0, 0]}}
    assert sorted(_ids(grid.find(query))) == ["-1,0", "0,-1", "0,1", "1,0"]
    plan = grid.find(query).explain()["queryPlanner"]["winningPlan"]
    assert plan["stage"] == "FETCH"
    assert plan["filter"] == {
        "$and": [
            {"loc": {"$geoWithin": {"$centerSphere": [[0, 0], math.radians(1.2)]}}},
            {"legacy": {"$ne": [0, 0]}},
        ]
    }
    assert plan["inputStage"]["stage"] == "IXSCAN"
    assert plan["inputStage"]["indexName"] == "loc_2dsphere"
    stats = grid.database.command("explain", {"find": "g", "filter": query}, verbosity="executionStats")[
        "executionStats"
    ]
    assert stats["nReturned"] == 4
    assert stats["totalDocsExamined"] < 49  # only the cells near the cap were read
    # a 2d index serves the flat shapes
    grid.create_index([("legacy", "2d")])
    box = {"legacy": {"$geoWithin": {"$box": [[0, 0], [1, 1]]}}}
    assert sorted(_ids(grid.find(box))) == ["0,0", "0,1", "1,0", "1,1"]
    assert grid.find(box).explain()["queryPlanner"]["winningPlan"]["inputStage"]["indexName"] == "legacy_2d"


def test_center_sphere_across_the_antimeridian_on_a_2d_index(db):
    db.c.insert_many(
        [{"_id": 1, "loc": [179.9, 0]}, {"_id": 2, "loc": [-179.9, 0]}, {"_id": 3, "loc": [170, 0]}]
    )
    query = {"loc": {"$geoWithin": {"$centerSphere": [[180, 0], math.radians(0.5)]}}}
    assert sorted(_ids(db.c.find(query))) == [1, 2]
    db.c.create_index([("loc", "2d")])
    assert sorted(_ids(db.c.find(query))) == [1, 2]
    db.d.insert_many([{"_id": 1, "loc": _point(179.9, 0)}, {"_id": 2, "loc": _point(-179.9, 0)}])
    db.d.create_index([("loc", "2dsphere")])
    assert sorted(_ids(db.d.find(query))) == [1, 2]
