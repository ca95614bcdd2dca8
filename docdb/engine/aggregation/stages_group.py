"""Grouping stages: $group, $bucket, $sortByCount ($bucketAuto has its own module)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from docdb.engine.aggregation.accumulators import Sum, compile_accumulator
from docdb.engine.aggregation.pipeline import StageContext, StageFn, register_stage
from docdb.engine.bson_order import hash_key, type_rank
from docdb.engine.collation import active
from docdb.engine.expressions.core import (
    MISSING,
    Evaluator,
    Scope,
    Variables,
    compile_node,
    is_constant,
    type_name,
)
from docdb.errors import MongoError


class GroupSpec:
    """Compiled accumulators of a $group-like stage: field names, factories and argument evaluators."""

    def __init__(self, fields: dict, scope: Scope, stage: str = "$group") -> None:
        self.collator = active()  # group keys equal under the operation's collation are one group
        self.names: list[str] = []
        self.factories: list = []
        self.args: list[Evaluator] = []
        for name, spec in fields.items():
            if name.startswith("$"):
                raise MongoError(40236, f"The field name '{name}' cannot be an operator name")
            if "." in name:
                raise MongoError(40235, f"The field name '{name}' cannot contain '.'")
            if not isinstance(spec, dict):
                raise MongoError(40234, f"The field '{name}' must be an accumulator object")
            if len(spec) != 1:
                raise MongoError(40238, f"The field '{name}' must specify one accumulator")
            op, arg = next(iter(spec.items()))
            factory, arg_fn = compile_accumulator(op, arg, scope)
            self.names.append(name)
            self.factories.append(factory)
            self.args.append(arg_fn)
        self.keyed = any(next(iter(spec)) == "$accumulator" for spec in fields.values())

    def new_states(self, key: Any = MISSING, v: Variables | None = None) -> list:
        """A group's fresh states; those that start from the group key ($accumulator's init) start."""
        states = [factory() for factory in self.factories]
        if self.keyed:
            for state in states:
                start = getattr(state, "start_group", None)
                if start is not None:
                    start(key, v)
        return states

    def results(self, states: list) -> dict:
        return {name: state.result() for name, state in zip(self.names, states, strict=True)}


def group_documents(docs: Iterable[dict], key_fn: Evaluator, spec: GroupSpec, v: Variables) -> dict:
    """hash_key(group key) -> [key, states]; the hot loop of $group (first-seen group order)."""
    groups: dict = {}
    local = v.with_root(None)
    args = list(zip(spec.args, range(len(spec.args)), strict=True))
    key_constant = is_constant(key_fn)
    if not spec.collator.is_simple:
        return _group_collated(docs, key_fn, spec, local, args, key_constant)
    for doc in docs:
        local.root = doc
        key = key_fn(doc, local)
        if key is MISSING:
            key = None
        t = type(key)
        hk = key if t is str or t is int else (0 if key_constant else hash_key(key))
        entry = groups.get(hk)
        if entry is None:
            entry = groups[hk] = [key, spec.new_states(key, local)]
        states = entry[1]
        for arg, i in args:
            states[i].add(arg(doc, local))
    return groups


def _group_collated(
    docs: Iterable[dict], key_fn: Evaluator, spec: GroupSpec, local: Variables, args: list, key_constant: bool
) -> dict:
    """``group_documents`` under a collation: keys equal by the collator are one group."""
    groups: dict = {}
    collated = spec.collator.hash_key
    for doc in docs:
        local.root = doc
        key = key_fn(doc, local)
        if key is MISSING:
            key = None
        hk = 0 if key_constant else collated(key)
        entry = groups.get(hk)
        if entry is None:
            entry = groups[hk] = [key, spec.new_states()]
        states = entry[1]
        for arg, i in args:
            states[i].add(arg(doc, local))
    return groups


def _group_key(spec: Any, scope: Scope) -> Evaluator:
    if isinstance(spec, dict) and spec and not next(iter(spec)).startswith("$"):
        fields = [(name, compile_node(value, scope)) for name, value in spec.items()]

        def compound(doc: Any, v: Variables) -> dict:
            out = {}
            for name, fn in fields:
                value = fn(doc, v)
                out[name] = None if value is MISSING else value
            return out

        return compound
    return compile_node(spec, scope)


@register_stage("$group")
def _group(spec: Any, sctx: StageContext) -> StageFn:
    if not isinstance(spec, dict):
        raise MongoError(15947, "a group's fields must be specified in an object")
    if "_id" not in spec:
        raise MongoError(15955, "a group specification must include an _id")
    key_fn = _group_key(spec["_id"], sctx.scope)
    fields = {k: v for k, v in spec.items() if k != "_id"}
    group_spec = GroupSpec(fields, sctx.scope)

    def run(docs: Iterable[dict], v: Variables) -> Iterator[dict]:
        for key, states in group_documents(docs, key_fn, group_spec, v).values():
            yield {"_id": key, **group_spec.results(states)}

    return run


@register_stage("$sortByCount")
def _sort_by_count(spec: Any, sctx: StageContext) -> StageFn:
    if isinstance(spec, dict) and not (spec and next(iter(spec)).startswith("$")):
        raise MongoError(40147, "the sortByCount field must be defined as a $-prefixed path or an expression")
    if isinstance(spec, str) and not spec.startswith("$"):
        raise MongoError(40148, "the sortByCount field must be defined as a $-prefixed path or an expression")
    if not isinstance(spec, (str, dict)):
        raise MongoError(40149, "the sortByCount field must be specified as a string or as an object")
    key_fn = compile_node(spec, sctx.scope)
    group_spec = GroupSpec({"count": {"$sum": 1}}, sctx.scope)

    def run(docs: Iterable[dict], v: Variables) -> Iterator[dict]:
        rows = [
            {"_id": key, "count": states[0].result()}
            for key, states in group_documents(docs, key_fn, group_spec, v).values()
        ]
        rows.sort(key=lambda row: -row["count"])
        return iter(rows)

    return run


@register_stage("$bucket")
def _bucket(spec: Any, sctx: StageContext) -> StageFn:
    if not isinstance(spec, dict):
        raise MongoError(
            40201, f"Argument to $bucket stage must be an object, but found type: {type_name(spec)}."
        )
    for key in spec:
        if key not in ("groupBy", "boundaries", "default", "output"):
            raise MongoError(40197, f"Unrecognized option to $bucket: {key}.")
    if "groupBy" not in spec or "boundaries" not in spec:
        raise MongoError(40198, "$bucket requires 'groupBy' and 'boundaries' to be specified.")
    group_by = spec["groupBy"]
    if not (isinstance(group_by, str) and group_by.startswith("$")) and not isinstance(group_by, dict):
        raise MongoError(
            40202, "The $bucket 'groupBy' field must be defined as a $-prefixed path or an expression"
        )
    collator = active()  # boundaries and values compare as $bucket's $gte/$lt would: under the collation
    compare = collator.compare
    boundaries = spec["boundaries"]
    if not isinstance(boundaries, list):
        raise MongoError(
            40200,
            f"The $bucket 'boundaries' field must be an array, but found type: {type_name(boundaries)}.",
        )
    if len(boundaries) < 2:
        raise MongoError(
            40192,
            "The $bucket 'boundaries' field must have at least 2 values, but found "
            f"{len(boundaries)} value(s).",
        )
    for low, high in zip(boundaries, boundaries[1:], strict=False):
        if type_rank(low) != type_rank(high):
            raise MongoError(
                40193, "All values in the the 'boundaries' option to $bucket must have the same type."
            )
        if compare(low, high) >= 0:
            raise MongoError(40194, "The 'boundaries' option to $bucket must be sorted in ascending order")
    has_default = "default" in spec
    default = spec.get("default")
    if has_default and compare(default, boundaries[0]) >= 0 and compare(default, boundaries[-1]) < 0:
        raise MongoError(
            40199,
            "The $bucket 'default' field must be less than the lowest boundary or greater than "
            "or equal to the highest boundary.",
        )
    output = spec.get("output", {"count": {"$sum": 1}})
    if not isinstance(output, dict):
        raise MongoError(
            40196, f"The $bucket 'output' field must be an object, but found type: {type_name(output)}."
        )
    group_spec = GroupSpec(output, sctx.scope)
    value_fn = compile_node(group_by, sctx.scope)

    def key_fn(doc: Any, v: Variables) -> Any:
        value = value_fn(doc, v)
        value = None if value is MISSING else value
        if compare(value, boundaries[0]) >= 0 and compare(value, boundaries[-1]) < 0:
            for low, high in zip(boundaries, boundaries[1:], strict=False):
                if compare(value, high) < 0:
                    return low
        if not has_default:
            raise MongoError(
                40066, "$switch could not find a matching branch for an input, and no default was specified."
            )
        return default

    def run(docs: Iterable[dict], v: Variables) -> Iterator[dict]:
        groups = group_documents(docs, key_fn, group_spec, v)
        rows = []
        for low in boundaries[:-1]:
            if not collator.is_simple:
                entry = groups.pop(collator.hash_key(low), None)
            elif type(low) not in (str, int):
                entry = groups.pop(hash_key(low), None)
            else:
                entry = groups.pop(low, None)
            if entry is not None:
                rows.append({"_id": entry[0], **group_spec.results(entry[1])})
        for key, states in groups.values():
            rows.append({"_id": key, **group_spec.results(states)})
        return iter(rows)

    return run


__all__ = ["GroupSpec", "Sum", "group_documents"]
