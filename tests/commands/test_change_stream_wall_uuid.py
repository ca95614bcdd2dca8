"""Change events' ``wallTime`` is the commit's wall clock to the millisecond, and ``showExpandedEvents``
adds ``collectionUUID`` (the collection's UUID when the change was made, as ``listCollections`` shows it);
``local.oplog.rs`` entries' ``wall`` and ``ui`` agree; both survive a restart and a compaction, and a file
written before they were logged still loads (its wall times are its Timestamps' seconds)."""

from __future__ import annotations

import datetime

import bson
from bson.binary import Binary
from bson.timestamp import Timestamp

from docdb.engine.log import LogWriter, RecordType
from tests.serverproc import REPLICA_SET, ServerProcess

WAIT_MS = 5000  # a getMore returns as soon as the event commits; this only bounds a failing test
SERVER_ARGS = REPLICA_SET
NO_AUTO = [*REPLICA_SET, "--compaction-check-s", "0"]
SMALL = [*NO_AUTO, "--oplog-size-mb", "1"]  # a 1 MiB window, so that compaction has bytes to free
EPOCH = datetime.datetime(1970, 1, 1)
HEAD = ["_id", "operationType", "clusterTime", "collectionUUID", "wallTime"]


def _now() -> datetime.datetime:
    """The client's wall clock as a naive UTC datetime, as PyMongo decodes a BSON date."""
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


def _ms(moment: datetime.datetime) -> int:
    return (moment - EPOCH) // datetime.timedelta(milliseconds=1)


def _uuid(db, name: str) -> Binary:
    return next(db.list_collections(filter={"name": name}))["info"]["uuid"]


def _drain(target, start: Timestamp, **options) -> list[dict]:
    """Every event of ``target`` (a client or a database) from ``start`` on."""
    events = []
    with target.watch(start_at_operation_time=start, max_await_time_ms=200, **options) as stream:
        while (event := stream.try_next()) is not None:
            events.append(event)
    return events


def _oplog(client, db_name: str, start: Timestamp) -> list[dict]:
    return list(client.local["oplog.rs"].find({"ts": {"$gte": start}, "ns": {"$regex": f"^{db_name}\\."}}))


def test_wall_time_is_the_commits_wall_clock_to_the_millisecond(db, client):
    with db.c.watch(max_await_time_ms=WAIT_MS) as stream:
        moments = []
        for i in range(5):
            before = _now()
            db.c.insert_one({"_id": i})
            moments.append((before, _now()))
        events = [stream.next() for _ in range(5)]
    for (before, after), event in zip(moments, events, strict=True):
        wall = event["wallTime"]
        # a BSON date holds milliseconds: the client's clock read before the write, cut to milliseconds
        assert _ms(before) <= _ms(wall) <= _ms(after)
        assert wall.microsecond % 1000 == 0
        assert event["clusterTime"].time == _ms(wall) // 1000  # the same reading of the clock
    assert any(e["wallTime"].microsecond for e in events)  # not whole seconds (all five: 1 in 10^15)
    entries = list(client.local["oplog.rs"].find({"ns": f"{db.name}.c", "op": "i"}))
    assert [(e["ts"], e["wall"]) for e in entries] == [(e["clusterTime"], e["wallTime"]) for e in events]


def test_writes_of_one_commit_share_its_wall_time(db, client):
    db.c.insert_one({"_id": 0})
    with db.c.watch(max_await_time_ms=WAIT_MS) as stream:
        db.c.insert_many([{"_id": i} for i in range(1, 4)])  # one record
        db.c.update_many({}, {"$set": {"x": 1}})  # another
        with client.start_session() as session, session.start_transaction():
            db.c.delete_one({"_id": 1}, session=session)
            db.c.delete_one({"_id": 2}, session=session)
        events = [stream.next() for _ in range(9)]
    assert [e["operationType"] for e in events] == ["insert"] * 3 + ["update"] * 4 + ["delete"] * 2
    by_commit = [{e["wallTime"] for e in events[a:b]} for a, b in ((0, 3), (3, 7), (7, 9))]
    assert [len(times) for times in by_commit] == [1, 1, 1]
    entries = list(
        client.local["oplog.rs"].find({"ns": f"{db.name}.c", "ts": {"$gte": events[0]["clusterTime"]}})
    )
    assert [e["wall"] for e in entries] == [e["wallTime"] for e in events[:7]]
    (transaction,) = client.local["oplog.rs"].find({"ns": "admin.$cmd", "ts": events[7]["clusterTime"]})
    assert transaction["wall"] == events[7]["wallTime"]  # one applyOps entry for the transaction


