"""find, count and distinct through a view: as mongod does, each becomes an aggregation whose pipeline
is the view's (innermost view first) followed by the command's own stages, run over the source
collection. The leading ``$match``/``$sort`` of the view still reach the planner (``run_aggregate``).
"""

from __future__ import annotations

from typing import Any

from docdb.engine.aggregate import run_aggregate
from docdb.engine.catalog import Catalog
from docdb.engine.reads import FindSpec, distinct_of
from docdb.engine.views import ViewChain

# find options an aggregation cannot express: mongod refuses them on a view  # in mongod's check order
FIND_OPTIONS_REFUSED_ON_VIEWS = (
    "tailable",
    "noCursorTimeout",
    "allowPartialResults",
    "min",
    "max",
    "returnKey",
    "showRecordId",
)


def find_stages(spec: FindSpec) -> list[dict[str, Any]]:
    """A find's filter, sort, skip, limit and projection as pipeline stages, in mongod's order.

    >>> find_stages(FindSpec({"a": 1}, {"b": 1}, {"c": -1}, 2, 3))
    [{'$match': {'a': 1}}, {'$sort': {'c': -1}}, {'$skip': 2}, {'$limit': 3}, {'$project': {'b': 1}}]
    """
    stages: list[dict[str, Any]] = []
    if spec.filter:
        stages.append({"$match": spec.filter})
    if spec.sort:
        stages.append({"$sort": spec.sort})
    if spec.skip:
        stages.append({"$skip": spec.skip})
    if spec.limit:
        stages.append({"$limit": spec.limit})
    if spec.projection:
        stages.append({"$project": spec.projection})
    return stages


def find_view(
    catalog: Catalog, chain: ViewChain, spec: FindSpec, let: dict[str, Any] | None = None
) -> list[Any]:
    """The documents a find through ``chain`` returns (``let``: the command's, unevaluated)."""
    return run_aggregate(catalog, chain.db, chain.source, chain.pipeline + find_stages(spec), let)


def count_view(catalog: Catalog, chain: ViewChain, spec: FindSpec) -> int:
    """How many documents the view holds that match ``spec.filter`` (skip and limit applied)."""
    stages = find_stages(FindSpec(spec.filter, skip=spec.skip, limit=spec.limit))
    return len(run_aggregate(catalog, chain.db, chain.source, chain.pipeline + stages, None))


def distinct_view(catalog: Catalog, chain: ViewChain, key: str, query: dict[str, Any]) -> list[Any]:
    """Distinct values of ``key`` among the view's documents that match ``query``."""
    stages = [{"$match": query}] if query else []
    return distinct_of(run_aggregate(catalog, chain.db, chain.source, chain.pipeline + stages, None), key)
