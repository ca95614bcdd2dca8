"""Database and collection name rules (MongoDB's), checked before anything is created."""

from __future__ import annotations

from docdb.engine.bson_types import bson_type_alias
from docdb.errors import ErrorCode, MongoError

_DB_INVALID_CHARS = frozenset('/\\. "$\x00')
MAX_DB_NAME_LENGTH = 63  # mongod: "db name must be at most 63 characters"


def validate_db_name(db: str) -> None:
    """Raise InvalidNamespace (73) for a name mongod refuses.

    >>> validate_db_name("test")
    """
    if not isinstance(db, str) or not db:
        raise MongoError(ErrorCode.InvalidNamespace, f"Invalid database name: '{db}'")
    if len(db) > MAX_DB_NAME_LENGTH:
        raise MongoError(ErrorCode.InvalidNamespace, f"db name is too long: '{db}'")
    if any(c in _DB_INVALID_CHARS for c in db):
        raise MongoError(ErrorCode.InvalidNamespace, f"Invalid database name: '{db}'")


def validate_collection_name(db: str, name: object) -> str:
    """Return the collection name, or raise InvalidNamespace (73) as mongod does for user collections."""
    if not isinstance(name, str):
        raise MongoError(
            ErrorCode.InvalidNamespace,
            f"collection name has invalid type {bson_type_alias(name)}",
        )
    if not name:
        raise MongoError(ErrorCode.InvalidNamespace, f"Invalid namespace specified '{db}.'")
    if "\x00" in name or "$" in name or name.startswith("."):
        raise MongoError(ErrorCode.InvalidNamespace, f"Invalid collection name: {name}")
    if len(db) + 1 + len(name) > 255:
        raise MongoError(ErrorCode.InvalidNamespace, f"Fully qualified namespace is too long: {db}.{name}")
    return name


def split_namespace(ns: str) -> tuple[str, str]:
    """``"db.a.b"`` -> ``("db", "a.b")``: database names never contain dots, collection names may.

    >>> split_namespace("db.a.b")
    ('db', 'a.b')
    """
    db, sep, coll = ns.partition(".")
    if not sep or not db or not coll:
        raise MongoError(ErrorCode.InvalidNamespace, f"Invalid namespace specified '{ns}'")
    return db, coll
