"""createUser, updateUser, dropUser, dropAllUsersFromDatabase, usersInfo, grantRolesToUser,
revokeRolesFromUser: documents of ``admin.system.users`` written through the catalog (see auth/store.py).

The privileges these need are checked by dispatch (auth/command_privileges.py); usersInfo alone decides here
whom the caller may see, since that depends on the query (anyone may see themself).
"""

from __future__ import annotations

from typing import Any

from docdb.engine.matcher import compile_filter
from docdb.errors import ErrorCode, MongoError
from docdb.server.auth.command_text import unauthorized
from docdb.server.auth.documents import (
    check_roles_exist,
    credentials_for,
    new_user_document,
    parse_mechanisms,
    parse_role_names,
    role_documents,
    user_info,
)
from docdb.server.auth.listing import may_view, queried_names
from docdb.server.auth.privileges import role_names
from docdb.server.auth.store import USERS, AuthStore
from docdb.server.auth.x509 import EXTERNAL_DB
from docdb.server.context import CommandContext
from docdb.server.params import check_fields, get_bool, get_doc
from docdb.server.registry import command

_WRITE_FIELDS = {"writeConcern", "comment"}
_USER_FIELDS = {"pwd", "customData", "roles", "digestPassword", "mechanisms", "authenticationRestrictions"}
_INFO_FIELDS = {
    "showCredentials",
    "showCustomData",
    "showPrivileges",
    "showAuthenticationRestrictions",
    "filter",
}


def _user_name(cmd: dict[str, Any]) -> str:
    name = cmd[next(iter(cmd))]
    if not isinstance(name, str):
        raise MongoError(
            ErrorCode.TypeMismatch,
            f"BSON field '{next(iter(cmd))}' is the wrong type, expected type 'string'",
        )
    if not name:
        raise MongoError(ErrorCode.BadValue, "User document needs 'user' field to be non-empty")
    return name


def _existing(store: AuthStore, db: str, user: str) -> dict[str, Any]:
    doc = store.user(db, user)
    if doc is None:
        raise MongoError(ErrorCode.UserNotFound, f'Could not find user "{user}" for db "{db}"')
    return doc


@command("createUser")
def create_user(ctx: CommandContext, cmd: dict[str, Any]) -> dict[str, Any]:
    """Create a user with salted SCRAM keys for each of its mechanisms (default: both)."""
    check_fields(cmd, _USER_FIELDS)
    user, db = _user_name(cmd), ctx.db
    if db == "local":
        raise MongoError(ErrorCode.BadValue, "Cannot create users in the local database")
    if "roles" not in cmd:
        raise MongoError(40414, "BSON field 'createUser.roles' is missing but a required field")
    if "authenticationRestrictions" in cmd:
        raise MongoError(ErrorCode.NotImplemented, "authenticationRestrictions are not supported by docdb")
    roles = parse_role_names("createUser", "roles", cmd["roles"], db)
    if db == EXTERNAL_DB:  # MONGODB-X509 users: the TLS client certificate is the credential
        if "pwd" in cmd:
            raise MongoError(
                ErrorCode.BadValue, "Cannot set the password for users defined on the '$external' database"
            )
    elif "pwd" not in cmd:
        raise MongoError(
            ErrorCode.BadValue,
            "Must provide a 'pwd' field for all user documents, except those with '$external' as the user's "
            "source db",
        )
    custom_data = get_doc(cmd, "customData")
    mechanisms = parse_mechanisms(cmd.get("mechanisms"))
    store = AuthStore(ctx.catalog)
    if store.raw_user(db, user) is not None:
        raise MongoError(51003, f'User "{user}@{db}" already exists')
    check_roles_exist(store, roles)
    if db == EXTERNAL_DB:
        credentials: dict[str, Any] = {"external": True}
    else:
        digest = get_bool(cmd, "digestPassword", True)
        credentials = credentials_for("createUser", user, cmd["pwd"], mechanisms, digest)
    store.put(USERS, new_user_document(user, db, credentials, roles, custom_data))
    return {}


@command("updateUser")
def update_user(ctx: CommandContext, cmd: dict[str, Any]) -> dict[str, Any]:
    """Change a user's password (new salted keys), customData, roles or mechanisms."""
    check_fields(cmd, _USER_FIELDS)
    user, db = _user_name(cmd), ctx.db
    if not {"pwd", "customData", "roles", "mechanisms", "authenticationRestrictions"} & cmd.keys():
        raise MongoError(ErrorCode.BadValue, "Must specify at least one field to update in updateUser")
    if "authenticationRestrictions" in cmd:
        raise MongoError(ErrorCode.NotImplemented, "authenticationRestrictions are not supported by docdb")
    store = AuthStore(ctx.catalog)
    roles = parse_role_names("updateUser", "roles", cmd["roles"], db) if "roles" in cmd else None
    custom_data = get_doc(cmd, "customData")
    doc = _existing(store, db, user)
    if roles is not None:
        check_roles_exist(store, roles)
        doc["roles"] = role_documents(roles)
    if custom_data is not None:
        doc["customData"] = custom_data
    if "pwd" in cmd:
        mechanisms = parse_mechanisms(cmd.get("mechanisms"))
        doc["credentials"] = credentials_for(
            "updateUser", user, cmd["pwd"], mechanisms, get_bool(cmd, "digestPassword", True)
        )
    elif "mechanisms" in cmd:
        mechanisms = parse_mechanisms(cmd["mechanisms"])
        if not set(mechanisms) <= set(doc["credentials"]):
            raise MongoError(
                ErrorCode.BadValue, "mechanisms field must be a subset of previously set mechanisms"
            )
        doc["credentials"] = {m: c for m, c in doc["credentials"].items() if m in mechanisms}
    store.put(USERS, _ordered(doc))
    return {}


