"""Row-by-row stages: $match $project $addFields/$set $unset $replaceRoot/$replaceWith $limit $skip $count
$sort $sample $unwind $redact $documents."""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator
from typing import Any

from bson.int64 import Int64

from docdb.engine.aggregation.pipeline import StageContext, StageFn, register_stage
from docdb.engine.aggregation.shaping import AddFields, Projection
from docdb.engine.aggregation.sorting import compile_sort_key
from docdb.engine.dbref import is_dollar_path_part
from docdb.engine.expressions.core import MISSING, Variables, compile_node, show, type_name
from docdb.engine.expressions.numeric import as_int, num_kind
from docdb.engine.js.where import where_forbidden
from docdb.engine.matcher import compile_filter, compile_filter_scoped
from docdb.engine.text.meta import with_score_of
from docdb.engine.text.search import split_text_filter
from docdb.errors import ErrorCode, MongoError


@register_stage("$match")
def _match(spec: Any, sctx: StageContext) -> StageFn:
    """With no variables in scope the shared matcher runs as is; otherwise (command ``let``, a ``$lookup``
    pipeline's ``let``) it reads the run's current values, wherever ``$expr`` sits in the filter."""
    if not isinstance(spec, dict):
        raise MongoError(15959, "the match filter must be an expression in an object")
    with where_forbidden():
        return _compile_match(spec, sctx)


def _compile_match(spec: dict, sctx: StageContext) -> StageFn:
    text = split_text_filter(spec)
    if text is not None:
        if not sctx.is_first:
            raise MongoError(17313, "$match with $text is only allowed as the first pipeline stage")
        if sctx.in_facet or sctx.in_lookup:
            raise MongoError(ErrorCode.NotImplemented, "$text in a sub-pipeline is not supported by docdb")
        # The pipeline's first $match runs as the find that feeds the pipeline (reads.split_cursor_prefix,
        # which plans $text); here only the rest of the filter is checked.
        spec = text[1]
    if not sctx.scope.names:
        predicate = compile_filter(spec)
        return lambda docs, v: filter(predicate, docs)
    match = compile_filter_scoped(spec, sctx.scope.names)

    def run(docs: Iterable[dict], v: Variables) -> Iterator[dict]:
        for doc in docs:
            if match(doc, v):
                yield doc

    return run


def _per_document(apply: Any) -> StageFn:
    def run(docs: Iterable[dict], v: Variables) -> Iterator[dict]:
        local = v.with_root(None)
        for doc in docs:
            local.root = doc
            yield with_score_of(doc, apply(doc, local))

    return run


@register_stage("$project")
def _project(spec: Any, sctx: StageContext) -> StageFn:
    return _per_document(Projection(spec, sctx.scope).apply)


def _add_fields(stage: str) -> None:
    @register_stage(stage)
    def compile_add(spec: Any, sctx: StageContext) -> StageFn:
        return _per_document(AddFields(spec, sctx.scope, stage).apply)


_add_fields("$addFields")
_add_fields("$set")


@register_stage("$unset")
def _unset(spec: Any, sctx: StageContext) -> StageFn:
    fields = [spec] if isinstance(spec, str) else spec
    if not isinstance(fields, list) or not fields:
        raise MongoError(31002, "$unset specification must be a string or an array with at least one field")
    for field in fields:
        if not isinstance(field, str):
            raise MongoError(
                31120, "$unset specification must be a string or an array containing only string values"
            )
    return _per_document(Projection({field: 0 for field in fields}, sctx.scope, "$unset").apply)


def _replace(new_root: Any, sctx: StageContext) -> StageFn:
    fn = compile_node(new_root, sctx.scope)

    def apply(doc: dict, v: Variables) -> dict:
        value = fn(doc, v)
        if not isinstance(value, dict):
            shown = "missing" if value is MISSING else show(value)
            raise MongoError(
                40228,
                "'newRoot' expression must evaluate to an object, but resulting value was: "
                f"{shown}. Type of resulting "
                f"value: '{type_name(value)}'. Input document: {show(doc)}",
            )
        return value

    return _per_document(apply)


