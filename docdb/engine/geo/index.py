"""2dsphere and 2d indexes: grid cells of longitude/latitude (or of the 2d plane) -> postings.

A point is posted in its cell of the finest grid (0.5 degrees; 2d: 1/1024 of the bounds); a line or
polygon in the cells of the first coarser grid (sizes double per level) where its bounding box spans at
most 2x2 cells, so every shape has a handful of postings. A cell's points are kept as a list of owners and
one ``array('d')`` of their coordinates (unit vectors for 2dsphere, x/y for 2d): compact, and read
without unpacking objects. ``$near`` asks ``near()`` for the postings in growing circles (see near.py).

The keys a document gives are checked like mongod's: a 2dsphere field that is no location fails the write
with 16755 "Can't extract geo keys" (null, undefined, ``{}`` and ``[]`` are no location and not indexed),
a 2d value must be legacy pairs inside the index bounds.
"""

from __future__ import annotations

import math
import time
from array import array
from collections.abc import Hashable, Iterable, Mapping
from itertools import islice
from typing import Any

import bson

from docdb.bson_codec import CODEC_OPTIONS
from docdb.engine.bson_order import MISSING
from docdb.engine.geo.shapes import Atom, GeoError, Point, atom_lnglats, flat_point, is_number, parse_stored
from docdb.engine.geo.sphere import Vec, cross, dot, norm, to_vec
from docdb.engine.indexing.index import Index
from docdb.engine.key_format import format_value
from docdb.errors import MongoError

SPHERE_BASE_DEGREES = 0.5
LEVELS = 10
FLAT_CELLS = 1024
_GEO_PLUGINS = ("2dsphere", "2d")
_NX0 = math.ceil(360 / SPHERE_BASE_DEGREES)  # the finest grid's columns and rows
_NY0 = math.ceil(180 / SPHERE_BASE_DEGREES)


