"""The columnar path answers exactly as the row engine: same documents, same order, same values and types.

Hypothesis makes collections of mixed-type documents (ints, Int64, big ints, doubles with NaN/inf/-0.0,
Decimal128, strings, null, missing, booleans, dates, arrays, sub-documents) and filters and ``$group``
pipelines over them; each is run twice in-process, with the columns on (for any collection size) and off,
and the results are compared document for document and type for type.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

import pytest
from bson.decimal128 import Decimal128
from bson.int64 import Int64
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from docdb.engine import columns
from docdb.engine.aggregate import run_aggregate
from docdb.engine.catalog import Catalog
from docdb.engine.columns.group import column_group
from docdb.engine.reads import FindSpec, count_documents, distinct_values, find_documents
from docdb.engine.writes import DocumentBatch

DIFF = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

scalars = st.one_of(
    st.integers(-5, 5),
    st.integers(-(2**31), 2**31 - 1),
    st.integers(-(2**63), 2**63 - 1).map(Int64),
    st.sampled_from([2**53 + 1, -(2**60)]).map(Int64),
    st.sampled_from([0.5, 1.0, 1.5, -2.25, 3.0, 0.1, -0.0, 1e300]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["1", "2.5", "NaN", "-0"]).map(Decimal128),
    st.sampled_from(["", "a", "b", "ab", "B", "é", "z"]),
    st.none(),
    st.booleans(),
    st.sampled_from([datetime.datetime(2024, 1, 1), datetime.datetime(1969, 12, 31, 23, 59)]),
)
values = st.one_of(scalars, st.lists(scalars, max_size=3), st.fixed_dictionaries({"x": scalars}))
field_values = st.one_of(st.just(None).map(lambda _: _MISSING), values)
_MISSING = object()


@st.composite
def documents(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Documents mostly of one type per field (the columns' fast cases), sometimes mixed."""
    n = draw(st.integers(0, 25))
    homogeneous = {f: draw(st.sampled_from([None, "int", "float", "str"])) for f in ("a", "g", "v")}
    out = []
    for i in range(n):
        doc: dict[str, Any] = {"_id": i}
        for field in ("a", "g", "v"):
            kind = homogeneous[field]
            if kind == "int":
                value: Any = draw(st.integers(-3, 3))
            elif kind == "float":
                value = draw(st.sampled_from([0.5, 1.5, -2.0, 4.25, 1e10]))
            elif kind == "str":
                value = draw(st.sampled_from(["a", "b", "c"]))
            else:
                value = draw(field_values)
            if value is not _MISSING:
                doc[field] = value
        if draw(st.booleans()):
            doc["s"] = {"t": draw(scalars)}
        out.append(doc)
    return out


literals = st.one_of(
    st.integers(-3, 3), st.sampled_from([0.5, 1.5, -0.0, 2**53 + 1, float("nan")]),
    st.sampled_from(["a", "b", "ab", ""]), st.none(), st.booleans(),
    st.just(datetime.datetime(2024, 1, 1)), st.just(Decimal128("1")),
)  # fmt: skip
paths = st.sampled_from(["a", "g", "v", "s.t", "missing"])


def _clauses() -> st.SearchStrategy[dict[str, Any]]:
    comparison = st.builds(
        lambda p, op, v: {p: {op: v}},
        paths,
        st.sampled_from(["$eq", "$ne", "$gt", "$gte", "$lt", "$lte"]),
        literals,
    )
    equality = st.builds(lambda p, v: {p: v}, paths, literals)
    in_list = st.builds(
        lambda p, op, vs: {p: {op: vs}},
        paths,
        st.sampled_from(["$in", "$nin"]),
        st.lists(literals, max_size=3),
    )
    exists = st.builds(lambda p, b: {p: {"$exists": b}}, paths, st.booleans())
    return st.one_of(comparison, equality, in_list, exists)


filters = st.recursive(
    _clauses(),
    lambda inner: st.builds(
        lambda op, subs: {op: subs},
        st.sampled_from(["$and", "$or", "$nor"]),
        st.lists(inner, min_size=1, max_size=3),
    ),
    max_leaves=4,
)  # fmt: skip


