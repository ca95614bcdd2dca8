"""Stages that read other collections or sub-pipelines: $lookup, $graphLookup, $unionWith, $facet."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from docdb.engine.aggregation.pipeline import StageContext, StageFn, compile_pipeline, register_stage
from docdb.engine.bson_order import hash_key
from docdb.engine.collation import active
from docdb.engine.expressions.core import (
    MISSING,
    Variables,
    check_variable_name,
    compile_node,
    type_name,
)
from docdb.engine.matcher import compile_filter
from docdb.engine.paths import lookup_values
from docdb.errors import ErrorCode, MongoError


def _set_field(doc: dict, path: str, value: Any) -> dict:
    """A copy of ``doc`` with dotted ``path`` set (intermediate non-documents are replaced)."""
    out = dict(doc)
    head, _, rest = path.partition(".")
    if not rest:
        out[head] = value
        return out
    child = out.get(head)
    out[head] = _set_field(child if isinstance(child, dict) else {}, rest, value)
    return out


def _local_keys(doc: dict, path: str, hash_key: Callable[[Any], Any] = hash_key) -> list:
    """hash keys of a $lookup localField: each array element (and the array), missing/empty as null;
    ``hash_key`` is the operation collator's."""
    values = [v for v in lookup_values(doc, path) if v is not MISSING]
    if not values:
        return [hash_key(None)]
    keys = []
    for value in values:
        keys.append(hash_key(value))
        if isinstance(value, list) and not value:
            keys.append(hash_key(None))
    return keys


def _foreign_keys(doc: dict, path: str, hash_key: Callable[[Any], Any] = hash_key) -> set:
    values = lookup_values(doc, path)
    keys = {hash_key(v) for v in values if v is not MISSING}
    if any(v is MISSING for v in values) or not values:
        keys.add(hash_key(None))
    return keys


def _index_by(docs: Iterable[dict], path: str, hash_key: Callable[[Any], Any] = hash_key) -> dict:
    index: dict = {}
    for position, doc in enumerate(docs):
        for key in _foreign_keys(doc, path, hash_key):
            index.setdefault(key, []).append((position, doc))
    return index


