"""Index keys: what a document contributes to an index, in the one BSON order of ``bson_order.sort_key``.

A key component is ``sort_key(value)`` for an ascending field and ``Desc(sort_key(value))`` for a
descending one, so a plain sorted list of ``(c1, …, cn, id_sort_key, id_hash_key)`` entries is in the
index's own order (what a ``-1`` field means) and numbers of different types with the same value
compare equal. ``HIGH`` is above every component, so ``prefix + (HIGH,)`` closes a range.

MongoDB's key generation rules: a missing field indexes as null, an array contributes one key per
element (an empty array indexes as ``undefined``), and a compound key may expand at most one array
(``CannotIndexParallelArrays``).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from itertools import product
from typing import Any

from docdb.engine.bson_order import MISSING, RANK_MISSING, RANK_NUMBER, RANK_STRING, hash_key, sort_key
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


class Desc:
    """A key component of a descending field: ``Desc(a) < Desc(b)`` exactly when ``b < a``."""

    __slots__ = ("k",)

    def __init__(self, k: tuple) -> None:
        self.k = k

    def __eq__(self, other: object) -> bool:
        return type(other) is Desc and self.k == other.k

    def __hash__(self) -> int:
        return hash(self.k) ^ 0x3D

    def __lt__(self, other: Any) -> bool:
        if type(other) is Desc:
            return other.k < self.k
        return other is HIGH

    def __gt__(self, other: Any) -> bool:
        if type(other) is Desc:
            return self.k < other.k
        return False

    def __le__(self, other: Any) -> bool:
        return not self.__gt__(other)

    def __ge__(self, other: Any) -> bool:
        return not self.__lt__(other)

    def __repr__(self) -> str:
        return f"Desc({self.k!r})"


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

    __slots__ = ("fields", "parts", "descending", "sparse", "partial", "single")

    def __init__(
        self,
        fields: list[str],
        descending: list[bool],
        sparse: bool,
        partial: Callable[[dict], bool] | None,
    ) -> None:
        self.fields = fields
        self.parts = [f.split(".") for f in fields]
        self.descending = descending
        self.sparse = sparse
        self.partial = partial
        self.single = len(fields) == 1 and not descending[0] and len(self.parts[0]) == 1

    def keys(self, doc: dict) -> tuple[list[tuple], list[tuple[str, str]]]:
        """Distinct key tuples ``(c1, …, cn)`` of ``doc`` (none for sparse/partial exclusions), and the
        ``(field, array path)`` pairs that made the document multikey."""
        if self.partial is not None and not self.partial(doc):
            return [], []
        if self.single:
            value = doc.get(self.fields[0], MISSING)
            if value is MISSING:
                return ([], []) if self.sparse else ([(NULL_KEY,)], [])
            if not isinstance(value, list):
                return [(fast_sort_key(value),)], []
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
            comps: dict[tuple, Any] = {}
            for value in values:
                c = component(value)
                comps.setdefault(c, Desc(c) if desc else c)
            per_field.append(list(comps.values()))
        if self.sparse and not any_present:
            return [], expanded
        if len(per_field) == 1:
            return [(c,) for c in per_field[0]], expanded
        return list(dict.fromkeys(product(*per_field))), expanded

    def key_values(self, doc: dict, key: tuple) -> dict[str, Any]:
        """The ``keyValue`` document of E11000 for ``key``: the values of ``doc`` that produced it."""
        out: dict[str, Any] = {}
        for name, parts, comp in zip(self.fields, self.parts, key, strict=True):
            target = comp.k if type(comp) is Desc else comp
            values, _, _ = field_values(doc, parts)
            out[name] = next((v for v in values if component(v) == target), None)
        return out


def id_keys(id_value: Any) -> tuple[tuple, Hashable]:
    """``(sort key, hash key)`` of a document's ``_id``: the tie-breaker and the handle of an entry."""
    return sort_key(id_value), hash_key(id_value)
