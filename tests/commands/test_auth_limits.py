"""Hostile-client limits: --max-connections refuses (and logs) connections beyond it; with --auth a client
that has not authenticated cannot make the server buffer more than a small frame."""

from __future__ import annotations

import socket
import struct
import time

import bson
import pytest

from tests.commands.auth_helpers import ROOT_PWD, ROOT_USER, user_client
from tests.serverproc import ServerProcess
from tests.wire_client import op_msg_frame, read_reply


def _connect_and_ping(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall(op_msg_frame(bson.encode({"ping": 1, "$db": "admin"})))
    assert read_reply(sock) == {"ok": 1.0}
    return sock


def _closed_by_server(sock: socket.socket) -> bool:
    try:
        return sock.recv(1) == b""
    except (ConnectionResetError, TimeoutError):
        return True


def _wait_for_log(server: ServerProcess, text: str) -> str:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        lines = [line for line in server.output if text in line]
        if lines:
            return lines[0]
        time.sleep(0.05)
    raise AssertionError(f"no log line with {text!r}: {''.join(server.output)}")


def test_max_connections_refuses_and_logs_the_extra_connection():
    with ServerProcess(None, ["--max-connections", "2"]) as server:
        assert server.port is not None
        first, second = _connect_and_ping(server.port), _connect_and_ping(server.port)
        extra = socket.create_connection(("127.0.0.1", server.port), timeout=10)
        try:
            assert _closed_by_server(extra)
            line = _wait_for_log(server, "too many open connections")
            assert "connection refused because there are too many open connections" in line
            first.sendall(op_msg_frame(bson.encode({"serverStatus": 1, "$db": "admin"})))
            connections = read_reply(first)["connections"]
            assert (connections["current"], connections["available"], connections["rejected"]) == (2, 0, 1)
            second.close()
            deadline = time.monotonic() + 10  # a slot freed up is usable again, once the server saw the close
            while True:
                try:
                    _connect_and_ping(server.port).close()
                    break
                except (ConnectionError, OSError):
                    assert time.monotonic() < deadline
        finally:
            for sock in (first, second, extra):
                sock.close()


@pytest.fixture(scope="module")
def auth_server():
    with ServerProcess(None, ["--auth"]) as proc:
        with proc.client() as anonymous:
            anonymous.admin.command("createUser", ROOT_USER, pwd=ROOT_PWD, roles=["root"])
        yield proc


def test_unauthenticated_client_cannot_send_a_large_frame(auth_server):
    with socket.create_connection(("127.0.0.1", auth_server.port), timeout=10) as sock:
        sock.sendall(struct.pack("<iiii", 1_000_000, 1, 0, 2013) + b"\x00" * 100)  # header, then stall
        assert _closed_by_server(sock)
    assert "message length 1000000 is outside 16..8192" in _wait_for_log(
        auth_server, "message length 1000000"
    )


def test_unauthenticated_small_commands_work_and_authenticated_large_ones_too(auth_server):
    with socket.create_connection(("127.0.0.1", auth_server.port), timeout=10) as sock:
        sock.sendall(op_msg_frame(bson.encode({"hello": 1, "$db": "admin"})))
        assert read_reply(sock)["isWritablePrimary"] is True
    with user_client(auth_server, ROOT_USER, ROOT_PWD) as c:
        big = {"_id": 1, "blob": "x" * 1_000_000}
        c.limits.big.insert_one(big)
        assert len(c.limits.big.find_one()["blob"]) == 1_000_000


def test_frames_without_auth_keep_the_full_limit():
    with ServerProcess(None) as server, server.client() as c:
        c.limits.big.insert_one({"_id": 1, "blob": "y" * 1_000_000})
        assert c.limits.big.count_documents({}) == 1
