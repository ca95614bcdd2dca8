"""The ``$sort`` specification as the pipeline parses it; the order itself is ``docdb.engine.sort``'s.

``find``'s sort and ``$sort`` share one definition of MongoDB's order (missing sorts as null, an array by
its smallest element ascending and its largest descending, an empty array below null). Only the parsing
differs: the stage has its own error codes (15973-15976) and, like mongod's ``numberInt()``, truncates a
numeric direction (``1.5`` means ascending).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bson.decimal128 import Decimal128

from docdb.engine.sort import compile_sort
from docdb.engine.text.meta import is_text_score_meta
from docdb.errors import ErrorCode, MongoError

_BAD_DIRECTION = "$sort key ordering must be 1 (for ascending) or -1 (for descending)"


def _direction(value: Any) -> int:
    """mongod's ``keyField.numberInt()`` of a sort direction, validated.

    >>> _direction(1), _direction(-1.5), _direction(Decimal128("1"))
    (1, -1, 1)
    """
    if isinstance(value, dict):
        if next(iter(value), None) != "$meta":
            raise MongoError(17312, "$meta is the only expression supported by $sort right now")
        if is_text_score_meta(value):
            return 0  # {$meta: "textScore"}: best score first
        raise MongoError(ErrorCode.NotImplemented, "$meta sorts are not supported by this server")
    if isinstance(value, Decimal128):
        value = value.to_decimal()
        value = int(value) if value.is_finite() else 0
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise MongoError(15974, "$sort key ordering must be specified using a number or {$meta: 'textScore'}")
    direction = int(value) if value == value and abs(value) != float("inf") else 0
    if direction not in (1, -1):
        raise MongoError(15975, _BAD_DIRECTION)
    return direction


def _check_path(path: str) -> None:
    if not path:
        raise MongoError(40352, "FieldPath cannot be constructed with empty string")
    if path.startswith("$"):
        raise MongoError(
            16410, "FieldPath field names may not start with '$'. Consider using $getField or $setField."
        )
    if "" in path.split("."):
        raise MongoError(15998, "FieldPath field names may not be empty strings.")


def parse_sort_spec(spec: Any) -> list[tuple[list[str], bool]]:
    """``{field: 1|-1}`` -> [(parts, ascending)], rejecting what mongod's $sort rejects."""
    if not isinstance(spec, dict):
        raise MongoError(15973, "the $sort key specification must be an object")
    fields = []
    for path, value in spec.items():
        direction = _direction(value)
        _check_path(path)
        fields.append((path.split("."), direction == 1) if direction else ([], False))
    if not fields:
        raise MongoError(15976, "$sort stage must have at least one sort key")
    return fields


def compile_sort_key(spec: Any) -> Callable[[dict], Any]:
    """A key function: ``sorted(docs, key=compile_sort_key({"a": 1, "b": -1}))`` is mongod's $sort order."""
    fields = parse_sort_spec(spec)
    key = compile_sort(
        {
            path: {"$meta": "textScore"} if not parts else 1 if ascending else -1
            for path, (parts, ascending) in zip(spec, fields, strict=True)
        },
        text_score=True,
    )
    assert key is not None
    return key
