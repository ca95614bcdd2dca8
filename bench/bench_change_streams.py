"""Change stream benchmarks (issue 15).

    python bench/bench_change_streams.py [--events 1000000] [--seconds 3] [--streams 100]

Numbers go to stdout, one line each; nothing asserts on speed. The server is a real ``docdb-server``
subprocess in replica-set mode over a scratch file.

1. Delivery: ``insert_one`` acknowledged -> the event in a ``watch()`` waiting on another connection
   (p50 / p90 / p99 over 500 inserts, one at a time).
2. Idle streams: the server's CPU over 3 s with ``--streams`` open change streams, each with a getMore
   parked (no writes); then ``insert_one`` rate with those streams open against the same with none
   (interleaved slices, ``run.timed``).
3. Resume: with ``--events`` events in the history, the time from ``watch(resume_after=token)`` to the
   first event for a token that many events back and for one a single event back (the seek is a
   binary search, the reading sequential).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from run import FULL, Settings, cpu_seconds, timed  # noqa: E402

from tests.serverproc import ServerProcess  # noqa: E402

RS = ["--replica-set", "rs0"]


def delivery(proc: ServerProcess, n: int = 500) -> None:
    with proc.client() as writer, proc.client() as reader:
        coll = writer.bench.delivery
        got: dict[int, float] = {}
        arrived = threading.Condition()
        ready = threading.Event()

        def watch() -> None:
            with reader.bench.delivery.watch(max_await_time_ms=10_000) as stream:
                ready.set()
                for event in stream:
                    now = time.perf_counter()
                    with arrived:
                        got[event["documentKey"]["_id"]] = now
                        arrived.notify()
                    if len(got) == n:
                        return

        thread = threading.Thread(target=watch)
        thread.start()
        ready.wait()
        time.sleep(0.2)  # the stream's first getMore is parked
        latencies = []
        for i in range(n):
            coll.insert_one({"_id": i})
            acked = time.perf_counter()
            with arrived:
                arrived.wait_for(lambda i=i: i in got, timeout=10)
            latencies.append((got[i] - acked) * 1000)
        thread.join()
    q = statistics.quantiles(latencies, n=100)
    print(f"delivery insert_one ack -> event: p50 {q[49]:.2f} ms, p90 {q[89]:.2f} ms, p99 {q[98]:.2f} ms")


def idle_streams(proc: ServerProcess, streams: int, settings: Settings) -> None:
    with proc.client(maxPoolSize=streams + 10) as watcher, proc.client() as writer:
        stop = threading.Event()
        opened = threading.Semaphore(0)

        def idle() -> None:
            with watcher.bench.idle.watch(max_await_time_ms=5_000) as stream:
                opened.release()
                while not stop.is_set():
                    stream.try_next()

        threads = [threading.Thread(target=idle, daemon=True) for _ in range(streams)]
        for t in threads:
            t.start()
        for _ in threads:
            opened.acquire()
        time.sleep(1.0)
        cpu0, t0 = cpu_seconds(proc.proc.pid), time.perf_counter()
        time.sleep(3.0)
        cpu = cpu_seconds(proc.proc.pid) - cpu0
        print(f"{streams} idle streams: server CPU {cpu * 1000:.0f} ms over {time.perf_counter() - t0:.1f} s")
        coll = writer.bench.busy
        with_streams = timed([(proc.proc.pid, lambda i: coll.insert_one({"_id": i}))], settings)[0]
        stop.set()
    with proc.client() as writer:
        coll = writer.bench.busy2
        none = timed([(proc.proc.pid, lambda i: coll.insert_one({"_id": i}))], settings)[0]
    print(
        f"insert_one with {streams} open streams: {with_streams.rate:,.0f} ops/s; with none: "
        f"{none.rate:,.0f} ops/s; ratio {with_streams.rate / none.rate:.2f}"
    )


def resume(work: Path, events: int) -> None:
    mb = max(256, events * 400 // (1 << 20))
    with (
        ServerProcess(work / "resume.mdb", [*RS, "--oplog-size-mb", str(mb)]) as proc,
        proc.client() as client,
    ):
        coll = client.bench.resume
        with coll.watch(max_await_time_ms=5_000) as stream:
            coll.insert_one({"_id": -1})
            far = stream.next()["_id"]
        batch = 10_000
        for start in range(0, events, batch):
            coll.insert_many([{"_id": i} for i in range(start, min(events, start + batch))], ordered=False)
        with coll.watch(max_await_time_ms=5_000) as stream:
            coll.insert_one({"_id": "near"})
            near_event = stream.next()
        coll.insert_one({"_id": "after"})
        for label, token in ((f"{events:,} events back", far), ("1 event back", near_event["_id"])):
            t0 = time.perf_counter()
            with coll.watch(resume_after=token, max_await_time_ms=5_000, batch_size=100) as stream:
                stream.next()
                first = time.perf_counter() - t0
                for _ in range(999):
                    stream.next()
                thousand = time.perf_counter() - t0
            print(f"resume {label}: first event {first * 1000:.1f} ms, 1000 events {thousand * 1000:.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--streams", type=int, default=100)
    args = parser.parse_args()
    settings = Settings(warmup_ops=FULL.warmup_ops, seconds=args.seconds, bulk_docs=FULL.bulk_docs)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        with ServerProcess(work / "cs.mdb", RS) as proc:
            delivery(proc)
            idle_streams(proc, args.streams, settings)
        resume(work, args.events)


if __name__ == "__main__":
    main()
