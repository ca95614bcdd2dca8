"""The transaction store: snapshot reads through the change history, buffered writes, one-record commits."""

from __future__ import annotations

from pathlib import Path

import pytest

from docdb.bson_codec import decode_document
from docdb.engine.catalog import Catalog
from docdb.engine.collection import Collection
from docdb.engine.reads import FindSpec, find_documents
from docdb.engine.session_log import txn_document
from docdb.engine.store import CollectionView, SnapshotReadStore, TransactionStore
from docdb.engine.writes import UpdateStatement, insert_documents, update_documents
from docdb.errors import MongoError


def _ids(store, db: str = "d", name: str = "c") -> list:
    return [
        decode_document(doc.raw)["_id"] for doc in find_documents(store.collection(db, name), FindSpec({}))
    ]


def test_starting_copies_nothing_and_an_unchanged_collection_is_read_as_it_is() -> None:
    catalog = Catalog()
    insert_documents(catalog, "d", "c", [{"_id": i} for i in range(1000)], True)
    store = TransactionStore(catalog, {})
    assert store.own == {} and store.snapshot.undo == {}
    assert isinstance(store.collection("d", "c"), Collection)  # the live collection, indexes and all
    store.release()


def test_reads_see_the_snapshot_plus_own_writes() -> None:
    catalog = Catalog()
    insert_documents(catalog, "d", "c", [{"_id": 1}, {"_id": 2}], True)
    store = TransactionStore(catalog, {})
    insert_documents(catalog, "d", "c", [{"_id": 3}], True)  # after the snapshot: not seen
    update_documents(catalog, "d", "c", [UpdateStatement({"_id": 1}, {"$set": {"x": 1}})], True)
    insert_documents(store, "d", "c", [{"_id": 4}], True)  # its own: seen
    assert isinstance(store.collection("d", "c"), CollectionView)
    assert _ids(store) == [1, 2, 4]
    assert [
        decode_document(d.raw) for d in find_documents(store.collection("d", "c"), FindSpec({"_id": 1}))
    ] == [{"_id": 1}]
    assert _ids(catalog) == [1, 2, 3]  # the live state has none of the transaction's writes
    outcome = update_documents(store, "d", "c", [UpdateStatement({"_id": 1}, {"$set": {"y": 1}})], True)
    assert outcome.write_errors[0]["code"] == 112  # changed after the snapshot: a write conflict
    store.release()


def test_commit_is_one_record_across_databases_and_created_collections(tmp_path: Path) -> None:
    path = str(tmp_path / "s.mdb")
    catalog = Catalog.open(path)
    insert_documents(catalog, "d", "c", [{"_id": 1}], True)
    store = TransactionStore(catalog, {})
    insert_documents(store, "d", "c", [{"_id": 2}], True)
    insert_documents(store, "e", "new", [{"_id": 3}], True)
    assert catalog.collection("e", "new") is None
    size_before = catalog.writer.size
    store.commit_transaction(txn_document(b"S" * 16, 1, committed=True))
    assert catalog.writer.size > size_before
    assert _ids(catalog) == [1, 2]
    assert _ids(catalog, "e", "new") == [3]
    uuid_before = catalog.collection("e", "new").uuid
    catalog.close()
    reopened = Catalog.open(path)
    try:
        assert _ids(reopened) == [1, 2] and _ids(reopened, "e", "new") == [3]
        assert reopened.collection("e", "new").uuid == uuid_before
        assert reopened.session_facts[b"S" * 16].committed
    finally:
        reopened.close()


def test_a_second_writer_of_a_document_conflicts_at_once() -> None:
    catalog = Catalog()
    insert_documents(catalog, "d", "c", [{"_id": 1, "v": 0}], True)
    intents: dict = {}
    first, second = TransactionStore(catalog, intents), TransactionStore(catalog, intents)
    update_documents(first, "d", "c", [UpdateStatement({"_id": 1}, {"$set": {"v": 1}})], True)
    outcome = update_documents(second, "d", "c", [UpdateStatement({"_id": 1}, {"$set": {"v": 2}})], True)
    assert outcome.write_errors[0]["code"] == 112
    first.commit_transaction(txn_document(b"F" * 16, 1, committed=True))
    second.release()
    assert intents == {}


def test_snapshot_read_at_a_past_time_and_too_old() -> None:
    catalog = Catalog()
    insert_documents(catalog, "d", "c", [{"_id": 1}], True)
    at = catalog.clock.last
    insert_documents(catalog, "d", "c", [{"_id": 2}], True)
    store = SnapshotReadStore(catalog, at)
    assert _ids(store) == [1]
    store.release()
    catalog.history.horizon = catalog.clock.last  # as after a restart: older changes are not held
    with pytest.raises(MongoError) as exc:
        SnapshotReadStore(catalog, at)
    assert exc.value.code == 239


def test_a_unique_key_taken_by_another_client_before_the_commit_conflicts() -> None:
    catalog = Catalog()
    coll = catalog.ensure_collection("d", "c")
    catalog.create_indexes(coll, [{"v": 2, "key": {"k": 1}, "name": "k_1", "unique": True}])
    store = TransactionStore(catalog, {})
    insert_documents(store, "d", "c", [{"_id": 1, "k": 5}], True)
    insert_documents(catalog, "d", "c", [{"_id": 2, "k": 5}], True)  # overtakes it
    with pytest.raises(MongoError) as exc:
        store.commit_transaction(txn_document(b"U" * 16, 1, committed=True))
    assert exc.value.code == 112
    store.release()
    assert _ids(catalog) == [2]


def test_a_collection_dropped_under_a_transaction_fails_its_commit() -> None:
    catalog = Catalog()
    insert_documents(catalog, "d", "c", [{"_id": 1}], True)
    store = TransactionStore(catalog, {})
    insert_documents(store, "d", "c", [{"_id": 2}], True)
    catalog.drop_collection("d", "c")
    with pytest.raises(MongoError) as exc:
        store.commit_transaction(txn_document(b"D" * 16, 1, committed=True))
    assert exc.value.code == 112
    assert catalog.collection("d", "c") is None
