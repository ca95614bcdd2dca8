"""A set of privileges compiled for quick checks, and a role graph resolved into one.

A resource is a namespace ``(db, collection)``, a database ``(db, "")``, the cluster or any resource, as
mongod's ResourcePattern: ``{db: "x", collection: ""}`` covers x's non-system collections and the database
x itself; ``{db: "", collection: ""}`` every non-system collection and database; ``system.*`` collections
are covered only when named.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from docdb.bson_codec import decode_document
from docdb.server.auth.builtin_roles import builtin_privileges, builtin_subroles, is_builtin

RoleName = tuple[str, str]  # (role, db)
Resource = tuple[str, str]  # (db, collection); ("", "") any normal; CLUSTER_KEY / ANY_KEY
CLUSTER_KEY: Resource = ("\x00cluster", "")
ANY_KEY: Resource = ("\x00any", "")


def resource_key(resource: dict[str, Any]) -> Resource:
    """The key of a resource document (validated by the role commands before it gets here)."""
    if resource.get("cluster") is True:
        return CLUSTER_KEY
    if resource.get("anyResource") is True:
        return ANY_KEY
    return (resource["db"], resource["collection"])


def resource_document(key: Resource) -> dict[str, Any]:
    if key == CLUSTER_KEY:
        return {"cluster": True}
    if key == ANY_KEY:
        return {"anyResource": True}
    return {"db": key[0], "collection": key[1]}


class PrivilegeSet:
    """Actions by resource, with the lookups dispatch makes per command kept to a few dict reads."""

    __slots__ = ("by_resource", "_db", "_coll", "_all", "_cluster", "_any", "_memo")

    def __init__(self) -> None:
        self.by_resource: dict[Resource, set[str]] = {}
        self._db: dict[str, set[str]] = {}
        self._coll: dict[str, set[str]] = {}
        self._all: set[str] = set()
        self._cluster: set[str] = set()
        self._any: set[str] = set()
        self._memo: dict[tuple[str, str, str], bool] = {}  # on_namespace answers (a set never shrinks)

    def add(self, key: Resource, actions: Iterable[str]) -> None:
        self._memo.clear()
        self.by_resource.setdefault(key, set()).update(actions)
        db, coll = key
        if key == CLUSTER_KEY:
            self._cluster.update(actions)
        elif key == ANY_KEY:
            self._any.update(actions)
        elif not db and not coll:
            self._all.update(actions)
        elif not coll:
            self._db.setdefault(db, set()).update(actions)
        elif not db:
            self._coll.setdefault(coll, set()).update(actions)

    def add_document(self, privilege: dict[str, Any]) -> None:
        """Add one ``{resource, actions}`` document."""
        self.add(resource_key(privilege["resource"]), privilege["actions"])

    def on_namespace(self, action: str, db: str, coll: str) -> bool:
        """``action`` on collection ``db.coll`` (answers remembered: this runs for every command)."""
        key = (action, db, coll)
        known = self._memo.get(key)
        if known is None:
            known = self._on_namespace(action, db, coll)
            if len(self._memo) >= 4096:
                self._memo.clear()
            self._memo[key] = known
        return known

    def _on_namespace(self, action: str, db: str, coll: str) -> bool:
        if action in self._any:
            return True
        exact = self.by_resource.get((db, coll))
        if exact is not None and action in exact:
            return True
        named = self._coll.get(coll)
        if named is not None and action in named:
            return True
        if coll.startswith("system."):
            return False
        return action in self._all or action in self._db.get(db, ())

    def on_database(self, action: str, db: str) -> bool:
        """``action`` on database ``db`` itself."""
        return action in self._any or action in self._all or action in self._db.get(db, ())

    def on_cluster(self, action: str) -> bool:
        return action in self._any or action in self._cluster

    def any_on_database(self, db: str) -> bool:
        """Whether some privilege names ``db`` or all databases (listDatabases' authorizedDatabases)."""
        return bool(self._any or self._all or self._db.get(db) or any(k[0] == db for k in self.by_resource))

    def any_on_namespace(self, db: str, coll: str) -> bool:
        """Whether some action is allowed on ``db.coll`` (listCollections' authorizedCollections)."""
        if self._any or self.by_resource.get((db, coll)) or self._coll.get(coll):
            return True
        return not coll.startswith("system.") and bool(self._all or self._db.get(db))

    def documents(self) -> list[dict[str, Any]]:
        """``[{resource, actions}]`` as usersInfo / connectionStatus show them (actions sorted)."""
        return [
            {"resource": resource_document(key), "actions": sorted(actions)}
            for key, actions in self.by_resource.items()
        ]


def role_names(roles: Any) -> list[RoleName]:
    """``[{role, db}]`` of a stored user or role as names; entries that are not well-formed (a document
    written into a system collection by hand) grant nothing rather than break every command."""
    if not isinstance(roles, list):
        return []
    return [
        (r["role"], r["db"])
        for r in roles
        if isinstance(r, dict) and isinstance(r.get("role"), str) and isinstance(r.get("db"), str)
    ]


def privilege_entries(privileges: Any) -> Iterable[tuple[Resource, list[str]]]:
    """The well-formed ``{resource, actions}`` entries of a stored role (others grant nothing)."""
    if not isinstance(privileges, list):
        return
    for privilege in privileges:
        try:
            key = resource_key(privilege["resource"])
            actions = privilege["actions"]
        except (KeyError, TypeError):
            continue
        if isinstance(key[0], str) and isinstance(key[1], str) and isinstance(actions, list):
            yield key, [a for a in actions if isinstance(a, str)]


RoleLookup = Callable[[str, str], "bytes | None"]  # (role, db) -> the stored role document's bytes


def resolve_roles(
    roles: Iterable[RoleName], lookup: RoleLookup
) -> tuple[list[RoleName], PrivilegeSet, list[tuple[RoleName, bytes | None]]]:
    """``roles`` and every role they hold, transitively: ``(all role names, their privileges, the stored
    role documents consulted)`` — the last lets a cache tell when a role changed (documents are
    immutable bytes, so identity is enough). A role that no longer exists grants nothing."""
    seen: list[RoleName] = []
    consulted: list[tuple[RoleName, bytes | None]] = []
    privileges = PrivilegeSet()
    pending = list(roles)
    while pending:
        name = pending.pop(0)
        if name in seen:
            continue
        role, db = name
        if is_builtin(role, db):
            seen.append(name)
            for resource, actions in builtin_privileges(role, db):
                privileges.add(resource_key(resource), actions)
            pending.extend((sub, db) for sub in builtin_subroles(role))
            continue
        raw = lookup(role, db)
        consulted.append((name, raw))
        if raw is None:
            continue
        stored = decode_document(raw)
        seen.append(name)
        for key, actions in privilege_entries(stored.get("privileges")):
            privileges.add(key, actions)
        pending.extend(role_names(stored.get("roles")))
    return seen, privileges, consulted
