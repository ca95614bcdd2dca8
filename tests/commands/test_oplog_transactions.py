"""A committed transaction in ``local.oplog.rs`` is one ``applyOps`` command entry, as mongod 7.0 logs an
unprepared commit (``op_observer_impl.cpp`` onUnpreparedTransactionCommit, ``transaction_operations.cpp``):
``{lsid, txnNumber, op: "c", ns: "admin.$cmd", o: {applyOps: [{op, ns, ui, o, o2?}, ...]}, ts, t, v, wall,
prevOpTime: {ts: Timestamp(0, 0), t: -1}}``; an insert's element carries ``o2: {_id}`` (7.0's document key),
a delete's has none."""

from __future__ import annotations

import datetime

import pymongo
import pytest
from bson.int64 import Int64
from bson.timestamp import Timestamp

from tests import serverproc
from tests.serverproc import ServerProcess

SERVER_ARGS = serverproc.REPLICA_SET
WAIT_MS = 5000
OPLOG_FIELDS = ["lsid", "txnNumber", "op", "ns", "o", "ts", "t", "v", "wall", "prevOpTime"]


def _uuid(db, name: str):
    return next(db.list_collections(filter={"name": name}))["info"]["uuid"]


def _now(client) -> Timestamp:
    return client.admin.command("ping")["$clusterTime"]["clusterTime"]


def _since(client, ts: Timestamp, filter_: dict | None = None) -> list[dict]:
    return list(client.local["oplog.rs"].find({"ts": {"$gt": ts}, **(filter_ or {})}))


def _transaction(client, db, other):
    """Inserts, an update and a delete over two collections of two databases in one transaction;
    returns the session's lsid."""
    with client.start_session() as session:
        with session.start_transaction():
            db.a.insert_one({"_id": 1, "x": 1}, session=session)
            other.b.insert_one({"_id": "k", "y": [1, 2]}, session=session)
            db.a.update_one({"_id": 1}, {"$set": {"x": 2}, "$unset": {"gone": 1}}, session=session)
            db.a.update_one({"_id": 0}, {"$unset": {"old": 1}}, session=session)
            other.b.delete_one({"_id": 5}, session=session)
        return session.session_id


def _expected_ops(db, other) -> list[dict]:
    a, b = f"{db.name}.a", f"{other.name}.b"
    ua, ub = _uuid(db, "a"), _uuid(other, "b")
    return [
        {"op": "i", "ns": a, "ui": ua, "o": {"_id": 1, "x": 1}, "o2": {"_id": 1}},
        {"op": "i", "ns": b, "ui": ub, "o": {"_id": "k", "y": [1, 2]}, "o2": {"_id": "k"}},
        {"op": "u", "ns": a, "ui": ua, "o": {"$v": 2, "diff": {"u": {"x": 2}}}, "o2": {"_id": 1}},
        {"op": "u", "ns": a, "ui": ua, "o": {"$v": 2, "diff": {"d": {"old": False}}}, "o2": {"_id": 0}},
        {"op": "d", "ns": b, "ui": ub, "o": {"_id": 5}},
    ]


@pytest.fixture
def other(client, db):
    other = client[db.name + "_2"]
    yield other
    client.drop_database(other.name)


def _prepare(db, other) -> None:
    db.a.insert_one({"_id": 0, "old": True})
    other.b.insert_one({"_id": 5})


