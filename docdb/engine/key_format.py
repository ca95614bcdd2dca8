"""The E11000 duplicate-key message, with values printed as mongod prints them."""

from __future__ import annotations

from typing import Any

from docdb.engine.query.bson_text import format_value


def duplicate_key_message(ns: str, index_name: str, key_value: dict[str, Any]) -> str:
    """The E11000 errmsg.

    >>> duplicate_key_message("test.c", "_id_", {"_id": 1})
    'E11000 duplicate key error collection: test.c index: _id_ dup key: { _id: 1 }'
    >>> duplicate_key_message("test.c", "a_1", {"a": "x"})
    'E11000 duplicate key error collection: test.c index: a_1 dup key: { a: "x" }'
    """
    dup_key = format_value(key_value)
    return f"E11000 duplicate key error collection: {ns} index: {index_name} dup key: {dup_key}"
