"""The languages text search knows (mongod's list for text index version 3), their stop words and
stemmers.

Names and two-letter codes are looked up case-insensitively, as mongod does. Stop-word lists are data
files (``data/stop_words_<language>.txt``, mongod's lists); a language without one (romanian) has none,
and ``none`` neither stems nor drops stop words.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

TEXT_INDEX_VERSION = 3

# Canonical name -> two-letter code, in mongod's order.
_LANGUAGES = {
    "danish": "da",
    "dutch": "nl",
    "english": "en",
    "finnish": "fi",
    "french": "fr",
    "german": "de",
    "hungarian": "hu",
    "italian": "it",
    "norwegian": "nb",
    "portuguese": "pt",
    "romanian": "ro",
    "russian": "ru",
    "spanish": "es",
    "swedish": "sv",
    "turkish": "tr",
}
# Snowball algorithm names where they differ from the language's (mongod's libstemmer "dutch" is the
# original Porter-style Dutch stemmer, which Snowball 3 keeps as "dutch_porter").
_STEMMER_NAMES = {"dutch": "dutch_porter"}

_LOOKUP: dict[str, str] = {"none": "none"}
for _name, _code in _LANGUAGES.items():
    _LOOKUP[_name] = _name
    _LOOKUP[_code] = _name


def canonical_language(name: str) -> str | None:
    """The canonical language for a name or code (``"EN"`` -> ``"english"``), None when unsupported."""
    return _LOOKUP.get(name.lower())


def unsupported_language_message(name: str) -> str:
    return f'unsupported language: "{name}" for text index version {TEXT_INDEX_VERSION}'


@cache
def stop_words(language: str) -> frozenset[str]:
    """mongod's stop words for ``language`` (lower case, diacritics kept); empty for ``none``."""
    if language == "none":
        return frozenset()
    path = resources.files("docdb.engine.text") / "data" / f"stop_words_{language}.txt"
    if not path.is_file():
        return frozenset()
    return frozenset(line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip())


@cache
def stemmer(language: str) -> Any:
    """The Snowball stemmer of ``language``, None for ``none`` (words are then kept as they are)."""
    if language == "none":
        return None
    import snowballstemmer  # on the first text index or $text only: start-up does not pay for it

    return snowballstemmer.stemmer(_STEMMER_NAMES.get(language, language))


def stem_word_function(language: str) -> Any:
    """``word -> stem`` for ``language`` (the identity for ``none``)."""
    found = stemmer(language)
    if found is None:
        return lambda word: word
    return found.stemWord
