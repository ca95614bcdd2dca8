"""HISTORY records: the change history compaction keeps reads back entry for entry, a before-image that
is the previous after-image is written once, records split only between Timestamps, and a record read
alone (its predecessors before the restart window) starts the history at its horizon."""

from __future__ import annotations

import doctest

import bson
import pytest
from bson.timestamp import Timestamp

from docdb.engine import history_records
from docdb.engine.catalog import Catalog
from docdb.engine.history import ChangeHistory
from docdb.engine.history_records import encode_history, load_history_record
from docdb.engine.session_log import txn_document
from docdb.engine.writes import (
    DocumentBatch,
    UpdateStatement,
    delete_documents,
    insert_documents,
    update_documents,
)


def _busy_catalog() -> Catalog:
    catalog = Catalog()
    insert_documents(catalog, "d", "c", [{"_id": i, "v": i} for i in range(5)] + [{"_id": {"k": 1}}], True)
    update_documents(catalog, "d", "c", [UpdateStatement({"_id": 1}, {"$set": {"v": 10}})], True)
    update_documents(catalog, "d", "c", [UpdateStatement({"_id": 1}, {"$inc": {"v": 1}})], True)
    update_documents(catalog, "d", "c", [UpdateStatement({"_id": 2}, {"w": 1})], True)
    delete_documents(catalog, "d", "c", [({"_id": {"k": 1}}, 1, None)], True)
    coll = catalog.collection("d", "c")
    catalog.create_indexes(coll, [{"v": 2, "key": {"v": 1}, "name": "v_1"}])
    catalog.drop_indexes(coll, ["v_1"])
    batch = DocumentBatch(coll)
    batch.insert({"_id": 9})
    catalog.commit(batch.writes, txn_document(b"s" * 16, 4, committed=True))
    catalog.rename_collection("d.c", "d.e", False)
    update_documents(catalog, "d", "e", [UpdateStatement({"_id": 1}, {"$inc": {"v": 1}})], True)
    delete_documents(catalog, "d", "e", [({"_id": 1}, 1, None)], True)
    catalog.drop_database("d")
    return catalog


def _fields(changes) -> list[tuple]:
    return [tuple(c)[1:] for c in changes]  # everything but the process-local seq


def _read(payloads: list[bytes]) -> ChangeHistory:
    history = ChangeHistory()
    for payload in payloads:
        load_history_record(history, payload)
    return history


def test_the_history_reads_back_entry_for_entry():
    catalog = _busy_catalog()
    entries = catalog.history.entries()
    payloads = list(encode_history(entries, Timestamp(3, 4), 1 << 30))
    assert len(payloads) == 1
    history = _read(payloads)
    assert _fields(history.entries()) == _fields(entries)
    assert history.horizon == Timestamp(3, 4)
    updates = [c for c in history.entries() if c.id_value == 1 and c.ns == "d.c"]
    assert updates[2].before is updates[1].after  # shared, as in the live history


def test_a_before_image_that_is_the_previous_after_image_is_written_once():
    entries = _busy_catalog().history.entries()
    [payload] = encode_history(entries, Timestamp(0, 0), 1 << 30)
    written = [(c["op"], c["id"], "b" in c) for c in bson.decode(payload)["changes"] if c["ns"] == "d.c"]
    assert (("update", 1, False)) in written  # the second update of _id 1: its before is the first's after
    assert ("update", 2, True) not in written and ("replace", 2, False) in written
    renamed = [(c["op"], "b" in c) for c in bson.decode(payload)["changes"] if c["ns"] == "d.e"]
    assert renamed == [("update", True), ("delete", False), ("drop", False)]  # a new namespace starts afresh


def test_records_split_between_timestamps_and_a_later_record_reads_alone(monkeypatch):
    monkeypatch.setattr(history_records, "HISTORY_BATCH_BYTES", 1)
    catalog = Catalog()
    for n in range(4):
        insert_documents(catalog, "d", "c", [{"_id": f"{n}-{i}"} for i in range(3)], True)
    entries = catalog.history.entries()
    payloads = list(encode_history(entries, Timestamp(0, 0), 1 << 30))
    groups = [[c["ts"] for c in bson.decode(p)["changes"]] for p in payloads]
    assert all(len(set(g)) == 1 for g in groups) and sum(map(len, groups)) == len(entries)
    history = _read(payloads[2:])
    assert history.horizon == groups[1][-1]
    assert _fields(history.entries()) == _fields(entries[-len(history) :])


def test_the_budget_cuts_the_oldest_timestamps_whole():
    catalog = Catalog()
    for n in range(3):
        insert_documents(catalog, "d", "c", [{"_id": f"{n}-{i}", "pad": "x" * 1000} for i in range(2)], True)
    entries = catalog.history.entries()
    budget = catalog.history.size_bytes - 1  # one byte short: the oldest Timestamp goes
    history = _read(list(encode_history(entries, Timestamp(0, 0), budget)))
    assert history.horizon == entries[0].ts
    assert _fields(history.entries()) == _fields(entries[1:])


def test_a_record_whose_before_image_is_missing_is_refused():
    payload = bson.encode(
        {
            "horizon": Timestamp(0, 0),
            "changes": [
                {"ts": Timestamp(1, 1), "ns": "d.c", "op": "update", "id": 1, "a": b"\x05\x00\x00\x00\x00"}
            ],
        }
    )
    with pytest.raises(ValueError, match="before-image"):
        load_history_record(ChangeHistory(), payload)


def test_doctests():
    assert doctest.testmod(history_records).failed == 0
