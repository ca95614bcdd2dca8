"""The ``$geoNear`` aggregation stage: mongod 7.0 turns it into a ``$near``/``$nearSphere`` query on the
geo index's field (``$nearSphere`` when ``spherical``), merged with ``query``; so does this stage, and
then it writes each document's distance (times ``distanceMultiplier``) to ``distanceField`` and, with
``includeLocs``, the location that distance was measured to.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Iterable, Iterator
from typing import Any

from docdb.bson_codec import decode_document
from docdb.engine.aggregation.pipeline import StageContext, StageFn, register_stage
from docdb.engine.expressions import Variables, compile_expression
from docdb.engine.geo.index import GeoIndex, values_along
from docdb.engine.geo.match import stored_atoms
from docdb.engine.geo.near import choose_index, parse_near, stream
from docdb.engine.geo.predicates import sphere_distance
from docdb.engine.geo.shapes import Point, is_number, number
from docdb.engine.matcher import compile_filter
from docdb.engine.paths import set_path
from docdb.engine.query.types import type_name
from docdb.errors import ErrorCode, MongoError

_USE_LIMIT = "Use a $limit stage instead."


def _check_options(spec: dict[str, Any]) -> None:
    if "collation" in spec:
        raise MongoError(
            40227,
            "$geoNear does not accept the 'collation' parameter. Instead, specify a collation for the "
            "entire aggregation command.",
        )
    if "limit" in spec:
        raise MongoError(50858, f"$geoNear no longer supports the 'limit' parameter. {_USE_LIMIT}")
    if "num" in spec:
        raise MongoError(50857, f"$geoNear no longer supports the 'num' parameter. {_USE_LIMIT}")
    if "start" in spec:
        raise MongoError(50856, "$geoNear no longer supports the 'start' argument.")
    if "near" not in spec:
        raise MongoError(5860400, "$geoNear requires a 'near' argument")
    if not isinstance(spec.get("distanceField"), str):
        raise MongoError(16606, "$geoNear requires a 'distanceField' option as a String")
    for name in ("maxDistance", "minDistance", "distanceMultiplier"):
        if name in spec:
            if not is_number(spec[name]):
                raise MongoError(ErrorCode.TypeMismatch, f"{name} must be a number")
            if number(spec[name]) < 0:
                raise MongoError(ErrorCode.BadValue, f"{name} must be nonnegative")
    if "query" in spec and not isinstance(spec["query"], dict):
        raise MongoError(ErrorCode.TypeMismatch, "query must be an object")
    if "includeLocs" in spec and not isinstance(spec["includeLocs"], str):
        raise MongoError(16607, "$geoNear requires that 'includeLocs' option is a String")
    if "key" in spec:
        key = spec["key"]
        if not isinstance(key, str):
            raise MongoError(
                ErrorCode.TypeMismatch,
                f"$geoNear parameter 'key' must be of type string but found type: {type_name(key)}",
            )
        if not key:
            raise MongoError(ErrorCode.BadValue, "$geoNear parameter 'key' cannot be the empty string")


@register_stage("$geoNear")
def _geo_near(spec: Any, sctx: StageContext) -> StageFn:
    if not isinstance(spec, dict):
        raise MongoError(10065, "invalid parameter: expected an object ($geoNear)")
    if sctx.in_facet:
        raise MongoError(40600, "$geoNear is not allowed to be used within a $facet stage")
    if not sctx.is_first:
        raise MongoError(40602, "$geoNear is only valid as the first stage in a pipeline.")
    _check_options(spec)
    near = compile_expression(spec["near"], allow_vars=sctx.scope.names)
    query_filter = spec.get("query", {})
    predicate = compile_filter(query_filter)
    ctx = sctx.ctx
    catalog = getattr(ctx, "catalog", None)

    def run(docs: Iterable[dict], variables: Variables) -> Iterator[dict]:
        coll = catalog.collection(ctx.db, ctx.collection) if catalog is not None and ctx.collection else None
        point = near(None, variables)
        if not isinstance(point, (dict, list)):
            raise MongoError(
                5860401, "$geoNear requires near argument to be a GeoJSON object or a legacy point(array)"
            )
        if coll is None:
            return
        key = spec.get("key") or _default_key(coll)
        op = "$nearSphere" if spec.get("spherical") else "$near"
        ops: dict[str, Any] = {op: point}
        if "minDistance" in spec:
            ops["$minDistance"] = spec["minDistance"]
        if "maxDistance" in spec:
            ops["$maxDistance"] = spec["maxDistance"]
        query = parse_near(op, ops)
        index = choose_index(coll, key, query)
        if not index.built:
            coll.build_index(index)
        multiplier = number(spec.get("distanceMultiplier", 1))
        for distance, hk in stream(index, query):
            raw = coll.docs.get(hk)
            if raw is None:
                continue
            doc = decode_document(raw)
            if not predicate(doc):
                continue
            out = copy.deepcopy(doc)
            set_path(out, spec["distanceField"], distance * multiplier)
            if "includeLocs" in spec:
                set_path(out, spec["includeLocs"], _closest_location(doc, index, query))
            yield out

    return run


def _default_key(coll: Any) -> str:
    """The geo field to use without ``key``: the one 2d index's, else the one 2dsphere index's."""
    geo = [i for i in coll.indexes.values() if isinstance(i, GeoIndex)]
    flat = [i for i in geo if not i.spherical]
    sphere = [i for i in geo if i.spherical]
    if len(flat) > 1:
        raise MongoError(ErrorCode.IndexNotFound, "more than one 2d index, not sure which to run geoNear on")
    if flat:
        return flat[0].geo_field
    if len(sphere) > 1:
        raise MongoError(
            ErrorCode.IndexNotFound, "more than one 2dsphere index, not sure which to run geoNear on"
        )
    if sphere:
        return sphere[0].geo_field
    raise MongoError(ErrorCode.IndexNotFound, "$geoNear requires a 2d or 2dsphere index, but none were found")


def _closest_location(doc: dict, index: GeoIndex, query: Any) -> Any:
    """The stored location the distance was measured to (one point of an array of legacy pairs)."""
    candidates: list[Any] = []
    for value in values_along(doc, index.parts):
        if isinstance(value, list) and value and isinstance(value[0], (list, dict)) and not index.spherical:
            candidates.extend(value)
        else:
            candidates.append(value)
    best, best_d = None, math.inf
    q = query.vec if query.spherical or index.spherical else None
    for value in candidates:
        atoms = stored_atoms(value)
        if not atoms:
            continue
        if q is None:
            d = min(math.hypot(a.x - query.x, a.y - query.y) for a in atoms if isinstance(a, Point))
        else:
            d = min(sphere_distance(a, q) for a in atoms)
        if d < best_d:
            best, best_d = value, d
    return best
