"""``compile_sort``: a sort specification becomes a key function for ``list.sort`` (stable).

MongoDB's rules: fields compare in BSON order (``bson_order``); a missing field sorts as null; an array
sorts by its smallest element ascending and its largest descending (an empty array sorts below null);
arrays nested in arrays are compared whole. ``{$natural: ±1}`` is the caller's business (insertion
order): ``compile_sort`` returns None for it and ``natural_direction`` tells the direction.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import total_ordering
from typing import Any

from bson.decimal128 import Decimal128

from docdb.engine.bson_order import MISSING, RANK_MISSING, RANK_NULL, sort_key
from docdb.engine.collation import Collator, active
from docdb.engine.paths import iter_path
from docdb.engine.text.meta import is_text_score_meta, text_score
from docdb.errors import ErrorCode, MongoError

_NULL_KEY = (RANK_NULL,)
_EMPTY_ARRAY_KEY = (RANK_MISSING,)
_BAD_DIRECTION = "$sort key ordering must be 1 (for ascending) or -1 (for descending)"


@total_ordering
class Descending:
    """Wraps a key so that it sorts in reverse while ``list.sort`` stays stable."""

    __slots__ = ("key",)

    def __init__(self, key: Any) -> None:
        self.key = key

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Descending) and self.key == other.key

    def __lt__(self, other: Descending) -> bool:
        return other.key < self.key

    __hash__ = None  # type: ignore[assignment]


def _direction(value: Any) -> int:
    if isinstance(value, dict) and "$meta" in value:
        if value["$meta"] == "textScore":
            raise MongoError(40218, "query requires text score metadata, but it is not available")
        raise MongoError(ErrorCode.BadValue, f"Unsupported $meta sort: {value['$meta']}")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        if isinstance(value, Decimal128) and value.to_decimal() in (1, -1):
            return int(value.to_decimal())
        raise MongoError(15975, _BAD_DIRECTION)
    if value not in (1, -1):
        raise MongoError(15975, _BAD_DIRECTION)
    return int(value)


def natural_direction(spec: dict | None) -> int | None:
    """1 or -1 for ``{$natural: ±1}`` (insertion order, the caller's job), None for any other sort."""
    if spec and "$natural" in spec:
        return _direction(spec["$natural"])
    return None


def field_sort_key(doc: dict, parts: list[str], descending: bool, keyer: Callable = sort_key) -> tuple:
    """The key of one document for one sort field (smallest value ascending, largest descending);
    ``keyer`` is the collator's ``sort_key``."""
    keys = []
    for value in iter_path(doc, parts, traverse_leaf=False):
        if value.__class__ is list:
            keys.extend([keyer(item) for item in value] or [_EMPTY_ARRAY_KEY])
        elif value is MISSING:
            keys.append(_NULL_KEY)
        else:
            keys.append(keyer(value))
    if not keys:
        return _NULL_KEY
    return max(keys) if descending else min(keys)


def compile_sort(
    spec: dict | None, text_score: bool = False, collator: Collator | None = None
) -> Callable[[dict], object] | None:
    """A key function for ``list.sort(key=...)``, or None when there is nothing to sort by. A
    ``{$meta: "textScore"}`` field needs ``text_score`` (the documents come from a ``$text`` match).
    Strings order by ``collator`` (default: the operation's)."""
    collator = collator or active()
    if not spec:
        return None
    if not isinstance(spec, dict):
        raise MongoError(ErrorCode.TypeMismatch, "Expected field sort to be of type object")
    if "$natural" in spec:
        natural_direction(spec)
        if len(spec) > 1:
            raise MongoError(ErrorCode.BadValue, "$natural sort cannot be combined with other sort fields")
        return None
    fields: list[tuple[list[str], bool]] = []
    for name, value in spec.items():
        if not name:
            raise MongoError(ErrorCode.BadValue, "empty sort field name")
        if name.startswith("$"):
            raise MongoError(
                ErrorCode.BadValue, f"FieldPath field names may not start with '$'. Given '{name}'"
            )
        if is_text_score_meta(value) and text_score:
            fields.append(([], True))  # {$meta: "textScore"}: best score first
            continue
        fields.append((name.split("."), _direction(value) < 0))
    if not collator.is_simple or any(not parts for parts, _ in fields):
        return _general_key(fields, sort_key if collator.is_simple else collator.sort_key)
    if len(fields) == 1:
        parts, descending = fields[0]
        if len(parts) == 1 and not descending:
            name = parts[0]

            def single(doc: dict) -> object:
                value = doc.get(name, MISSING)
                if value.__class__ is list or value is MISSING:
                    return field_sort_key(doc, parts, False)
                return sort_key(value)

            return single
        if descending:
            return lambda doc: Descending(field_sort_key(doc, parts, True))
        return lambda doc: field_sort_key(doc, parts, False)

    def composite(doc: dict) -> object:
        return tuple(
            Descending(field_sort_key(doc, parts, True)) if descending else field_sort_key(doc, parts, False)
            for parts, descending in fields
        )

    return composite


def _general_key(fields: list[tuple[list[str], bool]], keyer: Callable) -> Callable[[dict], object]:
    """A key whose strings order by ``keyer`` (a collator's ``sort_key``) and whose
    ``{$meta: "textScore"}`` components (empty ``parts``) are the score, highest first."""

    def key(doc: dict) -> object:
        return tuple(
            -text_score(doc)
            if not parts
            else Descending(field_sort_key(doc, parts, True, keyer))
            if descending
            else field_sort_key(doc, parts, False, keyer)
            for parts, descending in fields
        )

    return key
