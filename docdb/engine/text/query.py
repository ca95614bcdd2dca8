"""A ``$text`` query: its operand checked as mongod checks it, the search string parsed into terms,
negated terms, phrases and negated phrases, and the matcher that applies phrases, negations and
case/diacritic sensitivity to a document the index found (mongod's ``FTSQueryImpl`` and ``FTSMatcher``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from docdb.engine.query.types import type_name
from docdb.engine.text.languages import canonical_language, unsupported_language_message
from docdb.engine.text.scoring import TextSpec, iter_strings
from docdb.engine.text.tokenizer import fold_case, strip_diacritics, tokenizer
from docdb.errors import ErrorCode, MongoError

_WHITESPACE = frozenset("\n\v\f\r ")


@dataclass(slots=True)
class TextParams:
    search: str
    language: str | None
    case_sensitive: bool
    diacritic_sensitive: bool


def _typed(operand: dict[str, Any], name: str, kind: type, kind_name: str) -> Any:
    value = operand[name]
    if not isinstance(value, kind):
        raise MongoError(
            ErrorCode.TypeMismatch,
            f'"{name}" had the wrong type. Expected {kind_name}, found {type_name(value)}',
        )
    return value


def parse_text_params(operand: Any) -> TextParams:
    """The ``$text`` operand's fields, with mongod's errors for a missing, mistyped or unknown one."""
    if not isinstance(operand, dict):
        raise MongoError(ErrorCode.BadValue, "$text expects an object")
    if "$search" not in operand:
        raise MongoError(ErrorCode.NoSuchKey, 'Missing expected field "$search"')
    search = _typed(operand, "$search", str, "string")
    expected = 1
    language = None
    if "$language" in operand:
        language = _typed(operand, "$language", str, "string")
        expected += 1
    flags = {}
    for name in ("$caseSensitive", "$diacriticSensitive"):
        if name in operand:
            flags[name] = _typed(operand, name, bool, "bool")
            expected += 1
    if len(operand) != expected:
        raise MongoError(ErrorCode.BadValue, "extra fields in $text")
    return TextParams(
        search, language, flags.get("$caseSensitive", False), flags.get("$diacriticSensitive", False)
    )


def _query_tokens(search: str) -> list[tuple[str, str, int, bool]]:
    """mongod's query lexer: ``(kind, text, offset, after_whitespace)`` with kind ``text`` (a run of
    other characters) or ``delim`` (``-`` or ``"``); whitespace only separates. The start counts as
    whitespace, so a leading ``-`` negates."""
    out = []
    position = 0
    n = len(search)
    while position < n and search[position] in _WHITESPACE:
        position += 1
    after_space = True
    while position < n:
        start = position
        char = search[position]
        position += 1
        if char in '-"':
            kind = "delim"
        else:
            kind = "text"
            while position < n and search[position] not in _WHITESPACE and search[position] not in '-"':
                position += 1
        token = (kind, search[start:position], start, after_space)
        skipped = position
        while position < n and search[position] in _WHITESPACE:
            position += 1
        after_space = position > skipped
        out.append(token)
    return out


class TextQuery:
    """The parsed search: ``terms`` (what the index is searched for, sorted), the terms a document must
    (not) contain when case or diacritics matter, and the phrases."""

    def __init__(self, params: TextParams, language: str) -> None:
        self.params = params
        self.language = language
        positive: list[str] = []
        negative: list[str] = []
        self.phrases: list[str] = []
        self.negated_phrases: list[str] = []
        in_negation = in_phrase = False
        quote = 0
        search = params.search
        for kind, text, offset, after_space in _query_tokens(search):
            if kind == "text":
                if in_phrase and in_negation:
                    continue
                if in_negation and after_space:
                    in_negation = False
                (negative if in_negation else positive).append(text)
            elif text == "-":
                if not in_phrase and after_space:
                    in_negation = True
            elif in_phrase:
                phrase = search[quote + 1 : offset]
                (self.negated_phrases if in_negation else self.phrases).append(phrase)
                in_phrase = False
            else:
                in_phrase = True
                if in_negation and after_space:
                    in_negation = False
                quote = offset
        words = tokenizer(language)
        sensitive = params.case_sensitive or params.diacritic_sensitive
        self.terms = sorted(set(words.terms(" ".join(positive))))
        negated = set(words.terms(" ".join(negative)))
        self.positive_terms = set(self.terms)
        self.negated_terms = negated
        if sensitive:
            options = (True, params.case_sensitive, params.diacritic_sensitive)
            self.positive_terms = set(words.terms(" ".join(positive), *options))
            self.negated_terms = set(words.terms(" ".join(negative), *options))
        self._insensitive_negated = sorted(negated)

    def parsed(self) -> dict[str, Any]:
        """explain's ``parsedTextQuery``."""
        return {
            "terms": sorted(self.positive_terms),
            "negatedTerms": sorted(self.negated_terms),
            "phrases": list(self.phrases),
            "negatedPhrases": list(self.negated_phrases),
        }

    @property
    def needs_document_check(self) -> bool:
        """False when the index's answer is already the match (no negation, phrase or sensitivity)."""
        p = self.params
        sensitive = p.case_sensitive or p.diacritic_sensitive
        return bool(sensitive or self.negated_terms or self.phrases or self.negated_phrases)

    def matches(self, spec: TextSpec, doc: dict[str, Any]) -> bool:
        """mongod's TEXT_MATCH for a document the index found (it holds a positive term, case- and
        diacritic-insensitively)."""
        p = self.params
        strings = list(iter_strings(spec, doc))
        options = (False, p.case_sensitive, p.diacritic_sensitive)
        if p.case_sensitive or p.diacritic_sensitive:
            wanted = self.positive_terms
            if not any(
                term in wanted
                for text, language, _ in strings
                for term in tokenizer(language).terms(text, *options)
            ):
                return False
        if self.negated_terms:
            unwanted = self.negated_terms
            for text, language, _ in strings:
                if any(term in unwanted for term in tokenizer(language).terms(text, *options)):
                    return False
        for phrase in self.phrases:
            if not any(self._phrase_in(phrase, text, language) for text, language, _ in strings):
                return False
        for phrase in self.negated_phrases:
            if any(self._phrase_in(phrase, text, language) for text, language, _ in strings):
                return False
        return True

    def _phrase_in(self, phrase: str, text: str, language: str) -> bool:
        p = self.params
        turkish = language == "turkish"
        if not p.case_sensitive:
            phrase, text = fold_case(phrase, turkish), fold_case(text, turkish)
        if not p.diacritic_sensitive:
            phrase, text = strip_diacritics(phrase), strip_diacritics(text)
        return phrase in text


def query_language(params: TextParams, default: str) -> str:
    """The canonical language of the search (``$language`` or the index's); BadValue if unsupported."""
    if not params.language:
        return default
    found = canonical_language(params.language)
    if found is None:
        raise MongoError(ErrorCode.BadValue, unsupported_language_message(params.language))
    return found
