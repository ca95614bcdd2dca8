"""Users and roles as documents of ``admin.system.users`` / ``admin.system.roles``, as mongod keeps them.

They go through the catalog's one write funnel, so they are logged (and encrypted at rest with the rest of
the file), survive restarts, and are readable with ``find`` by whoever may read those collections. A
user's ``_id`` is ``"<db>.<user>"`` and a role's ``"<db>.<role>"``, as in mongod.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from docdb.bson_codec import decode_document
from docdb.engine.catalog import Catalog
from docdb.engine.writes import DocumentBatch

ADMIN = "admin"
USERS = "system.users"
ROLES = "system.roles"
_INDEXES = {
    USERS: {"v": 2, "key": {"user": 1, "db": 1}, "name": "user_1_db_1", "unique": True},
    ROLES: {"v": 2, "key": {"role": 1, "db": 1}, "name": "role_1_db_1", "unique": True},
}


class AuthStore:
    """Reads and writes the two system collections of ``catalog``."""

    __slots__ = ("catalog",)

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    # -- reading ---------------------------------------------------------------------------------------

    def raw(self, coll_name: str, db: str, name: str) -> bytes | None:
        """The stored bytes of user/role ``name`` of ``db`` (identity tells a cache whether it changed)."""
        colls = self.catalog.databases.get(ADMIN)
        coll = None if colls is None else colls.get(coll_name)
        return None if coll is None else coll.docs.get(f"{db}.{name}")

    def raw_user(self, db: str, user: str) -> bytes | None:
        return self.raw(USERS, db, user)

    def raw_role(self, role: str, db: str) -> bytes | None:
        return self.raw(ROLES, db, role)

    def user(self, db: str, user: str) -> dict[str, Any] | None:
        raw = self.raw_user(db, user)
        return None if raw is None else decode_document(raw)

    def role(self, db: str, role: str) -> dict[str, Any] | None:
        raw = self.raw_role(role, db)
        return None if raw is None else decode_document(raw)

    def has_users(self) -> bool:
        """Whether any user exists (the localhost exception ends with the first one)."""
        coll = self.catalog.collection(ADMIN, USERS)
        return coll is not None and len(coll) > 0

    def all(self, coll_name: str) -> Iterator[dict[str, Any]]:
        """Every stored user (or role) document, in ``_id`` order as mongod's index walk returns them."""
        coll = self.catalog.collection(ADMIN, coll_name)
        if coll is None:
            return
        for key in sorted(coll.docs):
            yield decode_document(coll.docs[key])

    # -- writing ---------------------------------------------------------------------------------------

    def _collection(self, coll_name: str) -> Any:
        coll = self.catalog.collection(ADMIN, coll_name)
        if coll is None:
            coll = self.catalog.create_collection(ADMIN, coll_name, {})
            self.catalog.create_indexes(coll, [dict(_INDEXES[coll_name])])
        return coll

    def put(self, coll_name: str, doc: dict[str, Any]) -> None:
        """Insert or replace ``doc`` (by its ``_id``) as one logged write."""
        batch = DocumentBatch(self._collection(coll_name))
        batch.put(doc)
        self.catalog.commit(batch.writes)

    def delete(self, coll_name: str, ids: list[str]) -> int:
        """Delete the documents with these ``_id``s as one logged write; how many existed."""
        coll = self.catalog.collection(ADMIN, coll_name)
        if coll is None:
            return 0
        batch = DocumentBatch(coll)
        for doc_id in ids:
            if doc_id in coll.docs:
                batch.delete({"_id": doc_id})
        self.catalog.commit(batch.writes)
        return len(batch.writes)
