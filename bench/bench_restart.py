"""Restart benchmark (issues 3 and 6): a 1 M-document file with secondary indexes, loaded until ready.

    python bench/bench_restart.py [--docs 1000000] [--runs 3] [--indexes 2] [--in-process] [--profile]

Builds one ``.mdb`` file of ``--docs`` documents of ~300 bytes (``{_id, k, g, name, pad}``) with
``--indexes`` secondary indexes (``k_1``, then ``g_1_k_-1``), written directly as a compacted file would
be. Then, ``--runs`` times, starts ``docdb-server`` on it and times process start -> "listening" (every
index built), with the server's RSS after load. ``--in-process`` instead times ``Catalog.open`` in this
process, split into replay and index build, with tracemalloc-free RSS growth; ``--profile`` prints the
cProfile top of one in-process load. Medians are printed beside every run (the machine is shared).
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path

import bson
from bson.binary import Binary

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from serverproc import ServerProcess  # noqa: E402

from docdb.engine.log.compaction import CollectionSnapshot, SnapshotFile  # noqa: E402

INDEX_SPECS = [
    {"v": 2, "key": {"k": 1}, "name": "k_1"},
    {"v": 2, "key": {"g": 1, "k": -1}, "name": "g_1_k_-1"},
]


def build_file(path: Path, docs: int, indexes: int) -> int:
    """Write the file; returns the live BSON bytes."""
    batch = [
        bson.encode({"_id": i, "k": i, "g": i % 1000, "name": f"user{i:08d}", "pad": "p" * 240})
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


def run_server(path: Path, live: int, docs: int, indexes: int) -> float:
    started = time.monotonic()
    with ServerProcess(path, ["--compaction-check-s", "0"]) as server:
        elapsed = time.monotonic() - started
        assert server.proc is not None
        rss = rss_mb(server.proc.pid)
        with server.client() as client:
            coll = client.bench.c
            assert coll.estimated_document_count() == docs
            if indexes:
                assert coll.find_one({"k": docs - 1}, {"_id": 1}) == {"_id": docs - 1}
    print(
        f"  server ready in {elapsed:.2f} s (process start included); RSS {rss:.0f} MiB for "
        f"{live / 2**20:.0f} MiB live BSON ({rss / (live / 2**20):.2f}x)"
    )
    return elapsed


def run_in_process(path: Path, live: int, indexes: int, profile: bool) -> float:
    from docdb.engine import catalog as catalog_module
    from docdb.engine.catalog import Catalog

    phases: dict[str, float] = {}
    real_build = catalog_module.Catalog.build_pending_indexes

    def timed_build(self: Catalog) -> None:
        t = time.perf_counter()
        real_build(self)
        phases["build"] = time.perf_counter() - t

    catalog_module.Catalog.build_pending_indexes = timed_build  # type: ignore[method-assign]
    gc.collect()
    rss0 = rss_mb()
    profiler = cProfile.Profile() if profile else None
    t0 = time.perf_counter()
    if profiler is not None:
        profiler.enable()
    catalog = Catalog.open(str(path), sync_interval_ms=60_000)
    if profiler is not None:
        profiler.disable()
    total = time.perf_counter() - t0
    catalog_module.Catalog.build_pending_indexes = real_build  # type: ignore[method-assign]
    grown = rss_mb() - rss0
    coll = catalog.collection("bench", "c")
    assert coll is not None
    entries = sum(len(index) for index in coll.indexes.values())
    build = phases.get("build", 0.0)
    print(
        f"  Catalog.open {total:.2f} s: replay {total - build:.2f} s + index build {build:.2f} s; "
        f"RSS +{grown:.0f} MiB for {live / 2**20:.0f} MiB live BSON"
        + (f", {entries:,} index entries" if entries else "")
    )
    catalog.close()
    if profiler is not None:
        pstats.Stats(profiler).sort_stats("tottime").print_stats(18)
    del catalog, coll
    gc.collect()
    return total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--indexes", type=int, default=2, choices=range(len(INDEX_SPECS) + 1))
    parser.add_argument("--in-process", action="store_true")
    parser.add_argument("--profile", action="store_true", help="cProfile one in-process load")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "restart.mdb"
        live = build_file(path, args.docs, args.indexes)
        print(
            f"{args.docs:,} documents ({live / args.docs:.0f} B each), {args.indexes} secondary indexes, "
            f"file {path.stat().st_size / 2**20:.0f} MiB"
        )
        if args.profile:
            run_in_process(path, live, args.indexes, profile=True)
            return 0
        times = []
        for _ in range(args.runs):
            if args.in_process:
                times.append(run_in_process(path, live, args.indexes, profile=False))
            else:
                times.append(run_server(path, live, args.docs, args.indexes))
        what = "Catalog.open" if args.in_process else "restart"
        print(
            f"{what}: median {statistics.median(times):.2f} s, min {min(times):.2f} s, max {max(times):.2f} s"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
