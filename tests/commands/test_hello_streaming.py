"""The streaming hello of replica-set mode: OP_MSG exhaust (moreToCome replies the server pushes at each
topology change or ``maxAwaitTimeMS``), and PyMongo's monitor using it."""

from __future__ import annotations

import socket
import struct
import threading
from collections.abc import Iterator

import bson
import pymongo
import pytest
from bson.int64 import Int64
from bson.objectid import ObjectId
from pymongo import monitoring

from tests.serverproc import ServerProcess
from tests.wire_client import _recv_exact, op_msg_frame

EXHAUST_ALLOWED = 1 << 16
MORE_TO_COME = 1 << 1


@pytest.fixture(scope="module")
def rs_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    path = tmp_path_factory.mktemp("rs") / "rs.mdb"
    with ServerProcess(path, ["--replica-set", "rs0"]) as proc:
        yield proc


def _read(sock: socket.socket) -> tuple[int, int, int, dict]:
    """One OP_MSG reply: (requestId, responseTo, flags, body)."""
    length, request_id, response_to, _ = struct.unpack("<iiii", _recv_exact(sock, 16))
    rest = _recv_exact(sock, length - 16)
    flags = struct.unpack("<I", rest[:4])[0]
    return request_id, response_to, flags, bson.decode(rest[5:])


def test_exhaust_hello_streams_replies_with_more_to_come(rs_server):
    with rs_server.client() as c:
        version = c.admin.command("hello")["topologyVersion"]
        hello = {"hello": 1, "topologyVersion": version, "maxAwaitTimeMS": 50, "$db": "admin"}
        with socket.create_connection(("127.0.0.1", rs_server.port), timeout=30) as sock:
            sock.sendall(op_msg_frame(bson.encode(hello), flags=EXHAUST_ALLOWED, request_id=77))
            first_id, first_to, first_flags, first = _read(sock)
            assert (first_to, first_flags & MORE_TO_COME, first["ok"]) == (77, MORE_TO_COME, 1.0)
            # the next reply comes unasked and answers the previous reply; a topology change wakes it
            config = c.admin.command("replSetGetConfig")["config"]
            config["version"] += 1
            c.admin.command({"replSetReconfig": config})
            previous, body = first_id, first
            for _ in range(10_000):  # replies made before the change may be queued ahead of it
                reply_id, response_to, flags, body = _read(sock)
                assert (response_to, flags & MORE_TO_COME) == (previous, MORE_TO_COME)
                previous = reply_id
                if body["topologyVersion"]["counter"] != version["counter"]:
                    break
            assert body["topologyVersion"]["counter"] == version["counter"] + 1
            assert body["setVersion"] == config["version"]


def test_exhaust_hello_needs_max_await_time(rs_server):
    with socket.create_connection(("127.0.0.1", rs_server.port), timeout=30) as sock:
        sock.sendall(op_msg_frame(bson.encode({"hello": 1, "$db": "admin"}), flags=EXHAUST_ALLOWED))
        _, _, flags, body = _read(sock)
        assert flags & MORE_TO_COME == 0
        assert (body["code"], body["errmsg"]) == (
            51756,
            "An isMaster or hello request with exhaust must specify 'maxAwaitTimeMS'",
        )


class _Heartbeats(monitoring.ServerHeartbeatListener):
    def __init__(self) -> None:
        self.awaited = threading.Event()

    def started(self, event: monitoring.ServerHeartbeatStartedEvent) -> None:
        pass

    def succeeded(self, event: monitoring.ServerHeartbeatSucceededEvent) -> None:
        if event.awaited:
            self.awaited.set()

    def failed(self, event: monitoring.ServerHeartbeatFailedEvent) -> None:
        pass


def test_pymongo_monitor_streams(rs_server):
    listener = _Heartbeats()
    uri = f"mongodb://127.0.0.1:{rs_server.port}/?replicaSet=rs0"
    with pymongo.MongoClient(uri, event_listeners=[listener], heartbeatFrequencyMS=500) as c:
        c.admin.command("ping")
        assert listener.awaited.wait(30)


@pytest.fixture(scope="module")
def rs(rs_server: ServerProcess) -> Iterator[pymongo.MongoClient]:
    with rs_server.client() as c:
        yield c