@register_stage("$replaceRoot")
def _replace_root(spec: Any, sctx: StageContext) -> StageFn:
    if not isinstance(spec, dict):
        raise MongoError(
            40229, f"expected an object as specification for $replaceRoot stage, got {type_name(spec)}"
        )
    for key in spec:
        if key != "newRoot":
            raise MongoError(40415, f"BSON field '$replaceRoot.{key}' is an unknown field.")
    if "newRoot" not in spec:
        raise MongoError(40231, "no newRoot specified for the $replaceRoot stage")
    return _replace(spec["newRoot"], sctx)


@register_stage("$replaceWith")
def _replace_with(spec: Any, sctx: StageContext) -> StageFn:
    return _replace(spec, sctx)


@register_stage("$limit")
def _limit(spec: Any, sctx: StageContext) -> StageFn:
    if num_kind(spec) < 0:
        raise MongoError(15957, "the limit must be specified as a number")
    limit = as_int(spec)
    if limit is None:
        raise MongoError(15957, "the limit must be specified as a number")
    if limit <= 0:
        raise MongoError(15958, "the limit must be positive")

    def run(docs: Iterable[dict], v: Variables) -> Iterator[dict]:
        if limit <= 0:
            return
        for count, doc in enumerate(docs, 1):
            yield doc
            if count >= limit:
                return

    return run


@register_stage("$skip")
def _skip(spec: Any, sctx: StageContext) -> StageFn:
    if num_kind(spec) < 0:
        raise MongoError(15972, "Argument to $skip must be a number")
    skip = as_int(spec)
    if skip is None:
        raise MongoError(15972, "Argument to $skip must be a number")
    if skip < 0:
        raise MongoError(15956, "Argument to $skip cannot be negative")

    def run(docs: Iterable[dict], v: Variables) -> Iterator[dict]:
        iterator = iter(docs)
        for _ in range(skip):
            if next(iterator, MISSING) is MISSING:
                return
        yield from iterator

    return run


@register_stage("$count")
def _count(spec: Any, sctx: StageContext) -> StageFn:
    if not isinstance(spec, str) or not spec:
        raise MongoError(40156, "the count field must be a non-empty string")
    if spec.startswith("$"):
        raise MongoError(40158, "the count field cannot be a $-prefixed path")
    if "." in spec:
        raise MongoError(40160, "the count field cannot contain '.'")

    def run(docs: Iterable[dict], v: Variables) -> Iterator[dict]:
        total = sum(1 for _ in docs)
        if total:
            yield {spec: total}

    return run


@register_stage("$sort")
def _sort(spec: Any, sctx: StageContext) -> StageFn:
    key = compile_sort_key(spec)
    return lambda docs, v: iter(sorted(docs, key=key))


@register_stage("$sample")
def _sample(spec: Any, sctx: StageContext) -> StageFn:
    if not isinstance(spec, dict):
        raise MongoError(28745, "the $sample stage specification must be an object")
    for key in spec:
        if key != "size":
            raise MongoError(28748, f"unrecognized option to $sample: {key}")
    if "size" not in spec:
        raise MongoError(28749, "$sample stage must specify a size")
    size = spec["size"]
    if num_kind(size) < 0:
        raise MongoError(28746, "size argument to $sample must be a number")
    count = as_int(size) if as_int(size) is not None else int(float(size))
    if count < 0:
        raise MongoError(28747, "size argument to $sample must not be negative")

    def run(docs: Iterable[dict], v: Variables) -> Iterator[dict]:
        pool = list(docs)
        return iter(random.sample(pool, min(count, len(pool))))

    return run


