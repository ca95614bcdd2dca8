"""Index keys, specs and bounds in-process: MongoDB's key generation rules and mongod's bound strings."""

from __future__ import annotations

import datetime

import pytest
from bson.decimal128 import Decimal128
from bson.int64 import Int64
from bson.max_key import MaxKey
from bson.min_key import MinKey
from bson.objectid import ObjectId
from hypothesis import given, settings
from hypothesis import strategies as st
from sortedcontainers import SortedList

from docdb.engine.bson_order import sort_key
from docdb.engine.indexing.bounds import analyze_filter
from docdb.engine.indexing.index import Index, _forward
from docdb.engine.indexing.keys import HIGH, KeyMaker, invert, split_key
from docdb.engine.indexing.spec import default_name, find_conflict, parse_index_spec
from docdb.engine.matcher import compile_filter
from docdb.errors import MongoError


def _keys(fields, doc, *, desc=None, sparse=False, partial=None):
    maker = KeyMaker(
        fields, desc or [False] * len(fields), sparse, compile_filter(partial) if partial else None
    )
    return maker.keys(doc)[0]


@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        pytest.param({"a": 1}, [sort_key(1)], id="scalar"),
        pytest.param({}, [sort_key(None)], id="missing-is-null"),
        pytest.param({"a": None}, [sort_key(None)], id="null"),
        pytest.param({"a": [3, 1, 3]}, [sort_key(3), sort_key(1)], id="array-distinct-elements"),
        pytest.param({"a": []}, [(0,)], id="empty-array-is-undefined"),
        pytest.param({"a": [[1], 2]}, [sort_key([1]), sort_key(2)], id="nested-array-whole"),
    ],
)
def test_single_field_keys(doc, expected):
    assert _keys(["a"], doc) == expected


def test_dotted_paths_through_arrays_of_documents():
    assert _keys(["a.b"], {"a": [{"b": 1}, {"c": 2}, 5]}) == [sort_key(1), sort_key(None)]


def test_numbers_of_every_type_make_the_same_key():
    keys = {_keys(["a"], {"a": v})[0] for v in (1, 1.0, Int64(1), Decimal128("1"))}
    assert len(keys) == 1


def test_sparse_and_partial_skip_documents():
    assert _keys(["a"], {"b": 1}, sparse=True) == []
    assert _keys(["a", "b"], {"b": 1}, sparse=True) == [sort_key(None) + sort_key(1)]
    assert _keys(["a"], {"a": 1, "live": False}, partial={"live": True}) == []


def test_parallel_arrays_are_refused():
    with pytest.raises(MongoError) as exc:
        _keys(["a", "b"], {"a": [1], "b": [2]})
    assert (exc.value.code, exc.value.errmsg) == (171, "cannot index parallel arrays [b] [a]")
    assert len(_keys(["a.x", "a.y"], {"a": [{"x": 1, "y": 2}]})) == 1


def test_flat_keys_split_back_into_components():
    key = _keys(["a", "b", "c"], {"a": "x", "b": 2, "c": 1}, desc=[False, True, False])[0]
    assert key == (15, "x", -10, -1, -2, 10, 1, 1)
    assert split_key(key + ("tail",), 3) == ([sort_key("x"), invert(sort_key(2)), sort_key(1)], 8)


def test_descending_components_reverse_the_order():
    values = [
        None,
        -1,
        2.5,
        3,
        "",
        "a",
        "ab",
        "b",
        {},
        {"a": 1},
        {"a": 1, "b": 2},
        [],
        [1],
        [1, 2],
        b"x",
        True,
    ]
    values += [ObjectId("000000000000000000000001"), datetime.datetime(2024, 1, 1), MinKey(), MaxKey()]
    values += [float("nan"), Decimal128("-Infinity"), {"a": "x"}, [[1], "z"]]
    ascending = sorted(values, key=sort_key)
    descending = sorted(values, key=lambda v: invert(sort_key(v)))
    assert [sort_key(v) for v in descending] == [sort_key(v) for v in reversed(ascending)]


def test_index_add_remove_and_owners():
    index = Index(parse_index_spec({"key": {"a": 1}, "name": "a_1"}))
    index.build([])
    index.add("k1", {"_id": 1, "a": [1, 2]})
    index.add("k2", {"_id": 2, "a": 2})
    assert sorted(index.owners(sort_key(2))) == ["k1", "k2"]
    assert index.is_multikey
    index.remove("k1", {"_id": 1, "a": [1, 2]})
    assert list(index.owners(sort_key(2))) == ["k2"]
    assert len(index) == 1


def test_spec_normalization_and_names():
    assert default_name({"a": 1, "b.c": -1.0}) == "a_1_b.c_-1"
    spec = parse_index_spec({"name": "x", "key": {"a": 1}, "sparse": True, "background": True, "unique": 1})
    assert list(spec.items()) == [
        ("v", 2),
        ("unique", True),
        ("key", {"a": 1}),
        ("name", "x"),
        ("sparse", True),
        ("background", True),
    ]
    assert find_conflict([spec], dict(spec)) == spec


@pytest.mark.parametrize(
    ("query", "bounds"),
    [
        pytest.param({"a": 5}, ["[5, 5]"], id="eq"),
        pytest.param({"a": {"$gt": 5}}, ["(5, inf.0]"], id="gt-number"),
        pytest.param({"a": {"$lte": "m"}}, ['["", "m"]'], id="lte-string"),
        pytest.param({"a": {"$gte": 1, "$lt": 2.5}}, ["[1, 2.5)"], id="intersected"),
        pytest.param({"a": {"$in": [3, 1, 3]}}, ["[1, 1]", "[3, 3]"], id="in-sorted-merged"),
        pytest.param({"a": None}, ["[undefined, undefined]", "[null, null]"], id="null"),
        pytest.param({"a": {"$gt": 5, "$lt": 1}}, [], id="empty"),
    ],
)
def test_bounds_text(query, bounds):
    path = analyze_filter(query).paths["a"]
    assert [iv.text() for iv in path.intervals(multikey=False)] == bounds


def test_multikey_paths_keep_only_the_first_range():
    path = analyze_filter({"a": {"$gte": 1, "$lt": 2}}).paths["a"]
    assert [iv.text() for iv in path.intervals(multikey=True)] == ["[1, inf.0]"]
    assert not path.is_exact(multikey=True)
    assert path.is_exact(multikey=False)


@settings(max_examples=300, deadline=None)
@given(
    values=st.lists(st.integers(0, 60), max_size=80),
    low=st.integers(-1, 62),
    width=st.integers(0, 8),
    load=st.integers(1, 6),
)
def test_forward_scan_returns_what_irange_returns(values, low, width, load):
    """The forward scan walks SortedList's sublists itself; small loads spread the entries over many."""
    entries = SortedList()
    entries._reset(load)
    entries.update((v, i) for i, v in enumerate(values))
    for start, end in [((low,), (low + width,)), ((low,), (low, HIGH)), ((low, 3), (low + width, 2))]:
        assert list(_forward(entries, start, end)) == list(
            entries.irange(start, end, inclusive=(True, False))
        )
