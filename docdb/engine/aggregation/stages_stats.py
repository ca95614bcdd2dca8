"""$collStats and $indexStats: one document of catalog statistics about the aggregated collection.

Both must be the first stage and read the catalog through ``PipelineContext.storage_stats`` /
``index_stats``. ``latencyStats`` and ``queryExecStats`` need per-operation timers this server does not
keep, so they are refused with NotImplemented rather than answered with made-up zeros.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator
from typing import Any

from bson.decimal128 import Decimal128
from bson.int64 import Int64

from docdb.engine.aggregation.pipeline import StageContext, StageFn, register_stage
from docdb.engine.bson_types import bson_type_alias
from docdb.engine.expressions.core import Variables
from docdb.engine.query.bson_text import format_element
from docdb.errors import ErrorCode, MongoError

_COLL_STATS_FIELDS = ("latencyStats", "storageStats", "count", "queryExecStats", "targetAllNodes")
_STORAGE_STATS_FIELDS = ("scale", "verbose", "waitForLock", "numericOnly")


def _check_position(name: str, sctx: StageContext) -> None:
    if sctx.in_facet:
        raise MongoError(40600, f"{name} is not allowed to be used within a $facet stage")
    if sctx.in_lookup:
        raise MongoError(51047, f"{name} is not allowed within a $lookup's sub-pipeline")
    if not sctx.is_first:
        raise MongoError(40602, f"{name} is only valid as the first stage in a pipeline")


def _wrong_type(field: str, value: Any, expected: str) -> MongoError:
    return MongoError(
        ErrorCode.TypeMismatch,
        f"BSON field '{field}' is the wrong type '{bson_type_alias(value)}', expected {expected}",
    )


def _check_fields(spec: dict, allowed: tuple[str, ...], prefix: str) -> None:
    for key in spec:
        if key not in allowed:
            raise MongoError(40415, f"BSON field '{prefix}.{key}' is an unknown field.")


def parse_scale(storage: dict) -> int:
    """The ``storageStats.scale`` factor: numbers truncate (1023.999 -> 1023), below 1 is refused.

    >>> parse_scale({}), parse_scale({"scale": 1023.999})
    (1, 1023)
    """
    scale = storage.get("scale", 1)
    if isinstance(scale, Decimal128):
        scale = float(scale.to_decimal())
    if isinstance(scale, bool) or not isinstance(scale, (int, float)):
        raise _wrong_type("$collStats.storageStats.scale", scale, "types '[long, int, decimal, double']")
    if scale < 1:
        shown = int(scale) if scale == int(scale) else scale
        raise MongoError(51024, f"BSON field 'scale' value must be >= 1, actual value '{shown}'")
    return int(scale)


def _object_option(spec: dict, key: str) -> dict | None:
    value = spec.get(key)
    if value is not None and not isinstance(value, dict):
        raise _wrong_type(f"$collStats.{key}", value, "type 'object'")
    return value


@register_stage("$collStats")
def _coll_stats(spec: Any, sctx: StageContext) -> StageFn:
    if not isinstance(spec, dict):
        raise MongoError(
            5447000, f"$collStats must take a nested object but found: {format_element('$collStats', spec)}"
        )
    _check_fields(spec, _COLL_STATS_FIELDS, "$collStats")
    _check_position("$collStats", sctx)
    for key in ("latencyStats", "queryExecStats"):
        if key in spec:
            raise MongoError(ErrorCode.NotImplemented, f"$collStats {key} is not supported by this server")
    if spec.get("targetAllNodes"):
        raise MongoError(
            ErrorCode.FailedToParse, "$collStats supports targetAllNodes parameter only for sharded clusters"
        )
    storage = _object_option(spec, "storageStats")
    if storage is not None:
        _check_fields(storage, _STORAGE_STATS_FIELDS, "$collStats.storageStats")
    scale = parse_scale(storage) if storage is not None else 1
    want_count = _object_option(spec, "count") is not None
    ctx = sctx.ctx

    def run(docs: Iterable[dict], v: Variables) -> Iterator[dict]:
        coll = ctx.collection or ""
        ns = f"{ctx.db}.{coll}"
        out: dict[str, Any] = {
            "ns": ns,
            "host": ctx.host,
            "localTime": datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None),
        }
        stats = ctx.storage_stats(ctx.db, coll, scale) if storage is not None or want_count else None
        if storage is not None:
            out["storageStats"] = _found(stats, "storageStats", ns)
        if want_count:
            out["count"] = Int64(_found(stats, "count", ns)["count"])
        yield out

    return run


def _found(stats: dict | None, what: str, ns: str) -> dict:
    if stats is None:
        raise MongoError(
            ErrorCode.NamespaceNotFound,
            f"Unable to retrieve {what} in $collStats stage :: caused by :: Collection [{ns}] not found.",
        )
    return stats


@register_stage("$indexStats")
def _index_stats(spec: Any, sctx: StageContext) -> StageFn:
    if not isinstance(spec, dict) or spec:
        raise MongoError(28803, "The $indexStats stage specification must be an empty object")
    _check_position("$indexStats", sctx)
    ctx = sctx.ctx

    def run(docs: Iterable[dict], v: Variables) -> Iterator[dict]:
        for stats in ctx.index_stats(ctx.db, ctx.collection or ""):
            yield {
                "name": stats["name"],
                "key": stats["key"],
                "host": ctx.host,
                "accesses": stats["accesses"],
                "spec": stats["spec"],
            }

    return run
