"""The change history a restart rebuilds from the log gives exactly the events (and ``local.oplog.rs``
entries) the live server gave: every kind of write, pre- and post-images, transactions, catalog events;
also for a file whose records were written before kinds were logged, and after a compaction (which
keeps the history window in the compacted file)."""

from __future__ import annotations

import bson
import pytest
from bson.binary import Binary
from bson.timestamp import Timestamp
from click.testing import CliRunner
from pymongo.errors import ConnectionFailure, OperationFailure

from docdb.cli import tools_main
from docdb.engine.log import LogWriter, RecordType
from docdb.engine.log.faults import COMPACTION_STEPS, FAULT_EXIT_CODE
from tests.serverproc import ServerProcess

RS = ["--replica-set", "rs0"]
WAIT_MS = 5000
IMAGES = {"changeStreamPreAndPostImages": {"enabled": True}}
STREAM = {
    "full_document": "whenAvailable",
    "full_document_before_change": "whenAvailable",
    "show_expanded_events": True,
}


def _drain(client, start: Timestamp, **options) -> list[dict]:
    """Every event of the deployment from ``start`` on, as the stream gives them."""
    events = []
    with client.watch(start_at_operation_time=start, max_await_time_ms=200, **options) as stream:
        while (event := stream.try_next()) is not None:
            events.append(event)
    return events


def _oplog(client, start: Timestamp) -> list[dict]:
    return list(client.local["oplog.rs"].find({"ts": {"$gte": start}, "ns": {"$regex": "^d\\."}}))


def _writes(client) -> Timestamp:
    """One of every kind of write on ``d.c`` (and a second collection); returns the time of the first
    (the collection's creation)."""
    db = client.d
    db.create_collection("c", **IMAGES)
    start = db.command("ping")["$clusterTime"]["clusterTime"]
    coll = db.c
    coll.insert_many([{"_id": i, "a": {"b": i}, "arr": [1, 2, 3]} for i in range(4)])
    coll.insert_one({"_id": {"k": 1}, "v": 1})
    coll.update_one({"_id": 0}, {"$set": {"a.b": 10, "n": 1}, "$unset": {"zz": 1}})
    coll.update_one({"_id": 1}, {"$pop": {"arr": 1}, "$unset": {"a": 1}})
    coll.replace_one({"_id": 2}, {"replaced": True})
    coll.replace_one({"_id": 9}, {"upserted": True}, upsert=True)
    coll.find_one_and_replace({"_id": 3}, {"fam": "replaced"})
    coll.find_one_and_update({"_id": 3}, {"$inc": {"n": 1}})
    coll.update_many({"_id": {"$in": [0, 1]}}, {"$set": {"many": True}})
    coll.delete_one({"_id": {"k": 1}})  # a document _id
    coll.delete_many({"_id": {"$in": [1, 9]}})
    coll.create_index("n", name="n_1")
    db.command("collMod", "c", index={"name": "n_1", "hidden": True})
    coll.drop_index("n_1")
    with client.start_session() as session, session.start_transaction():
        coll.insert_one({"_id": 20}, session=session)
        coll.update_one({"_id": 20}, {"$set": {"t": 1}}, session=session)
        coll.replace_one({"_id": 0}, {"in": "txn"}, session=session)
        coll.delete_one({"_id": 3}, session=session)
    db.other.insert_one({"_id": 1})
    db.other.rename("renamed")
    db.renamed.drop()
    return start


def test_every_event_is_the_same_after_a_restart(tmp_path):
    path = tmp_path / "r.mdb"
    with ServerProcess(path, extra_args=RS) as proc, proc.client() as client:
        start = _writes(client)
        live = _drain(client, start, **STREAM)
        live_plain = _drain(client, start)
        live_oplog = _oplog(client, start)
    kinds = [e["operationType"] for e in live if e["ns"].get("coll") == "c"]
    assert kinds == ["create"] + ["insert"] * 5 + ["update", "update", "replace", "insert", "replace"] + [
        "update",  # find_one_and_update
        "update",  # update_many
        "update",
        "delete",
        "delete",
        "delete",
        "createIndexes",
        "modify",
        "dropIndexes",
        "insert",  # the transaction
        "update",
        "replace",
        "delete",
    ]
    with ServerProcess(path, extra_args=RS) as proc, proc.client() as client:
        assert _drain(client, start, **STREAM) == live
        assert _drain(client, start) == live_plain
        assert _oplog(client, start) == live_oplog
        # resuming from every token gives the rest, unchanged
        for i in (0, 7, len(live) - 2):
            with client.watch(resume_after=live[i]["_id"], max_await_time_ms=200, **STREAM) as stream:
                assert stream.try_next() == live[i + 1]