def test_collection_uuid_on_every_event_of_a_collection(db, client):
    start = db.command("ping")["$clusterTime"]["clusterTime"]
    db.create_collection("c")
    uuid = _uuid(db, "c")
    db.c.insert_one({"_id": 1, "a": 1})
    db.c.update_one({"_id": 1}, {"$set": {"a": 2}})
    db.c.replace_one({"_id": 1}, {"b": 1})
    db.c.create_index("b")
    db.command("collMod", "c", index={"keyPattern": {"b": 1}, "hidden": True})
    db.c.drop_index("b_1")
    with client.start_session() as session, session.start_transaction():
        db.c.insert_one({"_id": 2}, session=session)
    db.c.delete_one({"_id": 1})
    db.c.rename("r")
    assert _uuid(db, "r") == uuid  # a rename keeps the collection's UUID
    db.r.drop()
    db.other.insert_one({"_id": 1})
    other = _uuid(db, "other")
    client.drop_database(db.name)
    events = [e for e in _drain(client, start, show_expanded_events=True) if e["ns"]["db"] == db.name]
    kinds = [e["operationType"] for e in events]
    assert kinds == [
        "create",
        "insert",
        "update",
        "replace",
        "createIndexes",
        "modify",
        "dropIndexes",
        "insert",
        "delete",
        "rename",
        "drop",
        "create",
        "insert",
        "drop",
        "dropDatabase",
    ]
    uuids = [e.get("collectionUUID") for e in events]
    assert uuids == [uuid] * 11 + [other] * 3 + [None]
    assert isinstance(uuid, Binary) and uuid.subtype == 4
    for event in events[:-1]:
        start_of = list(event)[list(event).index("_id") :][:5]
        assert start_of == HEAD, event  # mongod 7.0: after clusterTime, before wallTime
    assert "collectionUUID" not in events[-1]  # a database's drop names no collection
    plain = [e for e in _drain(client, start) if e["ns"]["db"] == db.name]
    assert plain and all("collectionUUID" not in e for e in plain)


def test_a_recreated_collection_has_a_new_uuid_in_its_events_and_oplog(db, client):
    start = db.command("ping")["$clusterTime"]["clusterTime"]
    db.c.insert_one({"_id": 1})
    first = _uuid(db, "c")
    db.c.drop()
    db.c.insert_one({"_id": 1})
    second = _uuid(db, "c")
    assert first != second
    # read after the recreation: each event carries the UUID the collection had at its change
    events = _drain(db, start, show_expanded_events=True)
    assert [(e["operationType"], e["collectionUUID"]) for e in events] == [
        ("create", first),
        ("insert", first),
        ("drop", first),
        ("create", second),
        ("insert", second),
    ]
    with db.c.watch(start_at_operation_time=start, show_expanded_events=True, max_await_time_ms=WAIT_MS) as s:
        assert [s.next()["collectionUUID"] for _ in range(3)] == [first] * 3
    entries = _oplog(client, db.name, start)
    assert [(e["ts"], e["wall"], e["ui"]) for e in entries] == [
        (e["clusterTime"], e["wallTime"], e["collectionUUID"]) for e in events
    ]
    assert [e["op"] for e in entries] == ["c", "i", "c", "c", "i"]
    assert [list(e)[:4] for e in entries if e["op"] == "c"] == [["op", "ns", "ui", "o"]] * 3


def test_a_database_drop_has_no_ui_in_the_oplog(db, client):
    db.c.insert_one({"_id": 1})
    uuid = _uuid(db, "c")
    client.drop_database(db.name)
    entries = list(client.local["oplog.rs"].find({"op": "c", "ns": f"{db.name}.$cmd"}))
    assert [(e["o"], e.get("ui")) for e in entries][-2:] == [
        ({"drop": "c"}, uuid),
        ({"dropDatabase": 1}, None),
    ]


# -- across restarts and compactions -----------------------------------------------------------------------


def _writes(client) -> tuple[Timestamp, list[Binary]]:
    """Some dead bytes to compact (older than the window), then writes of every kind on ``d.c``, which is
    dropped and recreated; returns the time they start from and the two UUIDs of ``d.c``."""
    db = client.d
    db.churn.insert_many([{"_id": i, "pad": "x" * 5000} for i in range(200)])
    db.churn.update_many({}, {"$set": {"pad": "y" * 5000}})
    db.churn.delete_many({"_id": {"$gte": 100}})
    start = db.command("ping")["$clusterTime"]["clusterTime"]
    db.c.insert_many([{"_id": i, "a": i} for i in range(3)])
    first = _uuid(db, "c")
    db.c.update_one({"_id": 0}, {"$inc": {"a": 1}})
    db.c.create_index("a")
    with client.start_session() as session, session.start_transaction():
        db.c.replace_one({"_id": 1}, {"r": 1}, session=session)
        db.c.delete_one({"_id": 2}, session=session)
    db.c.drop()
    db.c.insert_one({"_id": "again"})
    second = _uuid(db, "c")
    return start, [first, second]


