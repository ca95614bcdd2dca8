"""MongoDB (PCRE) regular expressions on Python's ``re``: option letters, the few syntax differences."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from bson.regex import Regex

from docdb.engine.bson_order import regex_flags_text, regex_pattern_text
from docdb.errors import MongoError

_OPTION_FLAGS = {"i": re.IGNORECASE, "m": re.MULTILINE, "s": re.DOTALL, "x": re.VERBOSE, "u": 0}
_NAMED_GROUP = re.compile(r"\(\?<(?=[A-Za-z_])")
_PCRE_Z = re.compile(r"(?<!\\)((?:\\\\)*)\\([zZ])")


def _translate(pattern: str) -> str:
    """PCRE spellings Python lacks: ``(?<name>``, ``\\Z`` (before a final newline) and ``\\z``."""
    pattern = _NAMED_GROUP.sub("(?P<", pattern)

    def z(match: re.Match) -> str:
        return match.group(1) + (r"\Z" if match.group(2) == "z" else r"(?=\n?\Z)")

    return _PCRE_Z.sub(z, pattern)


@lru_cache(maxsize=512)
def compile_regex(pattern: str, options: str) -> re.Pattern:
    """Compile a MongoDB regex; bad options or syntax raise MongoDB's errors at filter compile time."""
    flags = 0
    for letter in options:
        if letter not in _OPTION_FLAGS:
            raise MongoError(51108, f"invalid flag in regex options: {letter}")
        flags |= _OPTION_FLAGS[letter]
    if "\x00" in pattern:
        raise MongoError(51091, "Regular expression is invalid: embedded null byte")
    try:
        return re.compile(_translate(pattern), flags)
    except re.error as exc:
        raise MongoError(51091, f"Regular expression is invalid: {exc}") from None


def regex_test(pattern: str, options: str) -> Callable[[Any], bool]:
    """MongoDB's regex match of one value: strings by search, regex values by pattern and options."""
    compiled = compile_regex(pattern, options)
    search = compiled.search
    flags_text = "".join(sorted(options))

    def test(value: Any) -> bool:
        if value.__class__ is str:
            return search(value) is not None
        if isinstance(value, (Regex, re.Pattern)):
            return regex_pattern_text(value) == pattern and regex_flags_text(value) == flags_text
        return False

    return test
