"""``$geoWithin`` (and its old name ``$within``) and ``$geoIntersects`` as element tests for the matcher.

The query's shape is parsed once, with mongod's errors (BadValue); each stored value is parsed when
tested and a value that is no location simply does not match. Neither operator needs an index.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from docdb.engine.geo.predicates import atoms_intersect, atoms_within
from docdb.engine.geo.shapes import (
    Atom,
    GeoError,
    Polygon,
    Region,
    flat_point,
    is_legacy,
    is_number,
    legacy_point,
    number,
    parse_geojson,
    parse_stored,
    sphere_point,
)
from docdb.engine.key_format import format_value
from docdb.errors import ErrorCode, MongoError

_SPECIFIERS = ("$box", "$center", "$polygon", "$centerSphere", "$geometry")


def _bad(message: str) -> MongoError:
    return MongoError(ErrorCode.BadValue, message)


def stored_atoms(value: Any) -> list[Atom] | None:
    """The atoms of a stored value, or None when it is no location (legacy pairs keep out-of-range
    coordinates: they still match flat shapes)."""
    try:
        if is_legacy(value) and not (isinstance(value, list) and value and isinstance(value[0], list)):
            return [legacy_point(value, True)]
        return parse_stored(value)
    except GeoError:
        return None


def geo_test(op: str, arg: Any) -> Callable[[Any], bool]:
    """The element test of ``{op: arg}``; raises BadValue as mongod does for a bad query shape."""
    whole = {op: arg}
    if not isinstance(arg, dict):
        raise _bad("geometry must be an object")
    spec_items = [(k, v) for k, v in arg.items() if k != "$uniqueDocs"]
    if not spec_items:
        raise _bad("geo query doesn't have any geometry")
    name, value = spec_items[-1]
    if name not in _SPECIFIERS or not isinstance(value, (dict, list)):
        raise _bad(f"unknown geo specifier: {name}: {format_value(value)}")
    if op == "$geoIntersects":
        if name != "$geometry":
            raise _bad(f"$geoIntersect not supported with provided geometry: {format_value(whole)}")
        query = _geometry(value, allow_big=True)

        def intersects(stored: Any) -> bool:
            atoms = stored_atoms(stored)
            return atoms is not None and atoms_intersect(atoms, query)

        return intersects
    region = parse_region(name, value, whole)

    def within(stored: Any) -> bool:
        atoms = stored_atoms(stored)
        return atoms is not None and atoms_within(atoms, region)

    return within


def _geometry(value: Any, allow_big: bool) -> list[Atom]:
    if not isinstance(value, dict):
        raise _bad(f"unknown GeoJSON type: {format_value(value)}")
    try:
        return parse_geojson(value, allow_big=allow_big)
    except GeoError as exc:
        raise _bad(exc.reason) from None


def parse_region(name: str, value: Any, whole: dict) -> Region:
    """The region of a ``$geoWithin`` specifier."""
    try:
        return _region(name, value, whole)
    except GeoError as exc:
        raise _bad(exc.reason) from None


def _region(name: str, value: Any, whole: dict) -> Region:
    items = list(value.values()) if isinstance(value, dict) else list(value)
    if name == "$geometry":
        atoms = _geometry(value, allow_big=True)
        if (
            not atoms
            or not all(isinstance(a, Polygon) for a in atoms)
            or value.get("type")
            not in (
                "Polygon",
                "MultiPolygon",
            )
        ):
            raise _bad(f"$geoWithin not supported with provided geometry: {format_value(whole)}")
        return Region("polygons", polygons=atoms)  # type: ignore[arg-type]
    if name == "$box":
        a = flat_point(items[0] if items else None)
        b = flat_point(items[1] if len(items) > 1 else None)
        x1, x2 = sorted((a[0], b[0]))
        y1, y2 = sorted((a[1], b[1]))
        return Region("box", numbers=(x1, y1, x2, y2))
    if name == "$polygon":
        vertices = [flat_point(item) for item in items]
        if len(vertices) < 3:
            raise GeoError(f"Polygon must have at least 3 points, instead got {len(vertices)} vertices")
        return Region("fpolygon", flat_vertices=vertices)
    center = flat_point(items[0] if items else None)
    radius = items[1] if len(items) > 1 else None
    if not is_number(radius) or not number(radius) >= 0:
        raise GeoError(f"Radius must be a non-negative number: {format_value(radius)}")
    if len(items) > 2:
        raise GeoError("Only 2 fields allowed for circular region, but more were provided")
    if name == "$center":
        return Region("circle", numbers=(center[0], center[1], number(radius)))
    return Region("cap", center=sphere_point(*center), numbers=(number(radius),))
