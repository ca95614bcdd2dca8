"""Wildcard indexes (``{"$**": 1}``, ``{"path.$**": 1}``, ``wildcardProjection``) as in mongod 7.0.

The index holds one entry per (leaf path, value) of each document: the key is the path (a string
component) followed by the value's component, so one sorted list serves every path. Objects are
descended (not indexed as values), array elements are indexed under the array's path (which becomes
multikey) and objects inside arrays are descended too; a nested array and an empty object or array are
indexed as values. A query plans a wildcard index through a *view* per filter path — a two-field index
``{$_path: 1, <path>: 1}`` whose first field is a point — which is what mongod's explain shows; the
view serves a path whose predicate cannot match a missing field and never compares objects or arrays.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from docdb.engine.bson_order import RANK_ARRAY, RANK_OBJECT, RANK_STRING
from docdb.engine.indexing.keys import KeyMaker, fast_sort_key, invert
from docdb.errors import ErrorCode, MongoError

WILDCARD = "$**"


def is_wildcard_key(key: dict[str, Any]) -> bool:
    return any(
        (f == WILDCARD or f.endswith("." + WILDCARD)) and not isinstance(v, str) for f, v in key.items()
    )


def _cannot_create(message: str) -> MongoError:
    return MongoError(ErrorCode.CannotCreateIndex, message)


def check_wildcard_spec(spec: dict[str, Any], raw: dict[str, Any]) -> None:
    """mongod's refusals of a wildcard index spec (raised before it is built)."""
    key = spec["key"]
    if len(key) > 1:
        raise MongoError(ErrorCode.NotImplemented, "compound wildcard indexes are not supported by docdb")
    for option in ("sparse", "unique"):
        if spec.get(option):
            raise _cannot_create(f"Index type 'wildcard' does not support the {option} option")
    if "expireAfterSeconds" in spec:
        raise _cannot_create("Index type 'wildcard' cannot be a TTL index")
    if "wildcardProjection" in raw:
        projection = raw["wildcardProjection"]
        if list(key) != [WILDCARD]:
            raise MongoError(
                ErrorCode.FailedToParse,
                "The field 'wildcardProjection' is only allowed when 'key' is {\"$**\": ±1}",
            )
        if not isinstance(projection, dict):
            raise MongoError(ErrorCode.TypeMismatch, "The field 'wildcardProjection' must be an object")
        if not projection:
            raise MongoError(
                ErrorCode.FailedToParse, "The 'wildcardProjection' field can't be an empty object"
            )
        _projection_mode(projection)
        spec["wildcardProjection"] = projection


def _projection_mode(projection: dict[str, Any]) -> bool:
    """True for an inclusion projection; raises on a mixed one (``_id`` may differ)."""
    modes = {bool(v) for f, v in projection.items() if f != "_id"}
    if len(modes) > 1:
        raise MongoError(31253, "Cannot do inclusion on field b in exclusion projection")
    return modes.pop() if modes else bool(projection.get("_id"))


