"""The authorization step of dispatch: one function, driven by ``command_privileges.COMMAND_RULES``.

With ``--auth`` off it returns at once. A command that needs no authentication (``CommandSpec.no_auth``)
passes; otherwise an unauthenticated caller gets mongod's "Command X requires authentication", unless the
localhost exception is open (``--auth``, no user yet, a loopback client): then the caller holds only the
privileges to create the first user, as mongod grants them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from docdb.errors import ErrorCode, MongoError
from docdb.server.auth.command_privileges import (
    NAMESPACE_ACTIONS,
    Check,
    reads_only_its_collection,
    required_checks,
)
from docdb.server.auth.command_text import unauthorized
from docdb.server.auth.privileges import CLUSTER_KEY, PrivilegeSet
from docdb.server.auth.session import AuthSession
from docdb.server.auth.store import AuthStore

if TYPE_CHECKING:
    from docdb.server.context import CommandContext
    from docdb.server.registry import CommandSpec

# mongod's privileges under the localhost exception (authorization_session_impl.cpp's default privileges).
LOCALHOST_PRIVILEGES = PrivilegeSet()
LOCALHOST_PRIVILEGES.add(("admin", ""), ("createUser", "grantRole"))
LOCALHOST_PRIVILEGES.add(("$external", ""), ("createUser",))
LOCALHOST_PRIVILEGES.add(CLUSTER_KEY, ("addShard", "replSetConfigure", "replSetGetStatus"))
_LOOPBACK_PREFIXES = ("127.", "[::1]", "localhost")


def is_loopback(peer: str) -> bool:
    """Whether the client's address (``host:port``) is on this machine's loopback interface."""
    return peer.startswith(_LOOPBACK_PREFIXES)


def localhost_exception(ctx: CommandContext) -> bool:
    """mongod's localhost exception: ``--auth``, no user yet, and a client on the loopback interface."""
    return is_loopback(ctx.connection.peer) and not AuthStore(ctx.catalog).has_users()


def authorize(ctx: CommandContext, spec: CommandSpec, body: dict[str, Any]) -> None:
    """Raise Unauthorized (13) unless the caller may run ``body``."""
    if not ctx.state.config.auth or spec.no_auth:
        return
    session: AuthSession = ctx.connection.auth
    privileges = session.privileges(ctx.catalog)
    if privileges is None:
        if not localhost_exception(ctx):
            raise MongoError(ErrorCode.Unauthorized, f"Command {spec.name} requires authentication")
        privileges = LOCALHOST_PRIVILEGES
    name = spec.name
    action = NAMESPACE_ACTIONS.get(name) or _simple_action(name, body)
    if action is not None:  # the common case (find, insert, ...): one memoised lookup
        coll = body["collection" if name == "getMore" else name]
        if not privileges.on_namespace(action, ctx.db, coll if coll.__class__ is str else ""):
            raise unauthorized(ctx.db, body)
        if name == "killCursors":
            _check_cursor_owner(ctx, session, body.get("cursors"), body)
        elif name == "getMore":
            cursor_id = body["getMore"]
            cursor = ctx.state.cursors.cursors.get(cursor_id) if isinstance(cursor_id, int) else None
            if cursor is not None and cursor.owner is not None and cursor.owner != session.user:
                raise MongoError(
                    ErrorCode.Unauthorized, f"cursor id {cursor_id} was not created by the authenticated user"
                )
        return
    for check in required_checks(name, ctx.db, body):
        if not _allowed(check, privileges, session, ctx):
            raise unauthorized(ctx.db, body)


def _simple_action(name: str, body: dict[str, Any]) -> str | None:
    """The one action on one collection that update (without upserts), getMore and aggregate (a pipeline
    that reads only its collection) need — what their table rules would say, without building lists."""
    if name == "update":
        updates = body.get("updates")
        if updates.__class__ is list and not any(u.__class__ is dict and u.get("upsert") for u in updates):
            return "update"
    elif name == "getMore":
        return "find" if "collection" in body else None
    elif name == "aggregate" and body["aggregate"] != 1 and reads_only_its_collection(body.get("pipeline")):
        return "find"
    return None


def _check_cursor_owner(ctx: CommandContext, session: AuthSession, ids: Any, body: dict[str, Any]) -> None:
    """As mongod: only the user who opened a cursor may kill it (anyone's: killAnyCursor); getMore's
    check (a cursor is read only by its owner) is inline in authorize."""
    if not isinstance(ids, list):
        return
    cursors = ctx.state.cursors.cursors
    for cursor_id in ids:
        cursor = cursors.get(cursor_id) if isinstance(cursor_id, int) else None
        if cursor is None or cursor.owner is None or cursor.owner == session.user:
            continue
        privileges = session.privileges(ctx.catalog)
        if privileges is None or not privileges.on_cluster("killAnyCursor"):
            raise unauthorized(ctx.db, body)


def _allowed(check: Check, privileges: PrivilegeSet, session: AuthSession, ctx: CommandContext) -> bool:
    kind, action, db, coll = check
    if kind == "ns":
        return privileges.on_namespace(action, db, coll)
    if kind == "db":
        return privileges.on_database(action, db)
    if kind == "cluster":
        return privileges.on_cluster(action)
    if kind in ("user", "view"):  # usersInfo/rolesInfo decide whom they may show (user_cmds.may_view)
        return session.user is not None
    return session.user is not None and ("root", "admin") in session.role_names(ctx.catalog)
