"""Server CPU per command, in-process: frames go through the whole server path with no socket.

    python bench/bench_handlers.py [--ops 2000] [--runs 21] [--docs 10000] [--only W] [--profile W]

Each frame is the one PyMongo 4.20 sends for the operation (same body fields, same kind-1 document
sequences), fed to ``MongoProtocol.data_received`` with a transport that only counts the reply bytes. So
one "command" here is framing, OP_MSG decoding, dispatch, the handler, the engine, the log append (a real
``.mdb`` file and its writer thread) and reply encoding: everything a server does per request except the
socket system calls and the event loop's wake-up, which the null responder pays too.

Workloads: ``ping``; ``find_id`` (find_one by ``_id``); ``find_indexed`` (find_one by a field with a
single-field index); ``find_hashed`` (the same by a hashed index, on a copy of the collection);
``insert_one``; ``update_inc`` (update_one by ``_id`` with ``$inc``, on the collection with an index on
``k``); ``update_plain`` (the same on a copy without secondary index, as bench/run.py's); ``insert_many``
(batches of 1000, reported per document). Prints, per workload, the best, median and worst µs per command
over ``--runs`` short runs: on a shared machine the best run is the one least disturbed by neighbours, the
spread shows the noise. ``--profile NAME`` runs one workload under cProfile instead and prints the top
functions.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import itertools
import pstats
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bson.binary import Binary

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from docdb.config import ServerConfig  # noqa: E402
from docdb.engine.catalog import Catalog  # noqa: E402
from docdb.protocol import encode_op_msg  # noqa: E402
from docdb.server import commands  # noqa: E402, F401  (registers every command)
from docdb.server.connection import MongoProtocol  # noqa: E402
from docdb.server.context import ServerState  # noqa: E402
from docdb.server.cursors import CursorRegistry  # noqa: E402
from docdb.server.server import GC_THRESHOLDS  # noqa: E402

DB = "bench"
LSID = {"id": Binary(uuid.uuid4().bytes, 4)}
WORKLOADS = (
    "ping",
    "find_id",
    "find_indexed",
    "find_hashed",
    "insert_one",
    "update_inc",
    "update_plain",
    "insert_many",
)
MANY = 1000  # documents per insert_many batch, as bench/run.py sends them


class CountingTransport:
    """Stands in for the socket: remembers how many bytes and replies the server wrote."""

    def __init__(self) -> None:
        self.replies = 0
        self.bytes = 0

    def write(self, data: bytes) -> None:
        self.replies += 1
        self.bytes += len(data)

    def get_extra_info(self, name: str) -> Any:
        return ("127.0.0.1", 50000) if name in ("peername", "sockname") else None

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass

    def abort(self) -> None:
        raise RuntimeError("the server closed the connection")


_request_ids = itertools.count(1)


def frame(body: dict[str, Any], sequences: dict[str, list[dict[str, Any]]] | None = None) -> bytes:
    """An OP_MSG frame as PyMongo builds it: body with ``lsid`` and ``$db`` last, documents in kind 1."""
    return encode_op_msg({**body, "lsid": LSID, "$db": DB}, next(_request_ids), 0, sequences=sequences)


def ping_frames(n: int, _: int) -> list[bytes]:
    return [encode_op_msg({"ping": 1, "lsid": LSID, "$db": "admin"}, next(_request_ids), 0)] * n


def find_id_frames(n: int, docs: int) -> list[bytes]:
    return [
        frame({"find": "c", "filter": {"_id": i % docs}, "limit": 1, "singleBatch": True}) for i in range(n)
    ]


def find_indexed_frames(n: int, docs: int) -> list[bytes]:
    return [
        frame({"find": "c", "filter": {"k": f"key{i % docs}"}, "limit": 1, "singleBatch": True})
        for i in range(n)
    ]


def find_hashed_frames(n: int, docs: int) -> list[bytes]:
    return [
        frame({"find": "h", "filter": {"k": f"key{i % docs}"}, "limit": 1, "singleBatch": True})
        for i in range(n)
    ]


def insert_frames(n: int, docs: int) -> list[bytes]:
    return [
        frame(
            {"insert": "ins", "ordered": True},
            {"documents": [{"_id": docs + i, "n": 0, "s": "abcdefghijklmnop"}]},
        )
        for i in range(n)
    ]


def insert_many_frames(n: int, docs: int) -> list[bytes]:
    """``n // MANY`` batches (at least one) of ``MANY`` plain documents, as bench/run.py's insert_many."""
    return [
        frame(
            {"insert": "many", "ordered": True},
            {"documents": [{"_id": docs + b * MANY + i, "n": i, "s": "abcdefghijklm"} for i in range(MANY)]},
        )
        for b in range(max(1, n // MANY))
    ]


def update_frames(n: int, docs: int, collection: str = "c") -> list[bytes]:
    return [
        frame(
            {"update": collection, "ordered": True},
            {"updates": [{"q": {"_id": i % docs}, "u": {"$inc": {"n": 1}}, "multi": False, "upsert": False}]},
        )
        for i in range(n)
    ]


def update_plain_frames(n: int, docs: int) -> list[bytes]:
    """update_one by ``_id`` with ``$inc`` on a collection with no secondary index, as bench/run.py's."""
    return update_frames(n, docs, "p")


BUILDERS: dict[str, Callable[[int, int], list[bytes]]] = {
    "ping": ping_frames,
    "find_id": find_id_frames,
    "find_indexed": find_indexed_frames,
    "find_hashed": find_hashed_frames,
    "insert_one": insert_frames,
    "update_inc": update_frames,
    "update_plain": update_plain_frames,
    "insert_many": insert_many_frames,
}


def make_server(path: str, docs: int) -> MongoProtocol:
    """A catalog on ``path`` holding ``bench.c`` (``docs`` documents, index on ``k``), ``bench.h`` (the same
    documents, hashed index on ``k``), ``bench.p`` (the same documents, no secondary index) and a
    connection; the garbage collector's thresholds are set as the server sets them."""
    gc.set_threshold(*GC_THRESHOLDS)  # the server's (server.py), so collections come as often as there
    catalog = Catalog.open(path)
    state = ServerState(config=ServerConfig(file=path), catalog=catalog, cursors=CursorRegistry())
    protocol = MongoProtocol(state)
    transport = CountingTransport()
    protocol.connection_made(transport)  # type: ignore[arg-type]
    batch = 1000
    for start in range(0, docs, batch):
        documents = [
            {"_id": i, "k": f"key{i}", "n": 0, "s": "abcdefghijklmnop"}
            for i in range(start, min(docs, start + batch))
        ]
        protocol.data_received(frame({"insert": "c", "ordered": True}, {"documents": documents}))
        protocol.data_received(frame({"insert": "h", "ordered": True}, {"documents": documents}))
        protocol.data_received(frame({"insert": "p", "ordered": True}, {"documents": documents}))
    index = {"createIndexes": "c", "indexes": [{"key": {"k": 1}, "name": "k_1"}]}
    protocol.data_received(frame(index))
    hashed = {"createIndexes": "h", "indexes": [{"key": {"k": "hashed"}, "name": "k_hashed"}]}
    protocol.data_received(frame(hashed))
    return protocol


def run_once(protocol: MongoProtocol, frames: list[bytes]) -> float:
    """CPU µs of this thread per frame, frames fed one at a time as one client with one request in flight
    does. Thread CPU time rather than wall time: other processes on a shared machine inflate the wall clock
    far more than they do this (the log writer thread's fsyncs are not counted, nor were they waited for)."""
    transport: CountingTransport = protocol.transport  # type: ignore[assignment]
    before = transport.replies
    feed = protocol.data_received
    started = time.thread_time()
    for data in frames:
        feed(data)
    elapsed = time.thread_time() - started
    if transport.replies - before != len(frames):
        raise RuntimeError(f"expected {len(frames)} replies, got {transport.replies - before}")
    return elapsed / len(frames) * 1e6


def per_unit(name: str, micros: float) -> float:
    """µs per command, or per document for insert_many (the unit bench/run.py reports)."""
    return micros / MANY if name == "insert_many" else micros


def measure(protocol: MongoProtocol, name: str, ops: int, runs: int, docs: int) -> list[float]:
    """µs per command of each run of ``name``; inserts use fresh ``_id`` values in every run."""
    results = []
    next_id = docs
    for _ in range(runs):
        fresh = name in ("insert_one", "insert_many")
        frames = BUILDERS[name](ops, next_id if fresh else docs)
        next_id += max(ops, MANY)
        if not fresh:  # warm up (inserts can't repeat their _ids)
            run_once(protocol, frames[:200])
        results.append(run_once(protocol, frames))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--ops", type=int, default=2_000, help="commands per run")
    parser.add_argument("--runs", type=int, default=21, help="runs per workload")
    parser.add_argument("--docs", type=int, default=10_000, help="documents in the queried collection")
    parser.add_argument("--only", choices=WORKLOADS, action="append", help="run only these workloads")
    parser.add_argument("--profile", choices=WORKLOADS, help="profile one workload instead")
    parser.add_argument("--cumulative", action="store_true", help="sort the profile by cumulative time")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        protocol = make_server(str(Path(tmp) / "bench.mdb"), args.docs)
        try:
            if args.profile:
                frames = BUILDERS[args.profile](args.ops, args.docs)
                profiler = cProfile.Profile()
                profiler.runcall(run_once, protocol, frames)
                sort = "cumulative" if args.cumulative else "tottime"
                pstats.Stats(profiler).sort_stats(sort).print_stats(40)
                return
            print(f"{args.runs} runs × {args.ops} commands; CPU µs per command of the serving thread")
            print(f"{'workload':<14}{'best':>9}{'median':>9}{'worst':>9}")
            for name in args.only or WORKLOADS:
                results = measure(protocol, name, args.ops, args.runs, args.docs)
                median = statistics.median(results)
                best, median, worst = (per_unit(name, x) for x in (min(results), median, max(results)))
                print(f"{name:<14}{best:>9.2f}{median:>9.2f}{worst:>9.2f}")
        finally:
            protocol.state.catalog.close()


if __name__ == "__main__":
    main()
