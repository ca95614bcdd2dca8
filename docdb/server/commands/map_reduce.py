"""The mapReduce command (deprecated in mongod, still called by ODMs): parse, read, run the JS, output.

The input is read through the aggregation engine (``query`` as a ``$match``, then ``sort`` and
``limit``), the JavaScript runs in ``engine.js.map_reduce``, and collection output goes through the
``$out`` / ``$merge`` stages, so it is logged and durable like any aggregation write. Replies are
mongod 7.0's: ``{results: [...]}`` inline, ``{result: name | {db, collection}}`` otherwise.
"""

from __future__ import annotations

import socket
from typing import Any

from bson.code import Code

from docdb.engine.bson_types import bson_type_alias
from docdb.engine.js.map_reduce import MapReduceJs
from docdb.engine.namespaces import validate_collection_name
from docdb.engine.views import ViewChain, resolve_namespace
from docdb.errors import ErrorCode, MongoError
from docdb.server.commands.query_options import check_collation
from docdb.server.context import CommandContext
from docdb.server.params import check_fields, get_bool, get_doc, get_int
from docdb.server.registry import command
from docdb.server.write_concern import needs_fsync, request_durability

_FIELDS = {
    "map",
    "reduce",
    "out",
    "query",
    "sort",
    "collation",
    "limit",
    "finalize",
    "scope",
    "verbose",
    "jsMode",
    "bypassDocumentValidation",
}
_OUT_MODES = ("inline", "replace", "merge", "reduce")


def _code(cmd: dict[str, Any], field: str, required: bool) -> Any:
    name = next(iter(cmd))
    value = cmd.get(field)
    if value is None:
        if required:
            raise MongoError(40414, f"BSON field '{name}.{field}' is missing but a required field")
        return None
    if not isinstance(value, (str, Code)):
        raise MongoError(
            ErrorCode.TypeMismatch,
            f"BSON field '{name}.{field}' is the wrong type '{bson_type_alias(value)}', "
            "expected types '[string, javascript]'",
        )
    return value


def _parse_out(ctx: CommandContext, out: Any) -> tuple[str, str | None, str | None, bool]:
    """(mode, db, collection, db_given) of the ``out`` option."""
    if isinstance(out, str):
        return "replace", ctx.db, validate_collection_name(ctx.db, out), False
    if not isinstance(out, dict):
        raise MongoError(ErrorCode.BadValue, "'out' must be either a string or an object")
    if not out:
        raise MongoError(ErrorCode.BadValue, "'out' must have a mode specified")
    mode = next(iter(out))
    if mode not in _OUT_MODES:
        raise MongoError(ErrorCode.BadValue, f"Unknown mapReduce mode: {mode}")
    for key in list(out)[1:]:
        if key not in ("db", "sharded", "nonAtomic"):
            raise MongoError(ErrorCode.BadValue, f"Unknown mapReduce out option: {key}")
    if out.get("sharded"):
        raise MongoError(ErrorCode.InvalidOptions, "sharded field value must be false")
    if mode == "inline":
        if "db" in out:
            raise MongoError(ErrorCode.BadValue, "'db' cannot be specified with inline output")
        return mode, None, None, False
    target = out[mode]
    if not isinstance(target, str):
        raise MongoError(ErrorCode.BadValue, f"'{mode}' must be a string")
    db = out.get("db", ctx.db)
    if not isinstance(db, str):
        raise MongoError(ErrorCode.BadValue, "'db' must be a string")
    return mode, db, validate_collection_name(db, target), "db" in out


@command("mapReduce", "mapreduce")
def map_reduce(ctx: CommandContext, cmd: dict[str, Any]) -> dict[str, Any]:
    """Run map/reduce/finalize over the matching documents; output inline or into a collection."""
    check_fields(cmd, _FIELDS)
    name = validate_collection_name(ctx.db, cmd[next(iter(cmd))])
    map_code = _code(cmd, "map", True)
    reduce_code = _code(cmd, "reduce", True)
    if "out" not in cmd:
        raise MongoError(40414, f"BSON field '{next(iter(cmd))}.out' is missing but a required field")
    mode, out_db, out_coll, db_given = _parse_out(ctx, cmd["out"])
    finalize_code = _code(cmd, "finalize", False)
    query = get_doc(cmd, "query") or {}
    sort = get_doc(cmd, "sort")
    scope = get_doc(cmd, "scope")
    limit = get_int(cmd, "limit") or 0
    if limit < 0:
        raise MongoError(ErrorCode.BadValue, "Invalid limit: " + str(limit))
    get_bool(cmd, "verbose")
    get_bool(cmd, "jsMode")
    check_collation(cmd.get("collation"))
    if isinstance(resolve_namespace(ctx.catalog, ctx.db, name), ViewChain):
        raise MongoError(
            ErrorCode.CommandNotSupportedOnView, f"Namespace {ctx.db}.{name} is a view, not a collection"
        )
    durable = mode != "inline" and needs_fsync(cmd)
    from docdb.engine.aggregate import run_aggregate

    port = ctx.connection.local.rpartition(":")[2]
    host = f"{socket.gethostname()}:{port}"
    pipeline: list[dict[str, Any]] = [{"$match": query}]
    if sort:
        pipeline.append({"$sort": sort})
    if limit:
        pipeline.append({"$limit": limit})
    docs = run_aggregate(ctx.catalog, ctx.db, name, pipeline, None, host=host)
    js = MapReduceJs(map_code, reduce_code, finalize_code, scope)
    try:
        results = js.run(docs)
    except MongoError as exc:  # mongod runs mapReduce as a pipeline: its run-time errors say so
        exc.errmsg = f"PlanExecutor error during aggregation :: caused by :: {exc.errmsg}"
        exc.args = (exc.errmsg,)
        raise
    if mode == "inline":
        return {"results": results}
    assert out_db is not None and out_coll is not None
    if mode == "reduce" and results:
        keys = [doc["_id"] for doc in results]
        existing = run_aggregate(
            ctx.catalog, out_db, out_coll, [{"$match": {"_id": {"$in": keys}}}], None, host=host
        )
        old = {_key(doc["_id"]): doc.get("value") for doc in existing}
        for doc in results:
            key = _key(doc["_id"])
            if key in old:
                doc["value"] = js.rereduce(doc["_id"], old[key], doc["value"])
    if mode == "replace":
        write = {"$out": {"db": out_db, "coll": out_coll}}
    else:
        write = {
            "$merge": {
                "into": {"db": out_db, "coll": out_coll},
                "on": "_id",
                "whenMatched": "replace",
                "whenNotMatched": "insert",
            }
        }
    if results or mode == "replace":
        run_aggregate(
            ctx.catalog,
            out_db,
            None,
            [{"$documents": {"$literal": results}}, write],
            None,
            host=host,
            bypass_validation=get_bool(cmd, "bypassDocumentValidation"),
        )
    request_durability(ctx, durable)
    return {"result": {"db": out_db, "collection": out_coll} if db_given else out_coll}


def _key(value: Any) -> Any:
    from docdb.engine.bson_order import hash_key

    return hash_key(value)
