"""Collators: how strings compare under a ``collation`` (ICU's rules, as mongod applies them).

A collator has the four comparator functions of ``bson_order`` (``sort_key``, ``compare``, ``hash_key``,
``values_equal``). ``SIMPLE`` *is* those functions, so code that takes its comparator from a collator
costs nothing extra without a collation. An ICU collator orders strings by ICU's sort key (``getSortKey``:
bytes whose byte order is the collation order, computed once per value); every other type, and field
names, compare as in binary order, exactly as mongod's ``CollatorInterfaceICU`` does.

Compilers (filters, expressions, sorts, group keys) take their collator when they compile: explicitly, or
from ``active()``, which an operation sets with ``using(collator)`` around compiling and running it. Only
compile time reads ``active()``; compiled closures hold the collator they were built with.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable, Hashable, Iterator
from typing import Any

from bson.dbref import DBRef
from bson.decimal128 import Decimal128
from bson.int64 import Int64
from bson.son import SON

from docdb.engine import bson_order
from docdb.engine.bson_order import RANK_ARRAY, RANK_OBJECT, RANK_STRING
from docdb.engine.query.bson_text import format_value
from docdb.engine.query.types import type_name
from docdb.errors import ErrorCode, MongoError

ICU_VERSION_SHOWN = "57.1"  # the ICU version mongod 7.0 bundles, which it reports in every collation
_FIELDS = (
    "locale",
    "caseLevel",
    "caseFirst",
    "strength",
    "numericOrdering",
    "alternate",
    "maxVariable",
    "normalization",
    "backwards",
    "version",
)


class Collator:
    """The simple (binary) collator: ``bson_order``'s functions themselves."""

    is_simple = True
    spec: dict[str, Any] | None = None  # the normalized collation document (None: simple)

    sort_key: Callable[[Any], tuple] = staticmethod(bson_order.sort_key)
    compare: Callable[[Any, Any], int] = staticmethod(bson_order.compare)
    hash_key: Callable[[Any], Hashable] = staticmethod(bson_order.hash_key)
    values_equal: Callable[[Any, Any], bool] = staticmethod(bson_order.values_equal)

    def same_as(self, other: Collator) -> bool:
        return self.spec == other.spec


SIMPLE = Collator()


class ICUCollator(Collator):
    """A non-simple collation: strings (also inside documents and arrays) compare by ICU sort key."""

    is_simple = False

    def __init__(self, spec: dict[str, Any], icu_collator: Any) -> None:
        self.spec = spec
        self._string_key = icu_collator.getSortKey
        self.sort_key = self._sort_key  # type: ignore[assignment]
        self.compare = self._compare  # type: ignore[assignment]
        self.hash_key = self._hash_key  # type: ignore[assignment]
        self.values_equal = self._values_equal  # type: ignore[assignment]

    def string_key(self, value: str) -> bytes:
        return self._string_key(value)

    def _sort_key(self, value: Any) -> tuple:
        t = type(value)
        if t is str:
            return (RANK_STRING, self._string_key(value))
        if t is dict or t is SON:
            return self._key_document(value)
        if t is list or t is tuple:
            return (RANK_ARRAY, tuple([self._sort_key(item) for item in value]))
        if t is DBRef:
            return self._key_document(value.as_doc())
        return bson_order.sort_key(value)

    def _key_document(self, value: dict) -> tuple:
        items = []
        for name, item in value.items():
            key = self._sort_key(item)
            items.append((key[0], name, key))
        return (RANK_OBJECT, tuple(items))

    def _compare(self, a: Any, b: Any) -> int:
        ka, kb = self._sort_key(a), self._sort_key(b)
        return (ka > kb) - (ka < kb)

    def _hash_key(self, value: Any) -> Hashable:
        t = type(value)
        if t is str:
            return (RANK_STRING, self._string_key(value))
        if t is dict or t is list or t is SON or t is tuple or t is DBRef:
            return self._sort_key(value)
        return bson_order.hash_key(value)

    def _values_equal(self, a: Any, b: Any) -> bool:
        return self._sort_key(a) == self._sort_key(b)


# --- the active collator (read at compile time) -----------------------------------------------------

_ACTIVE: contextvars.ContextVar[Collator] = contextvars.ContextVar("collator", default=SIMPLE)


def active() -> Collator:
    """The collator of the operation being compiled (``SIMPLE`` outside any ``using``)."""
    return _ACTIVE.get()


@contextlib.contextmanager
def using(collator: Collator) -> Iterator[Collator]:
    """Compile (and run) an operation under ``collator``."""
    token = _ACTIVE.set(collator)
    try:
        yield collator
    finally:
        _ACTIVE.reset(token)


# --- parsing a collation document ----------------------------------------------------------------


