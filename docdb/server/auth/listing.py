"""What a caller may see: listDatabases / listCollections under mongod's authorizedDatabases and
authorizedCollections rules, and other users and roles in usersInfo / rolesInfo."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from docdb.errors import ErrorCode, MongoError

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


def queried_names(value: Any, db: str, field: str) -> list[tuple[str, str]] | None:
    """The (name, db) pairs a usersInfo / rolesInfo value asks for (``field`` is "user" or "role"): None
    for 1 ("all of this database"); a bare string names one in ``db``; mongod's BadValue otherwise."""
    if value == 1 and not isinstance(value, bool):
        return None
    names = []
    for entry in value if isinstance(value, list) else [value]:
        if isinstance(entry, str):
            names.append((entry, db))
        elif isinstance(entry, dict) and all(isinstance(entry.get(f), str) for f in (field, "db")):
            names.append((entry[field], entry["db"]))
        else:
            label = field.capitalize()
            raise MongoError(
                ErrorCode.BadValue, f"{label} name must be either a string or an object {{{field}, db}}"
            )
    return names
