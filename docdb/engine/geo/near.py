"""``$near`` / ``$nearSphere``: parsing, choosing the geo index, and the nearest-first stream.

The stream searches growing circles: it reads the index cells that meet a circle of radius R around the
query point (every grid level that holds shapes), computes the distance of each new posting, and hands
out, in order, those not farther than R — nothing unread can be closer, as every location within R lies
in a cell that was read. Then R doubles, until the query's ``$maxDistance`` or the whole sphere (plane)
is covered. Longitudes wrap at the antimeridian and a circle over a pole takes every longitude. A
document is handed out once, at its smallest distance.

Units, as in mongod: a GeoJSON point measures metres on a sphere of radius 6 378 100 m; a legacy pair
with ``$nearSphere`` (or ``spherical: true``) measures radians; a legacy pair with ``$near`` measures
flat distance in the coordinates' units and needs a 2d index.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Hashable, Iterator
from dataclasses import dataclass
from typing import Any

from docdb.engine.collection import Collection
from docdb.engine.geo.index import SPHERE_BASE_DEGREES, GeoIndex, cells_of_box
from docdb.engine.geo.predicates import sphere_distance
from docdb.engine.geo.shapes import GeoError, flat_point, g, is_number, number, parse_geojson
from docdb.engine.geo.sphere import EARTH_RADIUS_M, Vec, to_vec
from docdb.engine.key_format import format_value
from docdb.engine.query.compile import is_expression_document
from docdb.errors import ErrorCode, MongoError

NEAR_OPS = ("$near", "$nearSphere", "$geoNear")


@dataclass(slots=True)
class NearQuery:
    """A parsed ``$near``: the point, whether distances are spherical, and their unit scale."""

    x: float
    y: float
    geojson: bool
    spherical: bool
    min_distance: float = 0.0
    max_distance: float = math.inf

    @property
    def scale(self) -> float:
        """Native stream units (radians or flat) -> the query's units (metres for GeoJSON)."""
        return EARTH_RADIUS_M if self.geojson else 1.0

    @property
    def vec(self) -> Vec:
        return to_vec(self.x, self.y)


def _bad(message: str) -> MongoError:
    return MongoError(ErrorCode.BadValue, message)


def split_near(spec: dict[str, Any]) -> tuple[str, str, dict[str, Any], dict[str, Any]] | None:
    """``(path, operator, its operator document, the rest of the filter)`` when ``spec`` has a top-level
    (or top ``$and``) ``$near``/``$nearSphere``; None otherwise."""
    for name, value in spec.items():
        if name == "$and" and isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, dict):
                    found = split_near(item)
                    if found is not None:
                        path, op, ops, rest = found
                        others = [x for j, x in enumerate(value) if j != i] + ([rest] if rest else [])
                        outer = {k: v for k, v in spec.items() if k != "$and"}
                        if others:
                            outer["$and"] = others
                        return path, op, ops, outer
        elif not name.startswith("$") and is_expression_document(value, False):
            op = next(iter(value))
            if op in NEAR_OPS:
                rest = {k: v for k, v in spec.items() if k != name}
                return name, op, value, rest
    return None


def parse_near(op: str, ops: dict[str, Any]) -> NearQuery:
    """The near query of ``{op: arg, $maxDistance?, $minDistance?}`` with mongod's parse errors."""
    arg = ops[op]
    spherical = op == "$nearSphere"
    limits = {k: v for k, v in ops.items() if k != op}
    if isinstance(arg, dict) and ("$geometry" in arg or "type" in arg):
        geometry = arg.get("$geometry", arg)
        if "$geometry" in arg:
            limits.update({k: v for k, v in arg.items() if k != "$geometry"})
        if not isinstance(geometry, dict) or geometry.get("type") != "Point":
            raise _bad(f"invalid point in geo near query $geometry argument: {format_value(geometry)}")
        try:
            atom = parse_geojson(geometry, allow_big=False)[0]
        except GeoError as exc:
            raise _bad(
                f"invalid point in geo near query $geometry argument: {format_value(geometry)}  {exc.reason}"
            ) from None
        query = NearQuery(atom.x, atom.y, geojson=True, spherical=True)  # type: ignore[union-attr]
    else:
        point = arg
        if isinstance(arg, dict) and arg and not is_number(next(iter(arg.values()))):
            point = None
        try:
            x, y = flat_point(point)
        except GeoError:
            raise _bad(f"near must be first in: {{ {op}: {format_value(arg)} }}") from None
        if spherical and not (-180 <= x <= 180 and -90 <= y <= 90):
            raise _bad(f"Longitude/latitude is out of bounds, lng: {g(x)} lat: {g(y)}")
        query = NearQuery(x, y, geojson=False, spherical=spherical)
    for name, value in limits.items():
        if name not in ("$maxDistance", "$minDistance"):
            raise _bad(f"invalid argument in geo near query: {name}")
        if not is_number(value):
            raise _bad(f"{name} must be a number")
        distance = number(value)
        if distance < 0:
            raise _bad(f"{name} must be non-negative")
        if name == "$maxDistance":
            query.max_distance = distance
        else:
            query.min_distance = distance
    return query


def choose_index(coll: Collection, path: str, query: NearQuery) -> GeoIndex:
    """The geo index on ``path`` that can answer ``query`` (291 as mongod when there is none)."""
    found = [i for i in coll.indexes.values() if isinstance(i, GeoIndex) and i.geo_field == path]
    for index in found:
        if index.hidden:
            continue
        if query.geojson and index.spherical:
            return index
        if not query.geojson and not query.spherical and not index.spherical:
            return index
        if not query.geojson and query.spherical:
            return index
    raise MongoError(ErrorCode.NoQueryExecutionPlans, "unable to find index for $geoNear query")


