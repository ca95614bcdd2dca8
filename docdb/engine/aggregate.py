"""Running an aggregation pipeline over the catalog: the catalog side of ``PipelineContext``.

``$out`` and ``$merge`` write through the same after-image commits as every other write; ``$out`` is one
record that deletes the target's old documents and puts the new ones, so the replacement is atomic.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from docdb.engine.aggregation.pipeline import compile_pipeline
from docdb.engine.catalog import Catalog
from docdb.engine.writes import DocumentBatch, with_id_first


class CatalogPipelineContext:
    """A pipeline's window on the catalog: read any collection, write ``$out``/``$merge`` targets."""

    def __init__(self, catalog: Catalog, db: str, variables: dict[str, Any] | None = None) -> None:
        self.catalog = catalog
        self.db = db
        self.variables = variables or {}

    def scan(self, db: str, coll: str) -> Iterable[dict[str, Any]]:
        found = self.catalog.collection(db, coll)
        if found is None:
            return []
        return (doc for _, doc in found.scan())

    def collection_exists(self, db: str, coll: str) -> bool:
        return self.catalog.collection(db, coll) is not None

    def write_documents(self, db: str, coll: str, docs: list[dict[str, Any]], *, replace_all: bool) -> None:
        batch = DocumentBatch(self.catalog.ensure_collection(db, coll))
        if replace_all:
            for _, old in batch.coll.scan():
                batch.delete(old)
            for doc in docs:
                batch.insert(doc)
        else:
            for doc in docs:
                batch.put(with_id_first(doc))
        self.catalog.commit(batch.writes)


def run_aggregate(
    catalog: Catalog, db: str, collection: str | None, pipeline: list[Any], variables: dict[str, Any] | None
) -> list[dict[str, Any]]:
    """The pipeline's output documents; ``collection`` None runs a collectionless (``aggregate: 1``) one."""
    ctx = CatalogPipelineContext(catalog, db, variables)
    compiled = compile_pipeline(pipeline, ctx, is_collectionless=collection is None)
    source: Iterable[dict[str, Any]] = [] if collection is None else ctx.scan(db, collection)
    return list(compiled.run(source))
