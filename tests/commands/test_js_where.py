"""$where with mongod 7.0's semantics: the manual's examples, this/obj, the commands that accept it,
the contexts that refuse it, JS errors and the per-call time limit."""

from __future__ import annotations

import datetime

import pytest
from bson import Int64, ObjectId
from bson.code import Code
from pymongo.errors import OperationFailure

from tests.serverproc import ServerProcess

PLAYERS = [
    {"_id": 12378, "name": "Steve", "username": "steveisawesome", "first_login": "2017-01-01"},
    {"_id": 2, "name": "Anya", "username": "anya", "first_login": "2001-02-02"},
]


def test_manual_example_hex_md5(db) -> None:
    db.players.insert_many(PLAYERS)
    body = 'function() { return (hex_md5(this.name) == "9b53e667f30cd329dca1ec9e6a83e994") }'
    where = {"$where": Code(body)}
    assert list(db.players.find(where)) == [PLAYERS[1]]
    # the same through $expr + $function, as the manual shows
    expr = {
        "$expr": {
            "$function": {
                "body": 'function(name) { return hex_md5(name) == "9b53e667f30cd329dca1ec9e6a83e994"; }',
                "args": ["$name"],
                "lang": "js",
            }
        }
    }
    assert list(db.players.find(expr)) == [PLAYERS[1]]


def test_string_forms_this_and_obj(db) -> None:
    db.c.insert_many([{"_id": 1, "a": 1, "b": 2}, {"_id": 2, "a": 3, "b": 2}])
    assert [d["_id"] for d in db.c.find({"$where": "this.a > this.b"})] == [2]
    assert [d["_id"] for d in db.c.find({"$where": "return obj.a < obj.b"})] == [1]
    assert [d["_id"] for d in db.c.find({"$where": "function() { return this.a == 1 }", "b": 2})] == [1]
    assert [d["_id"] for d in db.c.find({"$or": [{"$where": "this.a == 3"}, {"_id": 1}]})] == [1, 2]


def test_shell_types_seen_by_javascript(db) -> None:
    oid = ObjectId("5f1d7d2d9d3b2c1a2b3c4d5e")
    db.c.insert_one({"_id": oid, "n": Int64(5), "i": 7, "d": datetime.datetime(2020, 1, 2, 3, 4, 5)})
    checks = [
        'this._id instanceof ObjectId && this._id.str == "5f1d7d2d9d3b2c1a2b3c4d5e"',
        "this.n instanceof NumberLong && this.n == 5 && this.n.toString() == 'NumberLong(5)'",
        "typeof this.i == 'number' && this.i === 7",
        "this.d instanceof Date && this.d.getUTCFullYear() == 2020 && this.d.getUTCSeconds() == 5",
        "this._id.getTimestamp().getTime() == 1595768109000",
    ]
    for check in checks:
        assert db.command("count", "c", query={"$where": check})["n"] == 1, check


def test_count_distinct_update_delete_find_and_modify(db) -> None:
    db.c.insert_many([{"_id": i, "x": i} for i in range(5)])
    where = {"$where": "this.x % 2 == 0"}
    # count_documents is an aggregation: mongod refuses $where in its $match
    with pytest.raises(OperationFailure) as exc:
        db.c.count_documents(where)
    assert exc.value.details["errmsg"] == "$where is not allowed in this context"
    assert db.command("count", "c", query=where)["n"] == 3
    assert sorted(db.c.distinct("x", where)) == [0, 2, 4]
    assert db.c.update_many(where, {"$set": {"even": True}}).modified_count == 3
    assert db.c.find_one_and_update({"$where": "this.x == 1"}, {"$set": {"y": 1}})["_id"] == 1
    assert db.c.delete_many({"$where": "this.even === true"}).deleted_count == 3
    assert [d["_id"] for d in db.c.find()] == [1, 3]


