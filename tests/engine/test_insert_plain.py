"""The plain insert path (``writes._insert_plain``): a batch with nothing that can fail is committed by a few
C-level steps; what it stores, logs and adds to the history is exactly what the per-document path does, and
anything it cannot take falls back to that path with the same write errors."""

import random

import bson
import pytest
from bson.int64 import Int64
from bson.objectid import ObjectId

from docdb.engine.catalog import Catalog
from docdb.engine.history import INSERT
from docdb.engine.log import RecordType, read_log
from docdb.engine.writes import DocumentBatch, insert_documents


def insert_one_by_one(catalog: Catalog, db: str, name: str, docs: list[dict]) -> None:
    """The per-document path, as ``insert_documents`` takes it for a batch the plain path refuses."""
    coll = catalog.ensure_collection(db, name)
    batch = DocumentBatch(coll)
    for doc in docs:
        batch.insert(doc)
    catalog.commit(batch.writes)


def state(catalog: Catalog, ns: str) -> tuple:
    coll = catalog.collection(*ns.split("."))
    changes = [
        (c.ns, c.op, c.key, c.id_value, c.after, c.before, c.lsid, c.txn_number)
        for c in catalog.history.since(catalog.history.first_seq)
    ]
    return list(coll.docs.items()), coll.data_size, changes


def write_batches(path: str) -> list[bytes]:
    """The payloads of the file's WRITE_BATCH records, their Timestamps and wall-clock times zeroed."""
    payloads = []
    for rtype, payload in read_log(path, None):
        if rtype == RecordType.WRITE_BATCH:
            doc = bson.decode(bytes(payload))
            doc["ts"] = bson.timestamp.Timestamp(0, 0)
            if "w" in doc:  # the wall-clock time
                doc["w"] = bson.datetime_ms.DatetimeMS(0)
            payloads.append(bson.encode(doc))
    return payloads


def documents(rng: random.Random, start: int, n: int) -> list[dict]:
    ids = list(range(start, start + n)) if rng.random() < 0.5 else [f"k{start + i}" for i in range(n)]
    nested = [1, {"b": None}]
    return [{"_id": i, "n": rng.randrange(10**6), "s": "x" * rng.randrange(40), "a": nested} for i in ids]


def test_same_documents_history_and_record_as_one_by_one(tmp_path):
    rng = random.Random(5)
    plain = Catalog.open(str(tmp_path / "plain.mdb"))
    general = Catalog.open(str(tmp_path / "general.mdb"))
    start = 0
    for _ in range(20):
        docs = documents(rng, start, rng.randrange(2, 300))
        start += len(docs)
        outcome = insert_documents(plain, "d", "c", [dict(d) for d in docs], ordered=rng.random() < 0.5)
        assert (outcome.n, outcome.write_errors) == (len(docs), [])
        insert_one_by_one(general, "d", "c", docs)
    assert state(plain, "d.c") == state(general, "d.c")
    assert plain.collection("d", "c").version > 0
    close_and_compare_files(tmp_path, plain, general)


def close_and_compare_files(tmp_path, plain: Catalog, general: Catalog) -> None:
    """Close both catalogs (plain.mdb, general.mdb): their WRITE_BATCH records must be the same bytes,
    and the plain file reopened must hold the general one's documents of d.c."""
    expected = state(general, "d.c")[0]
    plain.close()
    general.close()
    assert write_batches(str(tmp_path / "plain.mdb")) == write_batches(str(tmp_path / "general.mdb"))
    reopened = Catalog.open(str(tmp_path / "plain.mdb"))
    assert list(reopened.collection("d", "c").docs.items()) == expected
    reopened.close()


def test_history_entries_are_inserts():
    catalog = Catalog.open(None)
    insert_documents(catalog, "d", "c", [{"_id": 1}, {"_id": "a", "x": 2}], ordered=True)
    changes = list(catalog.history.since(catalog.history.first_seq))[1:]  # after the implicit create
    assert [(c.seq, c.op, c.key, c.id_value, c.before) for c in changes] == [
        (1, INSERT, 1, 1, None),
        (2, INSERT, "a", "a", None),
    ]
    assert changes[0].ts == changes[1].ts
    assert catalog.history.next_seq == 3


@pytest.mark.parametrize(
    "docs, ordered, n, errors",
    [
        ([{"_id": 1}, {"_id": 1}, {"_id": 2}], True, 1, [(1, 11000)]),  # duplicate inside the batch
        ([{"_id": 1}, {"_id": 1}, {"_id": 2}], False, 2, [(1, 11000)]),
        ([{"_id": 7}, {"_id": 0}, {"_id": 8}], False, 2, [(1, 11000)]),  # 0 is already stored
        ([{"_id": 9}, {"_id": [1]}, {"_id": 10}], False, 2, [(1, 53)]),  # an array _id (InvalidIdField)
        ([{"_id": 11}, {"x": 1}, {"_id": 12}], True, 3, []),  # a generated ObjectId
        ([{"x": 1, "_id": 13}, {"_id": 14}], True, 2, []),  # _id not first
        ([{"_id": Int64(15)}, {"_id": 16.5}, {"_id": ObjectId()}], True, 3, []),  # other _id types
    ],
)
def test_batches_it_cannot_take_go_document_by_document(docs, ordered, n, errors):
    catalog = Catalog.open(None)
    insert_documents(catalog, "d", "c", [{"_id": 0}, {"_id": -1}], ordered=True)
    outcome = insert_documents(catalog, "d", "c", docs, ordered=ordered)
    assert (outcome.n, [(e["index"], e["code"]) for e in outcome.write_errors]) == (n, errors)
    stored = [bson.decode(raw) for raw in catalog.collection("d", "c").docs.values()]
    assert all(next(iter(doc)) == "_id" for doc in stored)
    assert len(stored) == 2 + n


def test_indexed_capped_and_validated_collections_take_the_general_path():
    catalog = Catalog.open(None)
    coll = catalog.create_collection("d", "v", {"validator": {"x": {"$type": "int"}}})
    outcome = insert_documents(catalog, "d", "v", [{"_id": 1, "x": 1}, {"_id": 2, "x": "no"}], ordered=True)
    assert (outcome.n, [e["code"] for e in outcome.write_errors]) == (1, [121])
    outcome = insert_documents(catalog, "d", "v", [{"_id": 3, "x": "no"}, {"_id": 4}], True, True)
    assert (outcome.n, outcome.write_errors) == (2, [])
    assert len(coll.docs) == 3
