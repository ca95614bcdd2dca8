"""Whole-collection work side by side: docdb (columns on and off), SecantusDB and NX-27017, same run.

    python bench/bench_columns.py [--docs 100000] [--seconds 3] [--no-peers]
    python bench/bench_columns.py --docs 1000000 --no-peers      # docdb alone at 1M documents

The peers are installed from PyPI into the benchmark's own virtual environment (``bench/.peers``, made on
first use: ``secantusdb`` and ``nx-27017``) and started as servers on free loopback ports. Every server
gets the same documents (~200 B: the shape of issue 16's table) through PyMongo, then the workloads run in
0.1 s slices taken in turn (``interleaved``), so neighbours' load falls on all alike:

- ``$match`` + ``$group`` (10 keys, ``$sum``, ``$avg``) + ``$sort``;
- an unindexed ``find({name: X})`` that returns one document.

Also reported: docdb's first query on a cold collection (columns built inside it) against the row path's,
and the column cache's size. Nothing here asserts on speed.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil
import pymongo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from run import SLICE_S, Sample, cpu_seconds, free_port  # noqa: E402

from tests.serverproc import ServerProcess  # noqa: E402

PEERS_ENV = ROOT / "bench" / ".peers"
PEER_PACKAGES = ["secantusdb", "nx-27017"]
PIPELINE = [
    {"$match": {"qty": {"$gte": 1}}},
    {"$group": {"_id": "$region", "total": {"$sum": "$price"}, "avg": {"$avg": "$qty"}}},
    {"$sort": {"_id": 1}},
]


def make_docs(n: int) -> list[dict]:
    return [
        {
            "_id": i,
            "name": f"customer-{i:07d}",
            "email": f"customer{i}@example.com",
            "region": f"region-{i % 10}",
            "qty": i % 50,
            "price": (i % 1000) * 0.25,
            "active": i % 3 != 0,
            "tags": "alpha beta gamma",
            "note": "x" * 40,
        }
        for i in range(n)
    ]


def ensure_peers() -> Path:
    """The peers' virtual environment, created and filled from PyPI on first use."""
    python = PEERS_ENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(PEERS_ENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "--pre", *PEER_PACKAGES], check=True)
    return PEERS_ENV / "bin"


