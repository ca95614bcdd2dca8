"""One connection's authentication state: who is logged in, their resolved privileges, an open SASL
conversation.

Privileges are resolved once per login and reused while the stored user and role documents they came from
are the same objects (stored documents are immutable bytes, so an update or drop replaces or removes them);
checking that costs a dict read per document, so dispatch never resolves roles per command.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from docdb.bson_codec import decode_document
from docdb.engine.catalog import Catalog
from docdb.server.auth.privileges import PrivilegeSet, RoleName, resolve_roles, role_names
from docdb.server.auth.scram import ScramConversation
from docdb.server.auth.store import ADMIN, ROLES, USERS, AuthStore

UserName = tuple[str, str]  # (user, db)


@dataclass(slots=True)
class SaslState:
    """An open SCRAM conversation: whom it authenticates and where it stands."""

    conversation_id: int
    user: str
    db: str
    mechanism: str
    scram: ScramConversation
    skip_empty_exchange: bool
    as_base64: bool = False  # the client sent payloads as base64 strings: answer in kind


@dataclass(slots=True)
class AuthSession:
    """Per connection: the authenticated user (mongod 7.0 allows one) and a SASL conversation."""

    user: UserName | None = None
    sasl: SaslState | None = None
    _user_id: str = ""
    _raw_user: bytes | None = None
    _consulted: list[tuple[RoleName, bytes | None]] = field(default_factory=list)
    _roles: list[RoleName] = field(default_factory=list)
    _direct_roles: list[RoleName] = field(default_factory=list)
    _privileges: PrivilegeSet | None = None

    def login(self, user: str, db: str) -> None:
        self.user = (user, db)
        self._user_id = f"{db}.{user}"
        self._raw_user = None
        self._privileges = None

    def logout(self) -> None:
        self.user = None
        self.sasl = None
        self._raw_user = None
        self._privileges = None

    def privileges(self, catalog: Catalog) -> PrivilegeSet | None:
        """The logged-in user's privileges (None when nobody is, or the user was dropped meanwhile).

        The per-command path: a few dict reads when nothing changed (dispatch runs it for every command).
        """
        if self.user is None:
            return None
        colls = catalog.databases.get(ADMIN)
        users = None if colls is None else colls.get(USERS)
        raw = None if users is None else users.docs.get(self._user_id)
        if raw is None:
            return None
        cached = self._privileges
        if cached is not None and raw is self._raw_user:
            if not self._consulted:
                return cached
            roles = colls.get(ROLES) if colls is not None else None
            docs = {} if roles is None else roles.docs
            for (role, db), seen in self._consulted:
                if docs.get(f"{db}.{role}") is not seen:
                    break
            else:
                return cached
        doc = decode_document(raw)
        store = AuthStore(catalog)
        self._direct_roles = role_names(doc.get("roles"))
        self._roles, self._privileges, self._consulted = resolve_roles(self._direct_roles, store.raw_role)
        self._raw_user = raw
        return self._privileges

    def role_names(self, catalog: Catalog) -> list[RoleName]:
        """Every role the user holds, directly or inherited."""
        return list(self._roles) if self.privileges(catalog) is not None else []

    def direct_roles(self, catalog: Catalog) -> list[RoleName]:
        """The roles granted to the user itself (connectionStatus' authenticatedUserRoles)."""
        return list(self._direct_roles) if self.privileges(catalog) is not None else []
