"""A modifier-style update's ``updateDescription`` is what mongod 7.0 builds from the delta its update
operators log: a value written at a path is reported whole at that path, a $push that only appends as
its new elements, array operators that rewrite an array as the whole array; an operator that changes
nothing is not reported, and an update that changes nothing has no event. A pipeline-style update is
described by comparing the two versions (dotted paths into sub-documents). The descriptions survive a
restart and a compaction (the logged paths are in the log and in the compacted history)."""

from __future__ import annotations

import pytest

from tests.serverproc import REPLICA_SET, ServerProcess

SERVER_ARGS = REPLICA_SET
WAIT_MS = 5000  # a getMore returns as soon as the event commits; this only bounds a failing test

# (id, document, update, filter or None, updatedFields, removedFields); truncatedArrays is always [] for
# a modifier-style update (mongod's operators never log a truncation).
CASES = [
    ("set-subdocument", {"a": {"x": 1, "y": 1}}, {"$set": {"a": {"x": 1, "y": 2}}}, None,
     {"a": {"x": 1, "y": 2}}, []),
    ("set-dotted", {"a": {"x": 1, "y": 1}}, {"$set": {"a.y": 2}}, None, {"a.y": 2}, []),
    ("set-creates-path", {"a": {}}, {"$set": {"a.b.c": 1, "a.b.d": 2}}, None, {"a.b": {"c": 1, "d": 2}}, []),
    ("set-whole-array", {"arr": [0, 1, 2, 3]}, {"$set": {"arr": [0]}}, None, {"arr": [0]}, []),
    ("set-some-unchanged", {"a": 1, "b": 1}, {"$set": {"a": 1, "b": 2}}, None, {"b": 2}, []),
    ("max-subdocument", {"m": {"v": 1}}, {"$max": {"m": {"v": 2}}}, None, {"m": {"v": 2}}, []),
    ("inc", {"n": 1}, {"$inc": {"n": 1}}, None, {"n": 2}, []),
    ("inc-nested", {"a": {"n": 1}}, {"$inc": {"a.n": 5}}, None, {"a.n": 6}, []),
    ("unset", {"a": 1, "b": 2}, {"$unset": {"a": ""}}, None, {}, ["a"]),
    ("unset-element", {"a": [1, 2]}, {"$unset": {"a.0": 1}}, None, {"a.0": None}, []),
    ("rename", {"a": {"x": 1}, "b": {"x": 2}}, {"$rename": {"a": "b"}}, None, {"b": {"x": 1}}, ["a"]),
    ("rename-to-new", {"a": 1}, {"$rename": {"a": "c.d"}}, None, {"c": {"d": 1}}, ["a"]),
    ("push", {"arr": [1, 2]}, {"$push": {"arr": 3}}, None, {"arr.2": 3}, []),
    ("push-each", {"arr": [1]}, {"$push": {"arr": {"$each": [2, 3]}}}, None, {"arr.1": 2, "arr.2": 3}, []),
    ("push-to-empty", {"arr": []}, {"$push": {"arr": 1}}, None, {"arr": [1]}, []),
    ("push-creates", {}, {"$push": {"arr": 1}}, None, {"arr": [1]}, []),
    ("push-sort", {"arr": [3, 1]}, {"$push": {"arr": {"$each": [2], "$sort": 1}}}, None,
     {"arr": [1, 2, 3]}, []),
    ("push-position", {"arr": [1]}, {"$push": {"arr": {"$each": [0], "$position": 0}}}, None,
     {"arr": [0, 1]}, []),
    ("push-slice-cuts", {"arr": [1, 2]}, {"$push": {"arr": {"$each": [3], "$slice": -2}}}, None,
     {"arr": [2, 3]}, []),
    ("push-slice-keeps", {"arr": [1]}, {"$push": {"arr": {"$each": [2], "$slice": 5}}}, None,
     {"arr.1": 2}, []),
    ("pop", {"arr": [1, 2, 3]}, {"$pop": {"arr": 1}}, None, {"arr": [1, 2]}, []),
    ("pull", {"arr": [1, 2, 3]}, {"$pull": {"arr": 2}}, None, {"arr": [1, 3]}, []),
    ("pull-all", {"arr": [1, 2, 3]}, {"$pullAll": {"arr": [1, 3]}}, None, {"arr": [2]}, []),
    ("add-to-set", {"arr": [1, 2]}, {"$addToSet": {"arr": 3}}, None, {"arr": [1, 2, 3]}, []),
    ("set-element", {"a": [1, 2, 3]}, {"$set": {"a.1": 9}}, None, {"a.1": 9}, []),
    ("set-element-past-end", {"a": [1]}, {"$set": {"a.3": 9}}, None, {"a.3": 9}, []),
    ("positional", {"arr": [{"b": 1}, {"b": 2}]}, {"$set": {"arr.$.b": 9}}, {"arr.b": 2}, {"arr.1.b": 9}, []),
    ("positional-element", {"arr": [{"b": 1}, {"b": 2}]}, {"$set": {"arr.$": {"c": 1}}}, {"arr.b": 1},
     {"arr.0": {"c": 1}}, []),
    ("all-positional", {"arr": [{"b": 1}, {"b": 2}]}, {"$set": {"arr.$[].b": 9}}, None,
     {"arr.0.b": 9, "arr.1.b": 9}, []),
    ("mixed", {"a": {"b": 1}, "arr": [1, 2, 3], "x": 0}, {"$set": {"a.b": 2}, "$unset": {"x": 1},
     "$push": {"arr": 4}}, None, {"a.b": 2, "arr.3": 4}, ["x"]),
]  # fmt: skip


