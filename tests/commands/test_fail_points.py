"""configureFailPoint / failCommand (with --enable-test-commands or --set-parameter enableTestCommands=1):
errors with labels, closed connections, blocked replies, writeConcernError, appName, modes; and PyMongo
retrying a write once after closeConnection."""

from __future__ import annotations

import socket
import struct
import uuid
from collections.abc import Iterator

import bson
import pymongo
import pytest
from bson.binary import Binary
from bson.int64 import Int64
from pymongo import monitoring
from pymongo.errors import AutoReconnect, OperationFailure, WriteConcernError

from tests.serverproc import ServerProcess, start_refused
from tests.wire_client import op_msg_frame, raw_command


@pytest.fixture(scope="module")
def fp_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    path = tmp_path_factory.mktemp("fp") / "fp.mdb"
    args = ["--replica-set", "rs0", "--set-parameter", "enableTestCommands=1"]
    with ServerProcess(path, args) as proc:
        yield proc


@pytest.fixture
def fp(fp_server: ServerProcess) -> Iterator[pymongo.MongoClient]:
    with fp_server.client() as c:
        yield c
        c.admin.command({"configureFailPoint": "failCommand", "mode": "off"})


def _configure(client: pymongo.MongoClient, mode, **data) -> dict:
    return client.admin.command({"configureFailPoint": "failCommand", "mode": mode, "data": data})


def _failure(client: pymongo.MongoClient, command: dict, db: str = "admin") -> dict:
    with pytest.raises(OperationFailure) as exc:
        client[db].command(command)
    return exc.value.details


def test_error_code_with_labels_times_then_passes(fp):
    configured = _configure(fp, {"times": 2}, failCommands=["ping"], errorCode=8, errorLabels=["Custom"])
    assert configured["count"] == 0
    for _ in range(2):
        details = _failure(fp, {"ping": 1})
        assert {k: details[k] for k in ("ok", "errmsg", "code", "codeName", "errorLabels")} == {
            "ok": 0.0,
            "errmsg": "Failing command via 'failCommand' failpoint",
            "code": 8,
            "codeName": "UnknownError",
            "errorLabels": ["Custom"],
        }
    assert fp.admin.command("ping")["ok"] == 1.0
    # turning it off reports how often it fired
    assert fp.admin.command({"configureFailPoint": "failCommand", "mode": "off"})["count"] == 2


def test_skip_then_always(fp):
    _configure(fp, {"skip": 1}, failCommands=["ping"], errorCode=2)
    assert fp.admin.command("ping")["ok"] == 1.0
    assert _failure(fp, {"ping": 1})["code"] == 2
    assert _failure(fp, {"ping": 1})["code"] == 2


def test_always_on_only_for_the_listed_commands(fp, fp_server):
    with fp_server.client(appname="aliases") as c:  # appName: other clients' handshakes stay unharmed
        c.admin.command("ping")  # connected before the fail point (its handshake is an isMaster)
        _configure(fp, "alwaysOn", failCommands=["isMaster"], errorCode=8, appName="aliases")
        assert c.admin.command("hello")["ok"] == 1.0
        assert _failure(c, {"ismaster": 1})["codeName"] == "UnknownError"


def test_app_name_selects_the_client(fp, fp_server):
    _configure(fp, "alwaysOn", failCommands=["ping"], errorCode=2, appName="victim")
    assert fp.admin.command("ping")["ok"] == 1.0
    with fp_server.client(appname="victim") as victim:
        assert _failure(victim, {"ping": 1})["code"] == 2


def test_namespace_selects_the_collection(fp):
    _configure(
        fp, "alwaysOn", failCommands=["find", "listCollections"], errorCode=2, namespace="fp_ns.target"
    )
    assert fp.fp_ns.other.find_one() is None
    assert fp.fp_ns.list_collection_names() == []
    with pytest.raises(OperationFailure) as exc:
        fp.fp_ns.target.find_one()
    assert exc.value.code == 2
    _configure(fp, "alwaysOn", failCommands=["listCollections"], errorCode=2, namespace="fp_ns.$cmd")
    assert _failure(fp, {"listCollections": 1}, "fp_ns")["code"] == 2