def stream(index: GeoIndex, query: NearQuery) -> Iterator[tuple[float, Hashable]]:
    """``(distance in the query's units, hash key)`` of each indexed document, nearest first."""
    scale = query.scale
    low, high = query.min_distance / scale, query.max_distance / scale
    index.accesses += 1
    if index.spherical or query.spherical:
        rings = _sphere_rings(index, query)
    else:
        rings = _flat_rings(index, query)
    heap: list[tuple[float, int, Hashable]] = []
    emitted: set[Hashable] = set()
    seq = 0
    for radius, found in rings:
        for d, hk in found:
            if low <= d <= high:
                seq += 1
                heapq.heappush(heap, (d, seq, hk))
        while heap and (heap[0][0] <= radius or radius > high):
            d, _, hk = heapq.heappop(heap)
            if hk not in emitted:
                emitted.add(hk)
                yield d * scale, hk
        if radius > high:
            return


def _sphere_rings(index: GeoIndex, query: NearQuery) -> Iterator[tuple[float, list[tuple[float, Hashable]]]]:
    q = query.vec
    qx, qy, qz = q
    lng, lat = query.x, query.y
    visited: set[int] = set()
    radius = math.radians(SPHERE_BASE_DEGREES)
    spherical_index = index.spherical
    while True:
        found: list[tuple[float, Hashable]] = []
        for level in _levels(index):
            for cell in _cap_cells(index, level, lng, lat, radius):
                if cell in visited:
                    continue
                visited.add(cell)
                bucket = index.cells.get(cell)
                if bucket is not None:
                    owners, coords = bucket
                    if spherical_index:
                        for i, hk in enumerate(owners):
                            x, y, z = coords[3 * i], coords[3 * i + 1], coords[3 * i + 2]
                            cx, cy, cz = qy * z - qz * y, qz * x - qx * z, qx * y - qy * x
                            sine = math.sqrt(cx * cx + cy * cy + cz * cz)
                            found.append((math.atan2(sine, qx * x + qy * y + qz * z), hk))
                    else:
                        for i, hk in enumerate(owners):
                            v = to_vec(coords[2 * i], coords[2 * i + 1])
                            found.append((sphere_distance_vec(v, q), hk))
                for hk, atom in index.shapes.get(cell, ()):
                    found.append((sphere_distance(atom, q), hk))
        yield radius, found
        if radius >= math.pi:
            yield math.inf, []
            return
        radius *= 2


def sphere_distance_vec(a: Vec, b: Vec) -> float:
    cx, cy, cz = a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]
    return math.atan2(math.sqrt(cx * cx + cy * cy + cz * cz), a[0] * b[0] + a[1] * b[1] + a[2] * b[2])


def _levels(index: GeoIndex) -> list[int]:
    return sorted(level for level, n in index.levels.items() if n) if index.spherical else [0]


def _cap_cells(index: GeoIndex, level: int, lng: float, lat: float, radius: float) -> list[int]:
    """The cells of one level meeting the bounding box of the circle of ``radius`` radians."""
    r_deg = math.degrees(radius)
    lat0, lat1 = lat - r_deg, lat + r_deg
    if lat0 <= -90 or lat1 >= 90 or math.sin(radius) >= math.cos(math.radians(lat)):
        lon0, span = -180.0, 360.0
    else:
        dlon = math.degrees(math.asin(math.sin(radius) / math.cos(math.radians(lat))))
        lon0, span = lng - dlon, 2 * dlon
    lat0, lat1 = max(lat0, -90.0), min(lat1, 90.0)
    if index.spherical:
        return cells_of_box(level, lat0, lat1, lon0, span)
    return flat_box_cells(index, lon0, lat0, lon0 + span, lat1, wrap=True)


def flat_box_cells(index: GeoIndex, x0: float, y0: float, x1: float, y1: float, wrap: bool) -> list[int]:
    size, low, n = index.size, index.low, 1024
    iy0 = max(math.floor((y0 - low) / size), 0)
    iy1 = min(math.floor((y1 - low) / size), n - 1)
    ix0 = math.floor((x0 - low) / size)
    ix1 = math.floor((x1 - low) / size)
    if wrap and index.low == -180 and index.high == 180:
        xs = range(n) if ix1 - ix0 + 1 >= n else [i % n for i in range(ix0, ix1 + 1)]
    else:
        xs = range(max(ix0, 0), min(ix1, n - 1) + 1)
    return [(iy << 20) | ix for iy in range(iy0, iy1 + 1) for ix in xs]


def _flat_rings(index: GeoIndex, query: NearQuery) -> Iterator[tuple[float, list[tuple[float, Hashable]]]]:
    x, y = query.x, query.y
    visited: set[int] = set()
    radius = index.size
    reach = (index.high - index.low) * 2 + abs(x) + abs(y)
    while True:
        found: list[tuple[float, Hashable]] = []
        for cell in flat_box_cells(index, x - radius, y - radius, x + radius, y + radius, wrap=False):
            if cell in visited:
                continue
            visited.add(cell)
            bucket = index.cells.get(cell)
            if bucket is not None:
                owners, coords = bucket
                for i, hk in enumerate(owners):
                    found.append((math.hypot(coords[2 * i] - x, coords[2 * i + 1] - y), hk))
        yield radius, found
        if radius > reach:
            yield math.inf, []
            return
        radius *= 2
