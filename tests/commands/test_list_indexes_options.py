"""listIndexes gives back every option an index was created with, in mongod 7.0's stored order: ``v``,
``unique``/``hidden`` when true, ``key``, ``name``, then the other options as given (values untouched)."""

from __future__ import annotations

import pytest
from bson.int64 import Int64
from bson.son import SON
from pymongo.errors import OperationFailure

from tests.serverproc import ServerProcess


def _listed(db, name: str) -> list:
    specs = db.command("listIndexes", "c")["cursor"]["firstBatch"]
    (spec,) = [s for s in specs if s["name"] == name]
    return list(spec.items())


@pytest.mark.parametrize(
    "given,listed",
    [
        pytest.param(
            SON([("key", {"a": 1}), ("name", "a"), ("background", False)]),
            [("v", 2), ("key", {"a": 1}), ("name", "a"), ("background", False)],
            id="background-false",
        ),
        pytest.param(
            SON([("name", "a"), ("key", {"a": 1}), ("sparse", 1), ("unique", 1), ("background", True)]),
            [
                ("v", 2),
                ("unique", True),
                ("key", {"a": 1}),
                ("name", "a"),
                ("sparse", 1),
                ("background", True),
            ],
            id="unique-first-others-as-given",
        ),
        pytest.param(
            SON([("key", {"a": 1}), ("name", "a"), ("unique", False), ("hidden", False)]),
            [("v", 2), ("key", {"a": 1}), ("name", "a")],
            id="false-unique-hidden-dropped",
        ),
        pytest.param(
            SON([("key", {"t": 1}), ("name", "a"), ("expireAfterSeconds", Int64(60)), ("hidden", True)]),
            [("v", 2), ("hidden", True), ("key", {"t": 1}), ("name", "a"), ("expireAfterSeconds", Int64(60))],
            id="ttl-hidden",
        ),
        pytest.param(
            SON([("key", {"a": 1}), ("name", "a"), ("partialFilterExpression", {"b": {"$gt": 1}}), ("v", 1)]),
            [("v", 1), ("key", {"a": 1}), ("name", "a"), ("partialFilterExpression", {"b": {"$gt": 1}})],
            id="partial-v1",
        ),
        pytest.param(
            SON([("key", {"a": 1}), ("name", "a"), ("collation", {"locale": "simple"}), ("ns", "x.y")]),
            [("v", 2), ("key", {"a": 1}), ("name", "a")],
            id="simple-collation-and-ns-dropped",
        ),
    ],
)
def test_options_round_trip(db, given, listed):
    db.create_collection("c")
    db.command("createIndexes", "c", indexes=[given])
    assert _listed(db, "a") == listed


def test_options_survive_a_restart(data_file):
    spec = SON([("key", {"a": 1}), ("name", "a"), ("background", False), ("sparse", True), ("unique", True)])
    listed = [
        ("v", 2),
        ("unique", True),
        ("key", {"a": 1}),
        ("name", "a"),
        ("background", False),
        ("sparse", True),
    ]
    with ServerProcess(data_file) as server, server.client() as client:
        client.d.command("createIndexes", "c", indexes=[spec])
        assert _listed(client.d, "a") == listed
    with ServerProcess(data_file) as server, server.client() as client:
        assert _listed(client.d, "a") == listed


def test_coll_mod_moves_the_changed_option_last(db):
    db.command(
        "createIndexes",
        "c",
        indexes=[SON([("key", {"t": 1}), ("name", "a"), ("expireAfterSeconds", 5), ("sparse", True)])],
    )
    db.command("collMod", "c", index={"name": "a", "expireAfterSeconds": 7})
    assert _listed(db, "a") == [
        ("v", 2),
        ("key", {"t": 1}),
        ("name", "a"),
        ("sparse", True),
        ("expireAfterSeconds", 7),
    ]


@pytest.mark.parametrize(
    "option,code,message",
    [
        pytest.param(
            {"background": "yes"},
            14,
            'The field \'background has value background: "yes", which is not convertible to bool',
            id="background-type",
        ),
        pytest.param({"hidden": 1}, 14, "The field 'name' must be a bool, but got int", id="hidden-type"),
        pytest.param({"v": "2"}, 14, "The field 'v' must be a number, but got string", id="v-type"),
        pytest.param(
            {"v": 3},
            67,
            'Invalid index specification { key: { a: 1 }, name: "a", v: 3 }; cannot create an index with v=3',
            id="v-3",
        ),
    ],
)
def test_option_errors(db, option, code, message):
    with pytest.raises(OperationFailure) as exc:
        db.command("createIndexes", "c", indexes=[{"key": {"a": 1}, "name": "a", **option}])
    assert (exc.value.code, exc.value.details["errmsg"]) == (code, message)
