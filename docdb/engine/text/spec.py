"""A ``text`` index specification as mongod stores it: ``key: {<prefix>, _fts: "text", _ftsx: 1,
<suffix>}`` with the text fields moved into ``weights`` (sorted, integer weights), ``default_language``,
``language_override`` and ``textIndexVersion: 3`` — and mongod's errors for a bad one (CannotCreateIndex 67).

A spec read back from ``listIndexes`` (already in this form) is accepted as it is, so a dump restores.
"""

from __future__ import annotations

import math
from typing import Any

from bson.decimal128 import Decimal128
from bson.int64 import Int64

from docdb.engine.text.languages import canonical_language
from docdb.errors import ErrorCode, MongoError

TEXT_OPTIONS = ("weights", "default_language", "language_override", "textIndexVersion")
MAX_WORD_WEIGHT = 100_000  # mongod: MAX_WEIGHT / 10000, exclusive
WILDCARD = "$**"


def is_text_key(key: Any) -> bool:
    """True when a key pattern asks for a text index (a ``"text"`` value or mongod's ``_fts`` form)."""
    return isinstance(key, dict) and ("_fts" in key or any(value == "text" for value in key.values()))


def is_text_spec(spec: dict[str, Any]) -> bool:
    return "_fts" in spec.get("key", {})


def _fail(message: str) -> MongoError:
    return MongoError(ErrorCode.CannotCreateIndex, message)


def _number_int(value: Any) -> int | None:
    """mongod's ``numberInt()`` of a number (doubles truncate), None for a non-number."""
    if isinstance(value, bool) or not isinstance(value, (int, float, Int64, Decimal128)):
        return None
    number = float(value.to_decimal()) if isinstance(value, Decimal128) else float(value)
    if math.isnan(number):
        return 0
    return int(max(min(number, 2**31 - 1), -(2**31)))


def _fixed_key(key: dict[str, Any]) -> tuple[dict[str, Any], dict[str, int]]:
    """The stored key pattern and the text fields (weight 1 each) of a user's key pattern."""
    fixed: dict[str, Any] = {}
    fields: dict[str, int] = {}
    added = False
    for name, value in key.items():
        if name == "_fts":
            if value != "text":
                raise _fail('expecting _fts:"text"')
            added = True
            fixed[name] = value
        elif name == "_ftsx":
            if _number_int(value) != 1:
                raise _fail("expecting _ftsx:1")
            fixed[name] = value
        elif value == "text":
            if not added:
                fixed["_fts"] = "text"
                fixed["_ftsx"] = 1
                added = True
            fields[name] = 1
        else:
            if _number_int(value) not in (1, -1):
                raise _fail("expected value 1 or -1 for non-text key in compound index")
            fixed[name] = value
    _check_layout(key)
    return fixed, fields


def _check_layout(key: dict[str, Any]) -> None:
    """Scalar prefix fields, then the text fields (or ``_fts``, ``_ftsx``), then scalar suffix fields."""
    items = list(key.items())
    position = 0
    while isinstance(items[position][1], (int, float, Int64, Decimal128)) and items[position][0] != "_ftsx":
        _not_reserved(items[position][0])
        position += 1
        if position == len(items):
            raise _fail("expected additional fields in text index key pattern")
    if items[position][0] == "_fts":
        if position + 1 == len(items) or items[position + 1][0] != "_ftsx":
            raise _fail("expected _ftsx after _fts")
        position += 2
    else:
        while position < len(items) and isinstance(items[position][1], str):
            _not_reserved(items[position][0])
            position += 1
    for name, value in items[position:]:
        if isinstance(value, str):
            raise _fail("'text' fields in index must all be adjacent")
        _not_reserved(name)


def _not_reserved(name: str) -> None:
    if name in ("_fts", "_ftsx"):
        raise _fail("text index with reserved fields _fts/_ftsx not allowed")


def _weights(raw: dict[str, Any], fields: dict[str, int]) -> dict[str, int]:
    weights = dict(fields)
    given = raw.get("weights", None)
    if isinstance(given, dict):
        for name, value in given.items():
            number = _number_int(value)
            if number is None:
                raise _fail("weight for text index needs numeric type")
            weights[name] = number
    elif given == WILDCARD:
        weights[WILDCARD] = 1
    elif "weights" in raw:
        raise _fail("text index option 'weights' must be an object")
    if not weights:
        raise _fail("text index option 'weights' must specify fields or the wildcard")
    out: dict[str, int] = {}
    for name in sorted(weights, key=lambda n: n.encode()):
        weight = weights[name]
        if weight <= 0 or weight >= MAX_WORD_WEIGHT:
            raise _fail(
                f"text index weight must be in the exclusive interval (0,{MAX_WORD_WEIGHT}) "
                f"but found: {weight}"
            )
        if name != WILDCARD:
            parts = name.split(".")
            if not name:
                raise _fail("weight cannot be on an empty field")
            if any(not part for part in parts):
                raise _fail("weight cannot have empty path component")
            if any(part.startswith("$") for part in parts):
                raise _fail("weight cannot have path component with $ prefix")
        out[name] = weight
    return out


def _default_language(raw: dict[str, Any]) -> str:
    if "default_language" not in raw:
        return "english"
    value = raw["default_language"]
    if not isinstance(value, str):
        raise _fail("default_language needs a string type")
    if canonical_language(value) is None:
        raise _fail("default_language is not valid")
    return value


def _language_override(raw: dict[str, Any]) -> str:
    if "language_override" not in raw:
        return "language"
    value = raw["language_override"]
    if not isinstance(value, str):
        raise _fail("language_override must be a string")
    if not value or value.startswith("$") or "." in value:
        raise _fail("language_override is not valid")
    return value


def _version(raw: dict[str, Any]) -> int:
    if "textIndexVersion" not in raw:
        return 3
    number = _number_int(raw["textIndexVersion"])
    if number is None:
        raise _fail("text index option 'textIndexVersion' must be a number")
    if number == 2:
        raise MongoError(ErrorCode.NotImplemented, "textIndexVersion 2 is not supported by docdb")
    if number != 3:
        raise _fail(f"bad textIndexVersion: {number}")
    return number


def fix_text_spec(raw: dict[str, Any], name: str, options: dict[str, Any]) -> dict[str, Any]:
    """The stored spec of a text index: ``{v, key, name, <options in the order given>, weights?,
    default_language?, language_override?, textIndexVersion}`` (the text options take their place in
    the order given; those not given follow). ``options`` are the generic options, already checked."""
    key, fields = _fixed_key(raw["key"])
    text_values = {
        "weights": _weights(raw, fields),
        "default_language": _default_language(raw),
        "language_override": _language_override(raw),
    }
    version = _version(raw)
    spec: dict[str, Any] = {"v": 2, "key": key, "name": name}
    for option in raw:
        if option in text_values:
            spec[option] = text_values.pop(option)
        elif option in options and option not in spec:
            spec[option] = options[option]
    spec.update(text_values)
    spec["textIndexVersion"] = version
    return spec


def text_options(spec: dict[str, Any]) -> tuple:
    """The options that make two text specs over the same key different indexes' worth."""
    return tuple(spec.get(option) for option in TEXT_OPTIONS)
