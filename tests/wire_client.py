"""Send one raw OP_MSG command and read its reply, for what PyMongo refuses to send (bad names, no $db)."""

from __future__ import annotations

import socket
import struct
from typing import Any

import bson


def op_msg_frame(body: bytes, flags: int = 0, request_id: int = 1) -> bytes:
    payload = struct.pack("<I", flags) + b"\x00" + body
    return struct.pack("<iiii", 16 + len(payload), request_id, 0, 2013) + payload


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError("connection closed")
        data += chunk
    return data


def read_reply(sock: socket.socket) -> dict[str, Any]:
    """Read one OP_MSG reply and return its body."""
    length = struct.unpack("<i", _recv_exact(sock, 4))[0]
    rest = _recv_exact(sock, length - 4)
    return bson.decode(rest[12 + 5 :])


def raw_command(port: int, body: dict[str, Any]) -> dict[str, Any]:
    """Run ``body`` (which must carry ``$db`` unless testing its absence) and return the reply document."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(op_msg_frame(bson.encode(body)))
        return read_reply(sock)


def without_cluster_time(reply: dict[str, Any]) -> dict[str, Any]:
    """A replica-set member's reply without the ``$clusterTime``/``operationTime`` it ends with (checked
    present and last, as mongod orders them), for tests that compare the rest exactly."""
    assert list(reply)[-2:] == ["$clusterTime", "operationTime"], list(reply)
    return {k: v for k, v in reply.items() if k not in ("$clusterTime", "operationTime")}
