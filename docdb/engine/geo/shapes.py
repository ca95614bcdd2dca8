"""Parsing stored and queried locations into shapes, with mongod's GeoJSON and legacy-pair rules.

A location is a GeoJSON object (Point, LineString, Polygon with holes, MultiPoint, MultiLineString,
MultiPolygon, GeometryCollection) or a legacy coordinate pair (``[x, y]`` or ``{x: .., y: ..}``, whose
first two values are numbers). Parsing gives a list of *atoms* (``Point``, ``Line``, ``Polygon``): a
multi-geometry is the list of its parts. A legacy pair is flat (``Point.flat``) and also spherical when it
is a valid longitude/latitude. Failures raise ``GeoError`` with mongod's reason text (the caller wraps it:
16755 for an indexed insert, BadValue for a query).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from bson.decimal128 import Decimal128
from bson.int64 import Int64

from docdb.engine.geo.sphere import Loop, Vec, arcs_cross, loop_is_self_crossing, points_equal, to_vec
from docdb.engine.key_format import format_value
from docdb.engine.query.types import type_name

STRICT_WINDING = "urn:x-mongodb:crs:strictwinding:EPSG:4326"
_CRS_NAMES = ("urn:ogc:def:crs:OGC:1.3:CRS84", "EPSG:4326")


class GeoError(Exception):
    """A location mongod cannot parse; ``reason`` is its message."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(slots=True)
class Point:
    x: float
    y: float
    v: Vec | None  # on the sphere; None for a legacy pair that is no valid longitude/latitude
    flat: bool = False


@dataclass(slots=True)
class Line:
    vs: list[Vec]
    lnglats: list[tuple[float, float]]


@dataclass(slots=True)
class Polygon:
    outer: Loop
    holes: list[Loop]
    lnglats: list[tuple[float, float]]
    big: bool = False

    def contains(self, p: Vec) -> bool:
        return self.outer.contains(p) and not any(h.contains(p) and not _on_loop(h, p) for h in self.holes)

    def boundary(self) -> list[tuple[Vec, Vec]]:
        out = self.outer.edges()
        for h in self.holes:
            out.extend(h.edges())
        return out


def _on_loop(loop: Loop, p: Vec) -> bool:
    return any(points_equal(v, p) for v in loop.vs)


Atom = Point | Line | Polygon


@dataclass(slots=True)
class Region:
    """What ``$geoWithin`` tests against: spherical polygons or cap, or a flat box/polygon/circle."""

    kind: str  # "polygons" | "cap" | "box" | "fpolygon" | "circle"
    polygons: list[Polygon] = field(default_factory=list)
    center: Vec | None = None
    numbers: tuple[float, ...] = ()
    flat_vertices: list[tuple[float, float]] = field(default_factory=list)


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float, Int64, Decimal128)) and not isinstance(value, bool)


def number(value: Any) -> float:
    return float(value.to_decimal()) if isinstance(value, Decimal128) else float(value)


def _type(value: Any) -> str:
    return "missing" if value is _ABSENT else type_name(value)


_ABSENT = object()


def g(value: float) -> str:
    """A double as mongod's ``ostream <<`` prints it (six significant digits)."""
    text = f"{value:g}"
    return text


def flat_point(value: Any, allow_more: bool = False) -> tuple[float, float]:
    """``(x, y)`` of a legacy pair (an array or a document whose first two values are numbers)."""
    if not isinstance(value, (list, dict)):
        raise GeoError(f"Point must be an array or object, instead got type {_type(value)}")
    items = list(value.values()) if isinstance(value, dict) else list(value)
    for i in range(2):
        item = items[i] if i < len(items) else _ABSENT
        if not is_number(item):
            raise GeoError(f"Point must only contain numeric elements, instead got type {_type(item)}")
    if not allow_more and len(items) > 2:
        raise GeoError("Point must only contain two numeric elements")
    x, y = number(items[0]), number(items[1])
    if not (math.isfinite(x) and math.isfinite(y)):
        raise GeoError("Point coordinates must be finite numbers")
    return x, y


def valid_lnglat(x: float, y: float) -> bool:
    return -180 <= x <= 180 and -90 <= y <= 90


def sphere_point(x: float, y: float) -> Vec:
    if not valid_lnglat(x, y):
        raise GeoError(f"Longitude/latitude is out of bounds, lng: {g(x)} lat: {g(y)}")
    return to_vec(x, y)


def is_legacy(value: Any) -> bool:
    """A legacy pair's shape: an array, or a document whose first value is a number."""
    if isinstance(value, list):
        return True
    return isinstance(value, dict) and bool(value) and is_number(next(iter(value.values())))


