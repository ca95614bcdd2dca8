"""What operating features cost per command: ``find_one`` with the profiler at level 1 (slowms 100), and
with ``--metrics-port``, against the same server with both off, in one run.

    python bench/bench_ops.py [--seconds 5]

Three in-memory docdb-server subprocesses; each is loaded with the same 1 000 documents, then PyMongo's
``find_one({"_id": i})`` runs against both in turn, in 0.1 s slices (``bench/run.py``'s ``timed``), so
load from neighbours on a shared machine falls on both alike. Prints client-observed ops/s, server CPU
µs per operation and the ratio to plain (the target is ≥ 0.95). The metrics server is scraped once a
second meanwhile, as a Prometheus would (more often than its usual 15 s).
"""

from __future__ import annotations

import argparse
import re
import sys
import threading
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))

from run import Settings, timed  # noqa: E402
from serverproc import ServerProcess  # noqa: E402

DOCS = 1000


def _scrape_every_second(url: str, stop: threading.Event) -> None:
    while not stop.wait(1.0):
        with urllib.request.urlopen(url, timeout=10) as response:
            response.read()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--reverse", action="store_true", help="take the slices in the opposite order")
    args = parser.parse_args()
    settings = Settings(warmup_ops=500, seconds=args.seconds, bulk_docs=0)
    variants = {"plain": [], "profiler level 1": [], "metrics on": ["--metrics-port", "0"]}
    if args.reverse:  # a slice's position in the rotation can favour it on a loaded machine
        variants = dict(reversed(variants.items()))
    servers = {name: ServerProcess(None, extra).start() for name, extra in variants.items()}
    try:
        targets = []
        clients = []
        for name, proc in servers.items():
            client = proc.client()
            clients.append(client)
            db = client.bench
            db.c.insert_many([{"_id": i, "x": i, "pad": "x" * 200} for i in range(DOCS)])
            if name == "profiler level 1":
                assert db.command({"profile": 1, "slowms": 100})["was"] == 0
            coll = db.c
            assert proc.proc is not None
            targets.append((proc.proc.pid, lambda i, coll=coll: coll.find_one({"_id": i % DOCS})))
        stop = threading.Event()
        url = next(
            m.group(1)
            for line in servers["metrics on"].output
            if (m := re.search(r"Prometheus text on (\S+)", line))
        )
        scraper = threading.Thread(target=_scrape_every_second, args=(url, stop), daemon=True)
        scraper.start()
        samples = timed(targets, settings)
        stop.set()
        scraper.join()
        base = samples[list(servers).index("plain")].rate
        print(f"find_one, {settings.seconds:.0f} s each, interleaved 0.1 s slices")
        for name, sample in zip(servers, samples, strict=True):
            print(
                f"  {name:<20} {sample.rate:>9.0f} ops/s  {sample.cpu_us_per_op:>6.1f} µs server CPU/op"
                f"  ratio {sample.rate / base:.3f}"
            )
        for client in clients:
            client.close()
    finally:
        for proc in servers.values():
            proc.stop()


if __name__ == "__main__":
    main()
