"""$out and $merge: results visible at once, and still there after the server restarts on its file."""

from __future__ import annotations

from tests.serverproc import ServerProcess

SOURCE = [{"_id": i, "g": i % 3, "v": i} for i in range(9)]
TOTALS = [{"_id": 0, "total": 9}, {"_id": 1, "total": 12}, {"_id": 2, "total": 15}]
GROUP = {"$group": {"_id": "$g", "total": {"$sum": "$v"}}}


def test_out_replaces_the_target(db):
    db.src.insert_many(SOURCE)
    db.totals.insert_one({"_id": "stale"})
    assert list(db.src.aggregate([GROUP, {"$out": "totals"}])) == []
    assert list(db.totals.find().sort("_id", 1)) == TOTALS


def test_merge_modes(db):
    db.src.insert_many(SOURCE)
    db.totals.insert_many([{"_id": 0, "old": True}, {"_id": 7, "keep": 1}])
    merge = {"into": "totals", "whenMatched": "merge", "whenNotMatched": "insert"}
    db.src.aggregate([GROUP, {"$merge": merge}])
    assert list(db.totals.find().sort("_id", 1)) == [
        {"_id": 0, "old": True, "total": 9},
        {"_id": 1, "total": 12},
        {"_id": 2, "total": 15},
        {"_id": 7, "keep": 1},
    ]
    keep = {"into": "totals", "whenMatched": "keepExisting", "whenNotMatched": "discard"}
    db.src.aggregate([{"$project": {"_id": {"$add": ["$_id", 5]}, "v": 1}}, {"$merge": keep}])
    assert db.totals.find_one({"_id": 7}) == {"_id": 7, "keep": 1}
    assert db.totals.count_documents({}) == 4


def test_merge_pipeline_update(db):
    db.src.insert_many(SOURCE)
    db.totals.insert_many(TOTALS)
    spec = {
        "into": "totals",
        "on": "_id",
        "whenMatched": [{"$set": {"total": {"$add": ["$total", "$$new.total"]}}}],
    }
    db.src.aggregate([GROUP, {"$merge": spec}])
    assert list(db.totals.find().sort("_id", 1)) == [
        {"_id": k, "total": 2 * t["total"]} for k, t in enumerate(TOTALS)
    ]


def test_out_and_merge_survive_a_restart(tmp_path):
    path = tmp_path / "agg.mdb"
    with ServerProcess(path) as server, server.client() as client:
        db = client.shop
        db.src.insert_many(SOURCE)
        db.src.aggregate([GROUP, {"$out": "totals"}])
        db.src.aggregate(
            [{"$match": {"v": {"$gte": 7}}}, {"$merge": {"into": {"db": "reports", "coll": "big"}}}]
        )
    with ServerProcess(path) as server, server.client() as client:
        assert list(client.shop.totals.find().sort("_id", 1)) == TOTALS
        assert list(client.reports.big.find().sort("_id", 1)) == SOURCE[7:]
