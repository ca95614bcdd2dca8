"""compile_pipeline: validate every stage up front, then run them as a chain of generators.

A compiled stage is ``fn(docs, variables) -> Iterator[dict]``. Stages never mutate their input
documents (they may come straight from the collection), so every stage that changes a document copies it.
``variables`` carries the command's ``let`` values and a fixed ``$$NOW``; sub-pipelines ($lookup,
$facet, $unionWith) get their own bindings on top.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any, Protocol

from docdb.engine.expressions.core import Scope, Variables
from docdb.errors import ErrorCode, MongoError

StageFn = Callable[[Iterable[dict], Variables], Iterator[dict]]


class PipelineContext(Protocol):
    """What the pipeline needs from the catalog; implemented by ``engine/aggregate.py``.

    ``collection`` is the collection the pipeline reads (None for ``aggregate: 1``); ``host`` is the
    ``host:port`` that ``$collStats``/``$indexStats`` report.
    """

    db: str
    collection: str | None
    host: str
    variables: dict

    def scan(self, db: str, coll: str) -> Iterable[dict]: ...

    def write_documents(self, db: str, coll: str, docs: list[dict], *, replace_all: bool) -> None: ...

    def storage_stats(self, db: str, coll: str, scale: int) -> dict | None:
        """collStats-like counts and sizes (divided by ``scale``); None when the collection is missing."""
        ...

    def index_stats(self, db: str, coll: str) -> list[dict]:
        """Per index: ``{name, key, accesses: {ops, since}, spec}``, ``_id_`` first; [] when missing."""
        ...


class StageContext:
    """Compile-time facts a stage may need: the catalog context, variables in scope, where it sits."""

    __slots__ = ("ctx", "scope", "is_collectionless", "is_first", "in_facet", "in_lookup")

    def __init__(
        self, ctx: PipelineContext, scope: Scope, *, is_collectionless: bool, in_facet: bool, in_lookup: bool
    ):
        self.ctx = ctx
        self.scope = scope
        self.is_collectionless = is_collectionless
        self.is_first = False
        self.in_facet = in_facet
        self.in_lookup = in_lookup


StageCompiler = Callable[[Any, StageContext], StageFn]

# Stage name -> compiler; filled by the stage-family modules imported at the bottom.
STAGES: dict[str, StageCompiler] = {}
# Known stages this server does not implement (NotImplemented, 238), sorted alphabetically.
UNSUPPORTED = frozenset(
    {
        "$changeStream",
        "$changeStreamSplitLargeEvent",
        "$listSampledQueries",
        "$listSearchIndexes",
        "$planCacheStats",
        "$search",
        "$searchMeta",
        "$shardedDataDistribution",
        "$vectorSearch",
    }
)


# Stages that read no collection: the only valid first stages of ``aggregate: 1``, sorted alphabetically.
COLLECTIONLESS_SOURCES = frozenset({"$changeStream", "$currentOp", "$documents", "$listLocalSessions"})


def register_stage(name: str) -> Callable[[StageCompiler], StageCompiler]:
    def deco(fn: StageCompiler) -> StageCompiler:
        STAGES[name] = fn
        return fn

    return deco


class Pipeline:
    """A validated pipeline; ``run`` may be called many times (each run gets fresh state)."""

    def __init__(self, stages: list[StageFn], ctx: PipelineContext) -> None:
        self.stages = stages
        self.ctx = ctx

    def run(self, docs: Iterable[dict], variables: Variables | None = None) -> Iterator[dict]:
        """The output documents for ``docs`` (the collection's, or [] for ``aggregate: 1``)."""
        if variables is None:
            variables = Variables(None, dict(self.ctx.variables or {}))
        stream: Iterable[dict] = docs
        for stage in self.stages:
            stream = stage(stream, variables)
        return iter(stream)


def compile_pipeline(
    pipeline: list,
    ctx: PipelineContext,
    *,
    is_collectionless: bool = False,
    scope: Scope | None = None,
    in_facet: bool = False,
    in_lookup: bool = False,
) -> Pipeline:
    """Validate and compile ``pipeline``; raises MongoError with mongod's code for the first bad stage."""
    if not isinstance(pipeline, list):
        raise MongoError(ErrorCode.TypeMismatch, "'pipeline' option must be specified as an array")
    if scope is None:
        scope = Scope(frozenset(ctx.variables or {}))
    stages: list[StageFn] = []
    names: list[str] = []
    for index, spec in enumerate(pipeline):
        if not isinstance(spec, dict):
            raise MongoError(ErrorCode.TypeMismatch, "Each element of the 'pipeline' array must be an object")
        if len(spec) != 1:
            raise MongoError(40323, "A pipeline stage specification object must contain exactly one field.")
        name, arg = next(iter(spec.items()))
        compiler = STAGES.get(name)
        if compiler is None:
            if name in UNSUPPORTED:
                raise MongoError(ErrorCode.NotImplemented, f"{name} is not supported by this server")
            raise MongoError(40324, f"Unrecognized pipeline stage name: '{name}'")
        last = index == len(pipeline) - 1
        if name in ("$out", "$merge"):
            if in_facet:
                raise MongoError(40600, f"{name} is not allowed to be used within a $facet stage")
            if in_lookup:
                raise MongoError(51047, f"{name} is not allowed within a $lookup's sub-pipeline")
            if not last:
                raise MongoError(40601, f"{name} can only be the final stage in the pipeline")
        if name == "$documents" and index != 0:
            raise MongoError(40602, "$documents is only valid as the first stage in a pipeline")
        if name == "$facet" and in_facet:
            raise MongoError(40600, "$facet is not allowed to be used within a $facet stage")
        sctx = StageContext(
            ctx, scope, is_collectionless=is_collectionless, in_facet=in_facet, in_lookup=in_lookup
        )
        sctx.is_first = index == 0
        stages.append(compiler(arg, sctx))
        names.append(name)
    if is_collectionless:
        _check_collectionless(names)
    return Pipeline(stages, ctx)


def _check_collectionless(names: list[str]) -> None:
    """``aggregate: 1`` must start with a stage that reads no collection (checked after parsing)."""
    if not names:
        raise MongoError(ErrorCode.InvalidNamespace, "{aggregate: 1} is not valid for an empty pipeline.")
    if names[0] not in COLLECTIONLESS_SOURCES:
        raise MongoError(
            ErrorCode.InvalidNamespace,
            f"{{aggregate: 1}} is not valid for '{names[0]}'; a collection is required.",
        )


from docdb.engine.aggregation import (  # noqa: E402,F401  (stage families register themselves)
    stages_basic,
    stages_bucket_auto,
    stages_current_op,
    stages_fill,
    stages_group,
    stages_join,
    stages_output,
    stages_sessions,
    stages_stats,
    stages_window,
)
from docdb.engine.geo import stage as _geo_stage  # noqa: E402,F401  ($geoNear)
