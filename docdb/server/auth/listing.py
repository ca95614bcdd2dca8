"""What a caller may see: listDatabases / listCollections under mongod's authorizedDatabases and
authorizedCollections rules, and other users and roles in usersInfo / rolesInfo."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from docdb.server.context import CommandContext


def database_filter(ctx: CommandContext, cmd: dict[str, Any]) -> Callable[[str], bool] | None:
    """None when every database may be listed; else a predicate for the ones the caller holds some
    privilege on (no ``listDatabases`` action, or ``authorizedDatabases: true``)."""
    if not ctx.state.config.auth:
        return None
    privileges = ctx.connection.auth.privileges(ctx.catalog)
    if privileges is None:
        return lambda db: False
    authorized_only = cmd.get("authorizedDatabases")
    if authorized_only is None and privileges.on_cluster("listDatabases"):
        return None
    if authorized_only is False:
        return None  # dispatch already required listDatabases
    return privileges.any_on_database


def collection_filter(ctx: CommandContext, cmd: dict[str, Any]) -> Callable[[str], bool] | None:
    """None when every collection may be listed; else (``authorizedCollections`` with ``nameOnly`` and no
    ``listCollections`` action) a predicate for the collections the caller holds some privilege on."""
    if not ctx.state.config.auth:
        return None
    privileges = ctx.connection.auth.privileges(ctx.catalog)
    if privileges is None or privileges.on_database("listCollections", ctx.db):
        return None
    db = ctx.db
    return lambda coll: privileges.any_on_namespace(db, coll)


def may_view(ctx: CommandContext, action: str, db: str) -> bool:
    """With --auth, whether the caller holds ``action`` (viewUser / viewRole) on ``db``."""
    if not ctx.state.config.auth:
        return True
    privileges = ctx.connection.auth.privileges(ctx.catalog)
    if privileges is None:
        return False
    return privileges.on_database(action, db) if db else privileges.on_cluster(action)