def test_a_replace_is_a_replace_after_a_restart(tmp_path):
    """The gap this file was written for: a replace came back as an update."""
    path = tmp_path / "p.mdb"
    with ServerProcess(path, extra_args=RS) as proc, proc.client() as client:
        coll = client.d.c
        coll.insert_one({"_id": 1, "a": 1})
        with coll.watch(max_await_time_ms=WAIT_MS) as stream:
            coll.replace_one({"_id": 1}, {"b": 2})
            live = stream.next()
        entry = client.local["oplog.rs"].find_one({"op": "u", "ns": "d.c"})
    assert (live["operationType"], live["fullDocument"]) == ("replace", {"_id": 1, "b": 2})
    assert (entry["o"], entry["o2"]) == ({"_id": 1, "b": 2}, {"_id": 1})
    with ServerProcess(path, extra_args=RS) as proc, proc.client() as client:
        with client.d.c.watch(start_at_operation_time=live["clusterTime"], max_await_time_ms=WAIT_MS) as s:
            assert s.next() == live
        assert client.local["oplog.rs"].find_one({"op": "u", "ns": "d.c"}) == entry


def test_an_adopted_system_collection_has_the_same_oplog_after_a_restart(tmp_path):
    """A first write to a collection held in memory only (admin.system.version) logs its creation and
    documents first; the oplog shows them live as after a restart."""
    path = tmp_path / "a.mdb"
    admin_entries = {"ns": {"$regex": "^admin\\."}}
    with ServerProcess(path, extra_args=RS) as proc, proc.client() as client:
        client.admin["system.version"].update_one({"_id": "featureCompatibilityVersion"}, {"$set": {"x": 1}})
        live = list(client.local["oplog.rs"].find(admin_entries))
    assert [(e["op"], e["ns"]) for e in live] == [
        ("c", "admin.$cmd"),
        ("i", "admin.system.version"),
        ("u", "admin.system.version"),
    ]
    with ServerProcess(path, extra_args=RS) as proc, proc.client() as client:
        assert list(client.local["oplog.rs"].find(admin_entries)) == live


def _old_format_file(path) -> list[Timestamp]:
    """A file as docdb wrote it before kinds were logged: puts without ``k``."""
    times = [Timestamp(1_700_000_000, i) for i in range(1, 6)]
    uuid = Binary(bytes(range(16)), 4)
    records = [
        (RecordType.CREATE_COLLECTION, {"ns": "d.c", "options": {}, "uuid": uuid, "ts": times[0]}),
        (RecordType.WRITE_BATCH, {"ops": [{"ns": "d.c", "put": {"_id": 1, "a": 1}}], "ts": times[1]}),
        (RecordType.WRITE_BATCH, {"ops": [{"ns": "d.c", "put": {"_id": 1, "b": 2}}], "ts": times[2]}),
        (RecordType.WRITE_BATCH, {"ops": [{"ns": "d.c", "put": {"_id": 2}}], "ts": times[3]}),
        (RecordType.WRITE_BATCH, {"ops": [{"ns": "d.c", "del": 2}], "ts": times[4]}),
    ]
    writer = LogWriter(str(path))
    for rtype, payload in records:
        writer.append(rtype, bson.encode(payload))
    writer.close()
    return times