@pytest.fixture
def both_paths() -> Iterator[None]:
    """Columns for any collection size (the fixture state is the same for every generated input)."""
    saved = (columns.SETTINGS.min_docs, columns.SETTINGS.enabled)
    columns.SETTINGS.min_docs = 0
    yield
    columns.SETTINGS.min_docs, columns.SETTINGS.enabled = saved


def _catalog(docs: list[dict[str, Any]]) -> Catalog:
    catalog = Catalog()
    coll = catalog.ensure_collection("d", "c")
    batch = DocumentBatch(coll)
    for doc in docs:
        batch.insert(doc)
    catalog.commit(batch.writes)
    return catalog


def _typed(value: Any) -> Any:
    """``value`` with every scalar paired with its type, so 1 and 1.0 and Int64(1) differ; NaN equals NaN."""
    if isinstance(value, dict):
        return [(k, _typed(v)) for k, v in value.items()]
    if isinstance(value, list):
        return ["list", [_typed(v) for v in value]]
    if isinstance(value, float) and value != value:
        return ("float", "nan")
    if isinstance(value, float):
        return ("float", value.hex())
    return (type(value).__name__, value)


def _both(fn: Any) -> tuple[Any, Any]:
    columns.SETTINGS.enabled = True
    on = fn()
    columns.SETTINGS.enabled = False
    off = fn()
    return on, off


@DIFF
@given(documents(), filters)
def test_find_count_distinct(both_paths: None, docs: list[dict[str, Any]], spec: dict[str, Any]) -> None:
    catalog = _catalog(docs)
    coll = catalog.collection("d", "c")
    found_on, found_off = _both(lambda: [bytes(d.raw) for d in find_documents(coll, FindSpec(spec))])
    assert found_on == found_off
    count_on, count_off = _both(lambda: count_documents(coll, FindSpec(spec)))
    assert count_on == count_off
    distinct_on, distinct_off = _both(lambda: distinct_values(coll, "a", spec))
    assert _typed(distinct_on) == _typed(distinct_off)


group_keys = st.sampled_from(["$a", "$g", "$v", None, "$missing", "$s.t"])
accumulators = st.fixed_dictionaries(
    {},
    optional={
        "sum": st.sampled_from([{"$sum": "$v"}, {"$sum": "$a"}, {"$sum": 1}]),
        "avg": st.sampled_from([{"$avg": "$v"}, {"$avg": "$a"}]),
        "mn": st.sampled_from([{"$min": "$v"}, {"$min": "$a"}]),
        "mx": st.sampled_from([{"$max": "$v"}, {"$max": "$g"}]),
        "first": st.sampled_from([{"$first": "$v"}, {"$first": "$s.t"}]),
        "last": st.sampled_from([{"$last": "$a"}]),
        "count": st.just({"$count": {}}),
    },
)


@DIFF
@given(documents(), st.one_of(st.none(), filters), group_keys, accumulators)
def test_match_group(
    both_paths: None, docs: list[dict[str, Any]], spec: Any, key: Any, accs: dict[str, Any]
) -> None:
    catalog = _catalog(docs)
    pipeline: list[dict[str, Any]] = [] if spec is None else [{"$match": spec}]
    pipeline.append({"$group": {"_id": key, **accs}})
    on, off = _both(lambda: run_aggregate(catalog, "d", "c", pipeline, None))
    assert _typed(on) == _typed(off)


def test_columns_serve_the_benchmark_shapes(both_paths: None) -> None:
    """The shapes of bench/bench_columns.py do take the columnar path (not a silent fallback)."""
    docs = [{"_id": i, "name": f"user{i}", "g": i % 10, "v": i * 1.5, "b": i % 7} for i in range(50)]
    catalog = _catalog(docs)
    coll = catalog.collection("d", "c")
    columns.SETTINGS.enabled = True
    assert columns.column_rows(coll, {"name": "user7"}) is not None
    group = {"_id": "$g", "total": {"$sum": "$v"}, "avg": {"$avg": "$v"}, "n": {"$sum": 1}}
    grouped = column_group(coll, {"b": {"$gte": 1}}, group)
    # g == 1: _id 1, 11, 31, 41 (21 has b == 0); v = 1.5 + 16.5 + 46.5 + 61.5
    assert grouped is not None and grouped[0] == {"_id": 1, "total": 126.0, "avg": 31.5, "n": 4}
