"""mongod's Unicode tokenizer (text index version 3): words, case folding, stop words, stemming and
diacritic removal, in mongod's order.

A word is a run of code points that are not delimiters; the delimiters are the Unicode White_Space,
Dash, Hyphen, Quotation_Mark, Terminal_Punctuation, Pattern_Syntax and Sentence_Terminal code points
(``data/delimiters.txt``), except that English keeps the apostrophe inside words. Each word is lower-cased
(Turkish folds ``I`` to dotless ``ı``) to test it against the stop words; the stemmer then sees the
lower-cased word (or the word as written, for a case-sensitive query), and diacritics are removed after
stemming (the stemmers are diacritic-sensitive). Results per word are cached: text repeats its words.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from importlib import resources

from docdb.engine.text.languages import stem_word_function, stop_words

CACHE_LIMIT = 200_000  # words remembered per tokenizer and option set before the cache starts over


def _ranges(name: str) -> list[tuple[int, int]]:
    text = (resources.files("docdb.engine.text") / "data" / name).read_text(encoding="ascii")
    out = []
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        first, _, last = line.partition("..")
        out.append((int(first, 16), int(last or first, 16)))
    return out


def _char_class(ranges: list[tuple[int, int]], without: int | None = None) -> str:
    parts = []
    for first, last in ranges:
        if without is not None and first <= without <= last:
            pieces = [(first, without - 1), (without + 1, last)]
        else:
            pieces = [(first, last)]
        for a, b in pieces:
            if a > b:
                continue
            parts.append(re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}")
    return "".join(parts)


@cache
def _word_pattern(english: bool, ascii_only: bool = False) -> re.Pattern[str]:
    """Runs of non-delimiters; ``ascii_only`` gives the same answer for ASCII text with a small class
    (the full class is slow to test character by character)."""
    ranges = _ranges("delimiters.txt")
    if ascii_only:
        ranges = [(first, min(last, 0x7F)) for first, last in ranges if first <= 0x7F]
    delimiters = _char_class(ranges, ord("'") if english else None)
    return re.compile(f"[^{delimiters}]+")


@cache
def _diacritics() -> frozenset[int]:
    return frozenset(cp for first, last in _ranges("diacritics.txt") for cp in range(first, last + 1))


_STRIPPED: dict[str, str] = {}


def _strip_char(char: str) -> str:
    """``char`` without its diacritics: a pure diacritic is dropped; a letter whose decomposition without
    diacritic marks recomposes to one code point becomes that code point; anything else stays."""
    found = _STRIPPED.get(char)
    if found is None:
        marks = _diacritics()
        if ord(char) in marks:
            found = ""
        else:
            kept = "".join(c for c in unicodedata.normalize("NFD", char) if ord(c) not in marks)
            recomposed = unicodedata.normalize("NFC", kept)
            found = recomposed if len(recomposed) == 1 else char
        _STRIPPED[char] = found
    return found


def strip_diacritics(text: str) -> str:
    """``text`` with diacritics removed (``"café"`` -> ``"cafe"``), as mongod folds them."""
    if text.isascii():
        return text
    return "".join(map(_strip_char, text))


def fold_case(text: str, turkish: bool = False) -> str:
    """mongod's lower-casing; Turkish maps ``I`` to ``ı`` and ``İ`` to ``i``."""
    if turkish:
        text = text.replace("I", "ı").replace("İ", "i")
    return text.lower()


class Tokenizer:
    """The terms of a text in one language, with mongod's tokenizer options."""

    __slots__ = ("language", "_pattern", "_ascii_pattern", "_stop", "_stem", "_turkish", "_caches")

    def __init__(self, language: str) -> None:
        self.language = language
        self._pattern = _word_pattern(language == "english")
        self._ascii_pattern = _word_pattern(language == "english", True)
        self._stop = stop_words(language)
        self._stem = stem_word_function(language)
        self._turkish = language == "turkish"
        self._caches: dict[tuple[bool, bool, bool], dict[str, str | None]] = {}

    def words(self, text: str) -> list[str]:
        """The raw words of ``text`` (runs of non-delimiters)."""
        return (self._ascii_pattern if text.isascii() else self._pattern).findall(text)

    def terms(
        self,
        text: str,
        filter_stop_words: bool = True,
        case_sensitive: bool = False,
        diacritic_sensitive: bool = False,
    ) -> list[str]:
        """The terms of ``text`` in order (a word repeated gives its term again)."""
        options = (filter_stop_words, case_sensitive, diacritic_sensitive)
        cache_ = self._caches.get(options)
        if cache_ is None:
            cache_ = self._caches[options] = {}
        out = []
        for word in (self._ascii_pattern if text.isascii() else self._pattern).findall(text):
            term = cache_.get(word, _UNKNOWN)
            if term is _UNKNOWN:
                if len(cache_) >= CACHE_LIMIT:
                    cache_.clear()
                term = cache_[word] = self._term(word, *options)
            if term is not None:
                out.append(term)
        return out

    def _term(
        self, word: str, filter_stop_words: bool, case_sensitive: bool, diacritic_sensitive: bool
    ) -> str | None:
        lower = fold_case(word, self._turkish)
        if filter_stop_words and lower in self._stop:
            return None
        term = self._stem(word if case_sensitive else lower)
        return term if diacritic_sensitive else strip_diacritics(term)


_UNKNOWN: str | None = "\0unknown"


@cache
def tokenizer(language: str) -> Tokenizer:
    """The shared tokenizer of a canonical language name (its word cache serves every index)."""
    return Tokenizer(language)
