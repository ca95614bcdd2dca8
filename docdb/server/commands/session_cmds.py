"""Replica-set commands (refused, as a standalone mongod refuses them). Sessions: ``session_admin.py``;
transactions: ``transaction_cmds.py``."""

from __future__ import annotations

from typing import Any

from docdb.errors import ErrorCode, MongoError
from docdb.server.context import CommandContext
from docdb.server.registry import command


@command("replSetGetStatus", "replSetGetConfig", "replSetInitiate", "replSetReconfig", admin_only=True)
def replica_set_command(ctx: CommandContext, cmd: dict[str, Any]) -> dict[str, Any]:
    """docdb runs as a standalone, and answers replica-set commands as a standalone mongod does."""
    raise MongoError(ErrorCode.NoReplicationEnabled, "not running with --replSet")
