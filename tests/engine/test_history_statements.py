"""What the history keeps beside its changes for ``local.oplog.rs``: the retryable-write statements
(``ChangeHistory.statements``: each commit's session, statement ids and previous commit of the same
transaction number) and the collections transactions created (``ChangeHistory.creates``), dropped with
their commit's changes and carried through HISTORY records."""

from __future__ import annotations

from bson.timestamp import Timestamp

from docdb.engine.catalog import Catalog
from docdb.engine.history import INSERT, ChangeHistory, Statements
from docdb.engine.history_records import encode_history, load_history_record
from docdb.engine.oplog import oplog_entries
from docdb.engine.session_log import txn_document
from docdb.engine.store import TransactionStore
from docdb.engine.writes import DocumentBatch, insert_documents

A, B = b"a" * 16, b"b" * 16


def test_a_chain_per_session_and_transaction_number():
    h = ChangeHistory()
    h.note_statements(Timestamp(1, 1), A, 1, [0, 1])
    h.note_statements(Timestamp(1, 2), B, 7, [0])
    h.note_statements(Timestamp(1, 3), A, 1, [2])  # the same command's next statement
    h.note_statements(Timestamp(1, 4), A, 2, [0])  # a new number starts a chain
    assert [(ts, s.lsid, s.txn_number, s.stmt_ids, s.prev) for ts, s in h.statements.items()] == [
        (Timestamp(1, 1), A, 1, [0, 1], None),
        (Timestamp(1, 2), B, 7, [0], None),
        (Timestamp(1, 3), A, 1, [2], Timestamp(1, 1)),
        (Timestamp(1, 4), A, 2, [0], None),
    ]


def test_dropped_with_their_changes():
    h = ChangeHistory(max_entries=2)
    for i in range(1, 6):
        h.note_statements(Timestamp(1, i), A, i, [0])
        h.note_creates(Timestamp(1, i), [{"ns": f"d.c{i}"}])
        h.append(Timestamp(1, i), "d.c", INSERT, i, i, b"x", None)
    assert h.first_seq == 3 and h.horizon == Timestamp(1, 3)
    assert list(h.statements) == [Timestamp(1, 4), Timestamp(1, 5)]
    assert list(h.creates) == [Timestamp(1, 4), Timestamp(1, 5)]


def test_a_statement_is_its_change_by_position():
    h = ChangeHistory()
    h.append(Timestamp(1, 1), "d.c", INSERT, 0, 0, b"x", None)
    h.note_statements(Timestamp(1, 2), A, 3, [4, 5])
    assert h.statements[Timestamp(1, 2)] == Statements(A, 3, [4, 5], None, 1)  # seq 1 is statement 4


def test_history_records_keep_them():
    catalog = Catalog()
    insert_documents(catalog, "d", "c", [{"_id": 0}], True)
    coll = catalog.collection("d", "c")
    for number, ids in ((1, [1, 2]), (1, [3]), (2, [4])):
        batch = DocumentBatch(coll)
        for i in ids:
            batch.insert({"_id": i})
        catalog.commit(batch.writes, txn_document(A, number, list(range(len(ids)))))
    history = catalog.history
    payloads = list(encode_history(history.entries(), history.horizon, 1 << 30, dict(history.statements)))
    read = ChangeHistory()
    for payload in payloads:
        load_history_record(read, payload)
    assert read.statements == history.statements  # seq 0 is the collection's creation, 1 the plain insert
    assert [s.first_seq for s in read.statements.values()] == [2, 4, 5]
    entries = oplog_entries(catalog)
    assert [(e["o"]["_id"], e.get("txnNumber"), e.get("stmtId")) for e in entries if e["op"] == "i"] == [
        (0, None, None),
        (1, 1, 0),
        (2, 1, 1),
        (3, 1, 0),
        (4, 2, 0),
    ]
    second, third = entries[-3], entries[-2]
    assert third["prevOpTime"] == {"ts": second["ts"], "t": 1}


def test_a_transactions_created_collection_in_its_entry_and_history_records():
    catalog = Catalog()
    insert_documents(catalog, "d", "c", [{"_id": 0}], True)
    store = TransactionStore(catalog, {})
    store.create_collection("d", "new", {"collation": {"locale": "fr", "strength": 2}})
    store.create_indexes("d", "new", [{"v": 2, "key": {"a": 1}, "name": "a_1"}])
    insert_documents(store, "d", "c", [{"_id": 1}], True)
    insert_documents(store, "d", "new", [{"_id": 2}], True)
    ts = store.commit_transaction(txn_document(A, 5, committed=True))
    new = catalog.collection("d", "new")
    catalog.modify_collection(new, {"validator": {"x": 1}})  # the history's copy is not the live options
    history = catalog.history
    assert history.creates[ts][0]["options"] == {"collation": {"locale": "fr", "strength": 2}}
    [entry] = [e for e in oplog_entries(catalog) if e["ns"] == "admin.$cmd"]
    collation = {"locale": "fr", "strength": 2}
    id_index = {"v": 2, "key": {"_id": 1}, "name": "_id_", "collation": collation}
    assert [op["op"] for op in entry["o"]["applyOps"]] == ["i", "c", "c", "i"]
    assert entry["o"]["applyOps"][1:3] == [
        {
            "op": "c",
            "ns": "d.$cmd",
            "ui": new.uuid,
            "o": {"create": "new", "collation": collation, "idIndex": id_index},
        },
        {
            "op": "c",
            "ns": "d.$cmd",
            "ui": new.uuid,
            "o": {"createIndexes": "new", "v": 2, "key": {"a": 1}, "name": "a_1"},
        },
    ]
    payloads = list(encode_history(history.entries(), history.horizon, 1 << 30, {}, dict(history.creates)))
    read = ChangeHistory()
    for payload in payloads:
        load_history_record(read, payload)
    assert read.creates == history.creates


def test_a_transaction_the_history_partly_dropped_has_no_entry():
    catalog = Catalog()
    catalog.history = ChangeHistory(max_entries=3)  # trims past 3 entries, at each append
    insert_documents(catalog, "d", "c", [{"_id": 0}], True)
    coll = catalog.collection("d", "c")
    batch = DocumentBatch(coll)
    for i in (1, 2, 3):
        batch.insert({"_id": i})
    catalog.commit(batch.writes, txn_document(A, 1, committed=True))
    insert_documents(catalog, "d", "c", [{"_id": 4}], True)
    history = catalog.history
    assert [c.id_value for c in history.since(history.first_seq)] == [2, 3, 4]
    assert history.horizon == history.entries()[0].ts  # the transaction's first inserts were dropped
    assert [(e["op"], e["o"]) for e in oplog_entries(catalog)] == [("i", {"_id": 4})]