def test_transaction_is_one_apply_ops_entry(client, db, other):
    _prepare(db, other)
    start = _now(client)
    lsid = _transaction(client, db, other)
    entries = _since(client, start)
    assert len(entries) == 1
    entry = entries[0]
    assert list(entry) == OPLOG_FIELDS
    assert entry["lsid"] == lsid
    assert type(entry["txnNumber"]) is Int64 and entry["txnNumber"] >= 1  # pooled sessions number on
    assert (entry["op"], entry["ns"]) == ("c", "admin.$cmd")
    assert entry["o"] == {"applyOps": _expected_ops(db, other)}
    assert [list(op) for op in entry["o"]["applyOps"]] == [
        ["op", "ns", "ui", "o", "o2"],
        ["op", "ns", "ui", "o", "o2"],
        ["op", "ns", "ui", "o", "o2"],
        ["op", "ns", "ui", "o", "o2"],
        ["op", "ns", "ui", "o"],
    ]
    assert type(entry["ts"]) is Timestamp and entry["ts"] > start
    assert type(entry["t"]) is Int64 and entry["t"] == 1
    assert type(entry["v"]) is Int64 and entry["v"] == 2
    assert type(entry["wall"]) is datetime.datetime
    assert entry["prevOpTime"] == {"ts": Timestamp(0, 0), "t": -1}
    assert type(entry["prevOpTime"]["t"]) is Int64
    # filters see the entry's own fields, not its operations' (as on mongod)
    assert _since(client, start, {"ns": f"{db.name}.a"}) == []
    assert _since(client, start, {"o.applyOps.ns": f"{other.name}.b"}) == [entry]
    assert client.local["oplog.rs"].find_one({"ts": entry["ts"]}) == entry


def test_each_transaction_its_own_entry_in_commit_order(client, db):
    db.create_collection("a")
    start = _now(client)
    with client.start_session() as session:
        for i in range(3):
            with session.start_transaction():
                db.a.insert_one({"_id": i}, session=session)
    db.a.insert_one({"_id": "plain"})
    entries = _since(client, start)
    first = entries[0]["txnNumber"]
    assert [(e["op"], e.get("txnNumber")) for e in entries] == [
        ("c", first),
        ("c", first + 1),
        ("c", first + 2),
        ("i", entries[3]["txnNumber"]),  # a retryable write (the driver's implicit session)
    ]
    assert [e["o"]["applyOps"][0]["o"] for e in entries[:3]] == [{"_id": 0}, {"_id": 1}, {"_id": 2}]
    assert entries[3]["o"] == {"_id": "plain"} and entries[3]["stmtId"] == 0
    assert [e["ts"] for e in entries] == sorted(e["ts"] for e in entries)
    natural = list(client.local["oplog.rs"].find({"ts": {"$gt": start}}, sort=[("$natural", -1)]))
    assert natural == entries[::-1]


def test_aborted_transaction_leaves_no_entry(client, db):
    db.create_collection("a")
    start = _now(client)
    with client.start_session() as session:
        session.start_transaction()
        db.a.insert_one({"_id": 1}, session=session)
        db.a.insert_one({"_id": 2}, session=session)
        session.abort_transaction()
    db.a.insert_one({"_id": 3})
    assert [(e["op"], e["o"]) for e in _since(client, start)] == [("i", {"_id": 3})]


def test_read_only_transaction_leaves_no_entry(client, db):
    db.a.insert_one({"_id": 1})
    start = _now(client)
    with client.start_session() as session, session.start_transaction():
        assert db.a.find_one({"_id": 1}, session=session) == {"_id": 1}
    db.a.insert_one({"_id": 2})
    assert [e["o"] for e in _since(client, start)] == [{"_id": 2}]


def test_tailable_cursor_sees_the_entry_at_commit_only(client, db):
    db.create_collection("a")
    start = _now(client)
    cursor = (
        client.local["oplog.rs"]
        .find({"ts": {"$gt": start}}, cursor_type=pymongo.CursorType.TAILABLE_AWAIT)
        .max_await_time_ms(200)
    )
    assert next(cursor, None) is None  # the find: nothing yet
    with client.start_session() as session:
        session.start_transaction()
        db.a.insert_one({"_id": 1}, session=session)
        db.a.update_one({"_id": 1}, {"$set": {"v": 1}}, session=session)
        assert next(cursor, None) is None  # a getMore before the commit: nothing
        session.commit_transaction()
    entry = cursor.next()  # already there: the getMore needs no wait
    ns = f"{db.name}.a"
    assert entry["o"] == {
        "applyOps": [
            {"op": "i", "ns": ns, "ui": _uuid(db, "a"), "o": {"_id": 1}, "o2": {"_id": 1}},
            {
                "op": "u",
                "ns": ns,
                "ui": _uuid(db, "a"),
                "o": {"$v": 2, "diff": {"u": {"v": 1}}},
                "o2": {"_id": 1},
            },
        ]
    }
    db.a.insert_one({"_id": 2})
    assert cursor.next()["o"] == {"_id": 2}  # the tail goes on after it
    cursor.close()


