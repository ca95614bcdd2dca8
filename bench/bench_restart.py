"""Restart benchmark (issues 3 and 6): a 1 M-document file with secondary indexes, loaded until ready.

    python bench/bench_restart.py [--docs 1000000] [--runs 3] [--indexes 2] [--object-ids] [--in-process]
                                  [--profile]

Builds one ``.mdb`` file of ``--docs`` documents of ~300 bytes (``{_id, k, g, name, pad}``) with
``--indexes`` secondary indexes (``k_1``, then ``g_1_k_-1``), written directly as a compacted file would
be. Then, ``--runs`` times, starts ``docdb-server`` on it and times process start -> "listening" (every
index built), with the server's RSS after load. ``--in-process`` instead times ``Catalog.open`` in a fresh
interpreter, split into replay and index build, wall and CPU seconds (CPU time is steadier on a shared
machine), with the RSS growth of each (per index entry for the build); ``--profile`` prints the cProfile
top of one such load. The median of the runs is printed last (the machine is shared: compare medians).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import bson
from bson.binary import Binary
from bson.objectid import ObjectId

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from serverproc import ServerProcess  # noqa: E402

from docdb.engine.log.compaction import CollectionSnapshot, SnapshotFile  # noqa: E402

INDEX_SPECS = [
    {"v": 2, "key": {"k": 1}, "name": "k_1"},
    {"v": 2, "key": {"g": 1, "k": -1}, "name": "g_1_k_-1"},
]


def build_file(path: Path, docs: int, indexes: int, object_ids: bool = False) -> int:
    """Write the file; returns the live BSON bytes."""
    batch = [
        bson.encode(
            {
                "_id": ObjectId() if object_ids else i,
                "k": i,
                "g": i % 1000,
                "name": f"user{i:08d}",
                "pad": "p" * 240,
            }
        )
        for i in range(docs)
    ]
    out = SnapshotFile(str(path), None)
    out.write_collections(
        [CollectionSnapshot("bench.c", Binary(bytes(16), 4), {}, INDEX_SPECS[:indexes], batch)]
    )
    out.sync()
    out.close()
    return sum(len(raw) for raw in batch)


def rss_mb(pid: str | int = "self") -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds the process has used (steadier than wall time on a shared machine)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_server(path: Path, live: int, docs: int, indexes: int) -> float:
    started = time.monotonic()
    with ServerProcess(path, ["--compaction-check-s", "0"]) as server:
        elapsed = time.monotonic() - started
        assert server.proc is not None
        rss = rss_mb(server.proc.pid)
        cpu = cpu_seconds(server.proc.pid)
        with server.client() as client:
            coll = client.bench.c
            assert coll.estimated_document_count() == docs
            if indexes:
                assert coll.find_one({"k": docs - 1}, {"_id": 0, "k": 1}) == {"k": docs - 1}
    print(
        f"  server ready in {elapsed:.2f} s (process start included; {cpu:.2f} s CPU); RSS {rss:.0f} MiB for "
        f"{live / 2**20:.0f} MiB live BSON ({rss / (live / 2**20):.2f}x)"
    )
    return elapsed


def load_phases(path: Path, profile: bool) -> None:
    """Load ``path`` with ``Catalog.open`` in this (fresh) process; print wall and CPU seconds of the
    replay and of the index build, and the RSS growth of each."""
    from docdb.engine.catalog import Catalog

    marks: list[tuple[float, float, float]] = []

    def mark() -> None:
        marks.append((time.perf_counter(), time.process_time(), rss_mb()))

    real_build = Catalog.build_pending_indexes

    def timed_build(self: Catalog) -> None:
        mark()
        real_build(self)
        mark()

    Catalog.build_pending_indexes = timed_build  # type: ignore[method-assign]
    profiler = cProfile.Profile() if profile else None
    mark()
    if profiler is not None:
        profiler.enable()
    catalog = Catalog.open(str(path), sync_interval_ms=60_000)
    if profiler is not None:
        profiler.disable()
    mark()
    coll = catalog.collection("bench", "c")
    assert coll is not None
    entries = sum(len(index) for index in coll.indexes.values())
    (w0, c0, r0), (w1, c1, r1), (w2, c2, r2), (w3, c3, _) = marks
    print(
        f"  Catalog.open {w3 - w0:.2f} s wall / {c3 - c0:.2f} s CPU: replay {w1 - w0:.2f} / {c1 - c0:.2f}, "
        f"index build {w2 - w1:.2f} / {c2 - c1:.2f}; RSS +{r1 - r0:.0f} MiB replay, +{r2 - r1:.0f} MiB "
        f"for {entries:,} index entries ({(r2 - r1) * 2**20 / max(entries, 1):.0f} B per entry)"
    )
    catalog.close()
    if profiler is not None:
        pstats.Stats(profiler).sort_stats("tottime").print_stats(18)


def run_in_process(path: Path, profile: bool = False) -> float:
    """One load in a fresh interpreter (a clean heap, as a restart has); returns its wall seconds."""
    args = [sys.executable, __file__, "--load", str(path)] + (["--profile"] if profile else [])
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    print(out, end="")
    return float(out.split("Catalog.open ")[1].split(" s wall")[0])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--indexes", type=int, default=2, choices=range(len(INDEX_SPECS) + 1))
    parser.add_argument("--object-ids", action="store_true", help="ObjectId _ids instead of ints")
    parser.add_argument("--in-process", action="store_true")
    parser.add_argument("--profile", action="store_true", help="cProfile one in-process load")
    parser.add_argument("--load", type=Path, help=argparse.SUPPRESS)  # the child of --in-process
    args = parser.parse_args(argv)
    if args.load is not None:
        load_phases(args.load, args.profile)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "restart.mdb"
        live = build_file(path, args.docs, args.indexes, args.object_ids)
        print(
            f"{args.docs:,} documents ({live / args.docs:.0f} B each), {args.indexes} secondary indexes, "
            f"file {path.stat().st_size / 2**20:.0f} MiB"
        )
        if args.profile:
            run_in_process(path, profile=True)
            return 0
        times = []
        for _ in range(args.runs):
            if args.in_process:
                times.append(run_in_process(path))
            else:
                times.append(run_server(path, live, args.docs, args.indexes))
        what = "Catalog.open" if args.in_process else "restart"
        print(
            f"{what}: median {statistics.median(times):.2f} s, min {min(times):.2f} s, max {max(times):.2f} s"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
