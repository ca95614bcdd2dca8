"""``encode_many``: one encoder call for an insert batch gives each document's own bytes, or leaves it
to ``insert`` (None) when the bytes could differ or the encoder refuses the batch."""

import datetime
import random

from bson.binary import Binary
from bson.decimal128 import Decimal128
from bson.int64 import Int64
from bson.objectid import ObjectId
from bson.regex import Regex

from docdb.bson_codec import encode_document
from docdb.engine.catalog import Catalog
from docdb.engine.writes import MAX_NESTING_DEPTH, encode_many, insert_documents

VALUES = [
    1, -(2**40), Int64(5), 2.5, float("nan"), -0.0, "é", "", None, True, ObjectId(), Decimal128("1.10"),
    Binary(b"\x00\x01", 0), Regex("^a", "i"), datetime.datetime(2020, 1, 2, 3, 4, 5, 6000),
    [1, [2, {"x": 3}]], {"_id": 7, "a": {"b": None}}, {"$ref": "c", "$id": 1},
]  # fmt: skip


def random_doc(rng: random.Random, position: int) -> dict:
    doc = {"_id": rng.choice(VALUES[:12]) if rng.random() < 0.9 else position}
    for name in rng.sample(["a", "b", "_id2", "c.d", "$x", "z"], rng.randrange(6)):
        doc[name] = rng.choice(VALUES)
    if rng.random() < 0.2:  # _id not first: left to insert, which moves it
        doc = {"k": 1, **doc}
    return doc


def test_each_document_gets_its_own_bytes():
    rng = random.Random(7)
    for _ in range(50):
        docs = [random_doc(rng, i) for i in range(rng.randrange(2, 40))]
        for doc, raw in zip(docs, encode_many(docs), strict=True):
            if next(iter(doc)) == "_id":
                assert raw == encode_document(doc)
            else:
                assert raw is None


def test_a_refused_document_leaves_every_one_to_insert():
    docs = [{"_id": 1}, {"_id": 2, "bad": object()}, {"_id": 3}]
    assert encode_many(docs) == [None, None, None]


def test_limits_still_checked_per_document():
    deep: dict = {"_id": 2}
    level = deep
    for _ in range(MAX_NESTING_DEPTH + 1):
        level["a"] = {}
        level = level["a"]
    catalog = Catalog.open(None)
    outcome = insert_documents(catalog, "d", "c", [{"_id": 1}, deep, {"_id": 3}], ordered=False)
    assert outcome.n == 2
    assert [(e["index"], e["code"]) for e in outcome.write_errors] == [(1, 15)]
    big = {"_id": 4, "s": "x" * (16 * 1024 * 1024)}
    outcome = insert_documents(catalog, "d", "c", [{"_id": 5}, big], ordered=True)
    assert outcome.n == 1
    assert [(e["index"], e["code"]) for e in outcome.write_errors] == [(1, 2)]
