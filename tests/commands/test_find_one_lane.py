"""The find handler's lane for a driver's find_one: the commands it takes answer as the general path
does, and every near miss (another type of a value, one more option, a view, a default collation, a
missing collection) gets the general path's answer or error."""

from __future__ import annotations

import pytest
from bson.int64 import Int64
from pymongo.errors import OperationFailure


@pytest.fixture
def filled(db):
    db.c.create_index("k")
    db.c.insert_many([{"_id": i, "k": f"k{i}", "K": f"K{i}"} for i in range(5)])
    return db


def _find(db, **fields):
    return db.command({"find": "c", **fields})["cursor"]


def test_lane_answers(filled):
    for fields in (
        {"filter": {"_id": 2}},
        {"filter": {"k": "k2"}},
        {"filter": {"k": "k2"}, "singleBatch": True},
    ):
        assert _find(filled, limit=1, **fields) == {
            "firstBatch": [{"_id": 2, "k": "k2", "K": "K2"}],
            "id": 0,
            "ns": f"{filled.name}.c",
        }
    assert _find(filled, filter={"k": "nope"}, limit=1) == {
        "firstBatch": [],
        "id": 0,
        "ns": f"{filled.name}.c",
    }
    assert filled.c.find_one({"k": "k3"}) == {"_id": 3, "k": "k3", "K": "K3"}


def test_near_misses_answer_as_the_general_path(filled):
    doc = {"_id": 1, "k": "k1", "K": "K1"}
    assert _find(filled, filter={"k": "k1"}, limit=1.0)["firstBatch"] == [doc]
    assert _find(filled, filter={"k": "k1"}, limit=Int64(1))["firstBatch"] == [doc]
    assert _find(filled, filter={"k": "k1"}, limit=1, singleBatch=1)["firstBatch"] == [doc]
    assert _find(filled, filter={"k": "k1"}, limit=1, batchSize=0)["firstBatch"] == []
    assert _find(filled, filter={"K": "K1"}, limit=1)["firstBatch"] == [doc]  # no index: a scan
    assert _find(filled, filter={"k": {"$gte": "k3"}}, limit=1)["firstBatch"] == [
        {"_id": 3, "k": "k3", "K": "K3"}
    ]
    assert _find(filled, filter={"k": "k1"}, limit=1, projection={"k": 1})["firstBatch"] == [
        {"_id": 1, "k": "k1"}
    ]
    assert filled.command({"find": "missing", "filter": {"_id": 1}, "limit": 1})["cursor"]["firstBatch"] == []


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"filter": "x", "limit": 1}, 14),
        ({"filter": {"_id": 1}, "limit": True}, 14),
        ({"filter": {"_id": 1}, "limit": 1, "singleBatch": "yes"}, 14),
        ({"filter": {"_id": 1}, "limit": 1, "bogus": 1}, 40415),
        ({"filter": {"_id": 1}, "limit": -1.5}, 2),
    ],
)
def test_near_misses_get_the_general_errors(filled, fields, code):
    with pytest.raises(OperationFailure) as exc:
        filled.command({"find": "c", **fields})
    assert exc.value.code == code


def test_bad_collection_name_is_refused(filled):
    with pytest.raises(OperationFailure) as exc:
        filled.command({"find": "a$b", "filter": {"_id": 1}, "limit": 1})
    assert exc.value.code == 73
    with pytest.raises(OperationFailure) as exc:
        filled.command({"find": 5, "filter": {"_id": 1}, "limit": 1})
    assert exc.value.code == 73


def test_views_and_default_collations(filled):
    filled.command("create", "v", viewOn="c", pipeline=[{"$match": {"_id": {"$gte": 2}}}])
    assert filled.v.find_one({"_id": 1}) is None
    assert filled.v.find_one({"_id": 3}) == {"_id": 3, "k": "k3", "K": "K3"}
    filled.command("create", "ci", collation={"locale": "en", "strength": 2})
    filled.ci.create_index("k")
    filled.ci.insert_one({"_id": 1, "k": "abc"})
    assert filled.ci.find_one({"k": "ABC"}) == {"_id": 1, "k": "abc"}