def _ordered(doc: dict[str, Any]) -> dict[str, Any]:
    """Fields in mongod's stored order whatever was changed."""
    order = ("_id", "userId", "user", "db", "credentials", "customData", "roles")
    return {key: doc[key] for key in order if key in doc} | {k: v for k, v in doc.items() if k not in order}


@command("dropUser")
def drop_user(ctx: CommandContext, cmd: dict[str, Any]) -> dict[str, Any]:
    """Remove a user; connections logged in as it lose its privileges at their next command."""
    check_fields(cmd, _WRITE_FIELDS)
    user, db = _user_name(cmd), ctx.db
    store = AuthStore(ctx.catalog)
    _existing(store, db, user)
    store.delete(USERS, [f"{db}.{user}"])
    return {}


@command("dropAllUsersFromDatabase")
def drop_all_users(ctx: CommandContext, cmd: dict[str, Any]) -> dict[str, Any]:
    """Remove every user defined on this database; ``n`` says how many."""
    check_fields(cmd, _WRITE_FIELDS)
    store = AuthStore(ctx.catalog)
    ids = [doc["_id"] for doc in store.all(USERS) if doc.get("db") == ctx.db]
    return {"n": store.delete(USERS, ids)}


def _change_roles(ctx: CommandContext, cmd: dict[str, Any], grant: bool) -> dict[str, Any]:
    check_fields(cmd, {"roles"})
    name = next(iter(cmd))
    user, db = _user_name(cmd), ctx.db
    if "roles" not in cmd:
        raise MongoError(40414, f"BSON field '{name}.roles' is missing but a required field")
    roles = parse_role_names(name, "roles", cmd["roles"], db)
    store = AuthStore(ctx.catalog)
    doc = _existing(store, db, user)
    check_roles_exist(store, roles)
    held = role_names(doc.get("roles"))
    if grant:
        held += [r for r in roles if r not in held]
    else:
        held = [r for r in held if r not in roles]
    doc["roles"] = role_documents(held)
    store.put(USERS, doc)
    return {}


@command("grantRolesToUser")
def grant_roles_to_user(ctx: CommandContext, cmd: dict[str, Any]) -> dict[str, Any]:
    """Add roles to a user."""
    return _change_roles(ctx, cmd, grant=True)


@command("revokeRolesFromUser")
def revoke_roles_from_user(ctx: CommandContext, cmd: dict[str, Any]) -> dict[str, Any]:
    """Take roles from a user."""
    return _change_roles(ctx, cmd, grant=False)


@command("usersInfo")
def users_info(ctx: CommandContext, cmd: dict[str, Any]) -> dict[str, Any]:
    """Users of this database, by name, or of all databases (``{forAllDBs: true}``); never credentials."""
    check_fields(cmd, _INFO_FIELDS)
    if get_bool(cmd, "showCredentials"):
        raise MongoError(ErrorCode.NotImplemented, "docdb never shows stored credentials (showCredentials)")
    show_privileges = get_bool(cmd, "showPrivileges")
    show_custom = get_bool(cmd, "showCustomData", True)
    store = AuthStore(ctx.catalog)
    value = cmd["usersInfo"]
    if isinstance(value, dict) and value.get("forAllDBs") is True:
        if not may_view(ctx, "viewUser", ""):
            raise unauthorized(ctx.db, cmd)
        docs = list(store.all(USERS))
    else:
        names = queried_names(cmd["usersInfo"], ctx.db, "user")
        me = ctx.connection.auth.user
        if names is None:
            if not may_view(ctx, "viewUser", ctx.db):
                raise unauthorized(ctx.db, cmd)
            docs = [d for d in store.all(USERS) if d.get("db") == ctx.db]
        else:
            for user, db in names:
                if (user, db) != me and not may_view(ctx, "viewUser", db):
                    raise unauthorized(ctx.db, cmd)
            docs = [d for d in (store.user(db, user) for user, db in names) if d is not None]
    filter_doc = get_doc(cmd, "filter")
    restrictions = get_bool(cmd, "showAuthenticationRestrictions")
    infos = [user_info(store, d, show_privileges, show_custom, restrictions) for d in docs]
    if filter_doc:
        predicate = compile_filter(filter_doc)
        infos = [i for i in infos if predicate(i)]
    return {"users": infos}