def test_a_file_without_kinds_still_loads(tmp_path):
    """An untyped put replays as an insert when no document had its _id, else as an update."""
    path = tmp_path / "old.mdb"
    times = _old_format_file(path)
    with ServerProcess(path, extra_args=RS) as proc, proc.client() as client:
        assert list(client.d.c.find()) == [{"_id": 1, "b": 2}]
        events = _drain(client, times[0])
        assert [(e["operationType"], e["documentKey"]["_id"], e["clusterTime"]) for e in events] == [
            ("insert", 1, times[1]),
            ("update", 1, times[2]),
            ("insert", 2, times[3]),
            ("delete", 2, times[4]),
        ]
        assert events[1]["updateDescription"] == {
            "updatedFields": {"b": 2},
            "removedFields": ["a"],
            "truncatedArrays": [],
        }
        client.d.c.replace_one({"_id": 1}, {"c": 3})  # appended in today's format, after the old records
    with ServerProcess(path, extra_args=RS) as proc, proc.client() as client:
        kinds = [e["operationType"] for e in _drain(client, times[0])]
        assert kinds == ["insert", "update", "insert", "delete", "replace"]


# -- across a compaction -----------------------------------------------------------------------------------

NO_AUTO = ["--compaction-check-s", "0"]
SMALL = [*RS, *NO_AUTO, "--oplog-size-mb", "1"]  # a 1 MiB window, so that compaction has bytes to free


def _churn(client) -> None:
    """About 2 MB of dead bytes, older than the window: versions of documents that are gone."""
    coll = client.d.churn
    coll.insert_many([{"_id": i, "pad": "x" * 5000} for i in range(200)])
    coll.update_many({}, {"$set": {"pad": "y" * 5000}})
    coll.delete_many({"_id": {"$gte": 100}})


def _rest(client, token: dict) -> list[dict]:
    with client.watch(resume_after=token, max_await_time_ms=200, **STREAM) as stream:
        rest = []
        while (event := stream.try_next()) is not None:
            rest.append(event)
    return rest


