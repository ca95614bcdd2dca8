"""The point-write lane (server/write_lane.py) answers exactly as the general path.

Two in-process servers get the same request frames, one with the lane and one without it
(``write_lane.ENABLED``); their reply frames must be byte-identical (but for the reply's own request id),
and so must their serverStatus counters, the documents they store, their change history and what a
restart replays from their log files. A counting wrapper proves the lane did take the commands meant for
it, so a lane that quietly stepped aside for everything would fail here. Subprocess servers check what
the in-process ones cannot: an acknowledged lane write survives kill -9, and --auth refuses alike.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pymongo
import pytest
from bson import decode as bson_decode
from bson.binary import Binary
from bson.int64 import Int64
from bson.objectid import ObjectId
from pymongo.write_concern import WriteConcern

from docdb.config import ServerConfig
from docdb.engine.catalog import Catalog
from docdb.protocol import encode_op_msg
from docdb.server import commands as _commands  # noqa: F401  (registers every command)
from docdb.server import write_lane
from docdb.server.connection import MongoProtocol
from docdb.server.context import ServerState
from docdb.server.cursors import CursorRegistry
from docdb.server.parameters import ServerParameters
from tests.serverproc import REPLICA_SET, ServerProcess

DB = "lane"
LSID = {"id": Binary(uuid.UUID("00112233-4455-6677-8899-aabbccddeeff").bytes, 4)}
OID = ObjectId("64b7f0c2a1b2c3d4e5f60718")
_ids = itertools.count(1)


class Transport:
    """Stands in for the socket: keeps what the server writes."""

    def __init__(self) -> None:
        self.frames: list[bytes] = []

    def write(self, data: bytes) -> None:
        self.frames.append(bytes(data))

    def get_extra_info(self, name: str) -> Any:
        return ("127.0.0.1", 50000) if name in ("peername", "sockname") else None

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass

    def set_write_buffer_limits(self, high: int | None = None) -> None:
        pass

    def abort(self) -> None:
        raise AssertionError("the server closed the connection")

    close = abort


class Server:
    """One in-process server over its own file; ``lane`` says whether commands may take the lane."""

    def __init__(self, path: Path, lane: bool) -> None:
        self.path = path
        self.lane = lane
        self._open()

    def _open(self) -> None:
        catalog = Catalog.open(str(self.path))
        config = ServerConfig(file=str(self.path), enable_test_commands=True)
        self.state = ServerState(
            config=config,
            catalog=catalog,
            cursors=CursorRegistry(),
            parameters=ServerParameters(enable_test_commands=True),
        )
        self.transport = Transport()
        self.protocol = MongoProtocol(self.state)
        self.protocol.connection_made(self.transport)  # type: ignore[arg-type]

    def send(self, frame: bytes) -> bytes:
        """The reply frame to ``frame``."""
        write_lane.ENABLED = self.lane
        try:
            before = len(self.transport.frames)
            self.protocol.data_received(frame)
            assert len(self.transport.frames) == before + 1, "expected exactly one reply"
            return self.transport.frames[-1]
        finally:
            write_lane.ENABLED = True

    def restart(self) -> None:
        self.state.catalog.close()
        self._open()

    def close(self) -> None:
        self.state.catalog.close()


def request(body: dict[str, Any], sequences: dict[str, list[Any]] | None = None, db: str = DB) -> bytes:
    """The frame PyMongo sends: ``lsid`` and ``$db`` last, batches as document sequences."""
    return encode_op_msg({**body, "lsid": LSID, "$db": db}, next(_ids), 0, sequences=sequences)


def reply_body(frame: bytes) -> dict[str, Any]:
    return bson_decode(frame[21:])


def comparable(frame: bytes) -> bytes:
    """A reply frame without its own request id (a process-wide counter)."""
    return frame[:4] + frame[8:]


@pytest.fixture
def pair(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Server, Server, list[str]]]:
    """(lane server, general server, the names of the commands the lane answered)."""
    taken: list[str] = []
    for name, lane in list(write_lane._LANES.items()):

        def counting(ctx: Any, body: dict[str, Any], lane: Any = lane, name: str = name) -> Any:
            reply = lane(ctx, body)
            if reply is not None:
                taken.append(name)
            return reply

        monkeypatch.setitem(write_lane._LANES, name, counting)
    lane, general = Server(tmp_path / "lane.mdb", True), Server(tmp_path / "general.mdb", False)
    yield lane, general, taken
    lane.close()
    general.close()


def both(pair: tuple[Server, Server, list[str]], frame: bytes) -> dict[str, Any]:
    """Send ``frame`` to both servers; their replies must be the same bytes. Returns the reply."""
    lane, general, _ = pair
    got, expected = lane.send(frame), general.send(frame)
    assert reply_body(got) == reply_body(expected)
    assert comparable(got) == comparable(expected)
    return reply_body(got)


def insert(coll: str, *docs: dict[str, Any], **fields: Any) -> bytes:
    return request({"insert": coll, "ordered": True, **fields}, {"documents": list(docs)})


def update(coll: str, q: Any, u: Any, **fields: Any) -> bytes:
    statement = {"q": q, "u": u, "multi": False, "upsert": False}
    return request({"update": coll, "ordered": True, **fields}, {"updates": [statement]})


def counters(server: Server) -> dict[str, Any]:
    status = reply_body(server.send(request({"serverStatus": 1}, db="admin")))
    commands = status["metrics"]["commands"]
    return {
        "opcounters": status["opcounters"],
        "document": status["metrics"]["document"],
        "insert": commands.get("insert"),
        "update": commands.get("update"),
        "writes": status["opLatencies"]["writes"]["ops"],
        "asserts": status["asserts"],
    }


def stored(server: Server, name: str = "c") -> dict[Any, bytes]:
    coll = server.state.catalog.collection(DB, name)
    return {} if coll is None else dict(coll.docs)


def history(server: Server) -> list[tuple]:
    """The change history without its Timestamps (each server's clock stamps its own)."""
    return [
        (c.ns, c.op, c.key, c.id_value, c.after, c.before) for c in server.state.catalog.history.entries()
    ]


def test_lane_replies_equal_the_general_path(pair: tuple[Server, Server, list[str]]) -> None:
    lane, general, taken = pair
    assert both(pair, request({"create": "c"})) == {"ok": 1.0}
    assert both(pair, insert("c", {"_id": 1, "n": 0, "s": "abc"})) == {"n": 1, "ok": 1.0}
    assert both(pair, insert("c", {"_id": "k", "n": 1.5, "big": Int64(2**63 - 1)})) == {"n": 1, "ok": 1.0}
    assert both(pair, insert("c", {"_id": OID, "n": 0})) == {"n": 1, "ok": 1.0}
    assert taken == ["insert", "insert", "insert"]
    assert both(pair, insert("c", {"_id": OID}))["writeErrors"][0]["code"] == 11000
    duplicate = both(pair, insert("c", {"_id": 1, "n": 5}))
    assert duplicate["n"] == 0
    assert duplicate["writeErrors"][0]["code"] == 11000
    assert duplicate["writeErrors"][0]["errmsg"] == (
        "E11000 duplicate key error collection: lane.c index: _id_ dup key: { _id: 1 }"
    )
    assert both(pair, insert("c", {"n": 7, "_id": 2})) == {"n": 1, "ok": 1.0}  # _id not first
    bad_id = both(pair, insert("c", {"_id": [1], "n": 1}))
    assert bad_id["writeErrors"][0]["code"] == 53  # InvalidIdField
    assert both(pair, insert("c", {"_id": 10}, {"_id": 11})) == {"n": 2, "ok": 1.0}
    batch = both(pair, insert("c", {"_id": 12}, {"_id": 12}, {"_id": 13}))
    assert batch["n"] == 1 and batch["writeErrors"][0]["index"] == 1
    assert taken.count("insert") == 7  # each single-document insert above took the lane (batches: not)

    assert both(pair, update("c", {"_id": 1}, {"$inc": {"n": 1}})) == {"n": 1, "nModified": 1, "ok": 1.0}
    assert both(pair, update("c", {"_id": 1}, {"$set": {"n": 1}})) == {"n": 1, "nModified": 0, "ok": 1.0}
    assert both(pair, update("c", {"_id": 99}, {"$inc": {"n": 1}})) == {"n": 0, "nModified": 0, "ok": 1.0}
    assert both(pair, update("c", {"_id": OID}, {"$inc": {"n": 2}})) == {"n": 1, "nModified": 1, "ok": 1.0}
    missing = update("c", {"_id": ObjectId("64b7f0c2a1b2c3d4e5f607ff")}, {"$inc": {"n": 1}})
    assert both(pair, missing) == {"n": 0, "nModified": 0, "ok": 1.0}
    both(pair, update("c", {"_id": "k"}, {"$set": {"t": "x"}, "$inc": {"n": 2}}))
    not_number = both(pair, update("c", {"_id": 1}, {"$inc": {"s": 1}}))
    assert not_number["n"] == 0 and not_number["nModified"] == 0
    assert not_number["writeErrors"] == [
        {
            "index": 0,
            "code": 14,
            "errmsg": "Cannot apply $inc to a value of non-numeric type. {_id: 1} has the field 's' of "
            "non-numeric type string",
        }
    ]
    overflow = both(pair, update("c", {"_id": "k"}, {"$inc": {"big": 1}}))
    assert overflow["writeErrors"][0]["code"] == 2  # BadValue: the int64 would overflow
    immutable = both(pair, update("c", {"_id": 1}, {"$set": {"_id": 2}}))
    assert immutable["writeErrors"][0]["code"] == 66
    assert taken.count("update") == 9

    # commands the lane must leave to the general path: still the same answers
    general_only = [
        update("c", {"_id": 1}, {"$inc": {"n": 1}}, writeConcern={"w": 2}),
        update("c", {"_id": 1}, {"$inc": {"n": 1}}, writeConcern={"w": 1}),
        update("c", {"_id": 1}, {"$inc": {"n": 1}}, comment="hi"),
        update("c", {"_id": 1.0}, {"$inc": {"n": 1}}),
        update("c", {"_id": {"$eq": 1}}, {"$inc": {"n": 1}}),
        update("c", {"_id": 1}, {"x": 1}),
        update("c", {"_id": 1}, {"$inc": {"a.b": 1}}),
        update("missing", {"_id": 1}, {"$inc": {"n": 1}}),
        request({"update": "c", "updates": [{"q": {"_id": 5}, "u": {"$inc": {"n": 1}}, "upsert": True}]}),
        request({"update": "c", "updates": [{"q": {"_id": 1}, "u": {"$inc": {"n": 1}}, "multi": True}]}),
        request({"update": "c", "updates": []}),
        request({"update": "c", "updates": [{"q": {"_id": 1}, "u": {"$inc": {"n": 1}}, "bad": 1}]}),
        request({"update": "c", "ordered": "yes", "updates": [{"q": {"_id": 1}, "u": {"$inc": {"n": 1}}}]}),
        request({"update": 5, "updates": [{"q": {"_id": 1}, "u": {"$inc": {"n": 1}}}]}),
        insert("c", {"_id": 20}, writeConcern={"w": 2}),
        insert("c", {"_id": 21}, bypassDocumentValidation=True),
        insert("missing2", {"_id": 1}),
        request({"insert": "c", "documents": []}),
        request({"insert": "c", "documents": [1]}),
    ]
    before = list(taken)
    replies = [both(pair, frame) for frame in general_only]
    assert taken == before
    assert replies[0]["code"] == 2 and replies[0]["errmsg"] == "cannot use 'w' > 1 with a standalone"

    assert counters(lane) == counters(general)
    assert stored(lane) == stored(general)
    assert history(lane) == history(general)
    assert set(lane.state.sessions.sessions) == set(general.state.sessions.sessions) == {bytes(LSID["id"])}
    lane.restart()
    general.restart()
    assert stored(lane) == stored(general)
    assert stored(lane, "missing2") == stored(general, "missing2") != {}


def test_numbers_updated_in_the_stored_bytes_equal_the_general_path(
    pair: tuple[Server, Server, list[str]],
) -> None:
    """The lane's in-place ``$inc``/``$set`` (engine/updates/in_place.py) against the general path: every
    number type and edge, a field after strings, documents, arrays and binaries, and the cases where the
    size or type changes and it must step aside. The change history's ``_id`` keeps its stored type."""
    lane, general, taken = pair
    both(pair, request({"create": "c"}))
    doc = {"s": "abc", "d": {"x": [1]}, "a": [1, "z"], "bin": Binary(b"\x01", 5), "i": 7, "l": Int64(9)}
    both(pair, insert("c", {"_id": 1, **doc, "f": 1.5, "top": 2**31 - 1, "nan": float("nan")}))
    both(pair, insert("c", {"_id": 5.0, "i": 1}))  # matched by {_id: 5}: stored as a double
    both(pair, insert("c", {"_id": "k", "neg": -0.0}))
    both(pair, insert("c", {"_id": OID, "n": 1, "f": 0.5}))  # what a driver generates
    cases = [
        ({"_id": OID}, {"$inc": {"n": 1}}, 1),
        ({"_id": OID}, {"$inc": {"f": 2}}, 1),
        ({"_id": OID}, {"$set": {"n": 2}}, 0),
        ({"_id": 1}, {"$inc": {"i": 1}}, 1),
        ({"_id": 1}, {"$inc": {"i": -8, "l": 3, "f": 2}}, 1),
        ({"_id": 1}, {"$inc": {"f": 0.25}}, 1),
        ({"_id": 1}, {"$set": {"i": 99, "f": 0.5}}, 1),
        ({"_id": 1}, {"$set": {"i": 99}}, 0),
        ({"_id": 1}, {"$inc": {"i": 0}}, 0),
        ({"_id": 1}, {"$inc": {"nan": 1}}, 0),
        ({"_id": 1}, {"$inc": {"top": 1}}, 1),  # int32 overflow: an int64 now
        ({"_id": 1}, {"$inc": {"top": 1}}, 1),
        ({"_id": 1}, {"$inc": {"new": 1}}, 1),
        ({"_id": 1}, {"$set": {"i": 1.0}}, 1),
        ({"_id": 5}, {"$inc": {"i": 1}}, 1),
        ({"_id": "k"}, {"$inc": {"neg": 0}}, 1),  # -0.0 + 0 is 0.0: a change
        ({"_id": "k"}, {"$inc": {"neg": 0}}, 0),
    ]
    for query, spec, modified in cases:
        assert both(pair, update("c", query, spec)) == {"n": 1, "nModified": modified, "ok": 1.0}, spec
    assert taken.count("update") == len(cases)
    assert stored(lane) == stored(general)
    assert [(type(c.id_value), c.id_value, c.paths) for c in lane.state.catalog.history.entries()] == [
        (type(c.id_value), c.id_value, c.paths) for c in general.state.catalog.history.entries()
    ]
    assert history(lane) == history(general)
    assert bson_decode(stored(lane)[5])["_id"].__class__ is float
    lane.restart()
    general.restart()
    assert stored(lane) == stored(general)


def test_lane_steps_aside_on_an_indexed_or_collated_collection(
    pair: tuple[Server, Server, list[str]],
) -> None:
    _, _, taken = pair
    both(pair, request({"create": "x", "collation": {"locale": "fr"}}))
    both(pair, request({"create": "i"}))
    both(pair, request({"createIndexes": "i", "indexes": [{"key": {"n": 1}, "name": "n_1", "unique": True}]}))
    both(pair, insert("x", {"_id": "a", "n": 1}))
    both(pair, update("x", {"_id": "A"}, {"$inc": {"n": 1}}))
    both(pair, insert("i", {"_id": 1, "n": 1}))
    both(pair, insert("i", {"_id": 2, "n": 2}))
    clash = both(pair, update("i", {"_id": 2}, {"$set": {"n": 1}}))
    assert clash["writeErrors"][0]["code"] == 11000
    assert taken == []


def test_lane_steps_aside_while_a_fail_point_is_set(pair: tuple[Server, Server, list[str]]) -> None:
    _, _, taken = pair
    both(pair, request({"create": "c"}))
    both(pair, insert("c", {"_id": 1, "n": 0}))
    assert taken == ["insert"]
    point = {
        "configureFailPoint": "failCommand",
        "mode": {"times": 1},
        "data": {"failCommands": ["update"], "errorCode": 91},
    }
    both(pair, request(point, db="admin"))
    failed = both(pair, update("c", {"_id": 1}, {"$inc": {"n": 1}}))
    assert failed["code"] == 91 and failed["ok"] == 0.0
    both(pair, request({"configureFailPoint": "failCommand", "mode": "off"}, db="admin"))
    assert both(pair, update("c", {"_id": 1}, {"$inc": {"n": 1}})) == {"n": 1, "nModified": 1, "ok": 1.0}
    assert taken == ["insert", "update"]
    assert counters(pair[0]) == counters(pair[1])


def _rs_outcomes(proc: ServerProcess) -> list[Any]:
    """What a driver sees from a replica-set member for point writes (retryable: with ``txnNumber``)."""
    seen: list[Any] = []
    with proc.client() as client:
        coll = client.db.c
        coll.insert_one({"_id": 1, "n": 0, "s": "x"})
        seen.append(_without_times(coll.update_one({"_id": 1}, {"$inc": {"n": 1}}).raw_result))
        two = coll.with_options(write_concern=WriteConcern(w=2))
        for write in (
            lambda: two.update_one({"_id": 1}, {"$inc": {"n": 1}}),
            lambda: coll.update_one({"_id": 1}, {"$inc": {"s": 1}}),
            lambda: coll.insert_one({"_id": 1}),
        ):
            try:
                seen.append(write())
            except pymongo.errors.PyMongoError as error:
                details = getattr(error, "details", None) or {}
                seen.append((type(error).__name__, _without_times(details)))
        status = client.admin.command("serverStatus")
        seen.append((status["opcounters"], status["metrics"]["document"]))
        seen.append(list(coll.find()))
    return seen


def _without_times(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k not in ("$clusterTime", "operationTime")}


def test_replica_set_members_answer_alike(tmp_path: Path) -> None:
    """The lane stays closed on a replica-set member (retryable writes carry ``txnNumber``): with it or
    without it, the same answers, errors and counters."""
    with ServerProcess(tmp_path / "a.mdb", extra_args=list(REPLICA_SET)) as proc:
        with_lane = _rs_outcomes(proc)
    with _lane_off(tmp_path / "b.mdb", extra_args=list(REPLICA_SET)) as proc:
        without = _rs_outcomes(proc)
    assert with_lane == without
    assert with_lane[1][1]["code"] == 2  # "cannot use 'w' > 1 with a standalone"
    assert with_lane[2][1]["code"] == 14
    assert with_lane[3][1]["code"] == 11000


def test_lane_writes_are_profiled_alike(pair: tuple[Server, Server, list[str]]) -> None:
    _, _, taken = pair
    both(pair, request({"create": "c"}))
    both(pair, request({"profile": 2}))
    both(pair, insert("c", {"_id": 1, "n": 0}))
    both(pair, update("c", {"_id": 1}, {"$inc": {"n": 1}}))
    assert taken == ["insert", "update"]
    entries = []
    for server in pair[:2]:
        found = reply_body(server.send(request({"find": "system.profile", "filter": {}})))
        entries.append(
            [
                {k: v for k, v in e.items() if k not in ("millis", "ts", "durationMillis", "locks")}
                for e in found["cursor"]["firstBatch"]
            ]
        )
    assert [e["op"] for e in entries[0]][-2:] == ["insert", "update"]
    assert entries[0] == entries[1]


def _lane_off(path: Path, **kwargs: Any) -> ServerProcess:
    return ServerProcess(path, env={"DOCDB_WRITE_LANE": "0"}, **kwargs)


def test_acknowledged_lane_writes_survive_kill9(tmp_path: Path) -> None:
    path = tmp_path / "kill.mdb"
    with ServerProcess(path) as proc:
        with proc.client() as client:
            coll = client.db.c
            coll.insert_one({"_id": 0, "n": 0})  # creates the collection (general path)
            for i in range(1, 50):
                coll.insert_one({"_id": i, "n": 0})
            for i in range(50):
                coll.update_one({"_id": i}, {"$inc": {"n": i}})
        proc.kill9()
    with ServerProcess(path) as proc, proc.client() as client:
        assert list(client.db.c.find().sort("_id", 1)) == [{"_id": i, "n": i} for i in range(50)]


@pytest.mark.parametrize("lane", [True, False], ids=["lane", "general"])
def test_auth_refuses_alike(tmp_path: Path, lane: bool) -> None:
    path = tmp_path / "auth.mdb"
    proc = ServerProcess(path, extra_args=["--auth"]) if lane else _lane_off(path, extra_args=["--auth"])
    with proc:
        with proc.client() as local:
            local.admin.command("createUser", "root", pwd="pw", roles=["root"])
        with proc.client(username="root", password="pw", authSource="admin") as root:
            root.db.c.insert_one({"_id": 1, "n": 0})
            root.admin.command("createUser", "reader", pwd="pw", roles=[{"role": "read", "db": "db"}])
            assert root.db.c.update_one({"_id": 1}, {"$inc": {"n": 1}}).modified_count == 1
        with proc.client(username="reader", password="pw", authSource="admin") as reader:
            for write in (
                lambda: reader.db.c.update_one({"_id": 1}, {"$inc": {"n": 1}}),
                lambda: reader.db.c.insert_one({"_id": 2}),
            ):
                with pytest.raises(pymongo.errors.OperationFailure) as error:
                    write()
                assert error.value.code == 13
                assert error.value.details["codeName"] == "Unauthorized"
                assert error.value.details["errmsg"].startswith("not authorized on db to execute command {")
            assert reader.db.c.find_one({"_id": 1}) == {"_id": 1, "n": 1}
