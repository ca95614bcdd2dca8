"""createRole, updateRole, dropRole, dropAllRolesFromDatabase, rolesInfo, grantPrivilegesToRole,
revokePrivilegesFromRole, grantRolesToRole, revokeRolesFromRole: user-defined roles as documents of
``admin.system.roles`` (built-in roles are data in auth/builtin_roles.py and cannot be changed)."""

from __future__ import annotations

from typing import Any

from docdb.errors import ErrorCode, MongoError
from docdb.server.auth.builtin_roles import BUILTIN_ROLES, builtin_privileges, builtin_subroles, is_builtin
from docdb.server.auth.command_text import unauthorized
from docdb.server.auth.documents import (
    check_roles_exist,
    merge_privileges,
    parse_privileges,
    parse_role_names,
    role_documents,
)
from docdb.server.auth.listing import may_view, queried_names
from docdb.server.auth.privileges import (
    RoleName,
    privilege_entries,
    resolve_roles,
    resource_document,
    role_names,
)
from docdb.server.auth.store import ROLES, AuthStore
from docdb.server.context import CommandContext
from docdb.server.params import check_fields, get_bool
from docdb.server.registry import command

_ROLE_FIELDS = {"privileges", "roles", "authenticationRestrictions"}


def _role_name(cmd: dict[str, Any]) -> str:
    name = cmd[next(iter(cmd))]
    if not isinstance(name, str) or not name:
        raise MongoError(ErrorCode.BadValue, "Role name must be a non-empty string")
    return name


def _existing(store: AuthStore, role: str, db: str) -> dict[str, Any]:
    if is_builtin(role, db):
        raise MongoError(ErrorCode.InvalidRoleModification, f"Cannot modify built-in role: {role}@{db}")
    doc = store.role(db, role)
    if doc is None:
        raise MongoError(ErrorCode.RoleNotFound, f"Could not find role: {role}@{db}")
    return doc


def _check_no_cycle(store: AuthStore, name: RoleName, roles: list[RoleName]) -> None:
    """A role may not hold itself, directly or through others (mongod refuses the cycle)."""
    inherited, _, _ = resolve_roles(roles, store.raw_role)
    if name in inherited:
        raise MongoError(
            ErrorCode.InvalidRoleModification,
            f"Granting roles to {name[0]}@{name[1]} would introduce a cycle in the role graph",
        )


def _store_role(store: AuthStore, doc: dict[str, Any]) -> None:
    store.put(
        ROLES,
        {
            "_id": doc["_id"],
            "role": doc["role"],
            "db": doc["db"],
            "privileges": doc.get("privileges", []),
            "roles": doc.get("roles", []),
        },
    )


@command("createRole")
def create_role(ctx: CommandContext, cmd: dict[str, Any]) -> dict[str, Any]:
    """Define a role from privileges and other roles."""
    check_fields(cmd, _ROLE_FIELDS)
    role, db = _role_name(cmd), ctx.db
    for field in ("privileges", "roles"):
        if field not in cmd:
            raise MongoError(40414, f"BSON field 'createRole.{field}' is missing but a required field")
    if "authenticationRestrictions" in cmd:
        raise MongoError(ErrorCode.NotImplemented, "authenticationRestrictions are not supported by docdb")
    if role in BUILTIN_ROLES:
        raise MongoError(ErrorCode.BadValue, "Cannot create roles with the same name as a built-in role")
    privileges = merge_privileges(parse_privileges("createRole", cmd["privileges"]))
    roles = parse_role_names("createRole", "roles", cmd["roles"], db)
    store = AuthStore(ctx.catalog)
    if store.raw_role(role, db) is not None:
        raise MongoError(51002, f'Role "{role}@{db}" already exists')
    check_roles_exist(store, roles)
    _store_role(
        store,
        {
            "_id": f"{db}.{role}",
            "role": role,
            "db": db,
            "privileges": privileges,
            "roles": role_documents(roles),
        },
    )
    return {}


