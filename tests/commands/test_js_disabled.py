"""--no-javascript (mongod's security.javascriptEnabled: false): every JavaScript entry point answers
mongod's error for a missing script engine; everything else keeps working."""

from __future__ import annotations

import pytest
from bson.son import SON
from pymongo.errors import OperationFailure

from tests.serverproc import ServerProcess


@pytest.fixture(scope="module", params=["flag", "env"])
def disabled(request):
    if request.param == "flag":
        proc = ServerProcess(None, extra_args=["--no-javascript"])
    else:
        proc = ServerProcess(None, env={"DOCDB_NO_JAVASCRIPT": "1"})
    proc.start()
    client = proc.client()
    coll = client.test_js_disabled.c
    coll.drop()
    coll.insert_many([{"_id": 1, "a": 1}, {"_id": 2, "a": 2}])
    yield coll
    client.close()
    proc.stop()


def test_where_refused_at_parse(disabled) -> None:
    with pytest.raises(OperationFailure) as exc:
        list(disabled.find({"$where": "this.a == 1"}))
    details = exc.value.details
    assert (details["code"], details["codeName"], details["errmsg"]) == (
        6108304,
        "Location6108304",
        "no globalScriptEngine in $where parsing",
    )
    with pytest.raises(OperationFailure) as exc:
        disabled.database.drop_collection("empty")
        list(disabled.database.empty.find({"$where": "true"}))
    assert exc.value.code == 6108304


def test_function_and_accumulator_refused_when_run(disabled) -> None:
    spec = {"$function": {"body": "function(a) { return a; }", "args": ["$a"], "lang": "js"}}
    with pytest.raises(OperationFailure) as exc:
        list(disabled.aggregate([{"$project": {"x": spec}}]))
    assert exc.value.code == 31264
    assert exc.value.details["errmsg"].endswith(
        "Cannot run server-side javascript without the javascript engine enabled"
    )
    acc = {
        "$accumulator": {
            "init": "function() { return 0; }",
            "accumulate": "function(s, a) { return s + a; }",
            "accumulateArgs": ["$a"],
            "merge": "function(x, y) { return x + y; }",
            "lang": "js",
        }
    }
    with pytest.raises(OperationFailure) as exc:
        list(disabled.aggregate([{"$group": {"_id": None, "s": acc}}]))
    assert exc.value.code == 31264


def test_map_reduce_refused(disabled) -> None:
    cmd = SON(
        [
            ("mapReduce", disabled.name),
            ("map", "function() { emit(this.a, 1); }"),
            ("reduce", "function(k, v) { return Array.sum(v); }"),
            ("out", {"inline": 1}),
        ]
    )
    with pytest.raises(OperationFailure) as exc:
        disabled.database.command(cmd)
    assert exc.value.code == 31246
    assert exc.value.details["errmsg"] == (
        "PlanExecutor error during aggregation :: caused by :: "
        "Cannot run server-side javascript without the javascript engine enabled"
    )


def test_everything_else_works(disabled) -> None:
    assert [d["_id"] for d in disabled.find({"a": {"$gt": 1}})] == [2]
    assert list(disabled.aggregate([{"$group": {"_id": None, "s": {"$sum": "$a"}}}])) == [
        {"_id": None, "s": 3}
    ]
