"""explain: exact winning plans for representative queries, execution statistics, and errors."""

from __future__ import annotations

import pytest
from pymongo.errors import OperationFailure


@pytest.fixture
def coll(db):
    c = db.c
    c.insert_many([{"_id": i, "a": i % 10, "b": i, "tags": [i % 3, "x"]} for i in range(100)])
    c.create_index("a")
    c.create_index([("a", 1), ("b", -1)])
    c.create_index("tags")
    return c


def _plan(db, command: dict, verbosity: str = "queryPlanner") -> dict:
    return db.command("explain", command, verbosity=verbosity)


def _ixscan(name: str, key: dict, bounds: dict, **extra) -> dict:
    return {
        "stage": "IXSCAN",
        "keyPattern": key,
        "indexName": name,
        "isMultiKey": extra.get("multikey", False),
        "multiKeyPaths": extra.get("paths", {f: [] for f in key}),
        "isUnique": extra.get("unique", False),
        "isSparse": False,
        "isPartial": False,
        "indexVersion": 2,
        "direction": extra.get("direction", "forward"),
        "indexBounds": bounds,
    }


def test_equality_uses_the_single_field_index(db, coll):
    reply = _plan(db, {"find": "c", "filter": {"a": 3}})
    planner = reply["queryPlanner"]
    assert planner["namespace"] == f"{db.name}.c"
    assert planner["parsedQuery"] == {"a": {"$eq": 3}}
    assert planner["winningPlan"] == {
        "stage": "FETCH",
        "inputStage": _ixscan("a_1", {"a": 1}, {"a": ["[3, 3]"]}),
    }
    assert [p["inputStage"]["indexName"] for p in planner["rejectedPlans"]] == ["a_1_b_-1"]
    assert reply["explainVersion"] == "1"
    assert reply["command"] == {"find": "c", "filter": {"a": 3}, "$db": db.name}
    assert set(reply) >= {"serverInfo", "serverParameters", "ok"}


def test_compound_prefix_range_and_sort_by_index(db, coll):
    plan = _plan(db, {"find": "c", "filter": {"a": 3, "b": {"$gt": 50}}, "sort": {"b": -1}, "limit": 2})
    assert plan["queryPlanner"]["winningPlan"] == {
        "stage": "LIMIT",
        "limitAmount": 2,
        "inputStage": {
            "stage": "FETCH",
            "inputStage": _ixscan("a_1_b_-1", {"a": 1, "b": -1}, {"a": ["[3, 3]"], "b": ["[inf.0, 50)"]}),
        },
    }
    backward = _plan(db, {"find": "c", "filter": {"a": {"$in": [2, 4]}}, "sort": {"a": -1, "b": 1}})
    assert backward["queryPlanner"]["winningPlan"]["inputStage"] == _ixscan(
        "a_1_b_-1",
        {"a": 1, "b": -1},
        {"a": ["[4, 4]", "[2, 2]"], "b": ["[MinKey, MaxKey]"]},
        direction="backward",
    )


def test_collscan_sort_skip_projection(db, coll):
    plan = _plan(
        db,
        {
            "find": "c",
            "filter": {"b": {"$lt": 5}},
            "sort": {"b": 1},
            "skip": 1,
            "limit": 2,
            "projection": {"b": 1},
        },
    )
    assert plan["queryPlanner"]["winningPlan"] == {
        "stage": "PROJECTION_SIMPLE",
        "transformBy": {"b": 1},
        "inputStage": {
            "stage": "SKIP",
            "skipAmount": 1,
            "inputStage": {
                "stage": "SORT",
                "sortPattern": {"b": 1},
                "memLimit": 104857600,
                "limitAmount": 3,
                "type": "simple",
                "inputStage": {"stage": "COLLSCAN", "filter": {"b": {"$lt": 5}}, "direction": "forward"},
            },
        },
    }


def test_multikey_residual_id_hack_and_eof(db, coll):
    plan = _plan(db, {"find": "c", "filter": {"tags": "x", "b": {"$gte": 98}}})["queryPlanner"]["winningPlan"]
    assert plan == {
        "stage": "FETCH",
        "filter": {"b": {"$gte": 98}},
        "inputStage": _ixscan(
            "tags_1", {"tags": 1}, {"tags": ['["x", "x"]']}, multikey=True, paths={"tags": ["tags"]}
        ),
    }
    assert _plan(db, {"find": "c", "filter": {"_id": 4}})["queryPlanner"]["winningPlan"] == {
        "stage": "IDHACK"
    }
    assert _plan(db, {"find": "missing", "filter": {"a": 1}})["queryPlanner"]["winningPlan"] == {
        "stage": "EOF"
    }
    ranged = _plan(db, {"find": "c", "filter": {"_id": {"$gte": 95}}})["queryPlanner"]["winningPlan"]
    assert ranged["inputStage"]["indexBounds"] == {"_id": ["[95, inf.0]"]}


