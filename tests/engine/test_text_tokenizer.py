"""Text search pieces in-process: languages, the tokenizer (delimiters, stop words, stemming, case and
diacritic folding), the parsing of a search string, and the per-document term scores."""

from __future__ import annotations

import pytest

from docdb.engine.text.languages import canonical_language, stop_words
from docdb.engine.text.query import TextParams, TextQuery
from docdb.engine.text.scoring import TextSpec, document_scores
from docdb.engine.text.tokenizer import strip_diacritics, tokenizer


@pytest.mark.parametrize(
    ("name", "canonical"),
    [
        ("english", "english"),
        ("EN", "english"),
        ("Spanish", "spanish"),
        ("nb", "norwegian"),
        ("pt", "portuguese"),
        ("tr", "turkish"),
        ("none", "none"),
        ("klingon", None),
        ("eng", None),
    ],
)
def test_language_names_and_codes(name, canonical):
    assert canonical_language(name) == canonical


def test_stop_word_lists_are_mongods():
    assert len(stop_words("english")) == 174
    assert {"the", "a", "shouldn't", "ourselves"} <= stop_words("english")
    assert {"de", "la", "que"} <= stop_words("spanish")
    assert "être" in stop_words("french")
    assert stop_words("romanian") == frozenset()  # mongod has no list for it
    assert stop_words("none") == frozenset()


@pytest.mark.parametrize(
    ("language", "text", "terms"),
    [
        (
            "english",
            "The shop's cafés, running_fast 3.14 co-op",
            ["shop", "cafe", "running_fast", "3", "14", "co", "op"],
        ),
        ("english", "THE Coffee!!! «quoted» — dash", ["coffe", "quot", "dash"]),
        ("french", "L'école des chanteuses", ["ecol", "chanteux"]),
        ("spanish", "Las tiendas", ["tiend"]),
        ("german", "Die Katzen spielten", ["katz", "spielt"]),
        ("russian", "Сырники", ["сырник"]),
        ("turkish", "IŞIK İstanbul", ["ısık", "istanbul"]),
        ("none", "The Running", ["the", "running"]),
    ],
)
def test_terms(language, text, terms):
    assert tokenizer(language).terms(text) == terms


def test_case_and_diacritic_sensitive_terms_and_stop_words_kept():
    words = tokenizer("english")
    assert words.terms("Café Shops", case_sensitive=True) == ["Cafe", "Shop"]
    assert words.terms("Café Shops", diacritic_sensitive=True) == ["café", "shop"]
    assert words.terms("the café", filter_stop_words=False) == ["the", "cafe"]
    assert strip_diacritics("Ünïcödé ŝtrïñg") == "Unicode string"
    assert strip_diacritics("сы́рники") == "сырники"


@pytest.mark.parametrize(
    ("search", "parsed"),
    [
        ("coffee shop", (["coffe", "shop"], [], [], [])),
        ('a "b c" -d -"e f"', (["a", "b", "c"], ["d"], ["b c"], ["e f"])),
        ("-foo-bar - baz", (["baz"], ["bar", "foo"], [], [])),
        ("co-op", (["co", "op"], [], [], [])),
        ('-"not this" cake', (["cake"], [], [], ["not this"])),
        ('"unclosed phrase', (["phrase", "unclos"], [], [], [])),
    ],
)
def test_search_parsing(search, parsed):
    query = TextQuery(
        TextParams(search, None, False, False), "none" if search.startswith("a ") else "english"
    )
    out = query.parsed()
    assert (out["terms"], out["negatedTerms"], out["phrases"], out["negatedPhrases"]) == parsed


def _spec(weights: dict, **extra) -> TextSpec:
    return TextSpec.from_spec(
        {
            "key": {"_fts": "text", "_ftsx": 1},
            "weights": weights,
            "default_language": "english",
            "language_override": "language",
            **extra,
        }
    )


def test_document_scores():
    spec = _spec({"body": 1})
    assert document_scores(spec, {"body": "coffee coffee coffee tea"}) == {
        "coffe": 1 * 1.75 * (0.5 * 3 / 4 + 0.5),
        "tea": 1 * 1 * (0.5 * 1 / 4 + 0.5),
    }
    assert document_scores(spec, {"body": "Cake"}) == {"cake": 1.1}
    assert document_scores(spec, {"body": ["cake", "baking a cake"]}) == {"cake": 1.1 + 0.75, "bake": 0.75}
    assert document_scores(spec, {"body": 5, "other": "coffee"}) == {}


def test_weights_follow_mongods_lookup_with_a_wildcard():
    """With a wildcard, a field takes the weight of the first weighted path at or after its own."""
    spec = _spec({"$**": 1, "title": 10})
    scores = document_scores(spec, {"abstract": "tea", "title": "tea", "zeta": "tea"})
    assert scores == {"tea": 10 * 1.1 + 10 * 1.1 + 1 * 1.1}
