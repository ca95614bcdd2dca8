"""A do-nothing MongoDB wire responder: the ceiling that docdb's numbers are compared against.

It frames and decodes requests with the same ``docdb.protocol`` code as the server, then answers from canned
replies without touching any data, so ``docdb ops/s ÷ responder ops/s`` shows what the server's own work
(dispatch, engine, log) costs on top of the wire layer and PyMongo.

    python bench/null_responder.py [--port 0] [--bind 127.0.0.1]

It prints one ``null-responder ready: listening on HOST:PORT`` line on stderr (the same shape as
docdb-server's) and stops cleanly on SIGTERM/SIGINT.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import itertools
import signal
import sys
from pathlib import Path
from typing import Any, cast

from bson.int64 import Int64

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from docdb.bson_codec import encode_document  # noqa: E402
from docdb.protocol import (  # noqa: E402
    FrameBuffer,
    OpMsg,
    OpQuery,
    decode_request,
    encode_op_msg,
    encode_op_reply,
)

CANNED_DOCUMENT = {"_id": 1, "x": 1}
OK = encode_document({"ok": 1.0})
UPDATED = encode_document({"n": 1, "nModified": 1, "ok": 1.0})
HELLO_COMMANDS = frozenset({"hello", "ismaster", "isMaster"})


def hello_reply(connection_id: int) -> dict[str, Any]:
    """The fields PyMongo needs to treat us as a writable standalone mongod 7.0."""
    return {
        "ismaster": True,
        "isWritablePrimary": True,
        "maxBsonObjectSize": 16 * 1024 * 1024,
        "maxMessageSizeBytes": 48_000_000,
        "maxWriteBatchSize": 100_000,
        "localTime": datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None),
        "logicalSessionTimeoutMinutes": 30,
        "connectionId": connection_id,
        "minWireVersion": 0,
        "maxWireVersion": 21,
        "readOnly": False,
        "ok": 1.0,
    }


def command_reply(body: dict[str, Any], sequences: dict[str, list[Any]], connection_id: int) -> dict | bytes:
    """Canned reply for one command document; a dict only where a field depends on the request."""
    name = next(iter(body), "")
    if name in HELLO_COMMANDS:
        return hello_reply(connection_id)
    if name == "insert":
        return {"n": len(sequences.get("documents", body.get("documents", ()))), "ok": 1.0}
    if name == "update":
        return UPDATED
    if name == "find":
        namespace = f"{body.get('$db', 'test')}.{body[name]}"  # the Node driver insists on an Int64 id
        return {"cursor": {"firstBatch": [CANNED_DOCUMENT], "id": Int64(0), "ns": namespace}, "ok": 1.0}
    return OK


class ResponderProtocol(asyncio.Protocol):
    """One client connection: frames in, canned replies out, in request order."""

    _ids = itertools.count(1)

    def __init__(self) -> None:
        self.frames = FrameBuffer()
        self.connection_id = next(self._ids)
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's transports are not subclasses

    def data_received(self, data: bytes) -> None:
        assert self.transport is not None
        try:
            frames = self.frames.feed(data)
            replies = [self._answer(frame) for frame in frames]
        except Exception as exc:  # a malformed frame ends the connection, as mongod does
            print(f"null-responder: closing connection {self.connection_id}: {exc}", file=sys.stderr)
            self.transport.close()
            return
        self.transport.write(b"".join(replies))

    def _answer(self, frame: bytes) -> bytes:
        request = decode_request(frame)
        message = request.message
        request_id = request.header.request_id
        if isinstance(message, OpQuery):  # drivers send only their first hello this way
            return encode_op_reply([hello_reply(self.connection_id)], 0, request_id)
        assert isinstance(message, OpMsg)
        if message.more_to_come:  # the client reads no reply (e.g. unacknowledged writes)
            return b""
        reply = command_reply(message.body, message.sequences, self.connection_id)
        return encode_op_msg(reply, 0, request_id)


async def serve(bind: str, port: int) -> None:
    """Listen until SIGTERM/SIGINT, announcing the bound address on stderr."""
    loop = asyncio.get_running_loop()
    server = await loop.create_server(ResponderProtocol, bind, port)
    host, bound_port = server.sockets[0].getsockname()[:2]
    print(f"null-responder ready: listening on {host}:{bound_port}", file=sys.stderr, flush=True)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with server:
        await stop.wait()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port (default)")
    parser.add_argument("--bind", default="127.0.0.1")
    args = parser.parse_args(argv)
    try:
        import uvloop
    except ImportError:
        asyncio.run(serve(args.bind, args.port))
    else:
        uvloop.run(serve(args.bind, args.port))


if __name__ == "__main__":
    main()
