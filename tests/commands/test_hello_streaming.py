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
