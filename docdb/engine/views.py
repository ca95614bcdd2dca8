"""Read-only views and the namespace resolver every command goes through.

A view is a document in its database's ``system.views`` collection, as in mongod:
``{_id: "db.name", viewOn: "source", pipeline: [...]}``. Keeping definitions as documents means they are
logged, replayed, compacted and dropped (with their database) like any other write, and
``db.system.views.find()`` shows them. ``resolve_namespace`` turns a name into the collection, the
view chain (source collection plus the pipelines to run on it, innermost view first) or nothing; a
database without ``system.views`` pays one dict lookup more.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bson.son import SON

from docdb.bson_codec import decode_document
from docdb.engine.catalog import Catalog
from docdb.engine.collection import Collection
from docdb.engine.namespaces import validate_collection_name
from docdb.errors import ErrorCode, MongoError

SYSTEM_VIEWS = "system.views"
MAX_VIEW_DEPTH = 20  # mongod's ViewGraph::kMaxViewDepth


@dataclass(slots=True)
class ViewChain:
    """A view resolved to its source: run ``pipeline`` over collection ``source`` of ``db``."""

    db: str
    name: str
    source: str
    pipeline: list[Any]
    definition: dict[str, Any]  # the view's own system.views document
    base: Collection | None  # the source collection (None: it does not exist yet)

    @property
    def ns(self) -> str:
        return f"{self.db}.{self.name}"


def view_definition(catalog: Catalog, db: str, name: str) -> dict[str, Any] | None:
    """The ``system.views`` document of view ``db.name``, or None."""
    views = catalog.collection(db, SYSTEM_VIEWS)
    if views is None or not views.docs:
        return None
    raw = views.docs.get(f"{db}.{name}")
    return None if raw is None else decode_document(raw)


def view_definitions(catalog: Catalog, db: str) -> list[dict[str, Any]]:
    """Every view of ``db`` (its ``system.views`` documents), in name order."""
    views = catalog.collection(db, SYSTEM_VIEWS)
    if views is None:
        return []
    prefix = f"{db}."
    found = [
        doc for _, doc in views.scan() if isinstance(doc.get("_id"), str) and doc["_id"].startswith(prefix)
    ]
    return sorted(found, key=lambda doc: doc["_id"])


def resolve_namespace(catalog: Catalog, db: str, name: str) -> Collection | ViewChain | None:
    """What ``db.name`` is: a collection, a view (resolved to its source), or None (missing)."""
    coll = catalog.collection(db, name)
    if coll is not None:
        return coll
    definition = view_definition(catalog, db, name)
    if definition is None:
        return None
    return _chain(catalog, db, name, definition)


def _chain(catalog: Catalog, db: str, name: str, definition: dict[str, Any]) -> ViewChain:
    pipelines: list[list[Any]] = []
    current = definition
    seen = [f"{db}.{name}"]
    while True:
        pipelines.append(list(current.get("pipeline", [])))
        if len(pipelines) > MAX_VIEW_DEPTH:
            raise MongoError(
                ErrorCode.ViewDepthLimitExceeded,
                f"View depth too deep or view cycle detected. Maximum depth is {MAX_VIEW_DEPTH}",
            )
        source = current["viewOn"]
        if f"{db}.{source}" in seen:
            cycle = " => ".join([*seen, f"{db}.{source}"])
            raise MongoError(ErrorCode.GraphContainsCycle, f"View cycle detected: {cycle}")
        seen.append(f"{db}.{source}")
        if catalog.collection(db, source) is not None:
            break
        following = view_definition(catalog, db, source)
        if following is None:
            break
        current = following
    pipeline = [stage for stages in reversed(pipelines) for stage in stages]
    return ViewChain(db, name, source, pipeline, definition, catalog.collection(db, source))


def refuse_view(catalog: Catalog, db: str, name: str) -> None:
    """Raise CommandNotSupportedOnView (166) when ``db.name`` is a view: writes and index commands."""
    if catalog.collection(db, name) is None and view_definition(catalog, db, name) is not None:
        raise MongoError(
            ErrorCode.CommandNotSupportedOnView, f"Namespace {db}.{name} is a view, not a collection"
        )


# -- DDL ---------------------------------------------------------------------------------------------------


def check_view_options(command: str, view_on: Any, pipeline: Any) -> list[Any]:
    """``viewOn``/``pipeline`` of a create or collMod, typed as mongod's IDL types them."""
    if not isinstance(view_on, str):
        raise MongoError(
            ErrorCode.TypeMismatch,
            f"BSON field '{command}.viewOn' is the wrong type '{_alias(view_on)}', expected type 'string'",
        )
    if pipeline is None:
        return []
    if not isinstance(pipeline, list):
        raise MongoError(
            ErrorCode.TypeMismatch,
            f"BSON field '{command}.pipeline' is the wrong type '{_alias(pipeline)}', expected type 'array'",
        )
    return pipeline