def legacy_point(value: Any, allow_more: bool) -> Point:
    x, y = flat_point(value, allow_more)
    return Point(x, y, to_vec(x, y) if valid_lnglat(x, y) else None, flat=True)


def parse_stored(value: Any) -> list[Atom]:
    """The atoms of a stored location (what a 2dsphere index and ``$geoWithin`` read)."""
    if not isinstance(value, (dict, list)):
        raise GeoError(f"geo element must be an array or object: {format_value(value)}")
    if is_legacy(value):
        point = legacy_point(value, True)
        if point.v is None:
            raise GeoError(f"Longitude/latitude is out of bounds, lng: {g(point.x)} lat: {g(point.y)}")
        return [point]
    kind = value.get("type")
    if not isinstance(kind, str) or kind not in _PARSERS:
        raise GeoError(f"unknown GeoJSON type: {format_value(value)}")
    return parse_geojson(value, allow_big=False)


def parse_geojson(obj: dict, allow_big: bool) -> list[Atom]:
    """A GeoJSON geometry's atoms; ``allow_big``: a strict-winding polygon may be given (queries)."""
    kind = obj.get("type")
    parser = _PARSERS.get(kind) if isinstance(kind, str) else None
    if parser is None:
        raise GeoError(f"unknown GeoJSON type: {format_value(obj)}")
    strict = _crs(obj, allow_big and kind == "Polygon")
    return parser(obj, strict)


def _crs(obj: dict, allow_strict: bool) -> bool:
    if "crs" not in obj:
        return False
    crs = obj["crs"]
    if not isinstance(crs, dict):
        raise GeoError(f"GeoJSON CRS must be an object, instead got type {_type(crs)}")
    if crs.get("type") != "name":
        raise GeoError('GeoJSON CRS must have field "type": "name"')
    props = crs.get("properties", _ABSENT)
    if not isinstance(props, dict):
        raise GeoError(
            f'CRS must have field "properties" which is an object, instead got type {_type(props)}'
        )
    name = props.get("name", _ABSENT)
    if not isinstance(name, str):
        raise GeoError(f'In CRS, "properties.name" must be a string, instead got type {_type(name)}')
    if name in _CRS_NAMES:
        return False
    if name == STRICT_WINDING:
        if not allow_strict:
            raise GeoError("Strict winding order CRS is only supported by polygon")
        return True
    raise GeoError(f"Unknown CRS name: {name}")


def _coordinate(value: Any) -> tuple[float, float, Vec]:
    if not isinstance(value, list):
        raise GeoError(f"GeoJSON coordinates must be an array, instead got type {_type(value)}")
    x, y = flat_point(value, allow_more=True)
    return x, y, sphere_point(x, y)


def _coordinates(value: Any) -> list[tuple[float, float, Vec]]:
    if not isinstance(value, list):
        raise GeoError(
            f"GeoJSON coordinates must be an array of coordinates, instead got type {_type(value)}"
        )
    return [_coordinate(item) for item in value]


def _dedup(points: list[tuple[float, float, Vec]]) -> list[tuple[float, float, Vec]]:
    out: list[tuple[float, float, Vec]] = []
    for p in points:
        if not out or out[-1][2] != p[2]:
            out.append(p)
    return out


def _point(obj: dict, strict: bool) -> list[Atom]:
    x, y = flat_point(obj.get("coordinates", _ABSENT), allow_more=True)
    return [Point(x, y, sphere_point(x, y))]


def _line_atom(value: Any) -> Line:
    points = _dedup(_coordinates(value))
    if len(points) < 2:
        raise GeoError(
            f"GeoJSON LineString must have at least 2 vertices, instead got {len(points)} vertices: "
            + format_value(value)
        )
    return Line([p[2] for p in points], [(p[0], p[1]) for p in points])


def _line(obj: dict, strict: bool) -> list[Atom]:
    return [_line_atom(obj.get("coordinates", _ABSENT))]


def _loop(value: Any, strict: bool) -> tuple[Loop, list[tuple[float, float]]]:
    points = _coordinates(value)
    if not points:
        raise GeoError(f"Loop has no vertices: {format_value(value)}")
    if points[0][2] != points[-1][2]:
        raise GeoError(f"Loop is not closed, first vertex does not equal last vertex: {format_value(value)}")
    points = _dedup(points)[:-1]
    if len(points) < 3:
        raise GeoError(
            f"Loop must have at least 3 different vertices, {len(points)} unique vertices were provided: "
            + format_value(value)
        )
    vs = [p[2] for p in points]
    if len({v for v in vs}) < len(vs):
        raise GeoError(f"Loop is not valid: {format_value(value)} Duplicate vertices")
    crossing = loop_is_self_crossing(vs)
    if crossing is not None:
        i, j = crossing
        raise GeoError(f"Loop is not valid: {format_value(value)} Edges {i} and {j} cross")
    return Loop(vs, strict), [(p[0], p[1]) for p in points]


