"""What access control costs: server CPU per authenticated connection, the per-command authorization
check, and find_one throughput with --auth against without.

    python bench/bench_auth.py [--connections 200] [--checks 200000] [--seconds 3]

1. **Connection**: a server with ``--auth`` and a root user; ``--connections`` times, a new PyMongo client
   authenticates (SCRAM-SHA-256, speculative, as drivers do by default), runs ``ping`` and closes. The
   server process's CPU (``/proc/<pid>/stat``) over all of them ÷ connections; the same with no
   credentials against the same server gives the part authentication adds. Also, in-process, the server's
   own SCRAM work per conversation (saslStart + saslContinue: a few HMACs, no PBKDF2).
2. **Check**: ``authorize()`` — dispatch's step — for find, insert, update, getMore, aggregate and ping by
   a ``readWrite`` user, in-process, best of 5 runs of ``--checks`` calls: µs per call.
3. **Stalled clients**: ``--stalled`` connections to a server with ``--auth`` each send a hello and then
   8000 bytes of the largest frame an unauthenticated client may send (8 KiB), and stall: the server's
   RSS growth ÷ connections.
4. **find_one**: two servers, one with ``--auth`` (root connection) and one without, driven in turn in
   0.1 s slices (``run.timed``) so neighbours' load falls on both alike; the ratio of their rates.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import bson
import pymongo
from bson.binary import Binary
from bson.int64 import Int64

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.run import Sample, Settings, cpu_seconds, timed  # noqa: E402
from bench.timing import best_of  # noqa: E402
from docdb.config import ServerConfig  # noqa: E402
from docdb.engine.catalog import Catalog  # noqa: E402
from docdb.server import commands  # noqa: E402, F401  (registers every command)
from docdb.server.auth.authorize import authorize  # noqa: E402
from docdb.server.auth.documents import credentials_for, new_user_document  # noqa: E402
from docdb.server.auth.scram import ScramConversation, parse_client_first  # noqa: E402
from docdb.server.auth.store import USERS, AuthStore  # noqa: E402
from docdb.server.context import CommandContext, ConnectionInfo, ServerState  # noqa: E402
from docdb.server.cursors import CursorRegistry  # noqa: E402
from docdb.server.registry import REGISTRY  # noqa: E402
from tests.commands.auth_helpers import ScramClient  # noqa: E402
from tests.serverproc import ServerProcess  # noqa: E402

USER, PWD = "bench", "bench-password"


def _uri(port: int, credentials: bool) -> str:
    auth = f"{USER}:{PWD}@" if credentials else ""
    return f"mongodb://{auth}127.0.0.1:{port}/?directConnection=true&authSource=admin"


def connection_cpu(server: ServerProcess, count: int, credentials: bool) -> float:
    """Server CPU seconds per new client (connect, authenticate or not, ping, close)."""
    assert server.proc is not None and server.port is not None
    cpu0 = cpu_seconds(server.proc.pid)
    for _ in range(count):
        with pymongo.MongoClient(_uri(server.port, credentials), serverSelectionTimeoutMS=10_000) as c:
            c.admin.command("ping")
    time.sleep(0.2)  # let the server finish closing the last connections
    return (cpu_seconds(server.proc.pid) - cpu0) / count


def scram_server_us(rounds: int = 2000) -> float:
    """In-process: the server's part of one SCRAM-SHA-256 conversation (client work done beforehand)."""
    creds = credentials_for("createUser", USER, PWD, ["SCRAM-SHA-256"], True)["SCRAM-SHA-256"]
    prepared = []
    for _ in range(50):
        client = ScramClient(USER, PWD)
        user, nonce, bare = parse_client_first(client.first())
        conversation = ScramConversation("SCRAM-SHA-256", creds, nonce, bare)
        prepared.append((client, client.final(conversation.server_first.encode()), conversation))

    def run() -> None:
        for i in range(rounds):
            client, final, conversation = prepared[i % len(prepared)]
            user, nonce, bare = parse_client_first(client.first())
            fresh = ScramConversation("SCRAM-SHA-256", creds, nonce, bare)
            conversation.step = 1
            conversation.finish(final)
            del fresh

    return best_of(5, run) / rounds * 1e6


CHECKED_COMMANDS: dict[str, dict[str, Any]] = {
    "find": {"find": "items", "filter": {"_id": 1}, "limit": 1, "singleBatch": True},
    "insert": {"insert": "items", "ordered": True, "documents": [{"_id": 1}]},
    "update": {"update": "items", "ordered": True, "updates": [{"q": {"_id": 1}, "u": {"$inc": {"n": 1}}}]},
    "getMore": {"getMore": Int64(12345), "collection": "items"},
    "aggregate": {"aggregate": "items", "pipeline": [{"$match": {"n": 1}}, {"$group": {"_id": "$k"}}]},
    "ping": {"ping": 1},
}