class WildcardKeyMaker(KeyMaker):
    """The (path, value) entries of a document under a wildcard key pattern."""

    __slots__ = ("root", "include", "exclude", "id_indexed", "value_desc")

    def __init__(self, spec: dict[str, Any]) -> None:
        ((field, direction),) = spec["key"].items()
        super().__init__([field], [False], False, None)
        self.top_level = None
        self.single = False
        self.value_desc = float(direction) < 0
        self.root = "" if field == WILDCARD else field[: -len(WILDCARD) - 1]
        projection = spec.get("wildcardProjection") or {}
        inclusion = _projection_mode(projection) if projection else False
        chosen = [f for f, v in projection.items() if f != "_id" and bool(v) == inclusion]
        self.include = chosen if inclusion else None
        self.exclude = chosen if not inclusion else []
        self.id_indexed = bool(projection.get("_id")) or self.root == "_id" or self.root.startswith("_id.")

    def covers(self, path: str) -> bool:
        """Could a value at ``path`` be in this index?"""
        if self.root and not (path == self.root or path.startswith(self.root + ".")):
            return False
        if (path == "_id" or path.startswith("_id.")) and not self.id_indexed:
            return False
        if any(path == f or path.startswith(f + ".") for f in self.exclude):
            return False
        if self.include is not None and not any(path == f or path.startswith(f + ".") for f in self.include):
            return False
        return True

    def _descend(self, path: str) -> bool:
        """Is anything under ``path`` (or ``path`` itself) indexed?"""
        if self.covers(path):
            return True
        if self.root and (self.root.startswith(path + ".")):
            return True
        if self.include is not None and any(f.startswith(path + ".") for f in self.include):
            return path != "_id" or self.id_indexed
        return False

    def keys(self, doc: dict) -> tuple[list[tuple], list[tuple[str, str]]]:
        out: dict[tuple, None] = {}
        arrays: list[tuple[str, str]] = []
        self._object(doc, "", out, arrays)
        return list(out), arrays

    def _object(self, obj: dict, prefix: str, out: dict[tuple, None], arrays: list[tuple[str, str]]) -> None:
        for name, value in obj.items():
            path = prefix + name if prefix else name
            if "." in name or not self._descend(path):
                continue
            self._value(value, path, out, arrays, False)

    def _value(
        self, value: Any, path: str, out: dict[tuple, None], arrays: list[tuple[str, str]], in_array: bool
    ) -> None:
        if isinstance(value, list):
            if in_array:
                self._add(path, value, out)
                return
            if (path, path) not in arrays:
                arrays.append((path, path))
            if not value:
                self._add(path, value, out)
                return
            for item in value:
                self._value(item, path, out, arrays, True)
        elif isinstance(value, dict):
            if not value:
                self._add(path, value, out)
            else:
                self._object(value, path + ".", out, arrays)
        else:
            self._add(path, value, out)

    def _add(self, path: str, value: Any, out: dict[tuple, None]) -> None:
        if not self.covers(path):
            return
        component = fast_sort_key(value)
        out[(RANK_STRING, path) + (invert(component) if self.value_desc else component)] = None

    def key_values(self, doc: dict, key: tuple) -> dict[str, Any]:
        return {"$_path": key[1]}


class WildcardView:
    """A wildcard index seen as the two-field index ``{$_path: 1, <path>: ±1}`` for one query path."""

    def __init__(self, index: Any, path: str) -> None:
        self.base = index
        self.path = path
        self.name = index.name
        self.fields = ["$_path", path]
        direction = next(iter(index.key_pattern.values()))
        self.key_pattern = {"$_path": 1, path: direction}
        self.maker = _ViewMaker(index.maker.value_desc)
        arrays = {m for m in index.multikey if path == m or path.startswith(m + ".")}
        self.multikey = {path: arrays} if arrays else {}
        self.unique = self.sparse = self.hidden = self.built = False
        self.partial = index.partial
        self.collator = index.collator  # always simple: a wildcard index takes no collation
        self.builds_itself = False

    @property
    def is_multikey(self) -> bool:
        return bool(self.multikey)

    @property
    def accesses(self) -> int:
        return self.base.accesses

    @accesses.setter
    def accesses(self, value: int) -> None:
        self.base.accesses = value

    def scan(self, start: tuple, end: tuple, reverse: bool) -> Any:
        return self.base.scan(start, end, reverse)

    def __len__(self) -> int:
        return len(self.base)


class _ViewMaker:
    __slots__ = ("descending",)

    def __init__(self, value_desc: bool) -> None:
        self.descending = [False, value_desc]


def serves(intervals: list[Any], can_match_missing: bool) -> bool:
    """Can a wildcard view answer a path whose bounds are ``intervals``? Not when missing fields could
    match (they have no entries) nor when objects or arrays are compared (they are descended)."""
    if can_match_missing or not intervals:
        return False
    return all(
        iv.lo[0] not in (RANK_OBJECT, RANK_ARRAY) and iv.hi[0] not in (RANK_OBJECT, RANK_ARRAY)
        for iv in intervals
    )


def views(index: Any, paths: dict[str, Any], usable: Callable[[str], bool]) -> list[WildcardView]:
    """The views of ``index`` for the filter paths it can serve."""
    maker: WildcardKeyMaker = index.maker
    out = []
    for path, bounds in paths.items():
        if path.startswith("$") or any(part.isdigit() for part in path.split(".")):
            continue
        if not bounds.constraints or not maker.covers(path) or not usable(path):
            continue
        view = WildcardView(index, path)
        if not serves(bounds.intervals(bool(view.multikey)), bounds.can_match_missing):
            continue
        out.append(view)
    return out
