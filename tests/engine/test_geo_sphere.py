"""Spherical geometry with 3-D vectors: loops (orientation, holes of the winding rule, poles and the
antimeridian), arc crossings and distances, and the geo parse errors mongod gives."""

from __future__ import annotations

import math

import pytest

from docdb.engine.geo.shapes import GeoError, parse_stored
from docdb.engine.geo.sphere import EARTH_RADIUS_M, Loop, angle, arcs_cross, distance_to_arc, to_vec


def _loop(points, strict=False):
    return Loop([to_vec(x, y) for x, y in points], strict)


SQUARE = [(-1, -1), (1, -1), (1, 1), (-1, 1)]


def test_loop_interior_is_the_smaller_side_either_way_round():
    for ring in (SQUARE, SQUARE[::-1]):
        loop = _loop(ring)
        assert loop.contains(to_vec(0, 0)) and not loop.contains(to_vec(5, 0))
        assert not loop.contains(to_vec(180, 0))


def test_strict_winding_keeps_the_larger_side():
    big = _loop(SQUARE[::-1], strict=True)  # clockwise: everything but the square
    assert not big.contains(to_vec(0, 0))
    assert big.contains(to_vec(5, 0)) and big.contains(to_vec(180, 0)) and big.contains(to_vec(0, -90))


def test_loop_around_a_pole_and_across_the_antimeridian():
    cap = _loop([(0, 80), (90, 80), (180, 80), (-90, 80)])
    assert cap.contains(to_vec(123, 89)) and cap.contains(to_vec(0, 90))
    assert not cap.contains(to_vec(0, 70)) and not cap.contains(to_vec(0, -89))
    band = _loop([(179, -1), (-179, -1), (-179, 1), (179, 1)])
    assert band.contains(to_vec(180, 0)) and band.contains(to_vec(-179.5, 0.5))
    assert not band.contains(to_vec(0, 0))


def test_arcs_cross_only_on_the_near_side():
    assert arcs_cross(to_vec(0, 0), to_vec(10, 0), to_vec(5, -1), to_vec(5, 1))
    assert not arcs_cross(to_vec(0, 0), to_vec(10, 0), to_vec(185, -1), to_vec(185, 1))
    assert not arcs_cross(to_vec(0, 0), to_vec(10, 0), to_vec(5, 1), to_vec(6, 2))


def test_distances():
    assert angle(to_vec(0, 0), to_vec(90, 0)) == pytest.approx(math.pi / 2)
    assert angle(to_vec(179.9, 0), to_vec(-179.9, 0)) == pytest.approx(math.radians(0.2))
    assert math.degrees(distance_to_arc(to_vec(5, 1), to_vec(0, 0), to_vec(10, 0))) == pytest.approx(1.0)
    assert math.degrees(distance_to_arc(to_vec(12, 0), to_vec(0, 0), to_vec(10, 0))) == pytest.approx(2.0)
    # the manual's $geoNear example distance, to the last bit
    d = angle(to_vec(-73.99279, 40.719296), to_vec(-73.9928, 40.7193)) * EARTH_RADIUS_M
    assert d == 0.9539931676365992


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ({"type": "Point", "coordinates": [0, 91]}, "Longitude/latitude is out of bounds, lng: 0 lat: 91"),
        (
            {"type": "Point", "coordinates": ["a", 1]},
            "Point must only contain numeric elements, instead got type string",
        ),
        ({"type": "Point"}, "Point must be an array or object, instead got type missing"),
        (
            {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [0, 0]]]},
            "Loop must have at least 3 different vertices, 2 unique vertices were provided: "
            "[ [ 0, 0 ], [ 1, 0 ], [ 0, 0 ] ]",
        ),
        ({"type": "MultiPoint", "coordinates": []}, "MultiPoint coordinates must have at least 1 element"),
        (
            {"type": "GeometryCollection", "geometries": [{"type": "GeometryCollection", "geometries": []}]},
            'GeometryCollections cannot be nested: { type: "GeometryCollection", geometries: [] }',
        ),
        ("here", 'geo element must be an array or object: "here"'),
    ],
)
def test_parse_errors(value, reason):
    with pytest.raises(GeoError) as exc:
        parse_stored(value)
    assert exc.value.reason == reason


def test_polygon_with_hole():
    ring = [[0, 0], [10, 0], [10, 10], [0, 10], [0, 0]]
    hole = [[4, 4], [6, 4], [6, 6], [4, 6], [4, 4]]
    (polygon,) = parse_stored({"type": "Polygon", "coordinates": [ring, hole]})
    assert polygon.contains(to_vec(2, 2)) and not polygon.contains(to_vec(5, 5))
    with pytest.raises(GeoError) as exc:
        parse_stored({"type": "Polygon", "coordinates": [ring, [[20, 20], [21, 20], [21, 21], [20, 20]]]})
    assert exc.value.reason.startswith("Secondary loops not contained by first exterior loop")