def _polygon_atom(value: Any, strict: bool) -> Polygon:
    if not isinstance(value, list):
        raise GeoError(f"Polygon coordinates must be an array, instead got type {_type(value)}")
    if not value:
        raise GeoError("Polygon has no loops.")
    if strict and len(value) != 1:
        raise GeoError(
            f"Only one simple loop is allowed in a big polygon, instead provided {len(value)} loops: "
            + format_value(value)
        )
    outer, lnglats = _loop(value[0], strict)
    holes = []
    for ring in value[1:]:
        hole, _ = _loop(ring, False)
        if not all(outer.contains(v) for v in hole.vs) or _rings_cross(outer, hole):
            raise GeoError(
                "Secondary loops not contained by first exterior loop - secondary loops must be holes: "
                f"{format_value(ring)} first loop: {format_value(value[0])}"
            )
        holes.append(hole)
    return Polygon(outer, holes, lnglats, big=strict)


def _rings_cross(a: Loop, b: Loop) -> bool:
    return any(arcs_cross(*e, *f) for e in a.edges() for f in b.edges() if not _shares_vertex(e, f))


def _shares_vertex(e: tuple[Vec, Vec], f: tuple[Vec, Vec]) -> bool:
    return any(points_equal(p, q) for p in e for q in f)


def _polygon(obj: dict, strict: bool) -> list[Atom]:
    return [_polygon_atom(obj.get("coordinates", _ABSENT), strict)]


def _multi_point(obj: dict, strict: bool) -> list[Atom]:
    points = _coordinates(obj.get("coordinates", _ABSENT))
    if not points:
        raise GeoError("MultiPoint coordinates must have at least 1 element")
    return [Point(x, y, v) for x, y, v in points]


def _multi_line(obj: dict, strict: bool) -> list[Atom]:
    coords = obj.get("coordinates", _ABSENT)
    if not isinstance(coords, list):
        raise GeoError(f"MultiLineString coordinates must be an array, instead got type {_type(coords)}")
    if not coords:
        raise GeoError("MultiLineString coordinates must have at least 1 element")
    return [_line_atom(item) for item in coords]


def _multi_polygon(obj: dict, strict: bool) -> list[Atom]:
    coords = obj.get("coordinates", _ABSENT)
    if not isinstance(coords, list):
        raise GeoError(f"MultiPolygon coordinates must be an array, instead got type {_type(coords)}")
    if not coords:
        raise GeoError("MultiPolygon coordinates must have at least 1 element")
    return [_polygon_atom(item, False) for item in coords]


def _collection(obj: dict, strict: bool) -> list[Atom]:
    geometries = obj.get("geometries", _ABSENT)
    if not isinstance(geometries, list):
        raise GeoError(
            f"GeometryCollection geometries must be an array, instead got type {_type(geometries)}"
        )
    if not geometries:
        raise GeoError("GeometryCollection geometries must have at least 1 element")
    out: list[Atom] = []
    for i, item in enumerate(geometries):
        if not isinstance(item, dict):
            raise GeoError(
                f'Element {i} of "geometries" must be an object, instead got type {_type(item)}: '
                + format_value(item)
            )
        kind = item.get("type")
        if kind == "GeometryCollection":
            raise GeoError(f"GeometryCollections cannot be nested: {format_value(item)}")
        if not isinstance(kind, str) or kind not in _PARSERS:
            raise GeoError(f"Unknown GeoJSON type: {format_value(item)}")
        out.extend(parse_geojson(item, allow_big=False))
    return out


_PARSERS = {
    "Point": _point,
    "LineString": _line,
    "Polygon": _polygon,
    "MultiPoint": _multi_point,
    "MultiLineString": _multi_line,
    "MultiPolygon": _multi_polygon,
    "GeometryCollection": _collection,
}


def atom_lnglats(atom: Atom) -> list[tuple[float, float]]:
    """The longitude/latitude vertices of an atom (what its index cells are found from)."""
    if isinstance(atom, Point):
        return [(atom.x, atom.y)]
    return atom.lnglats
