"""Malformed frames, bad BSON, oversized input: the offender's connection closes, the rest are served."""

from __future__ import annotations

import socket
import struct

import bson
import pytest
from pymongo.errors import DocumentTooLarge, OperationFailure

from tests.wire_client import op_msg_frame, raw_command, read_reply


def _connect(server) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.port), timeout=5)


def _is_closed(sock: socket.socket) -> bool:
    try:
        return sock.recv(1) == b""
    except (ConnectionResetError, BrokenPipeError):
        return True


@pytest.mark.parametrize(
    "frame",
    [
        pytest.param(b"\x00" * 64, id="zero-length"),
        pytest.param(struct.pack("<iiii", 100_000_000, 1, 0, 2013), id="oversized-length"),
        pytest.param(struct.pack("<iiii", 8, 1, 0, 2013), id="length-below-header"),
        pytest.param(
            op_msg_frame(bson.encode({"ping": 1, "$db": "admin"}), flags=1 << 5), id="unknown-required-flag"
        ),
        pytest.param(struct.pack("<iiii", 20, 1, 0, 9999) + b"abcd", id="unknown-opcode"),
        pytest.param(struct.pack("<iiii", 20, 1, 0, 2002) + b"abcd", id="legacy-op-insert"),
    ],
)
def test_malformed_frame_closes_only_that_connection(server, client, frame):
    bystander = client.admin.command("ping")
    sock = _connect(server)
    sock.sendall(frame)
    assert _is_closed(sock)
    sock.close()
    assert bystander == client.admin.command("ping") == {"ok": 1.0}


def test_invalid_bson_gets_an_error_reply_and_the_connection_lives(server):
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(op_msg_frame(b"\x06\x00\x00\x00\x08a\x00\x02", request_id=7))
        reply = read_reply(sock)
        assert reply == {"ok": 0.0, "errmsg": reply["errmsg"], "code": 22, "codeName": "InvalidBSON"}
        sock.sendall(op_msg_frame(bson.encode({"ping": 1, "$db": "admin"}), request_id=8))
        assert read_reply(sock) == {"ok": 1.0}


def test_garbage_stream_then_server_still_serves(server, client, db):
    for _ in range(5):
        sock = _connect(server)
        sock.sendall(bytes(range(256)) * 8)
        sock.close()
    db.c.insert_one({"_id": 1})
    assert db.c.find_one() == {"_id": 1}


def test_missing_db_field_is_an_error_reply(server):
    reply = raw_command(server.port, {"ping": 1})
    assert reply == {
        "ok": 0.0,
        "errmsg": "OP_MSG requests require a $db argument",
        "code": 40571,
        "codeName": "Location40571",
    }


def _nested(levels: int) -> dict:
    doc: dict = {"leaf": 1}
    for _ in range(levels - 1):
        doc = {"n": doc}
    return doc


def test_nesting_limit_is_mongods_180_levels(client, db):
    db.c.insert_one({"_id": 1, "deep": _nested(179)})
    stored = db.c.find_one({"_id": 1})
    assert stored == {"_id": 1, "deep": _nested(179)}
    with pytest.raises(OperationFailure) as exc:
        db.c.insert_one({"_id": 2, "deep": _nested(181)})
    assert exc.value.code == 15
    assert exc.value.details["errmsg"] == "cannot insert document because it exceeds 180 levels of nesting"
    assert client.admin.command("ping") == {"ok": 1.0}


def test_document_over_16_mib_is_refused_by_size(client, db):
    with pytest.raises((DocumentTooLarge, OperationFailure)):
        db.c.insert_one({"_id": 1, "blob": b"x" * (16 * 1024 * 1024)})
    assert client.admin.command("ping") == {"ok": 1.0}
    assert db.c.find_one() is None
