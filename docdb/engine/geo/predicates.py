"""``$geoWithin``, ``$geoIntersects`` and distances over parsed atoms (see shapes.py).

Spherical regions (polygons, ``$centerSphere`` caps) test a stored shape's vertices and edges: a line or
polygon is within a polygon when all its vertices are inside and none of its edges crosses the region's
boundary; within a cap (convex while smaller than a hemisphere) when all its vertices are. Flat regions
(``$box``, ``$polygon``, ``$center``) hold legacy pairs only, as in mongod: a GeoJSON point has no flat
form.
"""

from __future__ import annotations

import math

from docdb.engine.geo.shapes import Atom, Line, Point, Polygon, Region
from docdb.engine.geo.sphere import Vec, angle, arcs_cross, distance_to_arc, points_equal

_ON = 1e-12


def atoms_within(atoms: list[Atom], region: Region) -> bool:
    return bool(atoms) and all(atom_within(atom, region) for atom in atoms)


def atom_within(atom: Atom, region: Region) -> bool:
    kind = region.kind
    if kind in ("box", "fpolygon", "circle"):
        return isinstance(atom, Point) and atom.flat and _flat_contains(region, atom.x, atom.y)
    if isinstance(atom, Point) and atom.v is None:
        return False
    vertices, edges = _vertices_edges(atom)
    if kind == "cap":
        assert region.center is not None
        radius = region.numbers[0]
        return all(angle(region.center, v) <= radius for v in vertices)
    for polygon in region.polygons:
        if all(polygon.contains(v) for v in vertices) and not _edges_cross(edges, polygon.boundary()):
            return True
    return False


def _vertices_edges(atom: Atom) -> tuple[list[Vec], list[tuple[Vec, Vec]]]:
    if isinstance(atom, Point):
        assert atom.v is not None
        return [atom.v], []
    if isinstance(atom, Line):
        return atom.vs, list(zip(atom.vs, atom.vs[1:], strict=False))
    return atom.outer.vs, atom.boundary()


def _edges_cross(edges: list[tuple[Vec, Vec]], boundary: list[tuple[Vec, Vec]]) -> bool:
    for a, b in edges:
        for c, d in boundary:
            if arcs_cross(a, b, c, d) and not _touch_at_vertex(a, b, c, d):
                return True
    return False


def _touch_at_vertex(a: Vec, b: Vec, c: Vec, d: Vec) -> bool:
    return any(points_equal(p, q) for p in (a, b) for q in (c, d))


def _flat_contains(region: Region, x: float, y: float) -> bool:
    if region.kind == "box":
        x1, y1, x2, y2 = region.numbers
        return x1 <= x <= x2 and y1 <= y <= y2
    if region.kind == "circle":
        cx, cy, r = region.numbers
        return math.hypot(x - cx, y - cy) <= r
    return _flat_polygon_contains(region.flat_vertices, x, y)


def _flat_polygon_contains(vs: list[tuple[float, float]], x: float, y: float) -> bool:
    """Even-odd ray casting; a point on an edge is inside."""
    inside = False
    n = len(vs)
    for i in range(n):
        (x1, y1), (x2, y2) = vs[i], vs[(i + 1) % n]
        if _on_flat_segment(x, y, x1, y1, x2, y2):
            return True
        if (y1 > y) != (y2 > y) and x < (x2 - x1) * (y - y1) / (y2 - y1) + x1:
            inside = not inside
    return inside


def _on_flat_segment(x: float, y: float, x1: float, y1: float, x2: float, y2: float) -> bool:
    if abs((x2 - x1) * (y - y1) - (y2 - y1) * (x - x1)) > 1e-12:
        return False
    return min(x1, x2) <= x <= max(x1, x2) and min(y1, y2) <= y <= max(y1, y2)


def flat_distance(region_point: tuple[float, float], atom: Atom) -> float | None:
    if not isinstance(atom, Point):
        return None
    return math.hypot(atom.x - region_point[0], atom.y - region_point[1])


# -- $geoIntersects -------------------------------------------------------------------------------------


def atoms_intersect(stored: list[Atom], query: list[Atom]) -> bool:
    return any(_intersects(a, b) for a in stored for b in query)


def _intersects(a: Atom, b: Atom) -> bool:
    if isinstance(a, Point) and a.v is None or isinstance(b, Point) and b.v is None:
        return False
    if isinstance(b, Point) and not isinstance(a, Point):
        a, b = b, a
    if isinstance(a, Point):
        assert a.v is not None
        if isinstance(b, Point):
            return points_equal(a.v, b.v)  # type: ignore[arg-type]
        if isinstance(b, Line):
            return any(distance_to_arc(a.v, p, q) < _ON for p, q in zip(b.vs, b.vs[1:], strict=False))
        return b.contains(a.v)
    if isinstance(b, Line) and isinstance(a, Polygon):
        a, b = b, a
    edges_a = _vertices_edges(a)
    edges_b = _vertices_edges(b)
    if any(arcs_cross(p, q, r, s) for p, q in edges_a[1] for r, s in edges_b[1]):
        return True
    if isinstance(b, Polygon) and any(b.contains(v) for v in edges_a[0]):
        return True
    return isinstance(a, Polygon) and isinstance(b, Polygon) and any(a.contains(v) for v in edges_b[0])


# -- distances ------------------------------------------------------------------------------------------


def sphere_distance(atom: Atom, q: Vec) -> float:
    """Radians from ``q`` to the closest point of ``atom`` (0 inside a polygon)."""
    if isinstance(atom, Point):
        return angle(atom.v, q) if atom.v is not None else math.inf
    if isinstance(atom, Line):
        return min(distance_to_arc(q, p, r) for p, r in zip(atom.vs, atom.vs[1:], strict=False))
    if atom.contains(q):
        return 0.0
    return min(distance_to_arc(q, p, r) for p, r in atom.boundary())
