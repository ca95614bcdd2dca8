"""Engine-level collators: the simple one is bson_order itself; ICU ones key strings (also nested) by
ICU sort key and leave other types and field names in binary order."""

from __future__ import annotations

import pytest
from bson.int64 import Int64

from docdb.engine import bson_order
from docdb.engine.collation import SIMPLE, cached_collation, parse_collation, using
from docdb.engine.indexing.keys import KeyMaker, invert
from docdb.engine.matcher import compile_filter
from docdb.engine.sort import compile_sort
from docdb.errors import MongoError


def test_the_simple_collator_is_bson_order_itself():
    assert SIMPLE.sort_key is bson_order.sort_key
    assert SIMPLE.compare is bson_order.compare
    assert SIMPLE.hash_key is bson_order.hash_key
    assert SIMPLE.values_equal is bson_order.values_equal
    assert parse_collation({"locale": "simple"}) is SIMPLE
    assert SIMPLE.spec is None


def test_defaults_come_from_the_locale():
    assert parse_collation({"locale": "fr_CA"}).spec["backwards"] is True
    assert parse_collation({"locale": "fr"}).spec["backwards"] is False
    assert parse_collation({"locale": "en", "strength": Int64(2)}).spec["strength"] == 2
    assert parse_collation({"locale": "en", "strength": 1.0}).spec["strength"] == 1


def test_strength_levels():
    primary = parse_collation({"locale": "en", "strength": 1})
    secondary = parse_collation({"locale": "en", "strength": 2})
    tertiary = parse_collation({"locale": "en"})
    assert primary.compare("résumé", "RESUME") == 0
    assert secondary.compare("résumé", "RESUME") != 0
    assert secondary.compare("résumé", "RÉSUMÉ") == 0
    assert tertiary.compare("a", "A") == -1
    identical = parse_collation({"locale": "en", "strength": 5})
    assert identical.compare("\u00e9", "e\u0301") == 0  # canonically equivalent
    assert bson_order.compare("\u00e9", "e\u0301") != 0


def test_non_strings_and_field_names_stay_binary():
    en = parse_collation({"locale": "en", "strength": 1})
    assert en.sort_key(5) == bson_order.sort_key(5)
    assert en.compare({"A": 1}, {"a": 1}) == bson_order.compare({"A": 1}, {"a": 1}) != 0
    assert en.compare({"a": "X"}, {"a": "x"}) == 0
    assert en.compare(["X", 1], ["x", 1.0]) == 0
    assert en.hash_key(1) == en.hash_key(1.0)
    assert en.hash_key("ABC") == en.hash_key("abc") != en.hash_key("abd")
    assert en.compare("z", 1) == 1  # type order first: numbers before strings


def test_compiled_filters_and_sorts_take_the_active_collator():
    en = parse_collation({"locale": "en", "strength": 2})
    with using(en):
        match = compile_filter({"a": {"$in": ["X", "y"]}, "b": {"$lte": "M"}})
        key = compile_sort({"a": 1})
    assert match({"a": "x", "b": "m"}) and match({"a": ["Y"], "b": "A"})
    assert not match({"a": "x", "b": "n"})
    assert sorted([{"a": "b"}, {"a": "A"}, {"a": "C"}], key=key) == [{"a": "A"}, {"a": "b"}, {"a": "C"}]
    plain = compile_filter({"a": "X"})
    assert not plain({"a": "x"})
    assert compile_filter({"a": "X"}, collator=en)({"a": "x"})


def test_collated_index_keys_and_their_descending_form():
    en = parse_collation({"locale": "en", "strength": 2})
    maker = KeyMaker(["a"], [False], False, None, en)
    (key,), _ = maker.keys({"a": "ABC"})
    assert maker.keys({"a": "abc"})[0] == [key]
    descending = KeyMaker(["a"], [True], False, None, en)
    (low,), _ = descending.keys({"a": "b"})
    (high,), _ = descending.keys({"a": "A"})
    assert low < high == invert(en.sort_key("a"))


def test_parsed_collators_are_cached_per_document():
    assert cached_collation({"locale": "en"}) is cached_collation({"locale": "en"})
    with pytest.raises(MongoError):
        cached_collation({"locale": "en", "caseLevel": 1})
    assert cached_collation({"locale": "en", "caseLevel": True}) is not cached_collation({"locale": "en"})
