"""The commit funnel refuses a plain write of a document an open transaction holds (WriteBlocked), with
what the statements before it did; the transaction's end tells the waiting writes."""

from __future__ import annotations

import datetime

import pytest

from docdb.bson_codec import decode_document
from docdb.engine.catalog import Catalog
from docdb.engine.reads import FindSpec, find_documents
from docdb.engine.session_log import txn_document
from docdb.engine.store import TransactionStore
from docdb.engine.write_intents import WriteBlocked
from docdb.engine.writes import (
    UpdateStatement,
    WriteOutcome,
    delete_documents,
    expire_documents,
    insert_documents,
    update_documents,
)


def _docs(catalog: Catalog) -> list[dict]:
    return [decode_document(d.raw) for d in find_documents(catalog.collection("d", "c"), FindSpec({}))]


def _holding(catalog: Catalog, key: int) -> TransactionStore:
    store = TransactionStore(catalog, catalog.intents)
    update_documents(store, "d", "c", [UpdateStatement({"_id": key}, {"$set": {"t": 1}})], True)
    return store


def test_a_statement_on_a_held_document_is_refused_after_the_ones_before_it() -> None:
    catalog = Catalog()
    insert_documents(catalog, "d", "c", [{"_id": 1}, {"_id": 2}, {"_id": 3}], True)
    store = _holding(catalog, 2)
    statements = [UpdateStatement({"_id": k}, {"$set": {"p": 1}}) for k in (1, 2, 3)]
    with pytest.raises(WriteBlocked) as exc:
        update_documents(catalog, "d", "c", statements, True)
    assert exc.value.holder is store
    assert exc.value.done == 1
    assert exc.value.outcome == WriteOutcome(n=1, n_modified=1)
    assert _docs(catalog) == [{"_id": 1, "p": 1}, {"_id": 2}, {"_id": 3}]  # nothing of statement 1


def test_the_end_of_the_transaction_frees_the_documents_and_calls_the_waiters() -> None:
    catalog = Catalog()
    insert_documents(catalog, "d", "c", [{"_id": 1}], True)
    store = _holding(catalog, 1)
    ended: list[str] = []
    store.when_ended(lambda: ended.append("first"))
    with pytest.raises(WriteBlocked):
        delete_documents(catalog, "d", "c", [({"_id": 1}, 1, None)], True)
    store.commit_transaction(txn_document(b"L" * 16, 1, committed=True))
    assert ended == ["first"] and catalog.intents == {}
    store.when_ended(lambda: ended.append("late"))  # already over: at once
    assert ended == ["first", "late"]
    assert delete_documents(catalog, "d", "c", [({"_id": 1}, 1, None)], True).n == 1


def test_an_insert_of_an_id_the_transaction_inserted_is_refused() -> None:
    catalog = Catalog()
    insert_documents(catalog, "d", "c", [{"_id": 1}], True)
    store = TransactionStore(catalog, catalog.intents)
    insert_documents(store, "d", "c", [{"_id": 2}], True)
    with pytest.raises(WriteBlocked):
        insert_documents(catalog, "d", "c", [{"_id": 3}, {"_id": 2}], False)
    assert _docs(catalog) == [{"_id": 1}]  # one commit: none of the batch
    store.release()
    assert insert_documents(catalog, "d", "c", [{"_id": 3}, {"_id": 2}], False).n == 2


def test_ttl_skips_a_collection_whose_expired_documents_are_held() -> None:
    catalog = Catalog()
    old = datetime.datetime(2000, 1, 1)
    coll = catalog.ensure_collection("d", "c")
    catalog.create_indexes(coll, [{"v": 2, "key": {"at": 1}, "name": "at_1", "expireAfterSeconds": 1}])
    insert_documents(catalog, "d", "c", [{"_id": 1, "at": old}], True)
    store = _holding(catalog, 1)
    now_ms = int(datetime.datetime(2001, 1, 1, tzinfo=datetime.timezone.utc).timestamp() * 1000)
    assert expire_documents(catalog, now_ms) == 0
    store.release()
    assert expire_documents(catalog, now_ms) == 1


def test_a_unique_key_a_transaction_took_holds_a_plain_insert_of_it() -> None:
    catalog = Catalog()
    coll = catalog.ensure_collection("d", "c")
    catalog.create_indexes(coll, [{"v": 2, "key": {"k": 1}, "name": "k_1", "unique": True}])
    store = TransactionStore(catalog, catalog.intents)
    insert_documents(store, "d", "c", [{"_id": 1, "k": 5}], True)
    assert insert_documents(catalog, "d", "c", [{"_id": 3, "k": 6}], True).n == 1  # another key: free
    with pytest.raises(WriteBlocked) as exc:
        insert_documents(catalog, "d", "c", [{"_id": 2, "k": 5}], True)
    assert exc.value.holder is store
    store.release()
    assert catalog.unique_holders == {} and catalog.intents == {}
    assert insert_documents(catalog, "d", "c", [{"_id": 2, "k": 5}], True).n == 1
