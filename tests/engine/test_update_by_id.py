"""The update-by-``_id`` path (``writes._update_by_id`` + ``Catalog.commit_one``): a top-level operator update
of ``{_id: v}`` in a plain collection stores, logs and records in the history exactly what the general path
(DocumentBatch + commit) does; any other statement is left to that path."""

import random

import bson
from bson.int64 import Int64
from bson.timestamp import Timestamp

from docdb.engine.catalog import Catalog
from docdb.engine.log import RecordType, read_log
from docdb.engine.update import compile_update
from docdb.engine.writes import UpdateStatement, _update_by_id, insert_documents, update_documents

UPDATES = [
    {"$inc": {"n": 1}},
    {"$inc": {"n": 2.5}},
    {"$set": {"s": "y", "t": None}},
    {"$unset": {"s": ""}},
    {"$max": {"n": 3}},
    {"$mul": {"n": Int64(2)}},
    {"$set": {"n": 0}},  # often no change
]


def seeded(path: str | None, collection: str = "c") -> Catalog:
    catalog = Catalog.open(path)
    docs = [{"_id": i if i % 3 else f"s{i}", "n": i, "s": "x"} for i in range(30)]
    insert_documents(catalog, "d", collection, docs, ordered=True)
    return catalog


def general(catalog: Catalog, st: UpdateStatement):
    """The statement through the general path: the same statement made ineligible by a hint."""
    st.hint = {"_id": 1}
    return update_documents(catalog, "d", "c", [st], ordered=True)


def history(catalog: Catalog) -> list[tuple]:
    return [
        (c.seq, c.ns, c.op, c.key, c.id_value, c.after, c.before)
        for c in catalog.history.since(catalog.history.first_seq)
    ]


def write_batches(path: str) -> list[bytes]:
    payloads = []
    for rtype, payload in read_log(path, None):
        if rtype == RecordType.WRITE_BATCH:
            doc = bson.decode(bytes(payload))
            doc["ts"] = Timestamp(0, 0)
            if "w" in doc:  # the wall-clock time
                doc["w"] = bson.datetime_ms.DatetimeMS(0)
            payloads.append(bson.encode(doc))
    return payloads


def test_same_effect_as_the_general_path(tmp_path):
    rng = random.Random(3)
    fast, slow = seeded(str(tmp_path / "fast.mdb")), seeded(str(tmp_path / "slow.mdb"))
    for _ in range(300):
        i = rng.randrange(35)  # some match nothing
        q = {"_id": i if i % 3 else f"s{i}"}
        u = rng.choice(UPDATES)
        outcome = update_documents(fast, "d", "c", [UpdateStatement(dict(q), dict(u))], ordered=True)
        expected = general(slow, UpdateStatement(dict(q), dict(u)))
        assert (outcome.n, outcome.n_modified, outcome.upserted) == (
            expected.n,
            expected.n_modified,
            expected.upserted,
        )
    assert list(fast.collection("d", "c").docs.items()) == list(slow.collection("d", "c").docs.items())
    assert fast.collection("d", "c").data_size == slow.collection("d", "c").data_size
    assert history(fast) == history(slow)
    assert fast.collection("d", "c").id_accesses == 300
    fast.close()
    slow.close()
    assert write_batches(str(tmp_path / "fast.mdb")) == write_batches(str(tmp_path / "slow.mdb"))


def test_statements_it_leaves_to_the_general_path():
    catalog = seeded(None)
    coll = catalog.collection("d", "c")
    leave = [
        UpdateStatement({"_id": 1}, {"$push": {"a": 1}}),  # not top-level safe
        UpdateStatement({"_id": 1}, {"n": 5}),  # a replacement
        UpdateStatement({"_id": 1}, {"$inc": {"n": 1}}, upsert=True),
        UpdateStatement({"n": 1}, {"$inc": {"n": 1}}),  # not an _id filter
        UpdateStatement({"_id": {"$gt": 1}}, {"$inc": {"n": 1}}),
        UpdateStatement({"_id": 1}, {"$inc": {"n": 1}}, hint="_id_"),
    ]
    for st in leave:
        assert _update_by_id(catalog, coll, st, compile_update(st.u)) is None
    take = UpdateStatement({"_id": 1}, {"$inc": {"n": 1}})
    assert _update_by_id(catalog, coll, take, compile_update(take.u)) == (1, 1, None)
    missing = UpdateStatement({"_id": 99}, {"$inc": {"n": 1}})
    assert _update_by_id(catalog, coll, missing, compile_update(missing.u)) == (0, 0, None)


def test_an_immutable_id_change_is_refused_as_before():
    catalog = seeded(None)
    outcome = update_documents(catalog, "d", "c", [UpdateStatement({"_id": 1}, {"$set": {"_id": 2}})], True)
    assert [(e["index"], e["code"]) for e in outcome.write_errors] == [(0, 66)]
    assert bson.decode(catalog.collection("d", "c").docs[1]) == {"_id": 1, "n": 1, "s": "x"}


def test_indexed_or_validated_collections_take_the_general_path():
    catalog = seeded(None)
    coll = catalog.collection("d", "c")
    catalog.create_indexes(coll, [{"key": {"n": 1}, "name": "n_1", "unique": True}])
    outcome = update_documents(catalog, "d", "c", [UpdateStatement({"_id": 1}, {"$set": {"n": 2}})], True)
    assert [(e["index"], e["code"]) for e in outcome.write_errors] == [(0, 11000)]
    outcome = update_documents(catalog, "d", "c", [UpdateStatement({"_id": 1}, {"$set": {"n": 100}})], True)
    assert (outcome.n, outcome.n_modified) == (1, 1)
    index = coll.indexes["n_1"]
    assert [list(index.owners(key)) for key in (*index.keys({"n": 100}), *index.keys({"n": 1}))] == [[1], []]
