"""Index keys: what a document contributes to an index, in the one BSON order of ``bson_order.sort_key``.

A key component is ``sort_key(value)`` for an ascending field and ``invert(sort_key(value))`` for a
descending one. Keys are *flat*: the components' elements concatenated (``(10, 1, 5, 15, "a")`` for
``{a: 5, b: "a"}``), one tuple per entry, which is lexicographically the same order because a
component's rank fixes its length (``split_key``) — and sorts and compares at C speed with far fewer
objects. A sorted list of ``key + id sort key + (id hash key,)`` entries is in the index's own order (what
a ``-1`` field means) and numbers of different types with the same value compare equal. ``HIGH`` is
above every element, so ``prefix + (HIGH,)`` closes a range.

MongoDB's key generation rules: a missing field indexes as null, an array contributes one key per
element (an empty array indexes as ``undefined``), and a compound key may expand at most one array
(``CannotIndexParallelArrays``).
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import product
from typing import Any

from bson.int64 import Int64

from docdb.engine.bson_order import MISSING, RANK_MISSING, RANK_NUMBER, RANK_STRING, sort_key
from docdb.errors import ErrorCode, MongoError

NULL_KEY = sort_key(None)
UNDEFINED_KEY = (RANK_MISSING,)  # an empty array's key: below null, as mongod's ``undefined``
LOWEST = (-10,)  # below MinKey
HIGHEST = (1000,)  # above MaxKey


class _High:
    """Sorts above every key component (ascending, descending and ``_id`` keys)."""

    __slots__ = ()

    def __lt__(self, other: object) -> bool:
        return False

    def __le__(self, other: object) -> bool:
        return other is self

    def __gt__(self, other: object) -> bool:
        return other is not self

    def __ge__(self, other: object) -> bool:
        return True

    def __eq__(self, other: object) -> bool:
        return other is self

    def __hash__(self) -> int:
        return 0x5EED

    def __repr__(self) -> str:
        return "HIGH"


HIGH: Any = _High()


def invert(k: tuple) -> tuple:
    """The descending form of an ascending component: ``invert(a) < invert(b)`` exactly when ``b < a``.

    Every element is negated (strings and bytes become negated code tuples closed by ``1``; variable
    sequences of components are closed by ``(1000,)``), so descending keys still compare at C speed.

    >>> invert(sort_key(2)) < invert(sort_key(1)), invert(sort_key("ab")) < invert(sort_key("a"))
    (True, True)
    """
    rank = k[0]
    if rank == RANK_NUMBER:
        if k[1] == 0:
            return (-rank, 0)
        value = k[2]
        return (-rank, -1, Int64(-value) if value.__class__ is Int64 else -value)
    if len(k) == 1:
        return (-rank,)
    return _INVERTERS[rank](k)


def _inv_text(value: str | bytes) -> tuple:
    if type(value) is bytes:  # a collated string's ICU sort key
        return _inv_bytes(value)
    return (*[-ord(c) for c in value], 1)


def _inv_bytes(value: bytes) -> tuple:
    return (*[-b for b in value], 1)


def _inv_items(items: tuple) -> tuple:
    return (*[(-r, _inv_text(name), invert(key)) for r, name, key in items], _CLOSE)


_CLOSE = (1000,)
_INVERTERS: dict[int, Callable[[tuple], tuple]] = {
    RANK_STRING: lambda k: (-k[0], _inv_text(k[1])),
    20: lambda k: (-k[0], _inv_items(k[1])),
    25: lambda k: (-k[0], (*[invert(e) for e in k[1]], _CLOSE)),
    30: lambda k: (-k[0], -k[1], -k[2], _inv_bytes(k[3])),
    35: lambda k: (-k[0], _inv_bytes(k[1])),
    40: lambda k: (-k[0], -int(k[1])),
    45: lambda k: (-k[0], -k[1]),
    47: lambda k: (-k[0], -k[1], -k[2]),
    50: lambda k: (-k[0], _inv_text(k[1]), _inv_text(k[2])),
    60: lambda k: (-k[0], _inv_text(k[1])),
    65: lambda k: (-k[0], _inv_text(k[1]), invert(k[2])),
}


def field_values(doc: dict, parts: list[str]) -> tuple[list[Any], str | None, bool]:
    """``(values, expanded array path or None, present)`` of one indexed path in ``doc``.

    ``values`` are BSON values (MISSING becomes None, an empty leaf array becomes ``[]``).

    >>> field_values({"a": [{"b": 1}, {"c": 2}]}, ["a", "b"])
    ([1, None], 'a', True)
    >>> field_values({"a": {"b": [3, 3]}}, ["a", "b"]), field_values({}, ["x"])
    (([3, 3], 'a.b', True), ([None], None, False))
    """
    out: list[Any] = []
    arrays: list[str] = []
    present = _walk(doc, parts, 0, out, arrays)
    return out, (arrays[0] if arrays else None), present


def _walk(value: Any, parts: list[str], i: int, out: list[Any], arrays: list[str]) -> bool:
    n = len(parts)
    while i < n:
        if isinstance(value, dict):
            value = value.get(parts[i], MISSING)
            i += 1
        elif isinstance(value, list):
            path = ".".join(parts[:i])
            if path not in arrays:
                arrays.append(path)
            present = False
            for item in value:
                if isinstance(item, dict):
                    present = _walk(item, parts, i, out, arrays) or present
                else:
                    out.append(None)
            if not value:
                out.append(None)
            return present
        else:
            out.append(None)
            return False
    if value is MISSING:
        out.append(None)
        return False
    if isinstance(value, list):
        path = ".".join(parts)
        if path not in arrays:
            arrays.append(path)
        if value:
            out.extend(value)
        else:
            out.append([])
        return True
    out.append(value)
    return True


def fast_sort_key(value: Any) -> tuple:
    """``sort_key`` with the common scalar types inlined (index builds call it once per document)."""
    t = type(value)
    if t is int:
        return (RANK_NUMBER, 1, value)
    if t is str:
        return (RANK_STRING, value)
    return sort_key(value)


def component(value: Any) -> tuple:
    """The ascending key component of one indexed value (an empty array is ``undefined``)."""
    if isinstance(value, list) and not value:
        return UNDEFINED_KEY
    return sort_key(value)


class KeyMaker:
    """Computes the key tuples of one index pattern; ``keys`` raises CannotIndexParallelArrays."""

    __slots__ = ("fields", "parts", "descending", "sparse", "partial", "single", "top_level", "component")

    def __init__(
        self,
        fields: list[str],
        descending: list[bool],
        sparse: bool,
        partial: Callable[[dict], bool] | None,
        collator: Any = None,
    ) -> None:
        self.fields = fields
        self.parts = [f.split(".") for f in fields]
        self.descending = descending
        self.sparse = sparse
        self.partial = partial
        collated = collator is not None and not collator.is_simple
        self.single = len(fields) == 1 and not descending[0] and len(self.parts[0]) == 1 and not collated
        self.top_level = (
            list(zip(fields, descending, strict=True))
            if all("." not in f for f in fields) and not collated
            else None
        )
        # A collated index keys every value by its collator (strings by ICU sort key): the general path.
        self.component = _collated_component(collator.sort_key) if collated else component

    def keys(self, doc: dict) -> tuple[list[tuple], list[tuple[str, str]]]:
        """Distinct flat keys of ``doc`` (none for sparse/partial exclusions), and the
        ``(field, array path)`` pairs that made the document multikey."""
        if self.partial is not None and not self.partial(doc):
            return [], []
        if self.single:
            value = doc.get(self.fields[0], MISSING)
            if value is MISSING:
                return ([], []) if self.sparse else ([NULL_KEY], [])
            if not isinstance(value, list):
                return [fast_sort_key(value)], []
        elif self.top_level is not None:
            simple = self._top_level_key(doc)
            if simple is not None:
                return simple, []
        per_field = []
        expanded: list[tuple[str, str]] = []
        any_present = False
        for name, parts, desc in zip(self.fields, self.parts, self.descending, strict=True):
            values, array_path, present = field_values(doc, parts)
            any_present = any_present or present
            if array_path is not None:
                for prior_name, prior_path in expanded:
                    if not (prior_path.startswith(array_path) or array_path.startswith(prior_path)):
                        raise MongoError(
                            ErrorCode.CannotIndexParallelArrays,
                            f"cannot index parallel arrays [{name}] [{prior_name}]",
                        )
                expanded.append((name, array_path))
            comps: dict[tuple, tuple] = {}
            make = self.component
            for value in values:
                c = make(value)
                comps.setdefault(c, invert(c) if desc else c)
            per_field.append(list(comps.values()))
        if self.sparse and not any_present:
            return [], expanded
        if len(per_field) == 1:
            return per_field[0], expanded
        return list(dict.fromkeys(sum(combo, ()) for combo in product(*per_field))), expanded

    def _top_level_key(self, doc: dict) -> list[tuple] | None:
        """The one key of a document whose indexed top-level fields hold no array (else None)."""
        key: tuple = ()
        present = False
        for name, desc in self.top_level or ():
            value = doc.get(name, MISSING)
            if value is MISSING:
                c = NULL_KEY
            elif type(value) is list:
                return None
            else:
                present = True
                c = fast_sort_key(value)
            key += invert(c) if desc else c
        if self.sparse and not present:
            return []
        return [key]

    def key_values(self, doc: dict, key: tuple) -> dict[str, Any]:
        """The ``keyValue`` document of E11000 for the flat ``key``: the values of ``doc`` that made it."""
        out: dict[str, Any] = {}
        comps, _ = split_key(key, len(self.fields))
        for name, parts, comp, desc in zip(self.fields, self.parts, comps, self.descending, strict=True):
            values, _, _ = field_values(doc, parts)
            out[name] = next(
                (v for v in values if (invert if desc else _same)(self.component(v)) == comp), None
            )
        return out


def _collated_component(keyer: Callable[[Any], tuple]) -> Callable[[Any], tuple]:
    def collated(value: Any) -> tuple:
        if isinstance(value, list) and not value:
            return UNDEFINED_KEY
        return keyer(value)

    return collated


def _same(k: tuple) -> tuple:
    return k


# Elements of a flat component by its canonical type rank, negated when inverted (a number is 2 long
# only as NaN). MinKey is -1, inverted 1; missing/undefined is 0 either way.
_COMPONENT_LENGTH = {-1: 1, 0: 1, 5: 1, 15: 2, 20: 2, 25: 2, 30: 4, 35: 2, 40: 2, 45: 2, 47: 3, 50: 3}
_COMPONENT_LENGTH |= {60: 2, 65: 3, 100: 1}
_COMPONENT_LENGTH |= {-rank if rank != -1 else 1: n for rank, n in list(_COMPONENT_LENGTH.items()) if rank}


def split_key(flat: tuple, n: int) -> tuple[list[tuple], int]:
    """The first ``n`` components of a flat key, and where they end.

    >>> split_key((10, 1, 5, 15, "a", 10, 0, "rest"), 3)
    ([(10, 1, 5), (15, 'a'), (10, 0)], 7)
    """
    out = []
    pos = 0
    for _ in range(n):
        head = flat[pos]
        if head == RANK_NUMBER or head == -RANK_NUMBER:
            length = 2 if flat[pos + 1] == 0 else 3
        else:
            length = _COMPONENT_LENGTH[head]
        out.append(flat[pos : pos + length])
        pos += length
    return out, pos