def test_a_stream_resumes_across_compaction_and_restart(tmp_path):
    path = tmp_path / "c.mdb"
    with ServerProcess(path, extra_args=SMALL) as proc, proc.client() as client:
        _churn(client)
        start = _writes(client)
        before = _drain(client, start, **STREAM)
        oplog = _oplog(client, start)
        size = path.stat().st_size
        assert client.d.command("compact", "churn")["bytesFreed"] > 0
        assert path.stat().st_size < size
        client.d.c.insert_one({"_id": "after"})  # appended to the compacted file
        live = _drain(client, start, **STREAM)
        assert live[: len(before)] == before and len(live) == len(before) + 1
    with ServerProcess(path, extra_args=SMALL) as proc, proc.client() as client:
        assert _drain(client, start, **STREAM) == live
        assert _oplog(client, start)[: len(oplog)] == oplog
        for i in (0, len(live) // 2, len(live) - 2):
            assert _rest(client, live[i]["_id"]) == live[i + 1 :]


def test_a_compacted_file_compacts_again_and_keeps_the_window(tmp_path):
    path = tmp_path / "c2.mdb"
    with ServerProcess(path, extra_args=SMALL) as proc, proc.client() as client:
        _churn(client)
        _writes(client)
        client.d.command("compact", "churn")
    with ServerProcess(path, extra_args=SMALL) as proc, proc.client() as client:
        client.d.churn.drop()
        _churn(client)
        mark = client.d.command("ping")["$clusterTime"]["clusterTime"]
        client.d.c.update_many({}, {"$inc": {"again": 1}})
        client.d.c.replace_one({"_id": 2}, {"again": "replaced"})
        client.d.c.delete_one({"_id": 2})
        assert client.d.command("compact", "churn")["bytesFreed"] > 0
        live = _drain(client, mark, **STREAM)
    assert [e["operationType"] for e in live if e["ns"]["coll"] == "c"] == ["update"] * 3 + [
        "replace",
        "delete",
    ]
    with ServerProcess(path, extra_args=SMALL) as proc, proc.client() as client:
        assert _drain(client, mark, **STREAM) == live


def test_beyond_the_window_history_is_lost_after_compaction(tmp_path):
    """--oplog-size-mb bounds what compaction keeps: an older token is ChangeStreamHistoryLost (286), a
    recent one resumes."""
    path = tmp_path / "w.mdb"
    args = [*RS, *NO_AUTO, "--oplog-size-mb", "1"]
    with ServerProcess(path, extra_args=args) as proc, proc.client() as client:
        coll = client.d.c
        with coll.watch(max_await_time_ms=WAIT_MS) as stream:
            coll.insert_one({"_id": "old"})
            old = stream.next()["_id"]
        for i in range(40):  # 40 x 50 kB, and their deletes: twice the window each
            coll.insert_one({"_id": i, "pad": "x" * 50_000})
        for i in range(39):
            coll.delete_one({"_id": i})
        with coll.watch(max_await_time_ms=WAIT_MS) as stream:
            coll.delete_one({"_id": 39})
            recent = stream.next()["_id"]
        coll.insert_one({"_id": "last"})
        client.d.command("compact", "c")
        assert path.stat().st_size < 1_500_000
    with ServerProcess(path, extra_args=args) as proc, proc.client() as client:
        coll = client.d.c
        with pytest.raises(OperationFailure) as exc:
            coll.watch(resume_after=old, max_await_time_ms=200).try_next()
        assert (exc.value.code, exc.value.details["codeName"]) == (286, "ChangeStreamHistoryLost")
        with coll.watch(resume_after=recent, max_await_time_ms=WAIT_MS) as stream:
            assert stream.next()["fullDocument"] == {"_id": "last"}


def test_offline_compaction_and_encryption_keep_the_window(tmp_path):
    """``docdb compact FILE --encrypt`` keeps a replica set's history too (sealed like every record)."""
    path = tmp_path / "o.mdb"
    key = tmp_path / "key"
    key.write_bytes(bytes(range(32)))
    with ServerProcess(path, extra_args=SMALL) as proc, proc.client() as client:
        _churn(client)
        start = _writes(client)
        live = _drain(client, start, **STREAM)
    size = path.stat().st_size
    args = ["compact", str(path), "--oplog-size-mb", "1", "--encrypt", "--encryption-key-file", str(key)]
    result = CliRunner().invoke(tools_main, args)
    assert result.exit_code == 0, result.output
    assert path.stat().st_size < size * 0.7
    with ServerProcess(path, extra_args=[*SMALL, "--encryption-key-file", str(key)]) as proc:
        with proc.client() as client:
            assert _drain(client, start, **STREAM) == live


# -- crashes -----------------------------------------------------------------------------------------------


def _documents(client) -> dict:
    return {name: list(client.d[name].find()) for name in sorted(client.d.list_collection_names())}


@pytest.mark.parametrize("step", COMPACTION_STEPS)
def test_a_crash_at_each_compaction_step_leaves_a_resumable_file(tmp_path, step):
    """The old file or the new one, and either gives the same events (tests/durability's crash points)."""
    path = tmp_path / "k.mdb"
    with ServerProcess(path, extra_args=SMALL) as proc, proc.client() as client:
        _churn(client)
        start = _writes(client)
        live = _drain(client, start, **STREAM)
        documents = _documents(client)
    crashing = ServerProcess(path, extra_args=SMALL, env={"DOCDB_FAULT": f"compaction:{step}"}).start()
    with crashing.client() as client, pytest.raises(ConnectionFailure):
        client.d.command("compact", "churn")  # the reply waits for the end, which never comes
    assert crashing.proc.wait(20) == FAULT_EXIT_CODE
    crashing.kill9()  # already dead: closes the pipe
    with ServerProcess(path, extra_args=SMALL) as proc, proc.client() as client:
        assert _drain(client, start, **STREAM) == live
        assert _documents(client) == documents


def test_kill9_after_a_compaction_then_resume(tmp_path):
    path = tmp_path / "k9.mdb"
    proc = ServerProcess(path, extra_args=SMALL).start()
    try:
        with proc.client() as client:
            _churn(client)
            start = _writes(client)
            assert client.d.command("compact", "churn")["bytesFreed"] > 0
            client.d.c.insert_one({"_id": "acknowledged"})
            live = _drain(client, start, **STREAM)
            proc.kill9()
    finally:
        proc.stop()
    assert live[-1]["documentKey"] == {"_id": "acknowledged"}
    with ServerProcess(path, extra_args=SMALL) as proc, proc.client() as client:
        assert _drain(client, start, **STREAM) == live
        assert _rest(client, live[-2]["_id"]) == live[-1:]