def _failure(client: pymongo.MongoClient, command: dict) -> dict:
    with pytest.raises(pymongo.errors.OperationFailure) as exc:
        client.admin.command(command)
    return exc.value.details


# -- awaitable hello ----------------------------------------------------------------------------------------


def test_awaitable_hello_answers_when_the_topology_changes(rs_server):
    with rs_server.client() as waiter, rs_server.client() as other:
        version = waiter.admin.command("hello")["topologyVersion"]
        replies: list[dict] = []
        command = {"hello": 1, "topologyVersion": version, "maxAwaitTimeMS": 60_000}
        thread = threading.Thread(target=lambda: replies.append(waiter.admin.command(command)))
        thread.start()
        # the waiting hello holds only its own connection: others are served meanwhile
        assert other.admin.command("ping")["ok"] == 1.0
        config = other.admin.command("replSetGetConfig")["config"]
        config["version"] += 1
        other.admin.command({"replSetReconfig": config})
        thread.join(30)
        assert not thread.is_alive()
        [reply] = replies
        assert reply["topologyVersion"] == {
            "processId": version["processId"],
            "counter": Int64(version["counter"] + 1),
        }
        assert reply["setVersion"] == config["version"]
        assert "$clusterTime" in reply


def test_awaitable_hello_times_out_with_the_same_topology(rs):
    version = rs.admin.command("hello")["topologyVersion"]
    reply = rs.admin.command({"hello": 1, "topologyVersion": version, "maxAwaitTimeMS": 10})
    assert reply["topologyVersion"] == version


def test_awaitable_hello_with_a_stale_version_answers_at_once(rs):
    version = rs.admin.command("hello")["topologyVersion"]
    other_process = {"processId": ObjectId(), "counter": Int64(0)}
    reply = rs.admin.command({"hello": 1, "topologyVersion": other_process, "maxAwaitTimeMS": 600_000})
    assert reply["topologyVersion"] == version


@pytest.mark.parametrize(
    "extra, code, errmsg",
    [
        ({"maxAwaitTimeMS": 10}, 51760, "A request with 'maxAwaitTimeMS' must include a 'topologyVersion'"),
        (
            {"topologyVersion": "TV"},
            51760,
            "A request with a 'topologyVersion' must include 'maxAwaitTimeMS'",
        ),
        (
            {"topologyVersion": "TV", "maxAwaitTimeMS": -1},
            51759,
            "maxAwaitTimeMS must be a non-negative integer",
        ),
        (
            {"topologyVersion": "NEGATIVE", "maxAwaitTimeMS": 1},
            51758,
            "topologyVersion must have a non-negative counter",
        ),
        (
            {"topologyVersion": "AHEAD", "maxAwaitTimeMS": 1},
            31382,
            "Received a topology version with the same process ID and a higher counter than the server",
        ),
    ],
)
def test_awaitable_hello_errors(rs, extra, code, errmsg):
    version = rs.admin.command("hello")["topologyVersion"]
    variants = {
        "TV": version,
        "NEGATIVE": {**version, "counter": Int64(-1)},
        "AHEAD": {**version, "counter": Int64(version["counter"] + 5)},
    }
    command = {"hello": 1, **{k: variants.get(v, v) if isinstance(v, str) else v for k, v in extra.items()}}
    details = _failure(rs, command)
    assert (details["code"], details["errmsg"]) == (code, errmsg)


def test_server_status_counts_waiting_hellos_and_shows_repl(rs_server):
    with rs_server.client() as c:
        version = c.admin.command("hello")["topologyVersion"]
        hello = {"hello": 1, "topologyVersion": version, "maxAwaitTimeMS": 60_000, "$db": "admin"}
        with socket.create_connection(("127.0.0.1", rs_server.port), timeout=30) as sock:
            sock.sendall(op_msg_frame(bson.encode(hello), flags=EXHAUST_ALLOWED))
            # the hello waits (same topology); serverStatus on another connection sees it once it arrived
            for _ in range(10_000):
                status = c.admin.command("serverStatus")
                if status["connections"]["awaitingTopologyChanges"]:
                    break
            assert status["connections"]["awaitingTopologyChanges"] >= 1
            assert status["connections"]["exhaustHello"] >= 1
        repl = status["repl"]
        assert repl["setName"] == "rs0"
        assert repl["isWritablePrimary"] is True
        assert repl["rbid"] == 1
