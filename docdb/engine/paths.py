"""The one dotted-path walker: plain lookups, MongoDB's implicit array traversal, and path writes.

Reading has two flavours. ``get_path`` is the plain lookup used by projection of exact paths and by
updates (numeric parts index arrays, nothing fans out). ``iter_path`` reproduces MongoDB's
BSONElementIterator, which the matcher relies on: a path fans out over arrays of documents, a numeric
part may also index the array, a path ending at an array yields each element and then the array itself,
and a missing field yields ``MISSING`` (so ``{a: null}`` can match it) -- but a path continuing through
an array of scalars yields nothing for those scalars.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from docdb.engine.bson_order import MISSING
from docdb.engine.query.bson_text import format_element
from docdb.errors import ErrorCode, MongoError

__all__ = ["MISSING", "get_path", "iter_path", "lookup_values", "set_path", "split_path", "unset_path"]


def split_path(path: str) -> list[str]:
    return path.split(".")


def is_index(part: str) -> bool:
    """A path part that addresses an array element: all ASCII digits.

    >>> is_index("0"), is_index("01"), is_index("-1"), is_index("")
    (True, True, False, False)
    """
    return part.isdigit() and part.isascii()


def get_path(doc: dict, path: str | list[str]) -> Any:
    """The value at ``path`` or MISSING; numeric parts index arrays, arrays are never expanded.

    >>> get_path({"a": [{"b": 1}, {"b": 2}]}, "a.1.b"), get_path({"a": [{"b": 1}]}, "a.b")
    (2, MISSING)
    """
    parts = path.split(".") if isinstance(path, str) else path
    value: Any = doc
    for part in parts:
        if isinstance(value, dict):
            value = value.get(part, MISSING)
            if value is MISSING:
                return MISSING
        elif isinstance(value, list) and is_index(part):
            index = int(part)
            if index >= len(value):
                return MISSING
            value = value[index]
        else:
            return MISSING
    return value


def _start(doc: dict, parts: list[str], start: int) -> tuple[Any, int]:
    """Walk documents from ``parts[start]`` until an array, a missing field or the end of the path.

    Returns the value reached (MISSING when the path dead-ends in a scalar) and the index of the part
    that produced it.
    """
    value: Any = doc
    index = start
    last = len(parts) - 1
    while True:
        value = value.get(parts[index], MISSING)
        if value is MISSING or isinstance(value, list) or index == last:
            return value, index
        if not isinstance(value, dict):
            return MISSING, index
        index += 1


def iter_path(doc: dict, parts: list[str], traverse_leaf: bool = True, start: int = 0) -> Iterator[Any]:
    """Yield the values MongoDB's matcher sees at ``parts`` in ``doc`` (see the module docstring).

    With ``traverse_leaf=False`` an array at the end of the path is yielded whole, not element-wise
    (the behaviour of $size and $elemMatch).

    >>> list(iter_path({"a": [{"b": 1}, {"c": 2}, 3]}, ["a", "b"]))
    [1, MISSING]
    >>> list(iter_path({"a": [1, [2]]}, ["a"]))
    [1, [2], [1, [2]]]
    """
    value, index = _start(doc, parts, start)
    if not isinstance(value, list):
        yield value
        return
    yield from _iter_array(value, parts, index + 1, traverse_leaf)


def _iter_array(array: list, parts: list[str], rest: int, traverse_leaf: bool) -> Iterator[Any]:
    if rest == len(parts):
        if traverse_leaf:
            yield from array
        yield array
        return
    part = parts[rest]
    offset = int(part) if is_index(part) else -1
    for position, item in enumerate(array):
        if isinstance(item, dict):
            yield from iter_path(item, parts, traverse_leaf, rest)
            if position == offset:
                if rest + 1 == len(parts):
                    yield item
                else:
                    yield from iter_path(item, parts, traverse_leaf, rest + 1)
        elif position == offset:
            if rest + 1 == len(parts):
                yield item
            elif isinstance(item, list):
                yield from _iter_array(item, parts, rest + 1, traverse_leaf)


def lookup_values(doc: dict, path: str, traverse_leaf: bool = True) -> list:
    """All values ``iter_path`` yields for the dotted ``path``, as a list."""
    return list(iter_path(doc, path.split("."), traverse_leaf))


def _cannot_create(part: str, name: str, container: Any) -> MongoError:
    return MongoError(
        ErrorCode.PathNotViable,
        f"Cannot create field '{part}' in element {{{format_element(name, container)}}}",
    )


def set_path(doc: dict, path: str | list[str], value: Any) -> None:
    """Set ``path`` to ``value`` in place, creating embedded documents (and null-padding arrays).

    Raises PathNotViable (28) when a part would have to be created inside a scalar, or a non-numeric
    part inside an array, as MongoDB does.

    >>> d = {"a": [1]}; set_path(d, "a.2", 5); set_path(d, "b.c", 1); d
    {'a': [1, None, 5], 'b': {'c': 1}}
    """
    parts = path.split(".") if isinstance(path, str) else path
    container: Any = doc
    name = ""
    for position, part in enumerate(parts):
        last = position == len(parts) - 1
        if isinstance(container, dict):
            if last:
                container[part] = value
                return
            child = container.get(part, MISSING)
            if child is MISSING:
                child = {}
                container[part] = child
        elif isinstance(container, list):
            if not is_index(part):
                raise _cannot_create(part, name, container)
            index = int(part)
            if index >= len(container):
                container.extend([None] * (index - len(container)))
                container.append(value if last else {})
                if last:
                    return
            elif last:
                container[index] = value
                return
            child = container[index]
        else:
            raise _cannot_create(part, name, container)
        container, name = child, part


def unset_path(doc: dict, path: str | list[str]) -> bool:
    """Remove ``path``; an array element is set to null instead (MongoDB's $unset). Returns True if found.

    >>> d = {"a": {"b": 1, "c": 2}, "l": [1, 2]}; unset_path(d, "a.b"), unset_path(d, "l.0"), d
    (True, True, {'a': {'c': 2}, 'l': [None, 2]})
    """
    parts = path.split(".") if isinstance(path, str) else path
    parent = get_path(doc, parts[:-1]) if len(parts) > 1 else doc
    leaf = parts[-1]
    if isinstance(parent, dict):
        if leaf in parent:
            del parent[leaf]
            return True
        return False
    if isinstance(parent, list) and is_index(leaf) and int(leaf) < len(parent):
        parent[int(leaf)] = None
        return True
    return False