def test_wall_time_and_uuid_survive_restart_and_compaction(tmp_path):
    path = tmp_path / "w.mdb"
    with ServerProcess(path, extra_args=SMALL) as proc, proc.client() as client:
        start, (first, second) = _writes(client)
        live = _drain(client, start, show_expanded_events=True)
        oplog = _oplog(client, "d", start)
    events = [e for e in live if e["ns"].get("coll") == "c"]
    assert [e["collectionUUID"] for e in events] == [first] * 9 + [second] * 2
    assert any(e["wallTime"].microsecond for e in live)
    with ServerProcess(path, extra_args=SMALL) as proc, proc.client() as client:
        assert _drain(client, start, show_expanded_events=True) == live
        assert _oplog(client, "d", start) == oplog
        # a stream resumed after the restart gives the same event, wallTime included
        with client.d.c.watch(resume_after=events[3]["_id"], max_await_time_ms=WAIT_MS) as stream:
            resumed = stream.next()
        assert (resumed["_id"], resumed["wallTime"]) == (events[4]["_id"], events[4]["wallTime"])
        assert client.d.command("compact", "churn")["bytesFreed"] > 0
        assert _drain(client, start, show_expanded_events=True) == live
    with ServerProcess(path, extra_args=SMALL) as proc, proc.client() as client:  # from HISTORY records
        assert _drain(client, start, show_expanded_events=True) == live
        assert _oplog(client, "d", start) == oplog
        assert client.d.command("compact", "c")["ok"] == 1  # compacts the compacted file's history again
    with ServerProcess(path, extra_args=SMALL) as proc, proc.client() as client:
        assert _drain(client, start, show_expanded_events=True) == live


def test_a_file_written_before_wall_times_and_uuids_were_logged(tmp_path):
    """Records without ``w`` give their Timestamp's seconds; a HISTORY record without ``w``/``ui`` too, and
    the collection's current UUID."""
    path = tmp_path / "old.mdb"
    uuid = Binary(bytes(range(16)), 4)
    t = [Timestamp(1_700_000_000, i) for i in range(1, 4)] + [Timestamp(1_700_000_001, 1)]
    raw = bson.encode({"_id": 1})
    history = {
        "horizon": Timestamp(1_699_999_999, 0),
        "changes": [
            {"ts": t[0], "ns": "d.c", "op": "create", "id": {}},
            {"ts": t[1], "ns": "d.c", "op": "insert", "id": 1, "a": raw},
            {"ts": t[1], "ns": "d.c", "op": "update", "id": 1, "a": raw},
        ],
    }
    records = [  # as a compaction wrote them: the state, the history kept, then the clock
        (RecordType.CREATE_COLLECTION, {"ns": "d.c", "options": {}, "uuid": uuid}),
        (RecordType.WRITE_BATCH, {"ops": [{"ns": "d.c", "put": {"_id": 1}}]}),
        (RecordType.HISTORY, history),
        (RecordType.WRITE_BATCH, {"ops": [], "ts": t[1]}),
        (RecordType.WRITE_BATCH, {"ops": [{"ns": "d.c", "k": "u", "put": {"_id": 1, "n": 1}}], "ts": t[2]}),
        (
            RecordType.CREATE_INDEXES,
            {"ns": "d.c", "indexes": [{"v": 2, "key": {"n": 1}, "name": "n_1"}], "ts": t[3]},
        ),
    ]
    writer = LogWriter(str(path))
    for rtype, payload in records:
        writer.append(rtype, bson.encode(payload))
    writer.close()
    with ServerProcess(path, extra_args=NO_AUTO) as proc, proc.client() as client:
        events = _drain(client, t[0], show_expanded_events=True)
        assert [
            (e["operationType"], e["clusterTime"], e["wallTime"], e["collectionUUID"]) for e in events
        ] == [
            (op, ts, EPOCH + datetime.timedelta(seconds=ts.time), uuid)
            for op, ts in zip(
                ["create", "insert", "update", "update", "createIndexes"],
                [t[0], t[1], t[1], t[2], t[3]],
                strict=True,
            )
        ]
        entries = _oplog(client, "d", t[0])
        assert [(e["ts"], e["wall"], e["ui"]) for e in entries] == [
            (e["clusterTime"], e["wallTime"], uuid) for e in events
        ]
        client.d.c.insert_one({"_id": 2})  # today's format, after the old records
        new = _drain(client, t[0], show_expanded_events=True)[-1]
    with ServerProcess(path, extra_args=NO_AUTO) as proc, proc.client() as client:
        assert _drain(client, t[0], show_expanded_events=True) == [*events, new]