@command("updateRole")
def update_role(ctx: CommandContext, cmd: dict[str, Any]) -> dict[str, Any]:
    """Replace a role's privileges and/or the roles it holds."""
    check_fields(cmd, _ROLE_FIELDS)
    role, db = _role_name(cmd), ctx.db
    if not {"privileges", "roles", "authenticationRestrictions"} & cmd.keys():
        raise MongoError(ErrorCode.BadValue, "Must specify at least one field to update in updateRole")
    if "authenticationRestrictions" in cmd:
        raise MongoError(ErrorCode.NotImplemented, "authenticationRestrictions are not supported by docdb")
    store = AuthStore(ctx.catalog)
    doc = _existing(store, role, db)
    if "privileges" in cmd:
        doc["privileges"] = merge_privileges(parse_privileges("updateRole", cmd["privileges"]))
    if "roles" in cmd:
        roles = parse_role_names("updateRole", "roles", cmd["roles"], db)
        check_roles_exist(store, roles)
        _check_no_cycle(store, (role, db), roles)
        doc["roles"] = role_documents(roles)
    _store_role(store, doc)
    return {}


@command("dropRole")
def drop_role(ctx: CommandContext, cmd: dict[str, Any]) -> dict[str, Any]:
    """Remove a role; users and roles that held it simply stop getting its privileges."""
    check_fields(cmd, {"writeConcern"})
    role, db = _role_name(cmd), ctx.db
    store = AuthStore(ctx.catalog)
    _existing(store, role, db)
    store.delete(ROLES, [f"{db}.{role}"])
    return {}


@command("dropAllRolesFromDatabase")
def drop_all_roles(ctx: CommandContext, cmd: dict[str, Any]) -> dict[str, Any]:
    """Remove every user-defined role of this database; ``n`` says how many."""
    check_fields(cmd, {"writeConcern"})
    store = AuthStore(ctx.catalog)
    ids = [doc["_id"] for doc in store.all(ROLES) if doc.get("db") == ctx.db]
    return {"n": store.delete(ROLES, ids)}


def _change_privileges(ctx: CommandContext, cmd: dict[str, Any], grant: bool) -> dict[str, Any]:
    check_fields(cmd, {"privileges", "writeConcern"})
    name = next(iter(cmd))
    role, db = _role_name(cmd), ctx.db
    if "privileges" not in cmd:
        raise MongoError(40414, f"BSON field '{name}.privileges' is missing but a required field")
    changes = parse_privileges(name, cmd["privileges"])
    store = AuthStore(ctx.catalog)
    doc = _existing(store, role, db)
    if grant:
        doc["privileges"] = merge_privileges([*doc.get("privileges", []), *changes])
    else:
        kept = []
        for privilege in doc.get("privileges", []):
            actions = set(privilege["actions"])
            for change in changes:
                if change["resource"] == privilege["resource"]:
                    actions -= set(change["actions"])
            if actions:
                kept.append({"resource": privilege["resource"], "actions": sorted(actions)})
        doc["privileges"] = kept
    _store_role(store, doc)
    return {}


@command("grantPrivilegesToRole")
def grant_privileges_to_role(ctx: CommandContext, cmd: dict[str, Any]) -> dict[str, Any]:
    """Add privileges to a user-defined role."""
    return _change_privileges(ctx, cmd, grant=True)


@command("revokePrivilegesFromRole")
def revoke_privileges_from_role(ctx: CommandContext, cmd: dict[str, Any]) -> dict[str, Any]:
    """Take actions away from a user-defined role's privileges."""
    return _change_privileges(ctx, cmd, grant=False)


