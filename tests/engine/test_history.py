"""The write funnel's clock and memory: each record stamped with a Timestamp, each change in the history."""

from __future__ import annotations

from pathlib import Path

from bson.timestamp import Timestamp

from docdb.engine.catalog import Catalog
from docdb.engine.history import ENTRY_BYTES, ChangeHistory
from docdb.engine.session_log import txn_document
from docdb.engine.writes import (
    DocumentBatch,
    UpdateStatement,
    delete_documents,
    insert_documents,
    update_documents,
)


def test_changes_carry_kind_images_and_one_timestamp_per_record() -> None:
    catalog = Catalog()
    insert_documents(catalog, "d", "c", [{"_id": 1, "a": 1}, {"_id": 2}], True)
    update_documents(catalog, "d", "c", [UpdateStatement({"_id": 1}, {"$set": {"a": 2}})], True)
    update_documents(catalog, "d", "c", [UpdateStatement({"_id": 2}, {"b": 1})], True)
    delete_documents(catalog, "d", "c", [({"_id": 1}, 1, None)], True)
    everything = list(catalog.history.since(catalog.history.first_seq))
    assert (everything[0].op, everything[0].key) == ("create", None)  # catalog changes are in it too
    changes = everything[1:]
    assert [(c.op, c.id_value) for c in changes] == [
        ("insert", 1),
        ("insert", 2),
        ("update", 1),
        ("replace", 2),
        ("delete", 1),
    ]
    assert changes[0].ts == changes[1].ts < changes[2].ts < changes[3].ts < changes[4].ts
    assert changes[2].before is changes[0].after  # a reference to the stored bytes, not a copy
    assert changes[4].after is None and changes[4].before is changes[2].after
    assert catalog.clock.last == changes[4].ts


def test_history_is_bounded_unless_pinned() -> None:
    history = ChangeHistory(max_entries=3)
    token = history.pin()
    for i in range(5):
        history.append(Timestamp(1, i + 1), "d.c", "insert", i, i, b"x", None)
    assert [c.seq for c in history.since(0)] == [0, 1, 2, 3, 4]
    history.unpin(token)
    history.append(Timestamp(1, 6), "d.c", "insert", 5, 5, b"x", None)
    assert history.first_seq == 3
    assert [c.id_value for c in history.since(3)] == [3, 4, 5]


def test_recovery_advances_the_clock_and_keeps_session_facts(tmp_path: Path) -> None:
    path = str(tmp_path / "h.mdb")
    catalog = Catalog.open(path)
    coll = catalog.ensure_collection("d", "c")
    batch = DocumentBatch(coll)
    batch.insert({"_id": 1})
    ts = catalog.commit(batch.writes, txn_document(b"L" * 16, 7, [0], [{"n": 1}]))
    catalog.close()
    reopened = Catalog.open(path)
    try:
        assert reopened.clock.last == ts
        assert reopened.clock.tick() > ts
        facts = reopened.session_facts[b"L" * 16]
        assert (facts.txn_number, facts.results, facts.committed) == (7, {0: {"n": 1}}, False)
    finally:
        reopened.close()


def test_compaction_keeps_the_clock_and_session_facts(tmp_path: Path) -> None:
    from docdb.tools.compact import compact_file

    path = str(tmp_path / "c.mdb")
    catalog = Catalog.open(path)
    coll = catalog.ensure_collection("d", "c")
    batch = DocumentBatch(coll)
    batch.insert({"_id": 1})
    catalog.commit(batch.writes, txn_document(b"K" * 16, 4, [0, 1], [{"n": 1}, {"n": 0}]))
    batch = DocumentBatch(coll)
    batch.delete({"_id": 1})
    ts = catalog.commit(batch.writes)
    catalog.close()
    compact_file(path)
    reopened = Catalog.open(path)
    try:
        assert reopened.document_count() == 0
        assert reopened.clock.last == ts
        facts = reopened.session_facts[b"K" * 16]
        assert (facts.txn_number, facts.results) == (4, {0: {"n": 1}, 1: {"n": 0}})
    finally:
        reopened.close()


def test_history_is_bounded_by_the_bytes_it_keeps_alive() -> None:
    history = ChangeHistory(max_entries=100, max_bytes=2 * ENTRY_BYTES + 25)
    for i in range(5):
        history.append(Timestamp(1, i + 1), "d.c", "update", 0, 0, b"x" * 5, b"y" * 5)
    # 2 x (10 bytes of images + an entry's own cost) fit
    assert [c.seq for c in history.since(history.first_seq)] == [3, 4]
    assert history.horizon == Timestamp(1, 3)


def test_insert_batches_become_entries_in_order_whenever_they_are_read() -> None:
    """``extend_inserts`` only notes a batch (its entries are made after the server's reply, by
    ``settle``); every read, a single change appended after it and trimming see them made, in order."""
    history = ChangeHistory(max_entries=1000)
    ts = [Timestamp(9, i) for i in range(1, 5)]
    history.extend_inserts(ts[0], "d.c", [1, 2], [1, 2], [b"a", b"bb"], 7, None)
    assert history.next_seq == 2 and len(history) == 2 and history.size_bytes == 2 * ENTRY_BYTES + 3
    assert [(c.seq, c.id_value, c.after, c.ts, c.wall) for c in history.since(0)] == [
        (0, 1, b"a", ts[0], 7),
        (1, 2, b"bb", ts[0], 7),
    ]
    history.extend_inserts(ts[1], "d.c", [3], [3], [b"c"], 8, None)
    history.append(ts[2], "d.c", "update", 3, 3, b"C", b"c")  # after the batch still pending
    history.extend_inserts(ts[3], "d.c", [4, 5], [4, 5], [b"d", b"e"], 9, None)
    assert [(c.seq, c.op, c.id_value) for c in history.entries()] == [
        (0, "insert", 1),
        (1, "insert", 2),
        (2, "insert", 3),
        (3, "update", 3),
        (4, "insert", 4),
        (5, "insert", 5),
    ]
    history.extend_inserts(ts[3], "d.c", [6], [6], [b"f"], 9, None)
    history.settle()
    history.settle()  # nothing pending: nothing changes
    assert [c.seq for c in history.since(5)] == [5, 6] and len(history) == 7


def test_trimming_makes_pending_batches_entries_first() -> None:
    history = ChangeHistory(max_entries=4)
    for start in range(0, 12, 3):
        keys = list(range(start, start + 3))
        history.extend_inserts(Timestamp(9, start + 1), "d.c", keys, keys, [b"x"] * 3)
    held = [c.seq for c in history.since(history.first_seq)]
    assert held == list(range(history.first_seq, 12)) and len(held) <= 4 + 4 // 8 + 3
    last_dropped = history.first_seq - 1  # the horizon is its batch's Timestamp
    assert history.horizon == Timestamp(9, last_dropped - last_dropped % 3 + 1)