def _namespace(stage: str, value: Any, sctx: StageContext) -> tuple[str, str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return sctx.ctx.db, value
    if isinstance(value, dict) and set(value) == {"db", "coll"}:
        return value["db"], value["coll"]
    raise MongoError(
        ErrorCode.FailedToParse,
        f"{stage} 'from' field must be a string or an object with 'db' and 'coll', got {type_name(value)}",
    )


@register_stage("$lookup")
def _lookup(spec: Any, sctx: StageContext) -> StageFn:
    if not isinstance(spec, dict):
        raise MongoError(
            ErrorCode.FailedToParse,
            f"the $lookup stage specification must be an object, but found {type_name(spec)}",
        )
    for key in spec:
        if key not in ("from", "as", "localField", "foreignField", "let", "pipeline"):
            raise MongoError(ErrorCode.FailedToParse, f"unknown argument to $lookup: {key}")
    for key in ("from", "as", "localField", "foreignField"):
        if key in spec and not isinstance(spec[key], str) and key != "from":
            raise MongoError(
                ErrorCode.FailedToParse,
                f"$lookup argument '{key}: {spec[key]!r}' must be a string, is type {type_name(spec[key])}",
            )
    if "as" not in spec:
        raise MongoError(ErrorCode.FailedToParse, "must specify 'as' field for a $lookup")
    has_local, has_foreign = "localField" in spec, "foreignField" in spec
    if has_local != has_foreign:
        raise MongoError(
            ErrorCode.FailedToParse,
            "$lookup requires both or neither of 'localField' and 'foreignField' to be specified",
        )
    if "pipeline" not in spec and not has_local:
        raise MongoError(
            ErrorCode.FailedToParse,
            "$lookup requires either 'pipeline' or both 'localField' and 'foreignField' to be specified",
        )
    if "let" in spec and "pipeline" not in spec:
        raise MongoError(
            ErrorCode.FailedToParse, "$lookup with a 'let' argument must also specify 'pipeline'"
        )
    namespace = _namespace("$lookup", spec.get("from"), sctx)
    sub_spec = spec.get("pipeline")
    if namespace is None and sub_spec is None:
        raise MongoError(ErrorCode.FailedToParse, "must specify 'pipeline' when 'from' is empty")
    if namespace is None and not (
        isinstance(sub_spec, list)
        and sub_spec
        and isinstance(sub_spec[0], dict)
        and "$documents" in sub_spec[0]
    ):
        raise MongoError(
            ErrorCode.FailedToParse,
            "$lookup stage without explicit collection must have a pipeline with $documents as first stage",
        )
    as_field = spec["as"]
    local, foreign = spec.get("localField"), spec.get("foreignField")
    let_spec = spec.get("let", {})
    if not isinstance(let_spec, dict):
        raise MongoError(ErrorCode.FailedToParse, "$lookup argument 'let' must be an object")
    let = []
    for name, value in let_spec.items():
        check_variable_name(name)
        let.append((name, compile_node(value, sctx.scope)))
    sub = None
    if sub_spec is not None:
        if not isinstance(sub_spec, list):
            raise MongoError(ErrorCode.FailedToParse, "$lookup argument 'pipeline' must be an array")
        scope = sctx.scope.bind(*(name for name, _ in let))
        sub = compile_pipeline(sub_spec, sctx.ctx, scope=scope, in_lookup=True, in_facet=sctx.in_facet)
    ctx = sctx.ctx

    keyer = active().hash_key  # local and foreign values match under the operation's collation

    def run(docs: Iterable[dict], v: Variables) -> Iterator[dict]:
        foreign_docs = list(ctx.scan(*namespace)) if namespace is not None else []
        index = _index_by(foreign_docs, foreign, keyer) if local is not None else None
        local_v = v.with_root(None)
        for doc in docs:
            if index is not None:
                hits: dict = {}
                for key in _local_keys(doc, local, keyer):
                    for position, match in index.get(key, ()):
                        hits[position] = match
                candidates = [hits[p] for p in sorted(hits)]
            else:
                candidates = foreign_docs
            if sub is None:
                yield _set_field(doc, as_field, candidates)
                continue
            local_v.root = doc
            bound = v.bind({name: _nullable(fn(doc, local_v)) for name, fn in let})
            yield _set_field(doc, as_field, list(sub.run(candidates, bound)))

    return run


def _nullable(value: Any) -> Any:
    return None if value is MISSING else value


@register_stage("$unionWith")
def _union_with(spec: Any, sctx: StageContext) -> StageFn:
    if isinstance(spec, str):
        coll, sub_spec = spec, None
    elif isinstance(spec, dict):
        for key in spec:
            if key not in ("coll", "pipeline"):
                raise MongoError(40415, f"BSON field '$unionWith.{key}' is an unknown field.")
        coll, sub_spec = spec.get("coll"), spec.get("pipeline")
        if coll is None and sub_spec is None:
            raise MongoError(
                ErrorCode.FailedToParse,
                "$unionWith stage without explicit collection must have a pipeline with "
                "$documents as first stage",
            )
    else:
        raise MongoError(
            ErrorCode.FailedToParse,
            f"the $unionWith stage specification must be an object or string, but found {type_name(spec)}",
        )
    if coll is not None and not isinstance(coll, str):
        raise MongoError(
            ErrorCode.TypeMismatch, "BSON field '$unionWith.coll' is the wrong type, expected type 'string'"
        )
    sub = (
        compile_pipeline(sub_spec, sctx.ctx, scope=sctx.scope, in_lookup=True)
        if sub_spec is not None
        else None
    )
    ctx = sctx.ctx

    def run(docs: Iterable[dict], v: Variables) -> Iterator[dict]:
        yield from docs
        others = ctx.scan(ctx.db, coll) if coll is not None else []
        yield from (sub.run(others, v) if sub is not None else others)

    return run


@register_stage("$facet")
def _facet(spec: Any, sctx: StageContext) -> StageFn:
    if not isinstance(spec, dict):
        raise MongoError(15947, "the $facet specification must be a non-empty object")
    if not spec:
        raise MongoError(40169, "the $facet specification must be a non-empty object")
    facets = []
    for name, pipeline in spec.items():
        if not isinstance(pipeline, list):
            raise MongoError(
                40170, f"arguments to $facet must be arrays, {name} is type {type_name(pipeline)}"
            )
        if not pipeline:
            raise MongoError(40169, "sub-pipeline in $facet stage cannot be empty")
        for stage in pipeline:
            if isinstance(stage, dict) and len(stage) == 1:
                stage_name = next(iter(stage))
                if stage_name in (
                    "$collStats",
                    "$facet",
                    "$geoNear",
                    "$indexStats",
                    "$out",
                    "$merge",
                    "$planCacheStats",
                    "$documents",
                    "$changeStream",
                    "$search",
                ):
                    raise MongoError(40600, f"{stage_name} is not allowed to be used within a $facet stage")
        facets.append((name, compile_pipeline(pipeline, sctx.ctx, scope=sctx.scope, in_facet=True)))

    def run(docs: Iterable[dict], v: Variables) -> Iterator[dict]:
        rows = list(docs)
        yield {name: list(pipeline.run(rows, v)) for name, pipeline in facets}

    return run


@register_stage("$graphLookup")
def _graph_lookup(spec: Any, sctx: StageContext) -> StageFn:
    if not isinstance(spec, dict):
        raise MongoError(ErrorCode.FailedToParse, "the $graphLookup stage specification must be an object")
    allowed = (
        "from",
        "as",
        "startWith",
        "connectFromField",
        "connectToField",
        "maxDepth",
        "depthField",
        "restrictSearchWithMatch",
    )
    for key in spec:
        if key not in allowed:
            raise MongoError(40104, f"Unknown argument to $graphLookup: {key}")
    for key in ("from", "as", "startWith", "connectFromField", "connectToField"):
        if key not in spec:
            raise MongoError(
                40105,
                f"$graphLookup requires '{key}' to be specified"
                if key != "from"
                else "must specify 'from', 'as', 'connectFromField', 'connectToField', and 'startWith'",
            )
    for key in ("as", "connectFromField", "connectToField", "depthField"):
        if key in spec and not isinstance(spec[key], str):
            raise MongoError(40103, f"expected string as argument for {key}, found: {type_name(spec[key])}")
    max_depth = spec.get("maxDepth")
    if max_depth is not None:
        if (
            isinstance(max_depth, bool)
            or not isinstance(max_depth, (int, float))
            or int(max_depth) != max_depth
        ):
            raise MongoError(40100, f"maxDepth must be numeric, found type: {type_name(max_depth)}")
        if max_depth < 0:
            raise MongoError(40101, f"maxDepth requires a nonnegative argument, found: {max_depth}")
        max_depth = int(max_depth)
    restrict = spec.get("restrictSearchWithMatch")
    if restrict is not None and not isinstance(restrict, dict):
        raise MongoError(40185, f"restrictSearchWithMatch must be an object, found {type_name(restrict)}")
    predicate = compile_filter(restrict) if restrict else None
    namespace = _namespace("$graphLookup", spec["from"], sctx)
    start = compile_node(spec["startWith"], sctx.scope)
    from_field, to_field = spec["connectFromField"], spec["connectToField"]
    as_field, depth_field = spec["as"], spec.get("depthField")
    ctx = sctx.ctx

    def run(docs: Iterable[dict], v: Variables) -> Iterator[dict]:
        assert namespace is not None
        foreign = [d for d in ctx.scan(*namespace) if predicate is None or predicate(d)]
        index = _index_by(foreign, to_field)
        local = v.with_root(None)
        for doc in docs:
            local.root = doc
            value = start(doc, local)
            frontier = [
                hash_key(x) for x in (value if isinstance(value, list) else [value]) if x is not MISSING
            ]
            seen_values = set(frontier)
            found: dict = {}
            depth = 0
            while frontier and (max_depth is None or depth <= max_depth):
                next_frontier = []
                for key in frontier:
                    for _position, match in index.get(key, ()):
                        ident = hash_key(match.get("_id"))
                        if ident in found:
                            continue
                        found[ident] = _set_field(match, depth_field, depth) if depth_field else match
                        for connect in lookup_values(match, from_field):
                            if connect is MISSING:
                                continue
                            k = hash_key(connect)
                            if k not in seen_values:
                                seen_values.add(k)
                                next_frontier.append(k)
                frontier = next_frontier
                depth += 1
            yield _set_field(doc, as_field, list(found.values()))

    return run
