"""Durability benchmarks (issue 3): group commit, restart time and RSS, compaction speed and ping pauses.

    python bench/bench_durability.py [--docs 1000000] [--seconds 3]

Numbers go to stdout, one line each. Everything runs against a real ``docdb-server`` subprocess on a
scratch directory, which is deleted afterwards.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from multiprocessing import Process, Queue
from pathlib import Path

import bson
from bson.binary import Binary
from pymongo.write_concern import WriteConcern

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from docdb.engine.log.compaction import CollectionSnapshot, SnapshotFile  # noqa: E402
from tests.serverproc import ServerProcess  # noqa: E402


def _insert_loop(uri: str, seconds: float, results: Queue) -> None:
    """One client process (a process each, so client-side CPU and the GIL do not cap the total)."""
    import pymongo

    with pymongo.MongoClient(uri) as client:
        coll = client.bench.get_collection("c", write_concern=WriteConcern(j=True))
        coll.insert_one({"warm": True})
        n = 0
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            coll.insert_one({"n": n, "pad": "x" * 200})
            n += 1
    results.put(n)


def bench_group_commit(tmp: Path, seconds: float) -> None:
    """insert_one with j:true: total throughput with 1 and with 8 concurrent client processes."""
    results = {}
    for clients in (1, 8):
        path = tmp / f"gc{clients}.mdb"
        with ServerProcess(path, ["--compaction-check-s", "0"]) as server:
            queue: Queue = Queue()
            procs = [Process(target=_insert_loop, args=(server.uri, seconds, queue)) for _ in range(clients)]
            for proc in procs:
                proc.start()
            total = sum(queue.get(timeout=seconds + 30) for _ in procs)
            for proc in procs:
                proc.join()
            with server.client() as client:
                fsyncs = client.admin.command("serverStatus")["docdb"]["fsyncs"]
        results[clients] = total / seconds
        print(f"insert_one j:true, {clients} client(s): {results[clients]:.0f} inserts/s, {fsyncs} fsyncs")
    print(f"group commit speed-up 8 vs 1 clients: {results[8] / results[1]:.1f}x")


def build_file(path: Path, docs: int, dead_copies: int = 0) -> int:
    """A log with ``docs`` documents of ~300 bytes (plus ``dead_copies`` superseded generations);
    returns the live BSON bytes."""
    live = 0
    out = SnapshotFile(str(path), None)
    for generation in range(dead_copies + 1):
        batch = []
        for i in range(docs):
            raw = bson.encode({"_id": i, "gen": generation, "name": f"user{i:08d}", "pad": "p" * 240})
            batch.append(raw)
            if generation == dead_copies:
                live += len(raw)
        if generation:
            out.write_documents("bench.c", batch)  # puts that supersede the previous generation
        else:
            out.write_collections([CollectionSnapshot("bench.c", Binary(bytes(16), 4), {}, [], batch)])
    out.sync()
    out.close()
    return live


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def bench_restart(tmp: Path, docs: int) -> None:
    path = tmp / "restart.mdb"
    live = build_file(path, docs)
    started = time.monotonic()
    with ServerProcess(path, ["--compaction-check-s", "0"]) as server:
        elapsed = time.monotonic() - started
        assert server.proc is not None
        rss = rss_mb(server.proc.pid)
        with server.client() as client:
            count = client.bench.c.estimated_document_count()
    size_mb = path.stat().st_size / 2**20
    print(
        f"restart: {count} documents, {size_mb:.0f} MiB file, ready in {elapsed:.2f} s "
        "(process start included); "
        f"RSS {rss:.0f} MiB for {live / 2**20:.0f} MiB of live BSON ({rss / (live / 2**20):.2f}x)"
    )


def bench_compaction(tmp: Path, docs: int) -> None:
    path = tmp / "compact.mdb"
    live = build_file(path, docs, dead_copies=2)
    size = path.stat().st_size
    with ServerProcess(path, ["--compaction-check-s", "0"]) as server, server.client() as client:
        pings: list[float] = []
        stop = threading.Event()

        def ping() -> None:
            with server.client() as pinger:
                while not stop.is_set():
                    t = time.perf_counter()
                    pinger.admin.command("ping")
                    pings.append(time.perf_counter() - t)
                    time.sleep(0.002)

        thread = threading.Thread(target=ping)
        thread.start()
        time.sleep(0.2)
        baseline = max(pings)
        client.bench.command("compact", "c")
        while client.admin.command("serverStatus")["docdb"]["compaction"]["completed"] < 1:
            time.sleep(0.01)
        stop.set()
        thread.join()
        status = client.admin.command("serverStatus")["docdb"]
    seconds = status["compaction"]["lastSeconds"]
    print(
        f"compaction: {size / 2**20:.0f} MiB -> {status['fileSize'] / 2**20:.0f} MiB in {seconds:.2f} s, "
        f"{live / 2**20 / seconds:.0f} MB/s of live data; "
        f"final pause {status['compaction']['lastPauseMillis']:.1f} ms; "
        f"longest ping {max(pings) * 1000:.1f} ms (before: {baseline * 1000:.1f} ms) over {len(pings)} pings"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--only", choices=["group-commit", "restart", "compaction"])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="docdb-bench-") as tmp:
        if args.only in (None, "group-commit"):
            bench_group_commit(Path(tmp), args.seconds)
        if args.only in (None, "restart"):
            bench_restart(Path(tmp), args.docs)
        if args.only in (None, "compaction"):
            bench_compaction(Path(tmp), args.docs)


if __name__ == "__main__":
    main()