def test_tailable_cursor_filter_on_operations(client, db):
    db.create_collection("a")
    db.create_collection("b")
    start = _now(client)
    cursor = (
        client.local["oplog.rs"]
        .find(
            {"ts": {"$gt": start}, "o.applyOps.ns": f"{db.name}.b"},
            cursor_type=pymongo.CursorType.TAILABLE_AWAIT,
        )
        .max_await_time_ms(WAIT_MS)
    )
    with client.start_session() as session:
        with session.start_transaction():
            db.a.insert_one({"_id": 1}, session=session)
        with session.start_transaction():
            db.a.insert_one({"_id": 2}, session=session)
            db.b.insert_one({"_id": 3}, session=session)
    entry = cursor.next()
    assert [op["o"] for op in entry["o"]["applyOps"]] == [{"_id": 2}, {"_id": 3}]
    assert len(_since(client, start)) == 2
    cursor.close()


def test_same_entry_after_restart(tmp_path):
    with ServerProcess(tmp_path / "rs.mdb", extra_args=list(SERVER_ARGS)) as proc, proc.client() as client:
        db, other = client.d, client.e
        _prepare(db, other)
        start = _now(client)
        _transaction(client, db, other)
        before = _since(client, start)
        assert [(e["op"], e["ns"]) for e in before] == [("c", "admin.$cmd")]
    with ServerProcess(tmp_path / "rs.mdb", extra_args=list(SERVER_ARGS)) as proc, proc.client() as client:
        assert _since(client, start, {"ns": "admin.$cmd"}) == before  # the restart writes local.*
        assert before[0]["o"] == {"applyOps": _expected_ops(client.d, client.e)}


# -- retryable writes: one entry per statement, with the session, its stmtId and prevOpTime -------------

RETRYABLE_FIELDS = [
    "lsid",
    "txnNumber",
    "op",
    "ns",
    "ui",
    "o",
    "o2",
    "stmtId",
    "ts",
    "t",
    "v",
    "wall",
    "prevOpTime",
]


def _retryable_writes(client, db):
    """An insert of two statements, then an update and a delete of one each, in one explicit session;
    returns the session's lsid."""
    with client.start_session() as session:
        db.r.insert_many([{"_id": 1}, {"_id": 2}], session=session)
        db.r.update_one({"_id": 1}, {"$set": {"v": 1}}, session=session)
        db.r.delete_one({"_id": 2}, session=session)
        return session.session_id