def test_retryable_write_gets_the_retryable_label(fp, fp_server):
    _configure(fp, {"times": 2}, failCommands=["insert"], errorCode=10107)
    insert = {"insert": "c", "documents": [{}], "$db": "fp_db"}
    retryable = raw_command(fp_server.port, {**insert, "lsid": {"id": _uuid()}, "txnNumber": Int64(1)})
    assert (retryable["codeName"], retryable["errorLabels"]) == (
        "NotWritablePrimary",
        ["RetryableWriteError"],
    )
    plain = raw_command(fp_server.port, insert)
    assert plain["code"] == 10107
    assert "errorLabels" not in plain


def test_write_concern_error_is_added_to_a_successful_write(fp):
    wce = {"code": 100, "codeName": "UnsatisfiableWriteConcern", "errmsg": "Not enough data-bearing nodes"}
    _configure(fp, {"times": 1}, failCommands=["insert"], writeConcernError=wce)
    reply = fp.fp_wce.command("insert", "c", documents=[{"_id": 1}])
    assert reply["n"] == 1
    assert reply["writeConcernError"] == wce
    with pytest.raises(WriteConcernError):
        _configure(fp, {"times": 1}, failCommands=["insert"], writeConcernError=wce)
        fp.fp_wce.c.insert_one({"_id": 2})
    assert fp.fp_wce.c.count_documents({}) == 2  # the write itself happened
    fp.drop_database("fp_wce")


def test_close_connection_then_the_next_command_works(fp, fp_server):
    _configure(fp, {"times": 1}, failCommands=["find"], closeConnection=True)
    with fp_server.client(retryReads=False) as c:
        with pytest.raises(AutoReconnect):
            c.fp_close.c.find_one()
        assert c.fp_close.c.find_one() is None


def test_block_connection_delays_only_its_own_connection(fp, fp_server):
    _configure(fp, {"times": 1}, failCommands=["ping"], blockConnection=True, blockTimeMS=60_000)
    # the blocked ping goes over a raw socket, so it is on the wire before anything below runs and no
    # late ping (a driver's, sent while its client closes) can reach the fail point configured next
    with socket.create_connection(("127.0.0.1", fp_server.port), timeout=30) as blocked:
        blocked.sendall(op_msg_frame(bson.encode({"ping": 1, "$db": "admin"})))
        # another connection keeps being served meanwhile (the block parks one connection, not the loop)
        for _ in range(3):
            assert fp.admin.command("hello")["ok"] == 1.0
        blocked.settimeout(0.2)
        with pytest.raises(TimeoutError):
            blocked.recv(1)
        assert _configure(fp, "off")["count"] == 1  # the ping entered the fail point and is parked there
    _configure(fp, {"times": 1}, failCommands=["ping"], blockConnection=True, blockTimeMS=20, errorCode=7)
    details = _failure(fp, {"ping": 1})
    assert details["codeName"] == "HostNotFound"
    assert "$clusterTime" in details


@pytest.mark.parametrize(
    "command, code, errmsg",
    [
        ({"configureFailPoint": "noSuchFailPoint", "mode": "off"}, 266, "noSuchFailPoint not found"),
        ({"configureFailPoint": "failCommand"}, 20, "When setting a failpoint, you must supply a 'mode'"),
        ({"configureFailPoint": "failCommand", "mode": "sometimes"}, 2, "unknown mode: sometimes"),
        ({"configureFailPoint": "failCommand", "mode": 3}, 14, "'mode' must be a string or JSON object"),
        (
            {"configureFailPoint": "failCommand", "mode": {"activationProbability": 2}},
            2,
            "activationProbability must be between 0.0 and 1.0",
        ),
        (
            {"configureFailPoint": "failCommand", "mode": "alwaysOn", "data": 1},
            14,
            "the 'data' option must be a JSON object",
        ),
    ],
)
def test_configure_errors(fp, command, code, errmsg):
    details = _failure(fp, command)
    assert (details["code"], details["errmsg"]) == (code, errmsg)