def test_refused_contexts(db) -> None:
    db.c.insert_one({"a": [1]})
    with pytest.raises(OperationFailure) as exc:
        list(db.c.aggregate([{"$match": {"$where": "true"}}]))
    assert (exc.value.code, exc.value.details["errmsg"]) == (2, "$where is not allowed in this context")
    with pytest.raises(OperationFailure) as exc:
        list(db.c.find({"a": {"$elemMatch": {"$where": "true"}}}))
    assert (exc.value.code, exc.value.details["errmsg"]) == (2, "$elemMatch cannot contain $where expression")
    with pytest.raises(OperationFailure) as exc:
        list(db.c.find({"a": {"$where": "true"}}))
    assert exc.value.code == 2
    with pytest.raises(OperationFailure) as exc:
        db.create_collection("v", validator={"$where": "true"})
    assert exc.value.details["codeName"] == "QueryFeatureNotAllowed"
    with pytest.raises(OperationFailure) as exc:
        db.c.create_index("a", partialFilterExpression={"$where": "true"})
    assert exc.value.code == 2
    with pytest.raises(OperationFailure) as exc:
        list(db.c.find({"$where": 5}))
    assert (exc.value.code, exc.value.details["errmsg"]) == (2, "$where got bad type")


def test_javascript_errors(db) -> None:
    db.c.insert_one({"a": 1})
    with pytest.raises(OperationFailure) as exc:
        list(db.c.find({"$where": Code("function myFunction() { return a(); }")}))
    assert exc.value.details["codeName"] == "JSInterpreterFailure"
    assert "ReferenceError" in exc.value.details["errmsg"]
    with pytest.raises(OperationFailure) as exc:
        list(db.c.find({"$where": "function ( {"}))
    assert exc.value.details["codeName"] == "JSInterpreterFailure"
    assert "SyntaxError" in exc.value.details["errmsg"]


@pytest.fixture(scope="module")
def limited_server(tmp_path_factory):
    proc = ServerProcess(None, extra_args=["--js-time-limit-ms", "200", "--js-memory-limit-mb", "16"]).start()
    yield proc
    proc.stop()


def test_time_and_memory_limits(limited_server) -> None:
    client = limited_server.client()
    coll = client.test_js_limits.c
    coll.drop()
    coll.insert_one({"a": 1})
    with pytest.raises(OperationFailure) as exc:
        list(coll.find({"$where": "while (true) {} "}))
    assert (exc.value.code, exc.value.details["codeName"]) == (11601, "Interrupted")
    assert exc.value.details["errmsg"].endswith("Interrupted by the host")
    with pytest.raises(OperationFailure) as exc:
        list(coll.find({"$where": "var a = []; while (true) { a.push(new Array(100000).fill(1)); }"}))
    assert exc.value.details["codeName"] == "JSInterpreterFailure"
    assert exc.value.details["errmsg"] == "Out of memory"
    params = client.admin.command(
        {
            "getParameter": 1,
            "internalQueryJavaScriptFnTimeoutMillis": 1,
            "internalQueryJavaScriptHeapSizeLimitMB": 1,
        }
    )
    assert (
        params["internalQueryJavaScriptFnTimeoutMillis"],
        params["internalQueryJavaScriptHeapSizeLimitMB"],
    ) == (
        200,
        16,
    )
    # the scope of a failed operation is gone: the next one runs normally
    assert len(list(coll.find({"$where": "this.a == 1"}))) == 1
    client.close()


def test_where_with_indexed_and_id_predicates(db) -> None:
    db.c.insert_many([{"_id": 1, "a": 1}, {"_id": 2, "a": 2}])
    db.c.create_index("a")
    assert list(db.c.find({"_id": 1, "$where": "false"})) == []
    assert list(db.c.find({"a": 1, "$where": "false"})) == []
    assert list(db.c.find({"a": 1, "$where": "true"})) == [{"_id": 1, "a": 1}]
    assert db.c.update_one({"_id": 1, "$where": "false"}, {"$set": {"x": 1}}).matched_count == 0
    assert db.c.delete_one({"_id": 1, "$where": "this.a == 1"}).deleted_count == 1
