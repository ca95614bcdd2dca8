"""Index benchmark: a large collection queried with and without indexes, against the null responder.

    python bench/bench_indexes.py [--docs 1000000] [--seconds 3] [--quick]

Prints, for one docdb-server over a fresh file holding ``--docs`` documents: the index build rate
(keys/s) and memory per index entry (server RSS growth / entries), then find_one by an indexed field, a
sorted indexed range query returning 100 documents, find_one by a hashed index, and the same find_one
without an index, each as ops/s and as a fraction of the null responder's find_one rate (the ceiling).
The ceiling is measured in the same run, in 0.1 s slices alternating with each workload's, so that load
from neighbours on a shared machine weighs on both alike; last, the restart time of the file with its
indexes. Issue 6's targets: indexed find_one >= 0.8 of the ceiling, the sorted range >= 0.4, build >=
200 000 keys/s; issue 13's: hashed find_one >= 0.8. Nothing
asserts: these are numbers to compare.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pymongo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))

from run import ENV, Settings, start_responder, stop, timed  # noqa: E402
from serverproc import ServerProcess  # noqa: E402

BATCH = 10_000


def rate(seconds: float, op: Callable[[int], object], max_ops: int | None = None) -> tuple[float, int]:
    """``(ops/s, ops)`` of ``op(i)`` run for ``seconds`` (or ``max_ops`` operations) after a short warm-up."""
    for i in range(min(50, max_ops or 50)):
        op(i)
    done = 0
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < seconds and (max_ops is None or done < max_ops):
        op(done)
        done += 1
    return done / (time.perf_counter() - t0), done


def paired_rate(
    seconds: float, ceiling: tuple[int, Callable[[int], object]], target: tuple[int, Callable[[int], object]]
) -> tuple[float, float]:
    """``(ops/s of target, fraction of the ceiling)``, each ``(server pid, op)``, measured in turns by
    ``run.timed``: 0.1 s slices, alternating, for ``seconds`` each after a 50-call warm-up."""
    ours, top = timed([target, ceiling], Settings(warmup_ops=50, seconds=seconds, bulk_docs=0))
    return ours.rate, ours.rate / top.rate


def rss_bytes(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def load(coll: pymongo.collection.Collection, docs: int) -> float:
    """Insert ``docs`` documents ``{_id, k, g, s}``; returns seconds taken."""
    t0 = time.perf_counter()
    for start in range(0, docs, BATCH):
        coll.insert_many(
            [
                {"_id": i, "k": i, "g": i % 1000, "s": "payload-" + str(i)}
                for i in range(start, min(start + BATCH, docs))
            ],
            ordered=True,
        )
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--quick", action="store_true", help="100 000 documents, 1 s runs")
    args = parser.parse_args(argv)
    docs, seconds = (100_000, 1.0) if args.quick else (args.docs, args.seconds)
    responder, port = start_responder()
    try:
        rows = measure(docs, seconds, port, responder.pid)
    finally:
        stop(responder)
    width = max(len(r[0]) for r in rows)
    print(f"{'workload':<{width}}  {'result':>20}  {'vs ceiling':>10}")
    for name, value, ratio in rows:
        print(f"{name:<{width}}  {value:>20}  {ratio:>10}")
    return 0


def measure(docs: int, seconds: float, responder_port: int, responder_pid: int) -> list[tuple[str, str, str]]:
    """The table's rows: ``(workload, result, fraction of the ceiling or a note)``."""
    ceiling_client = pymongo.MongoClient(f"mongodb://127.0.0.1:{responder_port}/?directConnection=true")
    ceiling_coll = ceiling_client.bench.c

    def ceiling_op(i: int) -> object:
        return ceiling_coll.find_one({"_id": i})

    top, _ = rate(seconds, ceiling_op)
    rows: list[tuple[str, str, str]] = [("null responder find_one (ceiling)", f"{top:,.0f} ops/s", "1.00")]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.mdb"
        server = ServerProcess(path, env=ENV).start(timeout=120)
        assert server.proc is not None
        pid = server.proc.pid
        ceiling = (responder_pid, ceiling_op)
        with server.client() as client:
            coll = client.bench.c
            load_s = load(coll, docs)
            rows.append(("load (insert_many, 10 000 per batch)", f"{docs / load_s:,.0f} docs/s", ""))
            unindexed, n = rate(seconds, lambda i: coll.find_one({"k": random.randrange(docs)}), max_ops=5)
            rows.append(
                (f"find_one unindexed ({n} ops)", f"{unindexed:,.2f} ops/s", f"{unindexed / top:.4f}")
            )
            rss0 = rss_bytes(pid)
            t0 = time.perf_counter()
            coll.create_index("k")
            build_s = time.perf_counter() - t0
            per_entry = (rss_bytes(pid) - rss0) / docs
            rows.append(("index build k_1", f"{docs / build_s:,.0f} keys/s", f"{build_s:.2f} s"))
            rows.append(("memory per index entry (RSS growth)", f"{per_entry:,.0f} B", ""))
            by_id, share = paired_rate(
                seconds, ceiling, (pid, lambda i: coll.find_one({"_id": random.randrange(docs)}))
            )
            rows.append(("find_one by _id (for reference)", f"{by_id:,.0f} ops/s", f"{share:.2f}"))
            indexed, share = paired_rate(
                seconds, ceiling, (pid, lambda i: coll.find_one({"k": random.randrange(docs)}))
            )
            rows.append(("find_one indexed equality", f"{indexed:,.0f} ops/s", f"{share:.2f}"))

            def sorted_range(i: int) -> None:
                low = random.randrange(docs - 100)
                got = list(coll.find({"k": {"$gte": low}}).sort("k", 1).limit(100))
                assert len(got) == 100

            ranged, share = paired_rate(seconds, ceiling, (pid, sorted_range))
            rows.append(("sorted indexed range, 100 docs", f"{ranged:,.0f} ops/s", f"{share:.2f}"))
            coll.create_index([("s", "hashed")])
            hashed, share = paired_rate(
                seconds,
                ceiling,
                (pid, lambda i: coll.find_one({"s": "payload-" + str(random.randrange(docs))})),
            )
            rows.append(("find_one hashed-index equality", f"{hashed:,.0f} ops/s", f"{share:.2f}"))
            coll.create_index([("g", 1), ("k", -1)])
        server.stop()
        t0 = time.perf_counter()
        again = ServerProcess(path, env=ENV).start(timeout=300)
        restart_s = time.perf_counter() - t0
        with again.client() as client:
            assert client.bench.c.find_one({"k": 5})["_id"] == 5
        again.stop()
        rows.append((f"restart with {docs:,} docs and 2 indexes", f"{restart_s:.2f} s", ""))
    ceiling_client.close()
    return rows


if __name__ == "__main__":
    sys.exit(main())
