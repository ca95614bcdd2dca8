"""Output stages: $out (replace a collection atomically) and $merge (upsert after-images by key)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from bson.objectid import ObjectId

from docdb.engine.aggregation.pipeline import StageContext, StageFn, compile_pipeline, register_stage
from docdb.engine.bson_order import hash_key
from docdb.engine.expressions.core import MISSING, Scope, Variables, compile_node, type_name
from docdb.engine.paths import get_path
from docdb.errors import ErrorCode, MongoError


def _with_id(doc: dict) -> dict:
    if "_id" in doc:
        return doc
    return {"_id": ObjectId(), **doc}


def _target(stage: str, value: Any, sctx: StageContext, field: str) -> tuple[str, str]:
    if isinstance(value, str):
        coll, db = value, sctx.ctx.db
    elif isinstance(value, dict):
        for key in value:
            if key not in ("db", "coll"):
                raise MongoError(40415, f"BSON field '{stage}.{field}.{key}' is an unknown field.")
        coll, db = value.get("coll"), value.get("db", sctx.ctx.db)
        if not isinstance(coll, str) or not isinstance(db, str):
            raise MongoError(
                ErrorCode.TypeMismatch,
                f"BSON field '{stage}.{field}.coll' is the wrong type, expected type 'string'",
            )
    else:
        raise MongoError(
            ErrorCode.TypeMismatch if stage == "$merge" else 16990,
            f"{stage} only supports a string or object argument, but found {type_name(value)}",
        )
    if not coll:
        raise MongoError(ErrorCode.InvalidNamespace, f"Invalid {stage} target namespace: '{db}.{coll}'")
    if coll.startswith("system.") or "$" in coll or "\0" in coll:
        raise MongoError(ErrorCode.InvalidNamespace, f"Invalid {stage} target namespace: '{db}.{coll}'")
    return db, coll


@register_stage("$out")
def _out(spec: Any, sctx: StageContext) -> StageFn:
    if isinstance(spec, dict) and "timeseries" in spec:
        raise MongoError(
            ErrorCode.NotImplemented, "$out to a time-series collection is not supported by this server"
        )
    db, coll = _target("$out", spec, sctx, "out")
    ctx = sctx.ctx

    def run(docs: Iterable[dict], v: Variables) -> Iterator[dict]:
        out = [_with_id(doc) for doc in docs]
        seen: set = set()
        for doc in out:
            key = hash_key(doc["_id"])
            if key in seen:
                raise MongoError(
                    ErrorCode.DuplicateKey,
                    f"E11000 duplicate key error collection: {db}.{coll} index: _id_ dup key: "
                    f"{{ _id: {doc['_id']!r} }}",
                    keyPattern={"_id": 1},
                    keyValue={"_id": doc["_id"]},
                )
            seen.add(key)
        ctx.write_documents(db, coll, out, replace_all=True)
        return iter(())

    return run


_WHEN_MATCHED = ("replace", "keepExisting", "merge", "fail")
_WHEN_NOT_MATCHED = ("insert", "discard", "fail")


@register_stage("$merge")
def _merge(spec: Any, sctx: StageContext) -> StageFn:
    if isinstance(spec, str):
        spec = {"into": spec}
    if not isinstance(spec, dict):
        raise MongoError(
            ErrorCode.TypeMismatch,
            f"$merge only supports a string or object argument, but found {type_name(spec)}",
        )
    for key in spec:
        if key not in ("into", "on", "let", "whenMatched", "whenNotMatched"):
            raise MongoError(40415, f"BSON field '$merge.{key}' is an unknown field.")
    if "into" not in spec:
        raise MongoError(40414, "BSON field '$merge.into' is missing but a required field")
    db, coll = _target("$merge", spec["into"], sctx, "into")
    on = spec.get("on", "_id")
    on_fields = [on] if isinstance(on, str) else on
    if not isinstance(on_fields, list) or not on_fields or not all(isinstance(f, str) for f in on_fields):
        raise MongoError(
            51186,
            "$merge 'on' field must be either a string or an array of strings, but found " + type_name(on),
        )
    if len(set(on_fields)) != len(on_fields):
        raise MongoError(31465, "Found a duplicate field in the $merge 'on' list")
    when_matched = spec.get("whenMatched", "merge")
    when_not = spec.get("whenNotMatched", "insert")
    if isinstance(when_matched, str) and when_matched not in _WHEN_MATCHED:
        raise MongoError(
            ErrorCode.BadValue,
            f"Enumeration value '{when_matched}' for field '$merge.whenMatched' is not a valid value.",
        )
    if when_not not in _WHEN_NOT_MATCHED:
        raise MongoError(
            ErrorCode.BadValue,
            f"Enumeration value '{when_not}' for field '$merge.whenNotMatched' is not a valid value.",
        )
    let_spec = spec.get("let")
    if let_spec is not None and not isinstance(when_matched, list):
        raise MongoError(
            51199, "Cannot use 'let' variables with 'whenMatched: " + str(when_matched) + "' mode"
        )
    update_pipeline = None
    let_fns: list = []
    if isinstance(when_matched, list):
        let_spec = {"new": "$$ROOT"} if let_spec is None else let_spec
        let_fns = [(name, compile_node(value, sctx.scope)) for name, value in let_spec.items()]
        scope = Scope(None if sctx.scope.names is None else sctx.scope.names | frozenset(let_spec))
        update_pipeline = _compile_update_pipeline(when_matched, sctx, scope)
    elif not isinstance(when_matched, str):
        raise MongoError(51191, "whenMatched must be a string or an update pipeline")
    ctx = sctx.ctx

    def key_of(doc: dict) -> Any:
        values = []
        for field in on_fields:
            value = get_path(doc, field)
            if value is MISSING or isinstance(value, list):
                raise MongoError(
                    51132, f"$merge write error: 'on' field '{field}' cannot be missing, null or an array"
                )
            values.append(hash_key(value))
        return tuple(values)

    def run(docs: Iterable[dict], v: Variables) -> Iterator[dict]:
        existing = {}
        for doc in ctx.scan(db, coll):
            try:
                existing[key_of(doc)] = doc
            except MongoError:
                continue
        writes: dict = {}
        for doc in docs:
            if on_fields == ["_id"]:
                doc = _with_id(doc)
            key = key_of(doc)
            target = writes.get(key, existing.get(key))
            if target is None:
                if when_not == "insert":
                    writes[key] = _with_id(doc)
                elif when_not == "fail":
                    raise MongoError(
                        ErrorCode.MergeStageNoMatchingDocument,
                        "$merge could not find a matching document in the target collection for at least one "
                        "document in the source collection",
                    )
                continue
            if when_matched == "fail":
                raise MongoError(
                    ErrorCode.DuplicateKey,
                    f"E11000 duplicate key error collection: {db}.{coll} index: _id_ dup key",
                    keyPattern={f: 1 for f in on_fields},
                )
            if when_matched == "keepExisting":
                continue
            if when_matched == "replace":
                new = {"_id": target["_id"], **{k: val for k, val in doc.items() if k != "_id"}}
            elif when_matched == "merge":
                new = {**target, **{k: val for k, val in doc.items() if k != "_id"}}
            else:
                local = v.with_root(doc)
                bound = v.bind({name: fn(doc, local) for name, fn in let_fns})
                results = list(update_pipeline.run([target], bound))
                new = results[0] if results else target
                new = {"_id": target["_id"], **{k: val for k, val in new.items() if k != "_id"}}
            writes[key] = new
        if writes:
            ctx.write_documents(db, coll, list(writes.values()), replace_all=False)
        return iter(())

    return run


_UPDATE_STAGES = ("$addFields", "$set", "$project", "$unset", "$replaceRoot", "$replaceWith")


def _compile_update_pipeline(pipeline: list, sctx: StageContext, scope: Scope) -> Any:
    for stage in pipeline:
        name = next(iter(stage)) if isinstance(stage, dict) and stage else None
        if name not in _UPDATE_STAGES:
            raise MongoError(
                ErrorCode.InvalidOptions,
                f"{name} is not allowed to be used within an update",
            )
    return compile_pipeline(pipeline, sctx.ctx, scope=scope, in_lookup=True)
