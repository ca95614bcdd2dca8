"""convertToCapped and cloneCollectionAsCapped (capped collections themselves: ``engine/capped.py``)."""

from __future__ import annotations

from typing import Any

from docdb.engine.capped import clone_as_capped, convert_to_capped
from docdb.engine.namespaces import validate_collection_name
from docdb.engine.query.types import type_name
from docdb.engine.views import view_definition
from docdb.errors import ErrorCode, MongoError
from docdb.server.commands.crud import collection_name
from docdb.server.context import CommandContext
from docdb.server.params import check_fields, get_string
from docdb.server.registry import command


def _size(cmd: dict[str, Any], command_name: str) -> int:
    """``size`` as mongod's IDL reads it for these commands: a required number."""
    if "size" not in cmd:
        raise MongoError(40414, f"BSON field '{command_name}.size' is missing but a required field")
    value = cmd["size"]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise MongoError(
            ErrorCode.TypeMismatch,
            f"BSON field '{command_name}.size' is the wrong type '{type_name(value)}', expected types "
            "'[long, int, decimal, double']",
        )
    return int(value)


def _refuse_view(ctx: CommandContext, name: str) -> None:
    if ctx.catalog.collection(ctx.db, name) is None and view_definition(ctx.catalog, ctx.db, name):
        raise MongoError(
            ErrorCode.CommandNotSupportedOnView,
            f"cloneCollectionAsCapped not supported for views: {ctx.db}.{name}",
        )


@command("convertToCapped", writes=True)
def convert(ctx: CommandContext, cmd: dict[str, Any]) -> dict[str, Any]:
    """Make a collection capped in place (its documents past ``size`` go, oldest first)."""
    check_fields(cmd, {"size", "temp"})
    name = collection_name(ctx, cmd)
    size = _size(cmd, "convertToCapped")
    _refuse_view(ctx, name)
    convert_to_capped(ctx.catalog, ctx.db, name, size)
    return {}


@command("cloneCollectionAsCapped", writes=True)
def clone(ctx: CommandContext, cmd: dict[str, Any]) -> dict[str, Any]:
    """Copy a collection's newest documents that fit ``size`` into a new capped collection."""
    check_fields(cmd, {"toCollection", "size", "temp"})
    name = collection_name(ctx, cmd)
    target = get_string(cmd, "toCollection", required=True)
    assert target is not None
    validate_collection_name(ctx.db, target)
    size = _size(cmd, "cloneCollectionAsCapped")
    _refuse_view(ctx, name)
    clone_as_capped(ctx.catalog, ctx.db, name, target, size)
    return {}