def test_block_without_time_is_refused_when_it_fires(fp):
    _configure(fp, {"times": 1}, failCommands=["ping"], blockConnection=True)
    details = _failure(fp, {"ping": 1})
    assert details["code"] == 72
    assert details["errmsg"] == "must specify 'blockTimeMS' when 'blockConnection' is true"


def test_configure_fail_point_needs_test_commands(client):
    details = _failure(client, {"configureFailPoint": "failCommand", "mode": "off"})
    assert (details["code"], details["errmsg"]) == (59, "no such command: 'configureFailPoint'")


def test_enable_test_commands_flag_and_bad_startup_parameters(tmp_path):
    with ServerProcess(tmp_path / "flag.mdb", ["--enable-test-commands"]) as server, server.client() as c:
        assert _configure(c, "off") == {"count": 0, "ok": 1.0}
    refused = start_refused(tmp_path / "bad.mdb", "--set-parameter", "noSuchParameter=1")
    assert refused.returncode == 2
    assert "Unknown --setParameter 'noSuchParameter'" in refused.stderr


class _Commands(monitoring.CommandListener):
    def __init__(self) -> None:
        self.inserts: list[int] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name == "insert":
            self.inserts.append(event.command["txnNumber"])

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


def test_pymongo_retries_a_write_once_after_close_connection(fp, fp_server):
    listener = _Commands()
    uri = f"mongodb://127.0.0.1:{fp_server.port}/?replicaSet=rs0"
    with pymongo.MongoClient(uri, event_listeners=[listener], serverSelectionTimeoutMS=5000) as c:
        c.admin.command("ping")
        _configure(fp, {"times": 1}, failCommands=["insert"], closeConnection=True)
        c.fp_retry.items.insert_one({"_id": 1})
        assert len(listener.inserts) == 2  # the first attempt and exactly one retry
        assert listener.inserts[0] == listener.inserts[1]  # the retry is the same statement
        assert list(c.fp_retry.items.find()) == [{"_id": 1}]
        c.drop_database("fp_retry")


def _uuid() -> Binary:
    return Binary(uuid.uuid4().bytes, 4)


def _op_query(command: dict) -> bytes:
    """A legacy OP_QUERY command on admin.$cmd, as drivers send their first isMaster."""
    payload = struct.pack("<i", 0) + b"admin.$cmd\x00" + struct.pack("<ii", 0, -1) + bson.encode(command)
    return struct.pack("<iiii", 16 + len(payload), 9, 0, 2004) + payload


def _op_reply(sock: socket.socket) -> dict:
    length = struct.unpack("<i", sock.recv(4, socket.MSG_WAITALL))[0]
    rest = sock.recv(length - 4, socket.MSG_WAITALL)
    return bson.decode(rest[12 + 20 :])


def test_legacy_handshake_is_blocked_and_closed_too(fp, fp_server):
    # appName keeps PyMongo's own handshakes (legacy isMaster too) from using up the fail point
    first = {"isMaster": 1, "client": {"application": {"name": "legacy"}}}
    data = {"failCommands": ["isMaster"], "appName": "legacy"}
    _configure(fp, {"times": 1}, **data, blockConnection=True, blockTimeMS=10, errorCode=6)
    with socket.create_connection(("127.0.0.1", fp_server.port), timeout=30) as sock:
        sock.sendall(_op_query(first))
        reply = _op_reply(sock)
        assert (reply["ok"], reply["code"], reply["codeName"]) == (0.0, 6, "HostUnreachable")
        sock.sendall(_op_query({"isMaster": 1}))
        assert _op_reply(sock)["ismaster"] is True
    _configure(fp, {"times": 1}, **data, closeConnection=True)
    with socket.create_connection(("127.0.0.1", fp_server.port), timeout=30) as sock:
        sock.sendall(_op_query(first))
        assert sock.recv(4) == b""  # closed without a reply