def test_execution_stats(db, coll):
    stats = _plan(db, {"find": "c", "filter": {"a": 3, "b": {"$gt": 50}}}, "executionStats")["executionStats"]
    assert (stats["nReturned"], stats["totalKeysExamined"], stats["totalDocsExamined"]) == (5, 5, 5)
    assert stats["executionSuccess"] is True
    assert stats["executionStages"]["stage"] == "FETCH"
    assert stats["executionStages"]["inputStage"]["keysExamined"] == 5
    scan = _plan(db, {"find": "c", "filter": {"b": 7}}, "allPlansExecution")["executionStats"]
    assert (scan["nReturned"], scan["totalKeysExamined"], scan["totalDocsExamined"]) == (1, 0, 100)
    assert scan["allPlansExecution"] == []


def test_writes_count_distinct_and_aggregate(db, coll):
    update = _plan(
        db,
        {"update": "c", "updates": [{"q": {"a": 1}, "u": {"$set": {"z": 1}}, "multi": True}]},
        "executionStats",
    )
    stages = update["executionStats"]["executionStages"]
    assert (stages["stage"], stages["nMatched"], stages["nWouldModify"]) == ("UPDATE", 10, 10)
    assert stages["inputStage"]["inputStage"]["indexName"] == "a_1"
    assert coll.count_documents({"z": 1}) == 0
    delete = _plan(db, {"delete": "c", "deletes": [{"q": {"a": 2}, "limit": 1}]}, "executionStats")
    assert delete["executionStats"]["executionStages"]["nWouldDelete"] == 1
    assert coll.count_documents({}) == 100
    fam = _plan(db, {"findAndModify": "c", "query": {"a": 2}, "remove": True})
    assert fam["queryPlanner"]["winningPlan"]["stage"] == "DELETE"
    count = _plan(db, {"count": "c", "query": {"a": 2}})["queryPlanner"]["winningPlan"]
    assert (count["stage"], count["inputStage"]["inputStage"]["indexName"]) == ("COUNT", "a_1")
    fast = _plan(db, {"count": "c"})["queryPlanner"]["winningPlan"]
    assert fast == {"stage": "RECORD_STORE_FAST_COUNT"}
    distinct = _plan(db, {"distinct": "c", "key": "b", "query": {"a": 2}})["queryPlanner"]["winningPlan"]
    assert distinct["inputStage"]["indexName"] == "a_1"
    pipeline = [{"$match": {"a": 5}}, {"$group": {"_id": None, "n": {"$sum": 1}}}]
    agg = db.command("aggregate", "c", pipeline=pipeline, explain=True)
    cursor = agg["stages"][0]["$cursor"]
    assert cursor["queryPlanner"]["winningPlan"]["inputStage"]["indexName"] == "a_1"
    assert agg["stages"][1] == {"$group": {"_id": None, "n": {"$sum": 1}}}
    via_explain = _plan(db, {"aggregate": "c", "pipeline": pipeline, "cursor": {}})
    assert via_explain["stages"][0]["$cursor"]["queryPlanner"] == cursor["queryPlanner"]


def test_errors(db, coll):
    with pytest.raises(OperationFailure) as exc:
        _plan(db, {"find": "c", "filter": {}, "hint": "nope"})
    assert (exc.value.code, exc.value.details["errmsg"]) == (
        2,
        "hint provided does not correspond to an existing index",
    )
    with pytest.raises(OperationFailure) as exc:
        db.command("explain", {"find": "c"}, verbosity="loud")
    assert exc.value.code == 2
    with pytest.raises(OperationFailure) as exc:
        db.command("explain", {"listIndexes": "c"})
    assert exc.value.code == 59
    hinted = _plan(db, {"find": "c", "filter": {"a": 1}, "hint": {"tags": 1}})["queryPlanner"]["winningPlan"]
    assert hinted["inputStage"]["indexBounds"] == {"tags": ["[MinKey, MaxKey]"]}
