"""Durability benchmarks (issue 3): group commit, restart time and RSS, compaction speed and ping pauses.

    python bench/bench_durability.py [--docs 1000000] [--seconds 3] [--rounds 3] [--only group-commit]

Numbers go to stdout, one line each. Everything runs against a real ``docdb-server`` subprocess on a
scratch directory, which is deleted afterwards.

Group commit: every client process connects and warms up first, then all start together and count only
inside the same window, so process start-up is not in the numbers. Each round runs 1 and 8 clients with
``j: true`` and 8 with ``w: 1`` (no fsync wait: the same work minus the disk, so the ceiling for 8 ``j: true``
clients on this machine), and reports the server's CPU per insert (from /proc), writes per fsync and how
busy the whole machine was (other work on shared cores shows there). Medians over the rounds come last.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from multiprocessing import Process, Queue
from pathlib import Path

import bson
from bson.binary import Binary
from pymongo.write_concern import WriteConcern

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from docdb.bson_codec import encode_document  # noqa: E402
from docdb.engine.log.compaction import CollectionSnapshot, SnapshotFile  # noqa: E402
from docdb.engine.log.record import RecordType  # noqa: E402
from docdb.engine.log.writer import LogWriter  # noqa: E402
from docdb.server.write_concern import durable_future  # noqa: E402
from tests.serverproc import ServerProcess  # noqa: E402


def _insert_loop(uri: str, j: bool, start_at: float, seconds: float, results: Queue) -> None:
    """One client process (a process each, so client-side CPU and the GIL do not cap the total)."""
    import pymongo

    with pymongo.MongoClient(uri) as client:
        coll = client.bench.get_collection("c", write_concern=WriteConcern(j=j))
        coll.insert_one({"warm": True})
        time.sleep(max(0.0, start_at - time.time()))
        n = 0
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            coll.insert_one({"n": n, "pad": "x" * 200})
            n += 1
    results.put(n)


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of a process so far."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _machine_busy() -> tuple[int, int]:
    """(busy, total) jiffies of all cores, from /proc/stat."""
    with open("/proc/stat") as stat:
        ticks = [int(x) for x in stat.readline().split()[1:]]
    return sum(ticks) - ticks[3] - ticks[4], sum(ticks)


@dataclass
class InsertRun:
    inserts_per_s: float
    server_us_per_insert: float
    writes_per_fsync: float
    machine_busy_pct: float

    def __str__(self) -> str:
        return (
            f"{self.inserts_per_s:.0f} inserts/s, server {self.server_us_per_insert:.0f} us CPU/insert, "
            f"{self.writes_per_fsync:.1f} writes/fsync, machine {self.machine_busy_pct:.0f}% busy"
        )


def run_inserts(tmp: Path, clients: int, j: bool, seconds: float) -> InsertRun:
    """``clients`` processes inserting one document at a time for ``seconds``, all in the same window."""
    with ServerProcess(tmp / f"gc-{clients}-{j}.mdb", ["--compaction-check-s", "0"]) as server:
        assert server.proc is not None
        queue: Queue = Queue()
        start_at = time.time() + 1.0 + 0.15 * clients  # every client connected and warmed up by then
        procs = [
            Process(target=_insert_loop, args=(server.uri, j, start_at, seconds, queue))
            for _ in range(clients)
        ]
        for proc in procs:
            proc.start()
        with server.client() as client:
            time.sleep(max(0.0, start_at - time.time()))
            cpu, busy, fsyncs = (
                _cpu_seconds(server.proc.pid),
                _machine_busy(),
                client.admin.command("serverStatus")["docdb"]["fsyncs"],
            )
            total = sum(queue.get(timeout=seconds + 60) for _ in procs)
            cpu, busy, fsyncs = (
                _cpu_seconds(server.proc.pid) - cpu,
                [b - a for a, b in zip(busy, _machine_busy(), strict=True)],
                client.admin.command("serverStatus")["docdb"]["fsyncs"] - fsyncs,
            )
        for proc in procs:
            proc.join()
    return InsertRun(total / seconds, cpu / total * 1e6, total / max(1, fsyncs), busy[0] / busy[1] * 100)


def bench_group_commit(tmp: Path, seconds: float, rounds: int) -> None:
    """insert_one with j:true: 1 vs 8 concurrent client processes, and 8 with w:1 as the ceiling."""
    cases = {"j:true, 1 client": (1, True), "j:true, 8 clients": (8, True), "w:1, 8 clients": (8, False)}
    runs: dict[str, list[InsertRun]] = {name: [] for name in cases}
    for round_no in range(1, rounds + 1):
        for name, (clients, j) in cases.items():
            run = run_inserts(tmp, clients, j, seconds)
            runs[name].append(run)
            print(f"round {round_no}: insert_one {name}: {run}")
    medians = {name: statistics.median(r.inserts_per_s for r in rs) for name, rs in runs.items()}
    for name, rs in runs.items():
        print(
            f"median insert_one {name}: {medians[name]:.0f} inserts/s "
            f"(runs {min(r.inserts_per_s for r in rs):.0f}..{max(r.inserts_per_s for r in rs):.0f}), "
            f"server {statistics.median(r.server_us_per_insert for r in rs):.0f} us CPU/insert, "
            f"{statistics.median(r.writes_per_fsync for r in rs):.1f} writes/fsync"
        )
    one, eight, ceiling = medians.values()
    print(
        f"group commit speed-up 8 vs 1 clients: {eight / one:.1f}x "
        f"(ceiling without fsync waits, w:1 with 8 clients: {ceiling / one:.1f}x)"
    )


def bench_group_commit_in_process(tmp: Path, seconds: float) -> None:
    """The server's own j:true path (append, then wait for the covering fsync on the event loop) with 1 and
    8 concurrent writers in one process: how group commit scales when client processes are not the limit."""
    payload = encode_document({"ops": [{"ns": "bench.c", "put": {"_id": 0, "pad": "x" * 200}}]})

    async def writers(writer: LogWriter, count: int) -> int:
        deadline = time.monotonic() + seconds
        done = 0

        async def one_writer() -> None:
            nonlocal done
            while time.monotonic() < deadline:
                await durable_future(writer, writer.append(RecordType.WRITE_BATCH, payload))
                done += 1

        await asyncio.gather(*(one_writer() for _ in range(count)))
        return done

    try:
        import uvloop

        run = uvloop.run
    except ImportError:
        run = asyncio.run
    rates = {}
    for count in (1, 8):
        writer = LogWriter(str(tmp / f"inproc-{count}.mdb"))
        cpu = time.process_time()
        done = run(writers(writer, count))
        cpu = time.process_time() - cpu
        writer.close()
        rates[count] = done / seconds
        print(
            f"in-process j:true path, {count} writer(s): {rates[count]:.0f} writes/s, "
            f"{cpu / done * 1e6:.0f} us CPU/write, {done / max(1, writer.fsyncs):.1f} writes/fsync"
        )
    print(f"in-process group commit speed-up 8 vs 1 writers: {rates[8] / rates[1]:.1f}x")


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
    parser.add_argument("--rounds", type=int, default=3, help="group commit: rounds to take medians over")
    parser.add_argument(
        "--only", choices=["group-commit", "group-commit-in-process", "restart", "compaction"]
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="docdb-bench-") as tmp:
        if args.only in (None, "group-commit"):
            bench_group_commit(Path(tmp), args.seconds, args.rounds)
        if args.only in (None, "group-commit-in-process"):
            bench_group_commit_in_process(Path(tmp), args.seconds)
        if args.only in (None, "restart"):
            bench_restart(Path(tmp), args.docs)
        if args.only in (None, "compaction"):
            bench_compaction(Path(tmp), args.docs)


if __name__ == "__main__":
    main()
