"""Geometry on the unit sphere with plain 3-D vectors: distances, arc crossings, loops and caps.

Shapes are lists of unit vectors; edges are the shorter great-circle arcs between consecutive vertices
(S2's model, which mongod's 2dsphere uses). A loop's interior is the region to the left of its edges;
``Loop`` orients a GeoJSON ring so that its interior is the smaller of the two regions it bounds, as
mongod does for ordinary polygons, unless told the winding is strict (big polygons,
``urn:x-mongodb:crs:strictwinding:EPSG:4326``). Point-in-loop is decided by the winding number of the
loop around the point: no reference point or projection, so rings around a pole or across the
antimeridian need no special case.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

EARTH_RADIUS_M = 6378100.0  # mongod's kRadiusOfEarthInMeters
Vec = tuple[float, float, float]
TWO_PI = 2 * math.pi
_EPS = 1e-15


def to_vec(lng: float, lat: float) -> Vec:
    """The unit vector of a longitude/latitude in degrees."""
    lo, la = math.radians(lng), math.radians(lat)
    c = math.cos(la)
    return (c * math.cos(lo), c * math.sin(lo), math.sin(la))


def cross(a: Vec, b: Vec) -> Vec:
    return (a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0])


def dot(a: Vec, b: Vec) -> float:
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]


def norm(a: Vec) -> float:
    return math.sqrt(a[0] * a[0] + a[1] * a[1] + a[2] * a[2])


def unit(a: Vec) -> Vec:
    n = norm(a)
    return (a[0] / n, a[1] / n, a[2] / n) if n else a


def angle(a: Vec, b: Vec) -> float:
    """The great-circle distance in radians (accurate for tiny and near-antipodal angles alike)."""
    c = cross(a, b)
    return math.atan2(math.sqrt(c[0] * c[0] + c[1] * c[1] + c[2] * c[2]), dot(a, b))


def _sign(x: float) -> int:
    return 1 if x > _EPS else (-1 if x < -_EPS else 0)


def arcs_cross(a: Vec, b: Vec, c: Vec, d: Vec) -> bool:
    """Do arcs ab and cd share a point (crossing or touching)?"""
    n1 = cross(a, b)
    n2 = cross(c, d)
    s1, s2 = _sign(dot(n1, c)), _sign(dot(n1, d))
    s3, s4 = _sign(dot(n2, a)), _sign(dot(n2, b))
    if s1 * s2 > 0 or s3 * s4 > 0:
        return False
    if s1 == s2 == 0:  # on one great circle: overlapping arcs?
        return any(on_arc(p, a, b) for p in (c, d)) or any(on_arc(p, c, d) for p in (a, b))
    p = cross(n1, n2)
    if norm(p) < _EPS:
        return False
    if dot(p, (a[0] + b[0], a[1] + b[1], a[2] + b[2])) < 0:
        p = (-p[0], -p[1], -p[2])
    return dot(p, (c[0] + d[0], c[1] + d[1], c[2] + d[2])) > 0


def on_arc(p: Vec, a: Vec, b: Vec) -> bool:
    return abs(angle(a, p) + angle(p, b) - angle(a, b)) < 1e-12


def distance_to_arc(p: Vec, a: Vec, b: Vec) -> float:
    """Radians from ``p`` to the closest point of arc ab."""
    n = cross(a, b)
    nn = norm(n)
    if nn > _EPS:
        n = (n[0] / nn, n[1] / nn, n[2] / nn)
        # the foot of p on ab's great circle is on the arc when it is left of (n x a) and right of (n x b)
        if dot(cross(a, p), n) >= 0 and dot(cross(p, b), n) >= 0:
            return abs(math.asin(max(-1.0, min(1.0, dot(p, n)))))
    return min(angle(p, a), angle(p, b))


def _winding(loop: Sequence[Vec], p: Vec) -> float:
    """The signed angle the loop turns around ``p`` (2*pi when it encloses p counter-clockwise)."""
    total = 0.0
    n = len(loop)
    for i in range(n):
        a, b = loop[i], loop[(i + 1) % n]
        total += math.atan2(dot(p, cross(a, b)), dot(a, b) - dot(a, p) * dot(b, p))
    return total


def _left_area(loop: Sequence[Vec]) -> float:
    """The area (steradians) of the region left of the loop, by Gauss-Bonnet from its turning angles."""
    n = len(loop)
    turning = 0.0
    for i in range(n):
        a, b, c = loop[i - 1], loop[i], loop[(i + 1) % n]
        n1, n2 = cross(a, b), cross(b, c)
        turning += math.atan2(dot(cross(n1, n2), b), dot(n1, n2))
    return TWO_PI - turning


class Loop:
    """A closed ring of vertices (no repeated last vertex), oriented with its interior on the left."""

    __slots__ = ("vs", "area")

    def __init__(self, vs: list[Vec], strict: bool = False) -> None:
        area = _left_area(vs)
        if not strict and area > TWO_PI:
            vs = vs[::-1]
            area = 4 * math.pi - area
        self.vs = vs
        self.area = area

    def contains(self, p: Vec) -> bool:
        for v in self.vs:
            if angle(v, p) < 1e-13:
                return True  # a vertex belongs to the loop's region
        w = _winding(self.vs, p)
        if w > math.pi:
            return True
        if w < -math.pi:
            return False
        # winding 0: p and its antipode are on one side: the interior's when it is the larger side
        return self.area > TWO_PI

    def edges(self) -> list[tuple[Vec, Vec]]:
        n = len(self.vs)
        return [(self.vs[i], self.vs[(i + 1) % n]) for i in range(n)]


def loop_is_self_crossing(vs: list[Vec]) -> tuple[int, int] | None:
    """The first pair of non-adjacent edges that cross (S2's "Edges i and j cross"), or None."""
    n = len(vs)
    edges = [(vs[i], vs[(i + 1) % n]) for i in range(n)]
    for i in range(n):
        for j in range(i + 2, n):
            if i == 0 and j == n - 1:
                continue
            if arcs_cross(*edges[i], *edges[j]):
                return i, j
    return None


def points_equal(a: Vec, b: Vec) -> bool:
    return angle(a, b) < 1e-13
