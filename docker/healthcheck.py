"""Docker HEALTHCHECK: send one OP_MSG ``ping`` to the local server and exit 0 only on ``{ok: 1}``.

A raw socket keeps the check cheap (no driver handshake, no topology monitor) and needs nothing but the
``bson`` package that the image already has for the server. mongosh is deliberately not in the image.
"""

from __future__ import annotations

import os
import socket
import struct
import sys

import bson

OP_MSG = 2013
HEADER = struct.Struct("<iiii")


def ping(host: str, port: int, timeout: float = 3.0) -> bool:
    """True when the server answers ``ping`` with ``ok: 1`` within ``timeout`` seconds."""
    body = bson.encode({"ping": 1, "$db": "admin"})
    payload = struct.pack("<I", 0) + b"\x00" + body
    frame = HEADER.pack(HEADER.size + len(payload), 1, 0, OP_MSG) + payload
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.sendall(frame)
        header = _recv_exact(sock, HEADER.size)
        length, _request_id, response_to, opcode = HEADER.unpack(header)
        reply = _recv_exact(sock, length - HEADER.size)
    if opcode != OP_MSG or response_to != 1 or reply[4] != 0:
        return False
    return bson.decode(reply[5:]).get("ok") == 1


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    chunks = bytearray()
    while len(chunks) < n:
        chunk = sock.recv(n - len(chunks))
        if not chunk:
            raise ConnectionError("server closed the connection")
        chunks += chunk
    return bytes(chunks)


def main() -> int:
    port = int(os.environ.get("DOCDB_PORT", "27017"))
    try:
        return 0 if ping("127.0.0.1", port) else 1
    except (OSError, ValueError, bson.errors.InvalidBSON) as exc:
        print(f"healthcheck: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
