"""Running an aggregation pipeline over the catalog: the catalog side of ``PipelineContext``.

``$out`` and ``$merge`` write through the same after-image commits as every other write; ``$out`` is one
record that deletes the target's old documents and puts the new ones, so the replacement is atomic.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from docdb.engine import interrupts
from docdb.engine.aggregation.pipeline import compile_pipeline
from docdb.engine.catalog import Catalog
from docdb.engine.collection import Collection
from docdb.engine.columns import column_group
from docdb.engine.indexing.stats import index_stats
from docdb.engine.planner import plan_query
from docdb.engine.query.let import evaluate_let
from docdb.engine.reads import FindSpec, ordered_matches, split_cursor_prefix
from docdb.engine.text.meta import check_score_available
from docdb.engine.text.search import split_text_filter
from docdb.engine.writes import DocumentBatch, with_id_first
from docdb.errors import ErrorCode, MongoError


class CatalogPipelineContext:
    """A pipeline's window on the catalog: read any collection, write ``$out``/``$merge`` targets."""

    def __init__(
        self,
        catalog: Catalog,
        db: str,
        variables: dict[str, Any] | None = None,
        *,
        collection: str | None = None,
        host: str = "localhost:27017",
        bypass_validation: bool = False,
        sessions: Callable[[list[tuple[str, str]] | None], list[dict[str, Any]]] | None = None,
        current_ops: Callable[[dict[str, bool]], list[dict[str, Any]]] | None = None,
    ) -> None:
        self.catalog = catalog
        self.bypass_validation = bypass_validation
        self.sessions = sessions  # the server's session records ($listLocalSessions), when it has them
        self.current_ops = current_ops  # the server's operations in progress ($currentOp), when it has them
        self.db = db
        self.collection = collection
        self.host = host
        self.variables = variables or {}

    def scan(self, db: str, coll: str) -> Iterable[dict[str, Any]]:
        """The documents of a collection, or of a view (its pipeline run over its source)."""
        found = self.catalog.collection(db, coll)
        if found is None:
            from docdb.engine.views import ViewChain, resolve_namespace

            target = resolve_namespace(self.catalog, db, coll)
            if isinstance(target, ViewChain):
                return run_aggregate(self.catalog, db, target.source, target.pipeline, None, host=self.host)
            return []
        return (doc for _, doc in found.scan())

    def write_documents(self, db: str, coll: str, docs: list[dict[str, Any]], *, replace_all: bool) -> None:
        from docdb.engine.views import refuse_view

        refuse_view(self.catalog, db, coll)
        existing = self.catalog.collection(db, coll)
        if replace_all and existing is not None and existing.capped is not None:
            raise MongoError(17152, f"namespace '{db}.{coll}' is capped so it can't be used for $out")
        target = self.catalog.ensure_collection(db, coll)
        if not replace_all and "timeseries" in target.options:
            raise MongoError(
                ErrorCode.NotImplemented, "$merge into a time-series collection is not supported by docdb"
            )
        batch = DocumentBatch(target, bypass_validation=self.bypass_validation)
        if replace_all:
            for _, old in batch.coll.scan():
                batch.delete(old)
            for doc in docs:
                batch.insert(doc)
        else:
            for doc in docs:
                batch.put(with_id_first(doc))
        self.catalog.commit(batch.writes)

    def storage_stats(self, db: str, coll: str, scale: int) -> dict[str, Any] | None:
        found = self.catalog.collection(db, coll)
        return None if found is None else found.storage_stats(scale)

    def index_stats(self, db: str, coll: str) -> list[dict[str, Any]]:
        found = self.catalog.collection(db, coll)
        return [] if found is None else index_stats(found, self.host)


def run_aggregate(
    catalog: Catalog,
    db: str,
    collection: str | None,
    pipeline: list[Any],
    variables: dict[str, Any] | None,
    *,
    host: str = "localhost:27017",
    bypass_validation: bool = False,
    documents: Iterable[dict[str, Any]] | None = None,
    sessions: Callable[[list[tuple[str, str]] | None], list[dict[str, Any]]] | None = None,
    current_ops: Callable[[dict[str, bool]], list[dict[str, Any]]] | None = None,
) -> list[dict[str, Any]]:
    """The pipeline's output documents; ``collection`` None runs a collectionless (``aggregate: 1``) one.
    ``documents`` replaces the collection's documents as the source (the server's in-memory
    ``system.profile``, which is not in the catalog).

    Errors found while running (not while compiling) carry mongod's "PlanExecutor error during
    aggregation" context, as clients see them from mongod.
    """
    ctx = CatalogPipelineContext(
        catalog,
        db,
        evaluate_let(variables),
        collection=collection,
        host=host,
        bypass_validation=bypass_validation,
        sessions=sessions,
        current_ops=current_ops,
    )
    compiled = compile_pipeline(pipeline, ctx, is_collectionless=collection is None)  # validates it all
    source: Iterable[dict[str, Any]] = []
    if documents is not None:
        source = documents
    elif collection is not None:
        cursor, rest = split_cursor_prefix(pipeline, ctx.variables)
        check_score_available(pipeline, split_text_filter(cursor.filter) is not None)
        coll = catalog.collection(db, collection)
        grouped = _column_group(coll, cursor, rest)
        if grouped is not None:  # $match + $group answered by the columnar path
            source, compiled = grouped, compile_pipeline(rest[1:], ctx)
        elif len(rest) < len(pipeline):  # leading $match/$sort run as a planned find (indexes serve it)
            source = (doc for _, doc in ordered_matches(coll, cursor))
            compiled = compile_pipeline(rest, ctx)
        else:
            source = ctx.scan(db, collection)
    try:
        return list(compiled.run(interrupts.checked(source)))  # the stages' work between checkpoints
    except MongoError as exc:
        exc.errmsg = f"PlanExecutor error during aggregation :: caused by :: {exc.errmsg}"
        exc.args = (exc.errmsg,)
        raise


def _column_group(coll: Collection | None, cursor: FindSpec, rest: list[Any]) -> list[dict[str, Any]] | None:
    """The groups of a pipeline that starts (after its leading ``$match``) with ``$group``, from the
    columns — only where the row path would scan the whole collection anyway (no index serves the match,
    no sort before the group)."""
    if coll is None or cursor.sort is not None or not rest or not isinstance(rest[0], dict):
        return None
    group = rest[0].get("$group")
    if group is None or len(rest[0]) != 1:
        return None
    if cursor.filter and plan_query(coll, cursor.filter).winner.kind != "COLLSCAN":
        return None
    return column_group(coll, cursor.filter, group)