class GeoIndex(Index):
    """A 2dsphere or 2d index (``spec["key"]`` names one geo field, maybe among plain ones)."""

    __slots__ = ("geo_field", "plugin", "parts", "cells", "shapes", "count", "levels", "low", "high", "size")
    builds_itself = True

    def __init__(self, spec: dict[str, Any]) -> None:
        super().__init__({**spec, "key": {f: 1 for f in spec["key"]}})
        self.spec = spec
        self.plugin = next(v for v in spec["key"].values() if v in _GEO_PLUGINS)
        self.geo_field = next(f for f, v in spec["key"].items() if v == self.plugin)
        self.parts = self.geo_field.split(".")
        self.low = float(spec.get("min", -180.0))
        self.high = float(spec.get("max", 180.0))
        self.size = (self.high - self.low) / FLAT_CELLS
        self.clear()

    @property
    def spherical(self) -> bool:
        return self.plugin == "2dsphere"

    def clear(self) -> None:
        self.cells: dict[int, tuple[list[Hashable], array]] = {}
        self.shapes: dict[int, list[tuple[Hashable, Atom]]] = {}
        self.count = 0
        self.levels: dict[int, int] = {}
        self.built = False
        self.multikey = {}

    def __len__(self) -> int:
        return self.count

    def size_bytes(self) -> int:
        return self.count * 40 + len(self.cells) * 120

    def first_duplicate(self) -> None:
        return None

    # -- keys --------------------------------------------------------------------------------------------

    def keys(self, doc: dict) -> list[Any]:  # type: ignore[override]
        """The locations ``doc`` posts (raises mongod's error for one that is none)."""
        values = values_along(doc, self.parts)
        if self.spherical:
            return self._sphere_keys(doc, values)
        return self._flat_keys(values)

    def _sphere_keys(self, doc: dict, values: list[Any]) -> list[Atom]:
        if len(values) == 1 and (values[0] is None or values[0] in ({}, [])):
            return []
        out: list[Atom] = []
        for value in values:
            if value is None or value in ({}, []):
                continue
            fast = _fast_point(value)
            if fast is not None:
                out.append(fast)
                continue
            try:
                out.extend(parse_stored(value))
            except GeoError as exc:
                message = f"Can't extract geo keys: {format_value(doc)}  {exc.reason}"
                raise MongoError(16755, message) from None
        return out

    def _flat_keys(self, values: list[Any]) -> list[Atom]:
        out: list[Atom] = []
        for value in values:
            if not isinstance(value, (list, dict)):
                continue
            items = list(value.values()) if isinstance(value, dict) else value
            points = [value] if items and is_number(items[0]) else items
            for item in points:
                try:
                    x, y = flat_point(item, allow_more=True)
                except GeoError:
                    raise MongoError(
                        16804, "location object expected, location array not in correct format"
                    ) from None
                if not (self.low <= x < self.high and self.low <= y < self.high):
                    raise MongoError(
                        13027, f"point not in interval of [ {_num(self.low)}, {_num(self.high)} )"
                    )
                out.append(Point(x, y, None, flat=True))
        return out

    # -- maintenance -------------------------------------------------------------------------------------

    def add(self, hk: Hashable, doc: dict) -> None:
        for atom in self.keys(doc):
            self._post(hk, atom)

    def remove(self, hk: Hashable, doc: dict) -> None:
        try:
            atoms = self.keys(doc)
        except MongoError:
            return
        for atom in atoms:
            self._unpost(hk, atom)

    def replace(self, hk: Hashable, old: dict, new: dict) -> None:
        new_atoms = self.keys(new)
        if values_along(old, self.parts) == values_along(new, self.parts):
            return
        self.remove(hk, old)
        for atom in new_atoms:
            self._post(hk, atom)

    def build(self, docs: Iterable[tuple[Hashable, bytes]] | Mapping[Hashable, bytes]) -> None:  # type: ignore[override]
        """Post every document's locations (decoded in chunks); raises before keeping a partial index."""
        self.clear()
        pairs = list(docs.items()) if isinstance(docs, Mapping) else list(docs)
        it = iter(pairs)
        try:
            while True:
                chunk = list(islice(it, 1000))
                if not chunk:
                    break
                decoded = bson.decode_all(b"".join(raw for _, raw in chunk), CODEC_OPTIONS)
                for (hk, _), doc in zip(chunk, decoded, strict=True):
                    if not self._post_point_fast(hk, doc):
                        self.add(hk, doc)
        except BaseException:
            self.clear()
            raise
        self.built = True
        self.since = time.time()

    def _post_point_fast(self, hk: Hashable, doc: dict) -> bool:
        """Post a top-level GeoJSON point of a 2dsphere index inline (the bulk of an index build);
        False when the document needs the general path."""
        if not self.spherical or len(self.parts) != 1:
            return False
        value = doc.get(self.geo_field)
        if type(value) is not dict or value.get("type") != "Point" or len(value) != 2:
            return False
        coords = value.get("coordinates")
        if type(coords) is not list or len(coords) != 2:
            return False
        x, y = coords
        if type(x) is not float and type(x) is not int or type(y) is not float and type(y) is not int:
            return False
        if not (-180 <= x <= 180 and -90 <= y <= 90):
            return False
        lo, la = math.radians(x), math.radians(y)
        c = math.cos(la)
        ix = int((x + 180) / SPHERE_BASE_DEGREES) % _NX0
        iy = min(int((y + 90) / SPHERE_BASE_DEGREES), _NY0 - 1)
        cell = (iy << 20) | ix
        bucket = self.cells.get(cell)
        if bucket is None:
            bucket = self.cells[cell] = ([], array("d"))
            self.levels[0] = self.levels.get(0, 0) + 1
        bucket[0].append(hk)
        bucket[1].extend((c * math.cos(lo), c * math.sin(lo), math.sin(la)))
        self.count += 1
        return True

    def _post(self, hk: Hashable, atom: Atom) -> None:
        self.count += 1
        if type(atom) is Point:
            cell = self.point_cell(atom)
            bucket = self.cells.get(cell)
            if bucket is None:
                bucket = self.cells[cell] = ([], array("d"))
                self.levels[0] = self.levels.get(0, 0) + 1
            bucket[0].append(hk)
            bucket[1].extend(atom.v if self.spherical else (atom.x, atom.y))  # type: ignore[arg-type]
            return
        for cell in self.shape_cells(atom):
            self.shapes.setdefault(cell, []).append((hk, atom))
            level = cell >> 40
            self.levels[level] = self.levels.get(level, 0) + 1

    def _unpost(self, hk: Hashable, atom: Atom) -> None:
        if isinstance(atom, Point):
            bucket = self.cells.get(self.point_cell(atom))
            if bucket is None:
                return
            owners, coords = bucket
            width = len(coords) // max(len(owners), 1)
            mine = self._coords(atom)
            for i, owner in enumerate(owners):
                if owner == hk and list(coords[i * width : (i + 1) * width]) == mine:
                    del owners[i]
                    del coords[i * width : (i + 1) * width]
                    self.count -= 1
                    return
            return
        for cell in self.shape_cells(atom):
            entries = self.shapes.get(cell, [])
            for i, (owner, _) in enumerate(entries):
                if owner == hk:
                    del entries[i]
                    break
        self.count -= 1

    def _coords(self, atom: Point) -> list[float]:
        if self.spherical:
            assert atom.v is not None
            return list(atom.v)
        return [atom.x, atom.y]

    # -- cells -------------------------------------------------------------------------------------------

    def point_cell(self, atom: Point) -> int:
        if self.spherical:
            ix = int((atom.x + 180) / SPHERE_BASE_DEGREES) % _NX0
            return (min(int((atom.y + 90) / SPHERE_BASE_DEGREES), _NY0 - 1) << 20) | ix
        ix = min(int((atom.x - self.low) / self.size), FLAT_CELLS - 1)
        iy = min(int((atom.y - self.low) / self.size), FLAT_CELLS - 1)
        return (iy << 20) | ix

    def shape_cells(self, atom: Atom) -> list[int]:
        """The cells a line or polygon is posted in (2dsphere only: 2d holds points)."""
        lat0, lat1, lon0, lon_span = bounding_box(atom)
        for level in range(LEVELS):
            size = SPHERE_BASE_DEGREES * 2**level
            if (lat1 - lat0) <= size and lon_span <= size:
                break
        return cells_of_box(level, lat0, lat1, lon0, lon_span)


