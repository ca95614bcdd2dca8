"""The plan of a find whose filter holds ``$near``/``$nearSphere``: GEO_NEAR_2DSPHERE or GEO_NEAR_2D.

It draws documents nearest first from the geo index's stream and applies the rest of the filter to each;
it provides no other sort (a find's ``sort`` then sorts in memory, as in mongod). Explain shows the geo
stage with its index (without mongod's inner per-ring index scans).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from docdb.engine.collection import Collection
from docdb.engine.geo.index import GeoIndex
from docdb.engine.geo.near import NearQuery, choose_index, parse_near, split_near, stream
from docdb.engine.geo.scan import fetch_matches
from docdb.engine.matcher import compile_filter
from docdb.engine.planner import Plan, QueryPlans, Stats


@dataclass(slots=True)
class GeoNearPlan:
    """Plan-shaped (``kind``, ``run``, ``stats``) so reads and explain treat it like the others."""

    index: GeoIndex | None
    query: NearQuery
    rest: dict[str, Any]
    kind: str = "GEO_NEAR_2DSPHERE"
    direction: int = 1
    bounds: list = field(default_factory=list)
    provides_sort: bool = False
    residual: list = field(default_factory=list)
    id_value: Any = None
    stats: Stats = field(default_factory=Stats)

    def run(
        self,
        coll: Collection | None,
        predicate: Callable[[dict], bool],
        decode: bool = True,
        build_columns: bool = True,  # Plan.run's; a geo plan reads no columns
    ) -> Iterator[tuple[bytes, Any]]:
        if coll is None or self.index is None:
            return
        owners = (hk for _, hk in stream(self.index, self.query))
        yield from fetch_matches(coll.docs, owners, predicate, self.stats)

    def explain_stage(self, stats: bool) -> dict[str, Any]:
        assert self.index is not None
        stage: dict[str, Any] = {"stage": self.kind}
        if self.rest:
            stage["filter"] = self.rest
        stage.update(
            keyPattern=dict(self.index.key_pattern),
            indexName=self.index.name,
            indexVersion=2 if self.index.spherical else 1,
        )
        if stats:
            s = self.stats
            stage.update(nReturned=s.n_returned, keysExamined=s.keys_examined, docsExamined=s.docs_examined)
        return stage


def plan_near(
    coll: Collection | None, spec: dict[str, Any], variables: dict[str, Any] | None
) -> tuple[QueryPlans, Callable[[dict], bool]] | None:
    """The near plan and the predicate of the rest of the filter, or None without ``$near``."""
    found = split_near(spec)
    if found is None:
        return None
    path, op, ops, rest = found
    query = parse_near(op, ops)
    predicate = compile_filter(rest, variables=variables)
    if coll is None:
        return QueryPlans(Plan("EOF"), []), predicate
    index = choose_index(coll, path, query)
    if not index.built:
        coll.build_index(index)
    kind = "GEO_NEAR_2DSPHERE" if index.spherical else "GEO_NEAR_2D"
    plan = GeoNearPlan(index, query, rest, kind=kind)
    return QueryPlans(plan, []), predicate  # type: ignore[arg-type]
