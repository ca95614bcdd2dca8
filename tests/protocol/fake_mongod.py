"""A tiny threaded wire server that records every frame a real driver sends and answers just enough.

Built on docdb.protocol itself (FrameBuffer, decode_request, encode_op_msg/encode_op_reply,
compress_frame), so talking to a real ``pymongo.MongoClient`` through it is also an end-to-end check of
that API. Run as a script to regenerate the golden frames in ``frames/``::

    python -m tests.protocol.fake_mongod

(session ids are random: after regenerating, update ``PYMONGO_LSID`` in test_golden_frames.py).
"""

from __future__ import annotations

import datetime
import socket
import socketserver
import subprocess
import threading
from pathlib import Path
from typing import Any

import pymongo
from bson.int64 import Int64

from docdb.errors import ProtocolError
from docdb.protocol import (
    FrameBuffer,
    OpCode,
    OpMsg,
    Request,
    compress_frame,
    decode_request,
    encode_op_msg,
    encode_op_reply,
)

FRAMES_DIR = Path(__file__).parent / "frames"


def _hello(request_compression: list[str] | None, legacy: bool) -> dict[str, Any]:
    doc: dict[str, Any] = {"ismaster" if legacy else "isWritablePrimary": True, "helloOk": True}
    doc.update(
        maxBsonObjectSize=16 * 1024 * 1024,
        maxMessageSizeBytes=48_000_000,
        maxWriteBatchSize=100_000,
        localTime=datetime.datetime(2024, 1, 1),
        logicalSessionTimeoutMinutes=30,
        connectionId=1,
        minWireVersion=0,
        maxWireVersion=21,
        readOnly=False,
    )
    if request_compression:
        doc["compression"] = [c for c in request_compression if c in ("zlib", "zstd", "snappy")][:1]
    doc["ok"] = 1.0
    return doc


def _answer(msg: OpMsg) -> dict[str, Any]:
    name = next(iter(msg.body))
    if name in ("hello", "isMaster", "ismaster"):
        return _hello(msg.body.get("compression"), legacy=name != "hello")
    if name == "insert":
        return {"n": len(msg.sequences.get("documents", msg.body.get("documents", []))), "ok": 1.0}
    if name == "find":
        ns = f"{msg.body['$db']}.{msg.body['find']}"
        return {"cursor": {"firstBatch": [], "id": Int64(0), "ns": ns}, "ok": 1.0}
    return {"ok": 1.0}


class FakeMongod:
    """Serves 127.0.0.1:<free port> in a thread; ``requests`` holds ``(frame, Request)`` in arrival order."""

    def __init__(self) -> None:
        self.requests: list[tuple[bytes, Request]] = []
        self.errors: list[Exception] = []
        self._lock = threading.Lock()
        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    def __enter__(self) -> FakeMongod:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def _handler_class(self) -> type[socketserver.BaseRequestHandler]:
        outer = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                outer._serve(self.request)

        return Handler

    def _serve(self, sock: socket.socket) -> None:
        frames = FrameBuffer()
        while data := sock.recv(65536):
            try:
                for frame in frames.feed(data):
                    request = decode_request(frame)
                    with self._lock:
                        self.requests.append((frame, request))
                    reply = self._reply(request)
                    if reply:
                        sock.sendall(reply)
            except ProtocolError as exc:
                with self._lock:
                    self.errors.append(exc)
                return

    @staticmethod
    def _reply(request: Request) -> bytes:
        rid, msg = request.header.request_id, request.message
        if isinstance(msg, OpMsg):
            if msg.more_to_come:
                return b""
            reply = encode_op_msg(_answer(msg), 0, rid)
        else:
            reply = encode_op_reply([_hello(msg.query.get("compression"), legacy=True)], 0, rid)
        if request.compressor_id is not None:
            reply = compress_frame(reply, request.compressor_id)
        return reply


def record(action: Any, **client_options: Any) -> list[tuple[bytes, Request]]:
    """Run ``action(client)`` with a real MongoClient against a FakeMongod; the frames the client sent."""
    with FakeMongod() as server:
        client: pymongo.MongoClient = pymongo.MongoClient(
            "127.0.0.1",
            server.port,
            directConnection=True,
            serverSelectionTimeoutMS=5000,
            connect=False,
            **client_options,
        )
        try:
            action(client)
        finally:
            client.close()
        assert not server.errors, server.errors
        return list(server.requests)


def _write(name: str, frame: bytes) -> None:
    text = "\n".join(frame.hex()[i : i + 64] for i in range(0, len(frame) * 2, 64))
    (FRAMES_DIR / f"{name}.hex").write_text(text + "\n")


NODE_CLIENT = """
const { MongoClient } = require("mongodb");
(async () => {
  const client = new MongoClient(process.argv[1]);
  const coll = client.db("test").collection("coll");
  await coll.insertMany([{ _id: 1, x: "a" }, { _id: 2, x: "b" }]);
  await coll.findOne({ _id: 2 });
  await client.close();
})().catch((err) => { console.error(err); process.exit(1); });
"""


def _command_name(request: Request) -> str:
    msg = request.message
    return next(iter(msg.body if isinstance(msg, OpMsg) else msg.query))


def capture_golden_frames() -> None:
    """Record what PyMongo and the Node driver send for hello, insertMany, find, zlib-compressed."""
    FRAMES_DIR.mkdir(exist_ok=True)

    def workload(client: pymongo.MongoClient) -> None:
        coll = client.test.coll
        coll.insert_many([{"_id": 1, "x": "a"}, {"_id": 2, "x": "b"}])
        coll.find_one({"_id": 2})

    recorded = record(workload, appname="golden")
    _write("pymongo_op_msg_hello", recorded[0][0])
    for frame, request in recorded:
        if _command_name(request) in ("insert", "find"):
            _write(f"pymongo_op_msg_{_command_name(request)}", frame)
    for frame, request in record(workload, compressors="zlib"):
        if _command_name(request) == "insert":
            _write("pymongo_op_compressed_zlib_insert", frame)
    with FakeMongod() as server:
        uri = f"mongodb://127.0.0.1:{server.port}/?directConnection=true&compressors=zlib&appName=golden"
        root = Path(__file__).parents[2]
        subprocess.run(["node", "-e", NODE_CLIENT, uri], cwd=root, check=True, timeout=60)
        for frame, request in server.requests:
            name = _command_name(request)
            if request.header.op_code == OpCode.OP_QUERY:
                _write("node_op_query_hello", frame)
            elif name == "insert":
                _write("node_op_compressed_zlib_insert", frame)


if __name__ == "__main__":
    capture_golden_frames()