def _check_retryable(entries, db, lsid) -> None:
    ns, ui = f"{db.name}.r", _uuid(db, "r")
    assert [list(e) for e in entries] == [RETRYABLE_FIELDS] * 3 + [
        RETRYABLE_FIELDS[:6] + RETRYABLE_FIELDS[7:]
    ]
    assert all(e["lsid"] == lsid and type(e["txnNumber"]) is Int64 for e in entries)
    insert_number = entries[0]["txnNumber"]
    assert [e["txnNumber"] for e in entries] == [
        insert_number,
        insert_number,
        insert_number + 1,
        insert_number + 2,
    ]
    assert [{k: e[k] for k in ("op", "ns", "ui", "o", "o2") if k in e} for e in entries] == [
        {"op": "i", "ns": ns, "ui": ui, "o": {"_id": 1}, "o2": {"_id": 1}},
        {"op": "i", "ns": ns, "ui": ui, "o": {"_id": 2}, "o2": {"_id": 2}},
        {"op": "u", "ns": ns, "ui": ui, "o": {"$v": 2, "diff": {"u": {"v": 1}}}, "o2": {"_id": 1}},
        {"op": "d", "ns": ns, "ui": ui, "o": {"_id": 2}},
    ]
    assert [e["stmtId"] for e in entries] == [0, 1, 0, 0]
    assert all(type(e["stmtId"]) is int for e in entries)
    null = {"ts": Timestamp(0, 0), "t": -1}
    # the second insert follows the first (one docdb commit: one Timestamp); the others start a chain
    assert [e["prevOpTime"] for e in entries] == [null, {"ts": entries[0]["ts"], "t": 1}, null, null]
    assert type(entries[1]["prevOpTime"]["t"]) is Int64 and type(entries[0]["prevOpTime"]["t"]) is Int64


def test_retryable_write_entries(client, db):
    db.create_collection("r")
    start = _now(client)
    lsid = _retryable_writes(client, db)
    _check_retryable(_since(client, start), db, lsid)


def test_retryable_statements_of_one_command_chain(client, db):
    db.r.insert_many([{"_id": 1}, {"_id": 2}])
    start = _now(client)
    with client.start_session() as session:
        db.r.bulk_write(
            [
                pymongo.UpdateOne({"_id": 1}, {"$set": {"a": 1}}),
                pymongo.UpdateOne({"_id": 2}, {"$set": {"a": 2}}),
            ],
            session=session,
        )  # one update command of two statements
    entries = _since(client, start)
    assert [(e["op"], e["o2"], e["stmtId"]) for e in entries] == [("u", {"_id": 1}, 0), ("u", {"_id": 2}, 1)]
    assert entries[0]["txnNumber"] == entries[1]["txnNumber"]
    assert entries[0]["ts"] < entries[1]["ts"]  # a statement at a time
    assert entries[0]["prevOpTime"] == {"ts": Timestamp(0, 0), "t": -1}
    assert entries[1]["prevOpTime"] == {"ts": entries[0]["ts"], "t": 1}


def test_writes_without_retry_have_no_session_fields(server, db):
    with server.client(retryWrites=False) as plain:
        coll = plain[db.name].r
        start = _now(plain)
        coll.insert_one({"_id": 1})
        coll.update_one({"_id": 1}, {"$set": {"a": 1}})
        entries = _since(plain, start, {"ns": coll.full_name})
    assert [list(e) for e in entries] == [
        ["op", "ns", "ui", "o", "o2", "ts", "t", "v", "wall"],
        ["op", "ns", "ui", "o", "o2", "ts", "t", "v", "wall"],
    ]


def test_retryable_entries_after_restart_and_compaction(tmp_path):
    path = tmp_path / "rs.mdb"
    args = [*SERVER_ARGS, "--compaction-check-s", "0", "--oplog-size-mb", "1"]
    with ServerProcess(path, extra_args=args) as proc, proc.client() as client:
        churn = client.d.churn  # 2 MB of dead bytes older than the 1 MB window: something to compact
        churn.insert_many([{"_id": i, "pad": "x" * 10_000} for i in range(200)])
        churn.delete_many({})
        client.d.create_collection("r")
        start = _now(client)
        lsid = _retryable_writes(client, client.d)
        live = _since(client, start, {"ns": "d.r"})
        _check_retryable(live, client.d, lsid)
    with ServerProcess(path, extra_args=args) as proc, proc.client() as client:
        assert _since(client, start, {"ns": "d.r"}) == live  # the log's records replayed
        assert client.d.command("compact", "r")["bytesFreed"] > 0
    with ServerProcess(path, extra_args=args) as proc, proc.client() as client:
        assert _since(client, start, {"ns": "d.r"}) == live  # the compacted file's HISTORY records