@register_stage("$unwind")
def _unwind(spec: Any, sctx: StageContext) -> StageFn:
    index_field = None
    preserve = False
    if isinstance(spec, str):
        path = spec
    elif isinstance(spec, dict):
        path = spec.get("path")
        for key, value in spec.items():
            if key == "path":
                if not isinstance(value, str):
                    raise MongoError(
                        28808, f"expected a string as the path for $unwind stage, got {type_name(value)}"
                    )
            elif key == "includeArrayIndex":
                if not isinstance(value, str) or not value:
                    raise MongoError(
                        28810,
                        "expected a non-empty string for the includeArrayIndex option to "
                        f"$unwind stage, got {type_name(value)}",
                    )
                if value.startswith("$"):
                    raise MongoError(
                        28822,
                        "includeArrayIndex option to $unwind stage should not be prefixed "
                        f"with a '$': {value}",
                    )
                index_field = value
            elif key == "preserveNullAndEmptyArrays":
                if not isinstance(value, bool):
                    raise MongoError(
                        28809,
                        "expected a boolean for the preserveNullAndEmptyArrays option to "
                        f"$unwind stage, got {type_name(value)}",
                    )
                preserve = value
            else:
                raise MongoError(28811, f"unrecognized option to $unwind stage: {key}")
        if path is None:
            raise MongoError(28812, "no path specified to $unwind stage")
    else:
        raise MongoError(
            15981,
            "expected either a string or an object as specification for $unwind stage, got "
            f"{type_name(spec)}",
        )
    if not path.startswith("$"):
        raise MongoError(28818, f"path option to $unwind stage should be prefixed with a '$': {path}")
    parts = path[1:].split(".")
    if any(not p or is_dollar_path_part(p) for p in parts):
        raise MongoError(
            16410, "FieldPath field names may not start with '$'. Consider using $getField or $setField."
        )
    index_parts = index_field.split(".") if index_field else None

    def run(docs: Iterable[dict], v: Variables) -> Iterator[dict]:
        for doc in docs:
            value = _get(doc, parts)
            if isinstance(value, list) and value:
                for i, item in enumerate(value):
                    out = _with(doc, parts, item)
                    if index_parts:
                        out = _with(out, index_parts, Int64(i))
                    yield out
            elif isinstance(value, list) or value is None or value is MISSING:
                if preserve:
                    out = _with(doc, parts, MISSING) if isinstance(value, list) else doc
                    yield _with(out, index_parts, None) if index_parts else out
            else:
                yield _with(doc, index_parts, None) if index_parts else doc

    return run


def _get(doc: Any, parts: list[str]) -> Any:
    for part in parts:
        if not isinstance(doc, dict):
            return MISSING
        doc = doc.get(part, MISSING)
    return doc


def _with(doc: dict, parts: list[str], value: Any) -> dict:
    """A copy of ``doc`` with ``parts`` set to ``value`` (MISSING removes it); copies only the spine."""
    out = dict(doc)
    head = parts[0]
    if len(parts) == 1:
        if value is MISSING:
            out.pop(head, None)
        else:
            out[head] = value
        return out
    child = out.get(head)
    out[head] = _with(child if isinstance(child, dict) else {}, parts[1:], value)
    return out


@register_stage("$redact")
def _redact(spec: Any, sctx: StageContext) -> StageFn:
    fn = compile_node(spec, sctx.scope)

    def visit(doc: dict, v: Variables) -> dict | None:
        decision = fn(doc, v)
        if decision == "keep":
            return doc
        if decision == "prune":
            return None
        if decision != "descend":
            raise MongoError(
                17053,
                "$redact's expression should not return anything aside from the variables "
                "$$KEEP, $$DESCEND, and "
                f"$$PRUNE, but returned {show(decision) if decision is not MISSING else 'missing'}",
            )
        out = {}
        for key, value in doc.items():
            if isinstance(value, dict):
                sub = visit(value, v)
                if sub is not None:
                    out[key] = sub
            elif isinstance(value, list):
                out[key] = [
                    x for x in (visit(i, v) if isinstance(i, dict) else i for i in value) if x is not None
                ]
            else:
                out[key] = value
        return out

    def run(docs: Iterable[dict], v: Variables) -> Iterator[dict]:
        local = v.with_root(None)
        for doc in docs:
            local.root = doc
            result = visit(doc, local)
            if result is not None:
                yield result

    return run


@register_stage("$documents")
def _documents(spec: Any, sctx: StageContext) -> StageFn:
    if not sctx.is_collectionless and not sctx.in_lookup:
        raise MongoError(
            ErrorCode.InvalidNamespace,
            "$documents' is not allowed in user requests: use { aggregate: 1 } instead",
        )
    fn = compile_node(spec, sctx.scope)

    def run(docs: Iterable[dict], v: Variables) -> Iterator[dict]:
        value = fn({}, v.with_root({}))
        if not isinstance(value, list):
            raise MongoError(5858203, f"an array is expected, got: {type_name(value)}")
        for item in value:
            if not isinstance(item, dict):
                raise MongoError(ErrorCode.TypeMismatch, f"Expected document, got {type_name(item)}")
            yield item

    return run
