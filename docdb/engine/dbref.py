"""DBRef field names: the ``$``-prefixed names mongod lets a path or a stored document use.

A DBRef is stored as an ordinary embedded document ``{$ref: <collection>, $id: <value>[, $db: <db>]}``
(the codec hands these back as dicts, see ``docdb.bson_codec``). mongod's FieldPath accepts ``$id``,
``$ref`` and ``$db`` as path components (and a few metadata names), so ``link.$id`` works in filters,
projections, sorts, index keys, updates and aggregation paths; a write that stores one of them must
leave a well-formed DBRef (``$ref`` then ``$id`` then optional ``$db``), as mongod's storage validation
requires.
"""

from __future__ import annotations

from typing import Any

from docdb.engine.query.types import type_name
from docdb.errors import ErrorCode, MongoError

DBREF_FIELDS = frozenset({"$id", "$ref", "$db"})

# The $-prefixed names mongod's FieldPath accepts (the DBRef fields and its metadata fields).
FIELD_PATH_DOLLAR_NAMES = DBREF_FIELDS | {"$sortKey", "$recordId", "$searchSortValues", "$searchScore"}


def is_dollar_path_part(part: str) -> bool:
    """A ``$``-prefixed path component mongod refuses (anything but the allowed names).

    >>> is_dollar_path_part("$id"), is_dollar_path_part("$x"), is_dollar_path_part("a")
    (False, True, False)
    """
    return part.startswith("$") and part not in FIELD_PATH_DOLLAR_NAMES


def check_dbref_fields(container: Any, path: str) -> None:
    """Raise mongod's storage errors when a document written at ``path`` holds a misplaced DBRef field.

    ``container`` is the embedded document that holds the ``$``-prefixed names (anything else passes).

    >>> check_dbref_fields({"$ref": "c", "$id": 1, "$db": "d"}, "l")
    >>> check_dbref_fields({"$id": 1}, "l")
    Traceback (most recent call last):
    docdb.errors.MongoError: Found $id field without a $ref before it, which is invalid.
    """
    if not isinstance(container, dict):
        return
    names = list(container)
    for position, name in enumerate(names):
        if not name.startswith("$"):
            continue
        if name not in DBREF_FIELDS:
            raise MongoError(
                ErrorCode.DollarPrefixedFieldName,
                f"The dollar ($) prefixed field '{name}' in '{path}.{name}' is not valid for storage.",
            )
        _check_sibling(container, names, position)


def _check_sibling(container: dict, names: list[str], position: int) -> None:
    name = names[position]
    before = names[position - 1] if position else None
    if name == "$db":
        if not isinstance(container[name], str):
            raise _invalid(f"The DBRef $db field must be a String, not a {type_name(container[name])}")
        if before != "$id":
            raise _invalid("Found $db field without a $id before it, which is invalid.")
        before = names[position - 2] if position > 1 else None
        name = "$id"
    if name == "$id" and before != "$ref":
        raise _invalid("Found $id field without a $ref before it, which is invalid.")
    if name == "$ref":
        if not isinstance(container[name], str):
            raise _invalid(f"The DBRef $ref field must be a String, not a {type_name(container[name])}")
        if position + 1 >= len(names) or names[position + 1] != "$id":
            raise _invalid("The DBRef $ref field must be followed by a $id field")


def _invalid(message: str) -> MongoError:
    return MongoError(ErrorCode.InvalidDBRef, message)
