"""``$geoWithin`` / ``$geoIntersects`` served by a geo index: FETCH over an index scan of grid cells.

The query shape's bounding box (great-circle edges bulging toward the poles, polygons around a pole
spanning every longitude, a ``$centerSphere`` cap's box) names the cells to read at each grid level the
index uses; their postings are the candidates, and each fetched document gets the whole filter, as the
index only narrows (mongod's 2dsphere scan is likewise inexact). ``$geometry`` and ``$centerSphere`` use
a 2dsphere index; flat shapes (``$box``, ``$polygon``, ``$center``) a 2d index. A hint naming a geo index
without such a predicate scans all its postings.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from docdb.bson_codec import decode_document
from docdb.engine.collection import Collection
from docdb.engine.geo.index import LEVELS, GeoIndex, bounding_box, cells_of_box
from docdb.engine.geo.match import parse_region
from docdb.engine.geo.near import flat_box_cells
from docdb.engine.geo.shapes import GeoError, Region, parse_geojson
from docdb.engine.matcher import compile_filter
from docdb.engine.planner import QueryPlans, Stats
from docdb.errors import MongoError

_WITHIN = ("$geoWithin", "$within", "$geoIntersects")
_FLAT = ("$box", "$polygon", "$center")

Box = tuple[float, float, float, float]  # lat min, lat max, lon start, lon span (2d: y0, y1, x0, x span)


@dataclass(slots=True)
class GeoScanPlan:
    """Plan-shaped (``kind``, ``run``, ``stats``), like the near plan."""

    index: GeoIndex
    boxes: list[Box] | None  # None: every posting (a hint without a geo predicate)
    spec: dict[str, Any]
    kind: str = "GEO_SCAN"
    direction: int = 1
    bounds: list = field(default_factory=list)
    provides_sort: bool = False
    residual: list = field(default_factory=list)
    id_value: Any = None
    stats: Stats = field(default_factory=Stats)

    def owners(self) -> Iterator[Hashable]:
        index = self.index
        index.accesses += 1
        if self.boxes is None:
            cells: list[int] = sorted(set(index.cells) | set(index.shapes))
        else:
            cells = sorted({c for box in self.boxes for c in _cells(index, box)})
        for cell in cells:
            self.stats.seeks += 1
            bucket = index.cells.get(cell)
            if bucket is not None:
                yield from bucket[0]
            for hk, _ in index.shapes.get(cell, ()):
                yield hk

    def run(
        self,
        coll: Collection | None,
        predicate: Callable[[dict], bool],
        decode: bool = True,
        build_columns: bool = True,  # Plan.run's; a geo plan reads no columns
    ) -> Iterator[tuple[bytes, Any]]:
        if coll is None:
            return
        yield from fetch_matches(coll.docs, self._unique_owners(), predicate, self.stats)

    def _unique_owners(self) -> Iterator[Hashable]:
        """``owners`` without repeats (a shape posted in several cells); a repeat is a key examined and
        dropped, as a multikey index scan counts it."""
        stats = self.stats
        seen: set[Hashable] = set()
        for hk in self.owners():
            if hk in seen:
                stats.keys_examined += 1
                stats.dups_dropped += 1
                continue
            seen.add(hk)
            yield hk

    def explain_stage(self, stats: bool) -> dict[str, Any]:
        from docdb.engine.explain import parsed_query  # explain builds on the plans

        index = self.index
        scan: dict[str, Any] = {
            "stage": "IXSCAN",
            "keyPattern": dict(index.key_pattern),
            "indexName": index.name,
            "isMultiKey": False,
            "multiKeyPaths": {f: [] for f in index.key_pattern},
            "isUnique": False,
            "isSparse": False,
            "isPartial": index.partial is not None,
            "indexVersion": 2,
            "direction": "forward",
            "indexBounds": {
                f: (
                    ["[MinKey, MaxKey]"]
                    if f != index.geo_field or self.boxes is None
                    else self._cell_bounds()
                )
                for f in index.key_pattern
            },
        }
        fetch: dict[str, Any] = {"stage": "FETCH"}
        if self.spec:
            fetch["filter"] = parsed_query(self.spec)
        if stats:
            s = self.stats
            fetch.update(nReturned=s.n_returned, docsExamined=s.docs_examined)
            scan.update(keysExamined=s.keys_examined, dupsDropped=s.dups_dropped)
        fetch["inputStage"] = scan
        return fetch

    def _cell_bounds(self) -> list[str]:
        cells = sorted({c for box in self.boxes or () for c in _cells(self.index, box)})
        return [f"[{c}, {c}]" for c in cells]


def _cells(index: GeoIndex, box: Box) -> list[int]:
    lat0, lat1, lon0, span = box
    if not index.spherical:  # wrapping only adds cells: a cap across the antimeridian needs it
        return flat_box_cells(index, lon0, lat0, lon0 + span, lat1, wrap=True)
    levels = [level for level in range(LEVELS) if index.levels.get(level)]
    return [c for level in levels for c in cells_of_box(level, lat0, lat1, lon0, span)]


def _geo_predicate(spec: dict[str, Any]) -> list[tuple[str, str, Any]]:
    """``(path, operator, argument)`` of the top-level (and top ``$and``) geo predicates."""
    out = []
    for name, value in spec.items():
        if name == "$and" and isinstance(value, list):
            for item in value:
                if isinstance(item, dict):
                    out.extend(_geo_predicate(item))
        elif not name.startswith("$") and isinstance(value, dict):
            for op, arg in value.items():
                if op in _WITHIN:
                    out.append((name, op, arg))
    return out


def _boxes(index: GeoIndex, op: str, arg: Any) -> list[Box] | None:
    """The bounding boxes of a geo predicate's shape, or None when ``index`` cannot serve it."""
    if not isinstance(arg, dict) or not arg:
        return None
    name, value = [(k, v) for k, v in arg.items() if k != "$uniqueDocs"][-1]
    try:
        if op == "$geoIntersects" or name == "$geometry":
            if not index.spherical or not isinstance(value, dict):
                return None
            atoms = parse_geojson(value, allow_big=True)
            if any(getattr(a, "big", False) for a in atoms):
                return [(-90.0, 90.0, -180.0, 360.0)]
            return [_atom_box(a) for a in atoms]
        region: Region = parse_region(name, value, {op: arg})
    except (GeoError, MongoError):  # a bad shape: compiling the filter reports it
        return None
    if name == "$centerSphere":
        assert region.center is not None
        return [_cap_box(region)]
    if index.spherical:
        return None
    if region.kind == "box":
        x1, y1, x2, y2 = region.numbers
        return [(y1, y2, x1, x2 - x1)]
    if region.kind == "circle":
        cx, cy, r = region.numbers
        return [(cy - r, cy + r, cx - r, 2 * r)]
    xs = [x for x, _ in region.flat_vertices]
    ys = [y for _, y in region.flat_vertices]
    return [(min(ys), max(ys), min(xs), max(xs) - min(xs))]


