"""Which strings of a document a text index reads, in which language, with which weight — and the score
of each term (mongod's ``FTSElementIterator`` and ``FTSSpec::_scoreStringV2``).

The walk visits fields in document order. A field is read when its dotted path is a weighted field
(or the index is a wildcard); a sub-document is entered when its path is a prefix of a weighted field,
an array when its parent is not an array. A document (or sub-document) names its own language in the
``language_override`` field. As in mongod, the weight of a field is that of the first weighted path at
or after it in byte order (with a wildcard, a field before a weighted one takes that field's weight).

A term's score in one string is ``weight * freq * (0.5 * count / tokens + 0.5)`` where the n-th
occurrence of a term adds ``1 / 2**(n-1)`` to ``freq``, times 1.1 when the whole string is the term;
a document's term score sums over its strings.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from docdb.engine.query.bson_text import format_value
from docdb.engine.text.languages import canonical_language
from docdb.engine.text.spec import WILDCARD
from docdb.engine.text.tokenizer import tokenizer
from docdb.errors import MongoError

CANNOT_BUILD_INDEX_KEYS = 201


@dataclass(slots=True)
class TextSpec:
    """The parts of a stored text index spec that reading documents needs."""

    weights: list[tuple[str, int]]
    wildcard: bool
    default_language: str
    language_override: str
    extra_before: list[str] = field(default_factory=list)
    extra_after: list[str] = field(default_factory=list)

    @classmethod
    def from_spec(cls, spec: dict[str, Any]) -> TextSpec:
        weights = spec["weights"]
        named = sorted(((k, v) for k, v in weights.items() if k != WILDCARD), key=lambda kv: kv[0].encode())
        before: list[str] = []
        after: list[str] = []
        passed = False
        for name in spec["key"]:
            if name in ("_fts", "_ftsx"):
                passed = True
            else:
                (after if passed else before).append(name)
        language = canonical_language(spec["default_language"])
        assert language is not None
        return cls(named, WILDCARD in weights, language, spec["language_override"], before, after)

    @property
    def weight_names(self) -> list[str]:
        return [name for name, _ in self.weights]


def document_language(spec: TextSpec, doc: dict[str, Any], parent: str) -> str:
    """The language of ``doc``: its override field (mongod's 17261/17262 if bad), else ``parent``."""
    value = doc.get(spec.language_override)
    if value is None and spec.language_override not in doc:
        return parent
    if not isinstance(value, str):
        raise MongoError(17261, "found language override field in document with non-string type")
    language = canonical_language(value)
    if language is None:
        raise MongoError(17262, f"language override unsupported: {value}")
    return language


def iter_strings(spec: TextSpec, doc: dict[str, Any]) -> Iterator[tuple[str, str, float]]:
    """``(text, language, weight)`` of every string the index reads in ``doc``, in document order."""
    names = spec.weight_names
    language = document_language(spec, doc, spec.default_language)
    yield from _walk(spec, names, doc.items(), language, "", False)


def _walk(
    spec: TextSpec, names: list[str], items: Any, language: str, parent: str, is_array: bool
) -> Iterator[tuple[str, str, float]]:
    wildcard = spec.wildcard
    for name, value in items:
        if wildcard and name == spec.language_override and not is_array:
            continue
        path = name if not parent else parent if is_array else f"{parent}.{name}"
        is_object = isinstance(value, dict)
        position = bisect_left(names, path + "." if is_object else path)
        possible = position < len(names)
        if not wildcard and (not possible or not names[position].startswith(path)):
            continue
        exact = possible and names[position] == path
        weight = spec.weights[position][1] if possible else 1
        if isinstance(value, str):
            if exact or wildcard:
                yield value, language, weight
        elif is_object:
            if not exact or wildcard:
                inner = document_language(spec, value, language)
                yield from _walk(spec, names, value.items(), inner, path, False)
        elif isinstance(value, list):
            if not is_array or wildcard:
                elements = ((str(i), item) for i, item in enumerate(value))
                yield from _walk(spec, names, elements, language, path, True)


def score_string(text: str, language: str, weight: float, scores: dict[str, float]) -> None:
    """Add the term scores of one string to ``scores`` (mongod's ``_scoreStringV2``)."""
    terms = tokenizer(language).terms(text)
    if not terms:
        return
    tokens = len(terms)
    counts = Counter(terms)
    # Most terms occur once: their score is ``weight * coeff``; the others are computed one by one.
    local = dict.fromkeys(counts, weight * ((0.5 * 1 / tokens) + 0.5))
    for term in [term for term, count in counts.items() if count > 1]:
        count = counts[term]
        local[term] = weight * _freq(count) * ((0.5 * count / tokens) + 0.5)
    if len(counts) == 1:  # only then can the whole string be the term (the 1.1 boost)
        term = terms[0]
        if len(text.encode()) == len(term.encode()) and text.lower() == term.lower():
            count = counts[term]
            local[term] = weight * _freq(count) * ((0.5 * count / tokens) + 0.5) * 1.1
    if not scores:
        scores.update(local)
        return
    get = scores.get
    for term, score in local.items():
        scores[term] = get(term, 0.0) + score


_FREQ = [0.0] + [2.0 - 2.0 ** (1 - count) for count in range(1, 1100)]


def _freq(count: int) -> float:
    """1 + 1/2 + 1/4 + ... over ``count`` occurrences: mongod's running sum (exact in binary)."""
    return _FREQ[count] if count < len(_FREQ) else 2.0


def document_scores(spec: TextSpec, doc: dict[str, Any]) -> dict[str, float]:
    """Every term of ``doc`` the index holds, with its score."""
    scores: dict[str, float] = {}
    for text, language, weight in iter_strings(spec, doc):
        score_string(text, language, weight, scores)
    return scores


def check_extras(spec: TextSpec, doc: dict[str, Any]) -> None:
    """A compound text index's scalar fields may not hold arrays (CannotBuildIndexKeys 201)."""
    for path in (*spec.extra_before, *spec.extra_after):
        if _has_array(doc, path.split(".")):
            raise MongoError(
                CANNOT_BUILD_INDEX_KEYS,
                f"Field '{path}' of text index contains an array in document: {format_value(doc)}",
            )


def _has_array(value: Any, parts: list[str]) -> bool:
    for part in parts:
        if isinstance(value, list):
            return True
        if not isinstance(value, dict) or part not in value:
            return False
        value = value[part]
        if isinstance(value, list):
            return True
    return False
