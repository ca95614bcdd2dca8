"""The columnar path never answers under a non-simple collation: its string compares are code-point only,
so ``column_rows`` and ``column_group`` decline and the row engine (which uses the collator) answers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from docdb.bson_codec import decode_document
from docdb.engine import columns
from docdb.engine.aggregate import run_aggregate
from docdb.engine.catalog import Catalog
from docdb.engine.collation import parse_collation, using
from docdb.engine.columns import column_rows
from docdb.engine.columns.group import column_group
from docdb.engine.reads import FindSpec, count_documents, find_documents
from docdb.engine.writes import DocumentBatch

CASELESS = parse_collation({"locale": "en", "strength": 2})
DOCS = [{"_id": 0, "s": "a"}, {"_id": 1, "s": "A"}, {"_id": 2, "s": "b"}, {"_id": 3, "s": "B"}]


@pytest.fixture
def columns_always() -> Iterator[None]:
    saved = (columns.SETTINGS.min_docs, columns.SETTINGS.enabled)
    columns.SETTINGS.min_docs, columns.SETTINGS.enabled = 0, True
    yield
    columns.SETTINGS.min_docs, columns.SETTINGS.enabled = saved


def _catalog(docs: list[dict[str, Any]]) -> Catalog:
    catalog = Catalog()
    batch = DocumentBatch(catalog.ensure_collection("d", "c"))
    for doc in docs:
        batch.insert(doc)
    catalog.commit(batch.writes)
    return catalog


def test_column_entry_points_decline_under_a_collation(columns_always: None) -> None:
    coll = _catalog(DOCS).collection("d", "c")
    assert coll is not None
    simple = column_rows(coll, {"s": "a"})
    assert simple is not None and list(simple[1]) == [0]  # the columns serve the simple collation
    group = {"_id": "$s", "n": {"$sum": 1}}
    assert column_group(coll, {}, group) is not None
    with using(CASELESS):
        assert column_rows(coll, {"s": "a"}) is None
        assert column_group(coll, {}, group) is None


def test_collated_string_filters_and_groups_match_the_row_engine(columns_always: None) -> None:
    catalog = _catalog(DOCS)
    coll = catalog.collection("d", "c")
    assert coll is not None
    with using(CASELESS):
        found = [decode_document(bytes(d.raw)) for d in find_documents(coll, FindSpec({"s": "a"}))]
        assert [d["_id"] for d in found] == [0, 1]
        assert count_documents(coll, FindSpec({"s": {"$gt": "a"}})) == 2
        grouped = list(run_aggregate(catalog, "d", "c", [{"$group": {"_id": "$s", "n": {"$sum": 1}}}], None))
    assert sorted((g["_id"].lower(), g["n"]) for g in grouped) == [("a", 2), ("b", 2)]