def _alias(value: Any) -> str:
    from docdb.engine.bson_types import bson_type_alias

    return bson_type_alias(value)


def _validate_definition(catalog: Catalog, db: str, name: str, view_on: str, pipeline: list[Any]) -> None:
    """The checks mongod makes before it stores a definition: names, stages, cycles and depth."""
    if not view_on:
        raise MongoError(ErrorCode.BadValue, "invalid name for 'viewOn': ")
    validate_collection_name(db, view_on)
    for stage in pipeline:
        if not isinstance(stage, dict):
            raise MongoError(ErrorCode.TypeMismatch, "Each element of the 'pipeline' array must be an object")
        stage_name = next(iter(stage), "")
        if stage_name in ("$out", "$merge"):
            raise MongoError(
                ErrorCode.OptionNotSupportedOnView,
                f"The aggregation stage {stage_name} of the pipeline cannot be used in the view "
                f"definition of {db}.{name} because it writes to disk",
            )
    from docdb.engine.aggregate import CatalogPipelineContext
    from docdb.engine.aggregation.pipeline import compile_pipeline

    compile_pipeline(pipeline, CatalogPipelineContext(catalog, db, collection=view_on))
    _chain(catalog, db, name, {"viewOn": view_on, "pipeline": pipeline})


def create_view(
    catalog: Catalog, db: str, name: str, view_on: str, pipeline: list[Any], collation: Any = None
) -> None:
    """Store a new view definition (one logged write to ``system.views``)."""
    from docdb.engine.writes import DocumentBatch

    if catalog.collection(db, name) is not None or view_definition(catalog, db, name) is not None:
        raise MongoError(ErrorCode.NamespaceExists, f"Collection {db}.{name} already exists.")
    _validate_definition(catalog, db, name, view_on, pipeline)
    doc: dict[str, Any] = SON([("_id", f"{db}.{name}"), ("viewOn", view_on), ("pipeline", pipeline)])
    if collation is not None:
        doc["collation"] = collation
    batch = DocumentBatch(catalog.ensure_collection(db, SYSTEM_VIEWS), bypass_validation=True)
    batch.insert(dict(doc))
    catalog.commit(batch.writes)


def modify_view(catalog: Catalog, db: str, name: str, view_on: str, pipeline: list[Any]) -> None:
    """collMod of a view: a new ``viewOn`` and ``pipeline`` (mongod requires both)."""
    from docdb.engine.writes import DocumentBatch

    current = view_definition(catalog, db, name)
    assert current is not None
    _validate_definition(catalog, db, name, view_on, pipeline)
    updated = {**current, "viewOn": view_on, "pipeline": pipeline}
    views = catalog.collection(db, SYSTEM_VIEWS)
    assert views is not None
    batch = DocumentBatch(views, bypass_validation=True)
    batch.replace(current, updated)
    catalog.commit(batch.writes)


def drop_view(catalog: Catalog, db: str, name: str) -> bool:
    """Remove a view's definition; False when there was none."""
    from docdb.engine.writes import DocumentBatch

    current = view_definition(catalog, db, name)
    views = catalog.collection(db, SYSTEM_VIEWS)
    if current is None or views is None:
        return False
    batch = DocumentBatch(views, bypass_validation=True)
    batch.delete(current)
    catalog.commit(batch.writes)
    return True


def view_info(definition: dict[str, Any], name_only: bool) -> dict[str, Any]:
    """The listCollections entry of a view."""
    name = definition["_id"].partition(".")[2]
    if name_only:
        return {"name": name, "type": "view"}
    options: dict[str, Any] = {"viewOn": definition["viewOn"], "pipeline": definition.get("pipeline", [])}
    if "collation" in definition:
        options["collation"] = definition["collation"]
    return {"name": name, "type": "view", "options": options, "info": {"readOnly": True}}
