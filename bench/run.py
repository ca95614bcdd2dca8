"""docdb micro-benchmarks: the same PyMongo workload against docdb-server and against a null responder.

    python bench/run.py [--quick] [--json out.json]

Both servers run as subprocesses on free loopback ports. Each workload warms up, then runs for a fixed
time against both, in 0.1 s slices taken in turn; we report client-observed ops/s for each target, their
ratio, and the server process's CPU time per operation (user + system, all threads, from
/proc/<pid>/stat). Then docdb-server's start-up time (spawn to
first accepted TCP connection, empty file) and exit time after SIGTERM. Nothing here asserts on speed.
See bench/README.md for what each number means.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import pymongo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from serverproc import READY, ServerProcess  # noqa: E402

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}


@dataclass(frozen=True, slots=True)
class Settings:
    """How long each measurement runs; ``--quick`` shrinks everything to stay under 30 s in total."""

    warmup_ops: int
    seconds: float
    bulk_docs: int
    bulk_batch: int = 1000
    startup_runs: int = 3


FULL = Settings(warmup_ops=500, seconds=3.0, bulk_docs=100_000, startup_runs=5)
QUICK = Settings(warmup_ops=200, seconds=1.0, bulk_docs=20_000, startup_runs=3)


@dataclass(frozen=True, slots=True)
class Sample:
    """One workload against one target: ``ops`` operations (documents, for bulk) in ``seconds``."""

    ops: int
    seconds: float
    server_cpu_s: float

    @property
    def rate(self) -> float:
        return self.ops / self.seconds

    @property
    def cpu_us_per_op(self) -> float:
        return self.server_cpu_s / self.ops * 1e6


@dataclass(frozen=True, slots=True)
class Row:
    """A line of the report table (and of the JSON output)."""

    name: str
    unit: str
    docdb_rate: float
    responder_rate: float
    ratio: float
    docdb_cpu_us_per_op: float
    responder_cpu_us_per_op: float


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a whole process (all its threads), in seconds; 1/CLK_TCK resolution."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime: fields 14 and 15 of stat(5)


SLICE_S = 0.1  # each target runs this long before the next one's turn


def timed(targets: list[tuple[int, Callable[[int], object]]], settings: Settings) -> list[Sample]:
    """Each target's ``op(i)`` (``(server pid, op)``) warmed up, then run in turn in ``SLICE_S`` slices
    until each has run ``settings.seconds``, checking the clock every 10 calls. Interleaving makes load
    from neighbours on a shared machine fall on every target alike; ``i`` keeps counting up per target
    across its slices. A server's CPU time is counted from before its first slice to after the last one:
    work it does after replying (the metrics, the change history's batch entries) is counted even when
    it runs during another target's slice."""
    for _, op in targets:
        for i in range(settings.warmup_ops):
            op(i)
    next_i = [settings.warmup_ops] * len(targets)
    ops, seconds = [0] * len(targets), [0.0] * len(targets)
    cpu0 = [cpu_seconds(pid) for pid, _ in targets]
    while min(seconds) < settings.seconds:
        for k, (_, op) in enumerate(targets):
            i = start = next_i[k]
            t0 = time.perf_counter()
            while True:
                for _ in range(10):
                    op(i)
                    i += 1
                now = time.perf_counter()
                if now - t0 >= SLICE_S:
                    break
            ops[k] += i - start
            seconds[k] += now - t0
            next_i[k] = i
    cpu = [cpu_seconds(pid) - start for (pid, _), start in zip(targets, cpu0, strict=True)]
    return [Sample(n, t, c) for n, t, c in zip(ops, seconds, cpu, strict=True)]


def run_workloads(targets: list[tuple[str, int]], settings: Settings) -> list[dict[str, Sample]]:
    """The PyMongo workload against every ``(uri, server pid)`` target at once, interleaved (see
    ``timed``), on a fresh database ``bench`` of each; one ``{workload: Sample}`` per target."""
    clients = [pymongo.MongoClient(uri, serverSelectionTimeoutMS=10_000) for uri, _ in targets]
    pids = [pid for _, pid in targets]
    results: list[dict[str, Sample]] = [{} for _ in targets]

    def record(name: str, ops: list[Callable[[int], object]]) -> list[Sample]:
        samples = timed(list(zip(pids, ops, strict=True)), settings)
        for result, sample in zip(results, samples, strict=True):
            result[name] = sample
        return samples

    try:
        for client in clients:
            client.drop_database("bench")
        colls = [client.bench.items for client in clients]
        record("ping", [lambda i, c=client: c.admin.command("ping") for client in clients])
        inserted = [
            sample.ops + settings.warmup_ops
            for sample in record(
                "insert_one",
                [lambda i, c=coll: c.insert_one({"_id": i, "n": 0, "s": "x" * 16}) for coll in colls],
            )
        ]
        record(
            "find_one by _id",
            [
                lambda i, c=coll, n=n: c.find_one({"_id": i % n})
                for coll, n in zip(colls, inserted, strict=True)
            ],
        )
        record(
            "update_one $inc",
            [
                lambda i, c=coll, n=n: c.update_one({"_id": i % n}, {"$inc": {"n": 1}})
                for coll, n in zip(colls, inserted, strict=True)
            ],
        )
        name = f"insert_many ({settings.bulk_batch}/batch)"
        for result, sample in zip(
            results, bulk_insert([c.bench.bulk for c in clients], pids, settings), strict=True
        ):
            result[name] = sample
        for client in clients:
            client.drop_database("bench")
        return results
    finally:
        for client in clients:
            client.close()


def bulk_insert(
    colls: list[pymongo.collection.Collection], pids: list[int], settings: Settings
) -> list[Sample]:
    """Insert ``bulk_docs`` small documents into each target with insert_many, in batches built
    beforehand, the targets taking turns batch by batch (docs/s)."""
    size = settings.bulk_batch
    warmup = [{"_id": -1 - i, "i": i} for i in range(size)]
    for coll in colls:
        coll.insert_many(warmup, ordered=True)
    batches = [
        [{"_id": start + i, "i": start + i, "s": "abcdefgh"} for i in range(size)]
        for start in range(0, settings.bulk_docs, size)
    ]
    seconds = [0.0] * len(colls)
    cpu0 = [cpu_seconds(pid) for pid in pids]  # (counted over the whole run, as in ``timed``)
    for batch in batches:
        for k, coll in enumerate(colls):
            t0 = time.perf_counter()
            coll.insert_many(batch, ordered=True)
            seconds[k] += time.perf_counter() - t0
    cpu = [cpu_seconds(pid) - start for pid, start in zip(pids, cpu0, strict=True)]
    return [Sample(settings.bulk_docs, t, c) for t, c in zip(seconds, cpu, strict=True)]


def start_responder() -> tuple[subprocess.Popen[str], int]:
    """Start bench/null_responder.py on a free port and wait for its ready line."""
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "bench" / "null_responder.py"), "--port", "0"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=ENV,
    )
    assert proc.stderr is not None
    output = []
    for line in proc.stderr:
        output.append(line)
        match = READY.search(line)
        if match:
            return proc, int(match.group(2))
    proc.wait(5)
    raise RuntimeError(f"null responder exited {proc.returncode}: {''.join(output)}")