def _description(db, doc, update, query):
    coll = db.c
    coll.insert_one({"_id": 1, **doc})
    with coll.watch(max_await_time_ms=WAIT_MS) as stream:
        assert coll.update_one(query or {"_id": 1}, update).modified_count == 1
        event = stream.next()
    assert event["operationType"] == "update"
    return event["updateDescription"]


@pytest.mark.parametrize(("doc", "update", "query", "updated", "removed"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])  # fmt: skip
def test_update_description(db, doc, update, query, updated, removed):
    assert _description(db, doc, update, query) == {
        "updatedFields": updated,
        "removedFields": removed,
        "truncatedArrays": [],
    }


def test_updated_fields_come_in_mongods_order(db):
    """The delta lists, per sub-document, the updated fields, then the created ones, then the sub-documents
    below (jstests/change_streams/expanded_update_description.js: an existing field set, a new one, and a
    path into an array come in that order)."""
    doc = {"arr": [0, 1, 2, 3], "top": [{"sub": [0, 1]}]}
    update = {"$set": {"a": 2, "top.0.sub.1": 3, "arr": [0]}}
    description = _description(db, doc, update, None)
    assert list(description["updatedFields"].items()) == [("arr", [0]), ("a", 2), ("top.0.sub.1", 3)]


def test_expanded_events_disambiguate_logged_paths(db):
    coll = db.c
    coll.insert_one({"_id": 1, "o": {"0": {"1": "x"}}, "arr": [[{"a": 1}]]})
    with coll.watch(max_await_time_ms=WAIT_MS, show_expanded_events=True) as stream:
        coll.update_one({"_id": 1}, {"$set": {"o.0.1": {"k": 1}, "arr.0.0.1": 2}})
        event = stream.next()
    assert event["updateDescription"] == {
        "updatedFields": {"arr.0.0.1": 2, "o.0.1": {"k": 1}},
        "removedFields": [],
        "truncatedArrays": [],
        "disambiguatedPaths": {"arr.0.0.1": ["arr", 0, 0, "1"], "o.0.1": ["o", "0", "1"]},
    }


def test_an_update_that_changes_nothing_has_no_event(db):
    coll = db.c
    coll.insert_one({"_id": 1, "a": {"x": 1}, "arr": [1, 2]})
    with coll.watch(max_await_time_ms=WAIT_MS) as stream:
        assert coll.update_one({"_id": 1}, {"$set": {"a": {"x": 1}}}).modified_count == 0
        assert coll.update_one({"_id": 1}, {"$addToSet": {"arr": 2}, "$pull": {"a.y": 7}}).modified_count == 0
        assert coll.update_one({"_id": 1}, {"$unset": {"missing": 1}}).modified_count == 0
        coll.update_one({"_id": 1}, {"$set": {"b": 1}})
        event = stream.next()
    assert event["updateDescription"]["updatedFields"] == {"b": 1}


