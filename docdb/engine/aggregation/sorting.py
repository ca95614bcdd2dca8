"""Sort keys for $sort and sortBy arguments: MongoDB's order, with arrays sorting by their min (ascending)
or max (descending) element, as mongod's $sort does."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from docdb.engine.bson_order import sort_key
from docdb.engine.expressions.core import MISSING
from docdb.errors import MongoError

_NULL_KEY = sort_key(None)
_EMPTY_ARRAY_KEY = (sort_key(None)[0] - 1,)


class Descending:
    """Reverses the order of a key (so one ``sorted`` call handles mixed directions)."""

    __slots__ = ("key",)

    def __init__(self, key: Any) -> None:
        self.key = key

    def __lt__(self, other: Descending) -> bool:
        return other.key < self.key

    def __gt__(self, other: Descending) -> bool:
        return other.key > self.key

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Descending) and self.key == other.key

    def __hash__(self) -> int:
        return hash(self.key)


def _values(doc: Any, parts: list[str], i: int = 0) -> list:
    """All values at ``parts``, fanning out over arrays (the array's elements, not the array)."""
    if i == len(parts):
        if isinstance(doc, list):
            return list(doc) if doc else [_EMPTY]
        return [doc]
    if isinstance(doc, dict):
        value = doc.get(parts[i], MISSING)
        if value is MISSING:
            return [None]
        return _values(value, parts, i + 1)
    if isinstance(doc, list):
        out: list = []
        for item in doc:
            if isinstance(item, (dict, list)):
                out.extend(v for v in _values(item, parts, i) if v is not _EMPTY)
            elif parts[i].isdigit():
                pass
        if parts[i].isdigit() and int(parts[i]) < len(doc):
            out.extend(_values(doc[int(parts[i])], parts, i + 1))
        return out or [None]
    return [None]


_EMPTY = object()


def _field_key(value: Any) -> Any:
    return _EMPTY_ARRAY_KEY if value is _EMPTY else sort_key(value)


def parse_sort_spec(spec: Any) -> list[tuple[list[str], bool]]:
    """``{field: 1|-1}`` -> [(parts, ascending)]; rejects what mongod rejects (15973, 15975, 15976)."""
    if not isinstance(spec, dict):
        raise MongoError(15973, "the $sort key specification must be an object")
    if not spec:
        raise MongoError(15976, "$sort stage must have at least one sort key")
    fields = []
    for path, direction in spec.items():
        if isinstance(direction, dict):
            raise MongoError(17312, "$meta is the only expression supported by $sort right now")
        if isinstance(direction, bool) or direction not in (1, -1):
            raise MongoError(15975, "$sort key ordering must be 1 (for ascending) or -1 (for descending)")
        fields.append((path.split("."), direction == 1))
    return fields


def compile_sort_key(spec: Any) -> Callable[[dict], tuple]:
    """A key function: ``sorted(docs, key=compile_sort_key({"a": 1, "b": -1}))`` is mongod's $sort order."""
    fields = parse_sort_spec(spec)
    if len(fields) == 1 and len(fields[0][0]) == 1:
        (name,), ascending = fields[0]

        def single(doc: dict) -> tuple:
            value = doc.get(name, MISSING)
            if type(value) is list or value is MISSING:
                return (_one(_values(doc, [name]), ascending),)
            key = sort_key(value)
            return (key if ascending else Descending(key),)

        return single

    def key(doc: dict) -> tuple:
        return tuple(_one(_values(doc, parts), ascending) for parts, ascending in fields)

    return key


def _one(values: list, ascending: bool) -> Any:
    keys = [_field_key(v) for v in values]
    return min(keys) if ascending else Descending(max(keys))
