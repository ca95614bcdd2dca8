"""Parsing the role names, privileges and user documents the user and role commands take and show."""

from __future__ import annotations

import uuid
from typing import Any

from bson.binary import Binary

from docdb.errors import ErrorCode, MongoError
from docdb.server.auth.builtin_roles import BUILTIN_ROLES, is_builtin
from docdb.server.auth.privileges import PrivilegeSet, RoleName, resolve_roles, resource_key, role_names
from docdb.server.auth.scram import MECHANISMS, keys_from_secret, make_credentials
from docdb.server.auth.store import AuthStore

KNOWN_ACTIONS = frozenset(
    action for privileges, _, _ in BUILTIN_ROLES.values() for _, actions in privileges for action in actions
) | {"indexStats", "authSchemaUpgrade", "killAnyCursor", "useUUID", "viewUser", "viewRole", "inprog"}


def _strings(doc: dict[str, Any], *fields: str) -> bool:
    return all(isinstance(doc.get(f), str) for f in fields)


def parse_role_names(cmd_name: str, field: str, value: Any, db: str) -> list[RoleName]:
    """``roles: ["read", {role, db}]`` -> ``[(role, db)]`` (a bare string is a role of ``db``)."""
    if not isinstance(value, list):
        raise MongoError(
            ErrorCode.TypeMismatch,
            f"BSON field '{cmd_name}.{field}' is the wrong type, expected type 'array'",
        )
    names: list[RoleName] = []
    for entry in value:
        if isinstance(entry, str):
            name = (entry, db)
        elif isinstance(entry, dict) and _strings(entry, "role", "db"):
            name = (entry["role"], entry["db"])
        else:
            raise MongoError(
                ErrorCode.BadValue, "Role names must be either strings or objects of the form {role, db}"
            )
        if name not in names:
            names.append(name)
    return names


def check_roles_exist(store: AuthStore, roles: list[RoleName]) -> None:
    for role, db in roles:
        if not is_builtin(role, db) and store.raw_role(role, db) is None:
            raise MongoError(ErrorCode.RoleNotFound, f"Could not find role: {role}@{db}")


def role_documents(roles: list[RoleName]) -> list[dict[str, Any]]:
    return [{"role": role, "db": db} for role, db in roles]


def parse_privileges(cmd_name: str, value: Any) -> list[dict[str, Any]]:
    """``privileges: [{resource, actions}]`` checked as mongod's ParsedPrivilege (actions de-duplicated
    and sorted as mongod stores them)."""
    if not isinstance(value, list):
        raise MongoError(
            ErrorCode.TypeMismatch,
            f"BSON field '{cmd_name}.privileges' is the wrong type, expected type 'array'",
        )
    privileges = []
    for entry in value:
        if not isinstance(entry, dict) or set(entry) != {"resource", "actions"}:
            raise MongoError(
                ErrorCode.FailedToParse, "A privilege must have exactly the fields resource and actions"
            )
        resource = entry["resource"]
        if not isinstance(resource, dict) or not (
            resource in ({"cluster": True}, {"anyResource": True})
            or (
                set(resource) == {"db", "collection"}
                and isinstance(resource["db"], str)
                and isinstance(resource["collection"], str)
            )
        ):
            raise MongoError(
                ErrorCode.FailedToParse,
                "resource must have either db and collection, cluster: true, or anyResource: true",
            )
        actions = entry["actions"]
        if not isinstance(actions, list) or not actions or not all(isinstance(a, str) for a in actions):
            raise MongoError(ErrorCode.FailedToParse, "actions must be a non-empty array of strings")
        for action in actions:
            if action not in KNOWN_ACTIONS:
                raise MongoError(ErrorCode.FailedToParse, f"Unrecognized action privilege string: {action}")
        privileges.append({"resource": dict(resource), "actions": sorted(set(actions))})
    return privileges


def merge_privileges(privileges: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Privileges on the same resource folded into one entry, as mongod keeps a role's privileges."""
    merged = PrivilegeSet()
    for privilege in privileges:
        merged.add(resource_key(privilege["resource"]), privilege["actions"])
    return merged.documents()


def parse_mechanisms(value: Any) -> list[str]:
    """``mechanisms`` of createUser/updateUser: both SCRAM variants when absent, in mongod's order."""
    if value is None:
        return list(MECHANISMS)
    if not isinstance(value, list) or not value:
        raise MongoError(ErrorCode.BadValue, "mechanisms field must not be empty")
    for mechanism in value:
        if mechanism not in MECHANISMS:
            raise MongoError(ErrorCode.BadValue, f"Unknown auth mechanism '{mechanism}'")
    return [m for m in MECHANISMS if m in value]


def credentials_for(
    cmd_name: str, user: str, password: Any, mechanisms: list[str], digest_password: bool
) -> dict[str, Any]:
    """Salted SCRAM keys for each mechanism (the password itself is never stored)."""
    if not isinstance(password, str):
        raise MongoError(
            ErrorCode.TypeMismatch, f"BSON field '{cmd_name}.pwd' is the wrong type, expected type 'string'"
        )
    if not password:
        raise MongoError(ErrorCode.BadValue, "Password cannot be empty")
    if not digest_password and "SCRAM-SHA-256" in mechanisms:
        raise MongoError(ErrorCode.BadValue, "Use of SCRAM-SHA-256 requires undigested passwords")
    credentials = {}
    for mechanism in mechanisms:
        if mechanism == "SCRAM-SHA-1" and not digest_password:
            credentials[mechanism] = keys_from_secret(mechanism, password.encode())
        else:
            credentials[mechanism] = make_credentials(mechanism, user, password)
    return credentials


def new_user_document(
    user: str, db: str, credentials: dict[str, Any], roles: list[RoleName], custom_data: Any
) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "_id": f"{db}.{user}",
        "userId": Binary(uuid.uuid4().bytes, 4),
        "user": user,
        "db": db,
        "credentials": credentials,
        "roles": role_documents(roles),
    }
    if custom_data is not None:
        doc["customData"] = custom_data
    return doc


def user_info(
    store: AuthStore,
    doc: dict[str, Any],
    show_privileges: bool,
    show_custom_data: bool,
    show_restrictions: bool,
) -> dict[str, Any]:
    """A stored user as usersInfo shows it: never its credentials, only their mechanism names (docdb
    has no authentication restrictions, so those lists are empty)."""
    info: dict[str, Any] = {key: doc[key] for key in ("_id", "userId", "user", "db") if key in doc}
    if show_custom_data and "customData" in doc:
        info["customData"] = doc["customData"]
    info["roles"] = doc.get("roles", [])
    held = doc.get("credentials")
    if isinstance(held, dict) and held.get("external"):
        info["mechanisms"] = ["external"]  # a $external (MONGODB-X509) user, as mongod lists it
    else:
        info["mechanisms"] = [m for m in MECHANISMS if isinstance(held, dict) and m in held]
    if show_privileges:
        names, privileges, _ = resolve_roles(role_names(info["roles"]), store.raw_role)
        info["inheritedRoles"] = role_documents(names)
        info["inheritedPrivileges"] = privileges.documents()
        info["inheritedAuthenticationRestrictions"] = []
    if show_restrictions:
        info["authenticationRestrictions"] = []
    return info
