"""hint by index name or key pattern on every command that takes one; a hint naming no index is BadValue."""

from __future__ import annotations

import pytest
from pymongo.errors import OperationFailure


@pytest.fixture
def coll(db):
    db.c.insert_many([{"_id": i, "a": i % 3, "b": i} for i in range(9)])
    db.c.create_index([("a", 1), ("b", -1)], name="a_b")
    return db.c


def test_find_with_hint_by_name_and_by_pattern(coll):
    assert [d["_id"] for d in coll.find({"a": 1}).hint("a_b")] == [7, 4, 1]
    assert [d["_id"] for d in coll.find({"a": 1}).hint([("a", 1), ("b", -1)])] == [7, 4, 1]
    assert [d["_id"] for d in coll.find({"a": 1}).hint([("$natural", 1)])] == [1, 4, 7]
    assert (
        coll.find({"a": 1}).hint("a_b").explain()["queryPlanner"]["winningPlan"]["inputStage"]["indexName"]
        == "a_b"
    )


def test_count_distinct_with_hint(coll, db):
    assert coll.count_documents({"a": 2}, hint="a_b") == 3
    assert db.command("count", "c", query={"a": 2}, hint={"a": 1, "b": -1}) == {"n": 3, "ok": 1.0}
    assert db.command("distinct", "c", key="b", query={"a": 0}, hint="a_b")["values"] == [0, 3, 6]


def test_update_delete_find_and_modify_with_hint(coll, db):
    reply = db.command(
        "update", "c", updates=[{"q": {"a": 0}, "u": {"$set": {"x": 1}}, "multi": True, "hint": "a_b"}]
    )
    assert (reply["n"], reply["nModified"]) == (3, 3)
    assert coll.find_one_and_update({"a": 1}, {"$set": {"y": 1}}, hint="a_b", sort=[("b", 1)])["_id"] == 1
    assert db.command("delete", "c", deletes=[{"q": {"a": 2}, "limit": 0, "hint": "a_b"}]) == {
        "n": 3,
        "ok": 1.0,
    }
    assert coll.count_documents({}) == 6


@pytest.mark.parametrize("command", ["find", "count", "distinct", "findAndModify"])
def test_unknown_hint_is_bad_value(coll, db, command):
    args = {
        "find": {"filter": {}, "hint": "nope"},
        "count": {"query": {}, "hint": "nope"},
        "distinct": {"key": "a", "hint": "nope"},
        "findAndModify": {"query": {}, "remove": True, "hint": "nope"},
    }[command]
    with pytest.raises(OperationFailure) as exc:
        db.command(command, "c", **args)
    assert exc.value.code == 2
    assert exc.value.details["errmsg"] == "hint provided does not correspond to an existing index"
    assert coll.count_documents({}) == 9


@pytest.mark.parametrize("command", ["update", "delete"])
def test_unknown_hint_in_a_write_statement_is_a_write_error(coll, db, command):
    statements = {
        "update": {
            "updates": [
                {"q": {}, "u": {"$set": {"z": 1}}, "hint": "nope"},
                {"q": {"_id": 0}, "u": {"$set": {"z": 1}}},
            ]
        },
        "delete": {"deletes": [{"q": {}, "limit": 1, "hint": "nope"}, {"q": {"_id": 0}, "limit": 1}]},
    }[command]
    reply = db.command(command, "c", **statements, ordered=False)
    assert reply["n"] == 1
    assert reply["writeErrors"] == [
        {"index": 0, "code": 2, "errmsg": "hint provided does not correspond to an existing index"}
    ]
