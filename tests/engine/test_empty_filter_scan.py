"""A find with an empty filter and nothing to project or sort sends the stored bytes undecoded (what
``docdb dump`` reads), with the same rows, order and statistics as the decoding scan."""

from __future__ import annotations

from docdb.engine.catalog import Catalog
from docdb.engine.matcher import compile_filter, match_all
from docdb.engine.reads import FindSpec, run_find
from docdb.engine.writes import insert_documents


def _collection():
    catalog = Catalog()
    insert_documents(catalog, "db", "c", [{"_id": i, "n": i % 3} for i in range(7)], True)
    return catalog.collection("db", "c")


def test_empty_and_missing_filters_compile_to_match_all():
    assert compile_filter({}) is match_all and compile_filter(None) is match_all
    assert compile_filter({"n": 1}) is not match_all


def test_undecoded_scan_matches_the_decoding_scan():
    coll = _collection()
    raw_run = run_find(coll, FindSpec({}), need_docs=False)
    decoded_run = run_find(coll, FindSpec({}), need_docs=True)
    assert [doc for _, doc in raw_run.rows] == [None] * 7
    assert (
        [raw for raw, _ in raw_run.rows] == [raw for raw, _ in decoded_run.rows] == list(coll.docs.values())
    )
    raw_stats, decoded_stats = raw_run.plans.winner.stats, decoded_run.plans.winner.stats
    assert (raw_stats.docs_examined, raw_stats.n_returned) == (decoded_stats.docs_examined, 7) == (7, 7)


def test_natural_order_backwards_skip_and_limit():
    coll = _collection()
    run = run_find(coll, FindSpec({}, sort={"$natural": -1}, skip=1, limit=3), need_docs=False)
    assert [raw for raw, _ in run.rows] == list(coll.docs.values())[::-1][1:4]