def stop(proc: subprocess.Popen[str]) -> int:
    """SIGTERM and wait (SIGKILL after 10 s)."""
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.wait(5)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def startup_and_exit(runs: int) -> dict[str, float | int]:
    """Median seconds from spawn to first accepted connection (empty file), and from SIGTERM to exit."""
    starts, exits, codes = [], [], []
    for _ in range(runs):
        with tempfile.TemporaryDirectory(prefix="docdb-bench-") as tmp:
            port = free_port()
            args = [sys.executable, "-m", "docdb", "--file", f"{tmp}/db.mdb", "--port", str(port)]
            t0 = time.perf_counter()
            proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV)
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    if proc.poll() is not None or time.perf_counter() - t0 > 30:
                        proc.kill()
                        raise RuntimeError(f"docdb-server did not start (exit {proc.poll()})") from None
                    time.sleep(0.002)
            starts.append(time.perf_counter() - t0)
            t1 = time.perf_counter()
            codes.append(stop(proc))  # type: ignore[arg-type]
            exits.append(time.perf_counter() - t1)
    return {
        "startup_s": statistics.median(starts),
        "exit_after_sigterm_s": statistics.median(exits),
        "exit_codes": codes,
        "runs": runs,
    }


def compare(docdb: dict[str, Sample], responder: dict[str, Sample]) -> list[Row]:
    rows = []
    for name, sample in docdb.items():
        ceiling = responder[name]
        unit = "docs/s" if name.startswith("insert_many") else "ops/s"
        rows.append(
            Row(
                name,
                unit,
                sample.rate,
                ceiling.rate,
                sample.rate / ceiling.rate,
                sample.cpu_us_per_op,
                ceiling.cpu_us_per_op,
            )
        )
    return rows


def format_table(rows: list[Row], lifecycle: dict[str, float | int]) -> str:
    header = ("workload", "unit", "docdb", "responder", "ratio", "docdb cpu µs", "resp cpu µs")
    lines = [
        f"{header[0]:<24} {header[1]:<7} {header[2]:>10} {header[3]:>10} {header[4]:>6} "
        f"{header[5]:>12} {header[6]:>11}"
    ]
    for r in rows:
        lines.append(
            f"{r.name:<24} {r.unit:<7} {r.docdb_rate:>10,.0f} {r.responder_rate:>10,.0f} {r.ratio:>6.2f} "
            f"{r.docdb_cpu_us_per_op:>12.1f} {r.responder_cpu_us_per_op:>11.1f}"
        )
    lines.append("")
    lines.append(
        f"docdb-server start-up to first accepted connection (empty file): "
        f"{lifecycle['startup_s'] * 1000:.0f} ms; exit after SIGTERM: "
        f"{lifecycle['exit_after_sigterm_s'] * 1000:.0f} ms (exit codes {lifecycle['exit_codes']}, "
        f"median of {lifecycle['runs']})"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="docdb vs null-responder micro-benchmarks (PyMongo)")
    parser.add_argument("--quick", action="store_true", help="short runs, under 30 s in total")
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    args = parser.parse_args(argv)
    settings = QUICK if args.quick else FULL

    responder, responder_port = start_responder()
    try:
        with (
            tempfile.TemporaryDirectory(prefix="docdb-bench-") as tmp,
            ServerProcess(f"{tmp}/db.mdb", env=ENV) as srv,
        ):
            assert srv.proc is not None
            measured, ceiling = run_workloads(
                [
                    (srv.uri, srv.proc.pid),
                    (f"mongodb://127.0.0.1:{responder_port}/?directConnection=true", responder.pid),
                ],
                settings,
            )
    finally:
        stop(responder)
    lifecycle = startup_and_exit(settings.startup_runs)

    rows = compare(measured, ceiling)
    print(format_table(rows, lifecycle))
    if args.json:
        report = {
            "settings": asdict(settings),
            "machine": {
                "python": platform.python_version(),
                "pymongo": pymongo.version,
                "cpus": os.cpu_count(),
            },
            "workloads": [asdict(r) for r in rows],
            "lifecycle": lifecycle,
        }
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