# -- collections a transaction creates: their create (and createIndexes) inside its applyOps ------------

ID_INDEX = {"v": 2, "key": {"_id": 1}, "name": "_id_"}


def _created_in_a_transaction(client, db) -> None:
    """An existing collection written first, then one created explicitly with an index and written,
    one created by its first insert, and one created with no write at all."""
    db.create_collection("old")
    with client.start_session() as session, session.start_transaction():
        db.old.insert_one({"_id": 0}, session=session)
        db.command({"create": "made", "validator": {"a": {"$type": "int"}}}, session=session)
        db.command({"createIndexes": "made", "indexes": [{"key": {"a": 1}, "name": "a_1"}]}, session=session)
        db.made.insert_one({"_id": 1, "a": 1}, session=session)
        db.implicit.insert_one({"_id": 2}, session=session)
        db.command({"create": "empty"}, session=session)


def _expected_create_ops(db) -> list[dict]:
    cmd = f"{db.name}.$cmd"
    made, implicit, empty, old = (_uuid(db, n) for n in ("made", "implicit", "empty", "old"))
    return [
        {"op": "c", "ns": cmd, "ui": empty, "o": {"create": "empty", "idIndex": ID_INDEX}},
        {"op": "i", "ns": f"{db.name}.old", "ui": old, "o": {"_id": 0}, "o2": {"_id": 0}},
        {
            "op": "c",
            "ns": cmd,
            "ui": made,
            "o": {"create": "made", "validator": {"a": {"$type": "int"}}, "idIndex": ID_INDEX},
        },
        {
            "op": "c",
            "ns": cmd,
            "ui": made,
            "o": {"createIndexes": "made", "v": 2, "key": {"a": 1}, "name": "a_1"},
        },
        {"op": "i", "ns": f"{db.name}.made", "ui": made, "o": {"_id": 1, "a": 1}, "o2": {"_id": 1}},
        {"op": "c", "ns": cmd, "ui": implicit, "o": {"create": "implicit", "idIndex": ID_INDEX}},
        {"op": "i", "ns": f"{db.name}.implicit", "ui": implicit, "o": {"_id": 2}, "o2": {"_id": 2}},
    ]


def test_collections_created_in_a_transaction(client, db):
    start = _now(client)
    _created_in_a_transaction(client, db)
    entries = _since(client, start, {"ns": {"$ne": f"{db.name}.$cmd"}})  # the create of "old" is its own
    assert [(e["op"], e["ns"]) for e in entries] == [("c", "admin.$cmd")]
    assert entries[0]["o"] == {"applyOps": _expected_create_ops(db)}
    assert [list(op) for op in entries[0]["o"]["applyOps"] if op["op"] == "c"] == [
        ["op", "ns", "ui", "o"]
    ] * 4


def test_collections_created_in_a_transaction_after_restart_and_compaction(tmp_path):
    path = tmp_path / "rs.mdb"
    args = [*SERVER_ARGS, "--compaction-check-s", "0", "--oplog-size-mb", "1"]
    with ServerProcess(path, extra_args=args) as proc, proc.client() as client:
        churn = client.d.churn
        churn.insert_many([{"_id": i, "pad": "x" * 10_000} for i in range(200)])
        churn.delete_many({})
        start = _now(client)
        _created_in_a_transaction(client, client.d)
        live = _since(client, start, {"ns": "admin.$cmd"})
        assert live[0]["o"] == {"applyOps": _expected_create_ops(client.d)}
    with ServerProcess(path, extra_args=args) as proc, proc.client() as client:
        assert _since(client, start, {"ns": "admin.$cmd"}) == live
        assert client.d.command("compact", "old")["bytesFreed"] > 0
    with ServerProcess(path, extra_args=args) as proc, proc.client() as client:
        assert _since(client, start, {"ns": "admin.$cmd"}) == live
