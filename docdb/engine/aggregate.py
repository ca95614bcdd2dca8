"""Running an aggregation pipeline over the catalog: the catalog side of ``PipelineContext``.

``$out`` and ``$merge`` write through the same after-image commits as every other write; ``$out`` is one
record that deletes the target's old documents and puts the new ones, so the replacement is atomic.

Index statistics read the secondary-index layer defensively (``getattr``): a collection may carry
``indexes`` (name -> index with ``spec``, ``accesses``, ``since`` and ``size_bytes()``) and
``id_accesses``; without them only the ``_id_`` index is reported.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from bson.int64 import Int64

from docdb.engine.aggregation.pipeline import compile_pipeline
from docdb.engine.catalog import Catalog
from docdb.engine.collection import Collection
from docdb.engine.query.let import evaluate_let
from docdb.engine.writes import DocumentBatch, with_id_first
from docdb.errors import MongoError

# Reported size of one ``_id`` index entry: an estimate, as there is no B-tree file (same as collStats).
ID_INDEX_ENTRY_BYTES = 32
_ID_INDEX_SPEC = {"v": 2, "key": {"_id": 1}, "name": "_id_"}
# Index usage counters start when the process does, as mongod's do.
_STARTED = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None, microsecond=0)


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
    ) -> None:
        self.catalog = catalog
        self.db = db
        self.collection = collection
        self.host = host
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

    def storage_stats(self, db: str, coll: str, scale: int) -> dict[str, Any] | None:
        found = self.catalog.collection(db, coll)
        if found is None:
            return None
        count = len(found)
        index_sizes = {"_id_": count * ID_INDEX_ENTRY_BYTES}
        for name, index in _secondary_indexes(found).items():
            size_bytes = getattr(index, "size_bytes", None)
            index_sizes[name] = size_bytes() if callable(size_bytes) else 0
        total_index = sum(index_sizes.values())
        stats: dict[str, Any] = {"size": found.data_size // scale, "count": count}
        if count:
            stats["avgObjSize"] = found.data_size // count
        stats |= {
            "numOrphanDocs": 0,
            "storageSize": found.data_size // scale,
            "freeStorageSize": 0,
            "capped": bool(found.options.get("capped")),
            "nindexes": len(index_sizes),
            "indexBuilds": [],
            "totalIndexSize": total_index // scale,
            "totalSize": (found.data_size + total_index) // scale,
            "indexSizes": {name: size // scale for name, size in index_sizes.items()},
            "scaleFactor": scale,
        }
        return stats

    def index_stats(self, db: str, coll: str) -> list[dict[str, Any]]:
        found = self.catalog.collection(db, coll)
        if found is None:
            return []
        out = [_usage(_ID_INDEX_SPEC, getattr(found, "id_accesses", 0), _STARTED)]
        for index in _secondary_indexes(found).values():
            since = getattr(index, "since", None)
            when = (
                datetime.datetime.fromtimestamp(since, datetime.timezone.utc).replace(tzinfo=None)
                if isinstance(since, (int, float))
                else _STARTED
            )
            out.append(_usage(dict(index.spec), getattr(index, "accesses", 0), when))
        return out


def _secondary_indexes(coll: Collection) -> dict[str, Any]:
    return dict(getattr(coll, "indexes", None) or {})


def _usage(spec: dict[str, Any], ops: int, since: datetime.datetime) -> dict[str, Any]:
    return {
        "name": spec["name"],
        "key": spec["key"],
        "accesses": {"ops": Int64(ops), "since": since},
        "spec": spec,
    }


def run_aggregate(
    catalog: Catalog,
    db: str,
    collection: str | None,
    pipeline: list[Any],
    variables: dict[str, Any] | None,
    *,
    host: str = "localhost:27017",
) -> list[dict[str, Any]]:
    """The pipeline's output documents; ``collection`` None runs a collectionless (``aggregate: 1``) one.

    Errors found while running (not while compiling) carry mongod's "PlanExecutor error during
    aggregation" context, as clients see them from mongod.
    """
    ctx = CatalogPipelineContext(catalog, db, evaluate_let(variables), collection=collection, host=host)
    compiled = compile_pipeline(pipeline, ctx, is_collectionless=collection is None)
    source: Iterable[dict[str, Any]] = [] if collection is None else ctx.scan(db, collection)
    try:
        return list(compiled.run(source))
    except MongoError as exc:
        exc.errmsg = f"PlanExecutor error during aggregation :: caused by :: {exc.errmsg}"
        exc.args = (exc.errmsg,)
        raise