def _num(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:g}"


def cells_of_box(level: int, lat0: float, lat1: float, lon0: float, lon_span: float) -> list[int]:
    """Cells of one level covering latitudes ``lat0..lat1`` and longitudes ``lon0`` + ``lon_span``."""
    size = SPHERE_BASE_DEGREES * 2**level
    nx = math.ceil(360 / size)
    ny = math.ceil(180 / size)
    iy0 = max(int((lat0 + 90) / size), 0)
    iy1 = min(int((lat1 + 90) / size), ny - 1)
    if lon_span >= 360:
        xs: Iterable[int] = range(nx)
    else:
        ix0 = math.floor((lon0 + 180) / size)
        ix1 = math.floor((lon0 + lon_span + 180) / size)
        xs = range(nx) if ix1 - ix0 + 1 >= nx else [i % nx for i in range(ix0, ix1 + 1)]
    return [(level << 40) | (iy << 20) | ix for iy in range(iy0, iy1 + 1) for ix in xs]


def bounding_box(atom: Atom) -> tuple[float, float, float, float]:
    """``(lat min, lat max, lon start, lon span)`` in degrees, with great-circle edges bulging toward
    the poles and polygons around a pole spanning every longitude."""
    lnglats = atom_lnglats(atom)
    lats = [lat for _, lat in lnglats]
    lat0, lat1 = min(lats), max(lats)
    vs = getattr(atom, "vs", None) or getattr(getattr(atom, "outer", None), "vs", [])
    n = len(vs)
    closed = hasattr(atom, "outer")
    for i in range(n if closed else n - 1):
        a, b = vs[i], vs[(i + 1) % n]
        top = _arc_extreme_lat(a, b)
        if top is not None:
            lat0, lat1 = min(lat0, top[0]), max(lat1, top[1])
    contains = getattr(atom, "contains", None)
    if contains is not None:
        if contains(to_vec(0, 90)):
            lat1 = 90.0
        if contains(to_vec(0, -90)):
            lat0 = -90.0
    if lat1 >= 89.999 or lat0 <= -89.999:
        return lat0, lat1, -180.0, 360.0
    lon0, span = _lon_cover(sorted({lng for lng, _ in lnglats}))
    return lat0, lat1, lon0, span


def _arc_extreme_lat(a: Vec, b: Vec) -> tuple[float, float] | None:
    """The lowest and highest latitude an arc reaches between its ends, when beyond them."""
    n = cross(a, b)
    nn = norm(n)
    if nn < 1e-15:
        return None
    n = (n[0] / nn, n[1] / nn, n[2] / nn)
    out_lo, out_hi = 90.0, -90.0
    for sign in (1, -1):
        t = (-n[0] * n[2] * sign, -n[1] * n[2] * sign, (1 - n[2] * n[2]) * sign)
        tn = norm(t)
        if tn < 1e-15:
            continue
        t = (t[0] / tn, t[1] / tn, t[2] / tn)
        if dot(cross(a, t), n) >= 0 and dot(cross(t, b), n) >= 0:
            lat = math.degrees(math.asin(max(-1.0, min(1.0, t[2]))))
            out_lo, out_hi = min(out_lo, lat), max(out_hi, lat)
    return (out_lo, out_hi) if out_lo <= out_hi else None


def _lon_cover(lngs: list[float]) -> tuple[float, float]:
    """The shortest longitude interval holding every value: ``(start, span)``."""
    if len(lngs) == 1:
        return lngs[0], 0.0
    gaps = [(lngs[(i + 1) % len(lngs)] - lngs[i]) % 360 for i in range(len(lngs))]
    widest = max(range(len(gaps)), key=gaps.__getitem__)
    start = lngs[(widest + 1) % len(lngs)]
    return start, 360 - gaps[widest]


def _fast_point(value: Any) -> Point | None:
    """A GeoJSON point or legacy pair parsed without the general parser (the common case)."""
    if type(value) is dict and len(value) == 2 and value.get("type") == "Point":
        coords = value.get("coordinates")
    elif type(value) is list and len(value) == 2:
        coords = value
    else:
        return None
    if type(coords) is not list or len(coords) != 2:
        return None
    x, y = coords
    if type(x) not in (int, float) or type(y) not in (int, float):
        return None
    if not (-180 <= x <= 180 and -90 <= y <= 90):
        return None
    return Point(float(x), float(y), to_vec(x, y), flat=type(value) is list)


def values_along(doc: dict, parts: list[str]) -> list[Any]:
    """The values at a dotted path, arrays along the way expanded but not a trailing one."""
    out: list[Any] = []
    _walk(doc, parts, 0, out)
    return out


def _walk(value: Any, parts: list[str], i: int, out: list[Any]) -> None:
    if i == len(parts):
        if value is not MISSING:
            out.append(value)
        return
    if isinstance(value, dict):
        _walk(value.get(parts[i], MISSING), parts, i + 1, out)
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, dict):
                _walk(item, parts, i, out)