def _change_roles(ctx: CommandContext, cmd: dict[str, Any], grant: bool) -> dict[str, Any]:
    check_fields(cmd, {"roles", "writeConcern"})
    name = next(iter(cmd))
    role, db = _role_name(cmd), ctx.db
    if "roles" not in cmd:
        raise MongoError(40414, f"BSON field '{name}.roles' is missing but a required field")
    roles = parse_role_names(name, "roles", cmd["roles"], db)
    store = AuthStore(ctx.catalog)
    doc = _existing(store, role, db)
    check_roles_exist(store, roles)
    held = role_names(doc.get("roles"))
    if grant:
        held += [r for r in roles if r not in held]
        _check_no_cycle(store, (role, db), held)
    else:
        held = [r for r in held if r not in roles]
    doc["roles"] = role_documents(held)
    _store_role(store, doc)
    return {}


@command("grantRolesToRole")
def grant_roles_to_role(ctx: CommandContext, cmd: dict[str, Any]) -> dict[str, Any]:
    """Make a role inherit other roles."""
    return _change_roles(ctx, cmd, grant=True)


@command("revokeRolesFromRole")
def revoke_roles_from_role(ctx: CommandContext, cmd: dict[str, Any]) -> dict[str, Any]:
    """Stop a role inheriting other roles."""
    return _change_roles(ctx, cmd, grant=False)


def _role_info(
    store: AuthStore, name: RoleName, show_privileges: bool, show_restrictions: bool
) -> dict[str, Any] | None:
    role, db = name
    if is_builtin(role, db):
        direct = [(sub, db) for sub in builtin_subroles(role)]
        own = merge_privileges([{"resource": r, "actions": list(a)} for r, a in builtin_privileges(role, db)])
        builtin = True
    else:
        doc = store.role(db, role)
        if doc is None:
            return None
        direct = role_names(doc.get("roles"))
        own = [
            {"resource": resource_document(key), "actions": actions}
            for key, actions in privilege_entries(doc.get("privileges"))
        ]
        builtin = False
    inherited, privileges, _ = resolve_roles(direct, store.raw_role)
    info: dict[str, Any] = {
        "role": role,
        "db": db,
        "isBuiltin": builtin,
        "roles": role_documents(direct),
        "inheritedRoles": role_documents(inherited),
    }
    if show_privileges:
        for privilege in own:
            privileges.add_document(privilege)
        info["privileges"] = own
        info["inheritedPrivileges"] = privileges.documents()
    if show_restrictions:  # docdb has no authentication restrictions
        info["authenticationRestrictions"] = []
        info["inheritedAuthenticationRestrictions"] = []
    return info


@command("rolesInfo")
def roles_info(ctx: CommandContext, cmd: dict[str, Any]) -> dict[str, Any]:
    """Roles by name, or all user-defined roles of this database (plus built-ins with showBuiltinRoles)."""
    check_fields(cmd, {"showPrivileges", "showBuiltinRoles", "showAuthenticationRestrictions"})
    if cmd.get("showPrivileges") == "asUserFragment":
        raise MongoError(
            ErrorCode.NotImplemented, "rolesInfo showPrivileges: 'asUserFragment' is not supported"
        )
    show_privileges = get_bool(cmd, "showPrivileges")
    show_restrictions = get_bool(cmd, "showAuthenticationRestrictions")
    store = AuthStore(ctx.catalog)
    names = queried_names(cmd["rolesInfo"], ctx.db, "role")
    if names is None:
        if not may_view(ctx, "viewRole", ctx.db):
            raise unauthorized(ctx.db, cmd)
        names = [(d["role"], d["db"]) for d in store.all(ROLES) if d.get("db") == ctx.db]
        if get_bool(cmd, "showBuiltinRoles"):
            names += sorted((r, ctx.db) for r in BUILTIN_ROLES if is_builtin(r, ctx.db))
    else:
        held = set(ctx.connection.auth.role_names(ctx.catalog))
        for name in names:
            if name not in held and not may_view(ctx, "viewRole", name[1]):
                raise unauthorized(ctx.db, cmd)
    infos = [
        info
        for info in (_role_info(store, n, show_privileges, show_restrictions) for n in names)
        if info is not None
    ]
    return {"roles": infos}