def wait_ready(port: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with pymongo.MongoClient(port=port, serverSelectionTimeoutMS=500, directConnection=True) as c:
                c.admin.command("ping")
                return
        except pymongo.errors.PyMongoError:
            time.sleep(0.2)
    raise RuntimeError(f"server on port {port} did not answer")


def start_peer(name: str, bin_dir: Path, workdir: Path) -> tuple[subprocess.Popen, int]:
    port = free_port()
    if name == "SecantusDB":
        args = [
            str(bin_dir / "secantusd-py"),
            "--port",
            str(port),
            "--storage-path",
            str(workdir / "secantus"),
        ]
        args += ["--log-level", "WARNING"]
    else:
        args = [str(bin_dir / "nx-27017"), "--port", str(port), "--db", str(workdir / "nx.db")]
        args += ["--log-file", str(workdir / "nx.log"), "--pid-file", str(workdir / "nx.pid")]
    proc = subprocess.Popen(args, cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_ready(port)
    return proc, port


def load(port: int, docs: list[dict]) -> float:
    with pymongo.MongoClient(port=port, directConnection=True) as client:
        coll = client.bench.orders
        coll.drop()
        start = time.perf_counter()
        for i in range(0, len(docs), 1000):
            coll.insert_many(docs[i : i + 1000], ordered=True)
        return time.perf_counter() - start


def _write_heavy(coll: Any, i: int) -> None:
    """Ten inserts, then the aggregate: every aggregate meets a collection changed since the last one."""
    for k in range(10):
        coll.insert_one({"_id": f"mix-{i}-{k}", "region": "region-1", "qty": 1, "price": 1.0})
    list(coll.aggregate(PIPELINE))


def interleaved(targets: list[tuple[int, Any]], seconds: float) -> list[Sample]:
    """Like ``run.timed`` for slow operations: each target runs in turn for a 0.1 s slice, the clock read
    after every call (a peer's aggregate can take a second), until each has run ``seconds``."""
    for _, op in targets:
        op(0)  # warm-up
    ops, spent, cpu = [0] * len(targets), [0.0] * len(targets), [0.0] * len(targets)
    while min(spent) < seconds:
        for k, (pid, op) in enumerate(targets):
            cpu0, t0 = cpu_seconds(pid), time.perf_counter()
            while True:
                op(ops[k])
                ops[k] += 1
                now = time.perf_counter()
                if now - t0 >= SLICE_S:
                    break
            spent[k] += now - t0
            cpu[k] += cpu_seconds(pid) - cpu0
    return [Sample(n, t, c) for n, t, c in zip(ops, spent, cpu, strict=True)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--no-peers", action="store_true", help="docdb only (columns on and off)")
    args = parser.parse_args(argv)
    docs = make_docs(args.docs)
    procs: list[subprocess.Popen] = []
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        targets: list[tuple[str, int, int]] = []  # (label, pid, port)
        docdb_on = ServerProcess(workdir / "on.mdb").start()
        docdb_off = ServerProcess(workdir / "off.mdb", ["--column-cache-mb", "0"]).start()
        targets += [
            ("docdb", docdb_on.proc.pid, docdb_on.port),
            ("docdb rows", docdb_off.proc.pid, docdb_off.port),
        ]
        if not args.no_peers:
            bin_dir = ensure_peers()
            for name in ("SecantusDB", "NX-27017"):
                proc, port = start_peer(name, bin_dir, workdir)
                procs.append(proc)
                targets.append((name, proc.pid, port))
        try:
            for label, _, port in targets:
                print(f"loaded {args.docs} documents into {label} in {load(port, docs):.1f} s", flush=True)
            clients = {
                label: pymongo.MongoClient(port=port, directConnection=True) for label, _, port in targets
            }
            cold = {}
            for label in ("docdb", "docdb rows"):
                coll = clients[label].bench.orders
                start = time.perf_counter()
                list(coll.aggregate(PIPELINE))
                cold[label] = time.perf_counter() - start
            expected = list(clients["docdb rows"].bench.orders.aggregate(PIPELINE))
            for label, client in clients.items():
                if list(client.bench.orders.aggregate(PIPELINE)) != expected:
                    print(f"note: {label} answers the pipeline differently from docdb's row engine")
            n = args.docs
            group_samples = interleaved(
                [
                    (pid, lambda i, c=clients[label]: list(c.bench.orders.aggregate(PIPELINE)))
                    for label, pid, _ in targets
                ],
                args.seconds,
            )
            find_samples = interleaved(
                [
                    (
                        pid,
                        lambda i, c=clients[label]: list(
                            c.bench.orders.find({"name": f"customer-{(i * 7919) % n:07d}"})
                        ),
                    )
                    for label, pid, _ in targets
                ],
                args.seconds,
            )
            rss_mb = {label: psutil.Process(pid).memory_info().rss >> 20 for label, pid, _ in targets[:2]}
            mix = interleaved(
                [
                    (pid, lambda i, c=clients[label]: _write_heavy(c.bench.orders, i))
                    for label, pid, _ in targets[:2]
                ],
                args.seconds,
            )
        finally:
            for client in locals().get("clients", {}).values():
                client.close()
            docdb_on.stop()
            docdb_off.stop()
            for proc in procs:
                proc.terminate()
                proc.wait(10)
    print(
        f"\n{args.docs} documents, {args.seconds} s per workload, same run (ops/s; ratio to the fastest peer)"
    )
    peers = [label for label, _, _ in targets if not label.startswith("docdb")]
    for title, samples in (("$match+$group+$sort", group_samples), ("unindexed find({name})", find_samples)):
        rates = {label: s.rate for (label, _, _), s in zip(targets, samples, strict=True)}
        best_peer = max((rates[p] for p in peers), default=0.0)
        row = "  ".join(f"{label} {rate:8.2f}" for label, rate in rates.items())
        ratio = f"  docdb / fastest peer = {rates['docdb'] / best_peer:.1f}x" if best_peer else ""
        print(f"{title:<26} {row}{ratio}")
    print(f"cold collection, first query: columns {cold['docdb']:.2f} s, rows {cold['docdb rows']:.2f} s")
    print(
        f"write-heavy mix (10 insert_one + aggregate): columns {mix[0].rate:.2f}/s, rows {mix[1].rate:.2f}/s"
    )
    print(f"resident memory: docdb {rss_mb['docdb']} MiB with columns, {rss_mb['docdb rows']} MiB without")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    raise SystemExit(main())