def _spec_text(spec: dict[str, Any]) -> str:
    return format_value(spec)


def _failed(message: str) -> MongoError:
    return MongoError(ErrorCode.FailedToParse, message)


def _wrong_type(name: str, expected: str, value: Any) -> MongoError:
    return MongoError(
        ErrorCode.TypeMismatch, f'"{name}" had the wrong type. Expected {expected}, found {_type_name(value)}'
    )


def _bool_field(spec: dict[str, Any], name: str) -> bool | None:
    if name not in spec:
        return None
    value = spec[name]
    if not isinstance(value, bool):
        raise _wrong_type(name, "bool", value)
    return value


def _string_field(spec: dict[str, Any], name: str, allowed: tuple[str, ...]) -> str | None:
    """An enumerated string option; a value outside ``allowed`` is FailedToParse as in mongod."""
    if name not in spec:
        return None
    value = spec[name]
    if not isinstance(value, str):
        raise _wrong_type(name, "string", value)
    if value not in allowed:
        quoted = [f"'{choice}'" for choice in allowed]
        choices = (
            f"{quoted[0]} or {quoted[1]}" if len(quoted) == 2 else f"{quoted[0]}, {quoted[1]}, or {quoted[2]}"
        )
        raise _failed(f"Field '{name}' must be {choices}. Got: {value}")
    return value


def _strength_field(spec: dict[str, Any]) -> int | None:
    if "strength" not in spec:
        return None
    value = spec["strength"]
    if isinstance(value, bool) or not isinstance(value, (int, float, Int64, Decimal128)):
        raise MongoError(
            ErrorCode.TypeMismatch,
            f'Expected field "strength" to have numeric type, but found {_type_name(value)}',
        )
    number = value.to_decimal() if isinstance(value, Decimal128) else value
    if number != number or number != int(number) or not -(2**63) <= number < 2**63:
        raise MongoError(
            ErrorCode.BadValue,
            'Expected field "strength" to have a value exactly representable as a 64-bit integer, but found '
            + format_value(value),
        )
    strength = int(number)
    if not 1 <= strength <= 5:
        raise _failed(f"Field 'strength' must be an integer 1 through 5. Got: {strength}")
    return strength


def _type_name(value: Any) -> str:
    return type_name(value)


def parse_collation(raw: Any) -> Collator:
    """The collator of a ``collation`` option; ``{locale: "simple"}`` is ``SIMPLE``. Raises as mongod."""
    if not isinstance(raw, dict):
        raise MongoError(ErrorCode.TypeMismatch, "collation must be an object")
    if "locale" not in raw:
        raise MongoError(ErrorCode.NoSuchKey, 'Missing expected field "locale"')
    locale = raw["locale"]
    if not isinstance(locale, str):
        raise _wrong_type("locale", "string", locale)
    if locale == "simple":
        if len(raw) > 1:
            raise _failed(f"If locale=simple, no other fields should be present in: {_spec_text(raw)}")
        return SIMPLE
    return _icu_collator(raw, locale)


def _icu_collator(raw: dict[str, Any], locale: str) -> ICUCollator:
    import icu  # PyICU: imported on the first non-simple collation only

    if "\0" in locale:
        raise MongoError(
            ErrorCode.BadValue, f"Field 'locale' cannot contain null byte. Collation spec: {_spec_text(raw)}"
        )
    if not locale:
        raise MongoError(
            ErrorCode.BadValue, f"Field 'locale' cannot be the empty string in: {_spec_text(raw)}"
        )
    user_locale = icu.Locale.createFromName(locale)
    if user_locale.isBogus():
        raise MongoError(ErrorCode.BadValue, f"Field 'locale' is not valid in: {_spec_text(raw)}")
    collator = icu.Collator.createInstance(user_locale)
    valid = collator.getLocale(icu.ULocDataLocaleType.VALID_LOCALE).getName()
    if valid != locale:
        message = f"Field 'locale' is invalid in: {_spec_text(raw)}"
        if valid and valid != "root":
            message += f". Did you mean '{valid}'?"
        raise MongoError(ErrorCode.BadValue, message)
    spec = _apply_options(raw, user_locale.getName(), collator, icu)
    return ICUCollator(spec, collator)