def check_us(calls: int) -> dict[str, float]:
    """CPU µs per ``authorize()`` (the dispatch step, in-process; best of 5 runs) of each command in
    CHECKED_COMMANDS, run by a readWrite user; ``ping`` needs no authorization (the cost of deciding so)."""
    catalog = Catalog()
    state = ServerState(config=ServerConfig(auth=True), catalog=catalog, cursors=CursorRegistry())
    creds = credentials_for("createUser", "rw", "pw", ["SCRAM-SHA-256"], True)
    AuthStore(catalog).put(USERS, new_user_document("rw", "admin", creds, [("readWrite", "bench")], None))
    info = ConnectionInfo(connection_id=1, peer="10.0.0.2:5000", local="10.0.0.1:27017")
    info.auth.login("rw", "admin")
    ctx = CommandContext(state, "bench", info)
    lsid = {"id": Binary(os.urandom(16), 4)}
    results = {}
    for name, command in CHECKED_COMMANDS.items():
        spec = REGISTRY[name]
        body = {**command, "lsid": lsid, "$db": "bench"}
        authorize(ctx, spec, body)

        best = float("inf")
        for _ in range(5):  # CPU time of this process, so that neighbours' load counts less
            start = time.process_time()
            for _ in range(calls):
                authorize(ctx, spec, body)
            best = min(best, time.process_time() - start)
        results[name] = best / calls * 1e6
    return results


def find_one_ratio(seconds: float) -> tuple[Sample, Sample]:
    """find_one by _id with --auth and without, taking turns: the two samples (rate and server CPU)."""
    settings = Settings(warmup_ops=300, seconds=seconds, bulk_docs=0)
    with TemporaryDirectory() as tmp:
        with (
            ServerProcess(Path(tmp) / "auth.mdb", ["--auth"]) as secured,
            ServerProcess(Path(tmp) / "open.mdb") as plain,
        ):
            with secured.client() as anonymous:
                anonymous.admin.command("createUser", USER, pwd=PWD, roles=["root"])
            clients = [
                pymongo.MongoClient(_uri(secured.port or 0, True)),
                pymongo.MongoClient(_uri(plain.port or 0, False)),
            ]
            try:
                colls = [c.bench.items for c in clients]
                for coll in colls:
                    coll.insert_many([{"_id": i, "n": i, "s": "x" * 16} for i in range(1000)])
                assert secured.proc is not None and plain.proc is not None
                samples = timed(
                    [
                        (secured.proc.pid, lambda i, c=colls[0]: c.find_one({"_id": i % 1000})),
                        (plain.proc.pid, lambda i, c=colls[1]: c.find_one({"_id": i % 1000})),
                    ],
                    settings,
                )
            finally:
                for c in clients:
                    c.close()
    return samples[0], samples[1]


def _rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))


def unauthenticated_memory(count: int) -> float:
    """KB of server memory (RSS growth) per unauthenticated connection that sent a hello and then the
    first 8000 bytes of the largest frame it may send, and stalls."""
    import socket
    import struct

    with ServerProcess(None, ["--auth"]) as server:
        assert server.proc is not None and server.port is not None
        hello = bson.encode({"hello": 1, "$db": "admin"})
        hello_frame = struct.pack("<iiii", 21 + len(hello), 1, 0, 2013) + b"\0\0\0\0\0" + hello
        partial = struct.pack("<iiii", 8192, 2, 0, 2013) + b"\0" * 7984
        socks = []
        before = _rss_kb(server.proc.pid)
        for _ in range(count):
            sock = socket.create_connection(("127.0.0.1", server.port))
            sock.sendall(hello_frame)
            sock.recv(65536)
            sock.sendall(partial)
            socks.append(sock)
        time.sleep(0.5)
        grown = _rss_kb(server.proc.pid) - before
        for sock in socks:
            sock.close()
    return grown / count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connections", type=int, default=200)
    parser.add_argument("--checks", type=int, default=200_000)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--stalled", type=int, default=300, help="stalled unauthenticated connections")
    args = parser.parse_args(argv)

    with TemporaryDirectory() as tmp, ServerProcess(Path(tmp) / "conn.mdb", ["--auth"]) as server:
        with server.client() as anonymous:
            anonymous.admin.command("createUser", USER, pwd=PWD, roles=["root"])
        connection_cpu(server, 20, True)  # warm-up
        with_auth = connection_cpu(server, args.connections, True)
        without = connection_cpu(server, args.connections, False)
    print(f"server CPU per new connection, authenticated (SCRAM-SHA-256): {with_auth * 1e3:.2f} ms")
    print(f"server CPU per new connection, no credentials:               {without * 1e3:.2f} ms")
    print(
        f"  authentication adds:                                        {(with_auth - without) * 1e3:.2f} ms"
    )
    print(f"server SCRAM work per conversation (in-process):             {scram_server_us():.1f} µs")
    checks = check_us(args.checks)
    print(
        "authorization check per command (readWrite user): "
        + ", ".join(f"{n} {us:.2f} µs" for n, us in checks.items())
    )
    print(
        f"server memory per stalled unauthenticated connection (8 KB partial frame): "
        f"{unauthenticated_memory(args.stalled):.1f} KB"
    )
    secured, plain = find_one_ratio(args.seconds)
    print(
        f"find_one by _id: --auth {secured.rate:,.0f} ops/s, without {plain.rate:,.0f} ops/s, "
        f"ratio {secured.rate / plain.rate:.3f}; server CPU {secured.cpu_us_per_op:.0f} vs "
        f"{plain.cpu_us_per_op:.0f} µs/op"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