def test_a_pipeline_update_is_described_by_comparing_the_versions(db):
    description = _description(db, {"a": {"x": 1, "y": 1}}, [{"$set": {"a": {"x": 1, "y": 2}}}], None)
    assert description == {"updatedFields": {"a.y": 2}, "removedFields": [], "truncatedArrays": []}


def test_every_write_path_logs_its_paths(db, client):
    """update_many, findAndModify and a transaction's update describe their updates the same way."""
    coll = db.c
    coll.insert_many([{"_id": i, "a": {"x": i}, "arr": [i]} for i in range(3)])
    with coll.watch(max_await_time_ms=WAIT_MS) as stream:
        coll.update_many({"_id": {"$in": [0, 1]}}, {"$set": {"a": {"x": 5}}})
        coll.find_one_and_update({"_id": 2}, {"$push": {"arr": 7}})
        with client.start_session() as session, session.start_transaction():
            coll.update_one({"_id": 2}, {"$set": {"a": {"x": 9}}}, session=session)
            coll.update_one({"_id": 2}, {"$pop": {"arr": -1}}, session=session)
        events = [stream.next() for _ in range(5)]
    assert [(e["documentKey"]["_id"], e["updateDescription"]["updatedFields"]) for e in events] == [
        (0, {"a": {"x": 5}}),
        (1, {"a": {"x": 5}}),
        (2, {"arr.1": 7}),
        (2, {"a": {"x": 9}}),
        (2, {"arr": [7]}),
    ]


# -- durable: after a restart and after a compaction ---------------------------------------------------

RS = list(REPLICA_SET)
SMALL = [*RS, "--compaction-check-s", "0", "--oplog-size-mb", "1"]  # a window compaction has bytes to free


def _write_cases(client) -> list[dict]:
    """Every case on one collection of ``d``; returns the events a stream saw."""
    coll = client.d.c
    with coll.watch(max_await_time_ms=WAIT_MS) as stream:
        for i, (_, doc, update, query, _, _) in enumerate(CASES):
            coll.insert_one({"_id": i, **doc})
            coll.update_one({"_id": i, **(query or {})}, update)
        coll.update_one({"_id": 0}, [{"$set": {"a": {"x": 1, "y": 3}}}])  # a pipeline update (compared)
        events = [stream.next() for _ in range(2 * len(CASES) + 1)]
    updates = [e for e in events if e["operationType"] == "update"]
    assert [e["updateDescription"]["updatedFields"] for e in updates] == [c[4] for c in CASES] + [{"a.y": 3}]
    return events


def _replay(client, start) -> list[dict]:
    with client.d.c.watch(start_at_operation_time=start, max_await_time_ms=200) as stream:
        events = []
        while (event := stream.try_next()) is not None:
            events.append(event)
    return events


def test_descriptions_are_the_same_after_a_restart(tmp_path):
    path = tmp_path / "r.mdb"
    with ServerProcess(path, extra_args=RS) as proc, proc.client() as client:
        live = _write_cases(client)
    with ServerProcess(path, extra_args=RS) as proc, proc.client() as client:
        assert _replay(client, live[0]["clusterTime"]) == live


def test_descriptions_are_the_same_after_a_compaction_and_a_restart(tmp_path):
    path = tmp_path / "c.mdb"
    with ServerProcess(path, extra_args=SMALL) as proc, proc.client() as client:
        churn = client.d.churn
        churn.insert_many([{"_id": i, "pad": "x" * 5000} for i in range(200)])  # about 2 MB of dead bytes,
        churn.update_many({}, {"$set": {"pad": "y" * 5000}})  # older than the 1 MiB window
        churn.delete_many({"_id": {"$gte": 100}})
        live = _write_cases(client)
        assert client.d.command("compact", "churn")["bytesFreed"] > 0
        assert _replay(client, live[0]["clusterTime"]) == live
    with ServerProcess(path, extra_args=SMALL) as proc, proc.client() as client:
        assert _replay(client, live[0]["clusterTime"]) == live