def _apply_options(raw: dict[str, Any], locale: str, collator: Any, icu: Any) -> dict[str, Any]:
    """Set the options ``raw`` names on ``collator``; return the normalized document (ICU's defaults for
    the locale filling the rest), checking the combinations mongod refuses."""
    attr, value = icu.UCollAttribute, icu.UCollAttributeValue
    on_off = {True: value.ON, False: value.OFF}

    def flag(name: str, attribute: Any) -> bool:
        given = _bool_field(raw, name)
        if given is not None:
            collator.setAttribute(attribute, on_off[given])
        return collator.getAttribute(attribute) == value.ON

    case_level = flag("caseLevel", attr.CASE_LEVEL)
    case_firsts = {"upper": value.UPPER_FIRST, "lower": value.LOWER_FIRST, "off": value.OFF}
    case_first = _string_field(raw, "caseFirst", ("upper", "lower", "off"))
    if case_first is not None:
        collator.setAttribute(attr.CASE_FIRST, case_firsts[case_first])
    current = collator.getAttribute(attr.CASE_FIRST)
    case_first = next(name for name, v in case_firsts.items() if v == current)
    strengths = [value.PRIMARY, value.SECONDARY, value.TERTIARY, value.QUATERNARY, value.IDENTICAL]
    given_strength = _strength_field(raw)
    if given_strength is not None:
        collator.setAttribute(attr.STRENGTH, strengths[given_strength - 1])
    strength = strengths.index(collator.getAttribute(attr.STRENGTH)) + 1
    numeric = flag("numericOrdering", attr.NUMERIC_COLLATION)
    alternate = _string_field(raw, "alternate", ("non-ignorable", "shifted"))
    if alternate is not None:
        shifted = value.SHIFTED if alternate == "shifted" else value.NON_IGNORABLE
        collator.setAttribute(attr.ALTERNATE_HANDLING, shifted)
    alternate = (
        "shifted" if collator.getAttribute(attr.ALTERNATE_HANDLING) == value.SHIFTED else "non-ignorable"
    )
    max_variable = _string_field(raw, "maxVariable", ("punct", "space"))
    if max_variable is not None:  # PyICU has no setMaxVariable: pin the top to the group's first member
        collator.setVariableTop(" " if max_variable == "space" else "!")
    max_variable = "space" if collator.getVariableTop() == _space_top(icu) else "punct"
    normalization = flag("normalization", attr.NORMALIZATION_MODE)
    backwards = flag("backwards", attr.FRENCH_COLLATION)
    unknown = [name for name in raw if name not in _FIELDS]
    if unknown:
        raise _failed(f"Collation spec contains unknown field. Collation spec: {_spec_text(raw)}")
    if "version" in raw and raw["version"] != ICU_VERSION_SHOWN:
        raise MongoError(
            ErrorCode.IncompatibleCollationVersion,
            f"Requested collation version {raw['version']} but the only available collator version was "
            f"{ICU_VERSION_SHOWN}. Requested collation spec: {_spec_text(raw)}",
        )
    spec = {
        "locale": locale,
        "caseLevel": case_level,
        "caseFirst": case_first,
        "strength": strength,
        "numericOrdering": numeric,
        "alternate": alternate,
        "maxVariable": max_variable,
        "normalization": normalization,
        "backwards": backwards,
        "version": ICU_VERSION_SHOWN,
    }
    if backwards and strength == 1:
        raise MongoError(
            ErrorCode.BadValue, f"'backwards' is invalid with 'strength' of 1 in: {_spec_text(spec)}"
        )
    if case_first != "off" and not case_level and strength in (1, 2):
        raise MongoError(
            ErrorCode.BadValue,
            "'caseFirst' is invalid unless 'caseLevel' is on or 'strength' is greater than 2 in: "
            + _spec_text(spec),
        )
    return spec


_SPACE_TOP: list[int] = []


def _space_top(icu: Any) -> int:
    """The variable top of ``maxVariable: "space"`` (how ICU tells the two settings apart)."""
    if not _SPACE_TOP:
        root = icu.Collator.createInstance(icu.Locale.getRoot())
        root.setVariableTop(" ")
        _SPACE_TOP.append(root.getVariableTop())
    return _SPACE_TOP[0]


_PARSED: dict[tuple, Collator] = {}


def cached_collation(raw: Any) -> Collator:
    """``parse_collation`` remembered per document (ICU collators are slow to open, and immutable here)."""
    try:
        key = tuple((k, type(v), v) for k, v in raw.items()) if isinstance(raw, dict) else None
        found = _PARSED.get(key) if key is not None else None
    except TypeError:  # an unhashable option value: parse_collation refuses it
        key = found = None
    if found is not None:
        return found
    collator = parse_collation(raw)
    if key is not None and len(_PARSED) < 1000:
        _PARSED[key] = collator
    return collator


def default_collator(coll: Any) -> Collator:
    """A collection's default collator (its ``create`` option ``collation``), else ``SIMPLE``."""
    spec = coll.options.get("collation") if coll is not None else None
    return SIMPLE if spec is None else cached_collation(spec)


def operation_collator(raw: Any, coll: Any) -> Collator:
    """The collator of an operation on ``coll``: its own ``collation`` option, else the collection's
    default, else simple (binary)."""
    if raw is not None:
        return cached_collation(raw)
    return default_collator(coll)
