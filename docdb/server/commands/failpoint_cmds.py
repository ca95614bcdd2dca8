"""configureFailPoint: a test command, there only with ``enableTestCommands`` (as in mongod)."""

from __future__ import annotations

from typing import Any

from docdb.errors import ErrorCode, MongoError
from docdb.server.context import CommandContext
from docdb.server.failpoints import check_name, parse_fail_point
from docdb.server.params import check_fields
from docdb.server.registry import command


@command("configureFailPoint", admin_only=True)
def configure_fail_point(ctx: CommandContext, cmd: dict[str, Any]) -> dict[str, Any]:
    """Set or turn off a fail point; ``count`` is how often its previous setting fired."""
    if not ctx.state.parameters.enable_test_commands:
        raise MongoError(ErrorCode.CommandNotFound, "no such command: 'configureFailPoint'")
    check_fields(cmd, {"mode", "data"})
    name = check_name(cmd["configureFailPoint"])
    point = parse_fail_point(cmd)
    previous = ctx.state.fail_points.pop(name, None)
    if point is not None:
        ctx.state.fail_points[name] = point
    return {"count": previous.entered if previous is not None else 0}