def _atom_box(atom: Any) -> Box:
    if hasattr(atom, "v") and not hasattr(atom, "vs"):
        return (atom.y, atom.y, atom.x, 0.0)
    return bounding_box(atom)


def _cap_box(region: Region) -> Box:
    assert region.center is not None
    x, y, z = region.center
    lat = math.degrees(math.asin(max(-1.0, min(1.0, z))))
    lng = math.degrees(math.atan2(y, x))
    radius = region.numbers[0]
    r_deg = math.degrees(radius)
    if lat - r_deg <= -90 or lat + r_deg >= 90 or math.sin(radius) >= math.cos(math.radians(lat)):
        return (max(lat - r_deg, -90.0), min(lat + r_deg, 90.0), -180.0, 360.0)
    dlon = math.degrees(math.asin(math.sin(radius) / math.cos(math.radians(lat))))
    return (lat - r_deg, lat + r_deg, lng - dlon, 2 * dlon)


def plan_geo_scan(
    coll: Collection, spec: dict[str, Any], hint: Any, variables: dict[str, Any] | None
) -> tuple[QueryPlans, Callable[[dict], bool]] | None:
    """A geo-index plan for ``spec``'s ``$geoWithin``/``$geoIntersects`` (or a hinted geo index)."""
    geo = [i for i in coll.indexes.values() if isinstance(i, GeoIndex) and not i.hidden]
    if not geo:
        return None
    hinted = _hinted(geo, hint)
    if hint not in (None, {}, "") and hinted is None:
        return None
    predicate = compile_filter(spec, variables=variables)
    for path, op, arg in _geo_predicate(spec):
        for index in [hinted] if hinted is not None else geo:
            if index.geo_field != path:
                continue
            boxes = _boxes(index, op, arg)
            if boxes is not None:
                return _plan(coll, index, boxes, spec), predicate
    if hinted is not None:
        return _plan(coll, hinted, None, spec), predicate
    return None


def _plan(coll: Collection, index: GeoIndex, boxes: list[Box] | None, spec: dict[str, Any]) -> QueryPlans:
    if not index.built:
        coll.build_index(index)
    return QueryPlans(GeoScanPlan(index, boxes, spec), [])  # type: ignore[arg-type]


def _hinted(geo: list[GeoIndex], hint: Any) -> GeoIndex | None:
    if isinstance(hint, str):
        return next((i for i in geo if i.name == hint), None)
    if isinstance(hint, dict) and hint:
        return next((i for i in geo if dict(i.key_pattern) == dict(hint)), None)
    return None


def fetch_matches(
    docs: dict[Hashable, bytes], owners: Iterable[Hashable], predicate: Callable[[dict], bool], stats: Stats
) -> Iterator[tuple[bytes, dict]]:
    """``(raw, decoded)`` of the stored documents ``owners`` names that pass ``predicate``: a key examined
    per owner, a document examined per one still stored (geo plans and scans alike)."""
    for hk in owners:
        stats.keys_examined += 1
        raw = docs.get(hk)
        if raw is None:
            continue
        stats.docs_examined += 1
        doc = decode_document(raw)
        if predicate(doc):
            stats.n_returned += 1
            yield raw, doc
