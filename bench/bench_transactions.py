"""Transaction and retryable-write benchmarks (issue 11).

    python bench/bench_transactions.py [--docs 1000000] [--seconds 3] [--sessions 1000]

Numbers go to stdout, one line each; nothing asserts on speed. Servers are real ``docdb-server``
subprocesses over scratch files. Timed pairs run in turn in 0.1 s slices (``run.timed``), so load from
neighbours on a shared machine falls on both sides alike.

1. ``insert_one`` with retryable writes (PyMongo's default) in replica-set mode, against the same on a
   standalone (where drivers send no ``txnNumber``): the cost of the (lsid, txnNumber, stmtId) fact.
2. A transaction of 10 ``insert_one``s against the same 10 inserts without one.
3. Starting a transaction (first statement: a find by ``_id``, then commit) on a collection of
   ``--docs`` documents against the same on an empty one: the snapshot copies nothing.
4. Server memory (RSS) of ``--sessions`` sessions each holding an open transaction of 1 and of 10
   inserted documents: memory grows with the writes, not the data.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import pymongo
from bson.int64 import Int64

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from run import Settings, timed  # noqa: E402

from tests.serverproc import ServerProcess  # noqa: E402

RS = ["--replica-set", "rs0"]


def rss_bytes(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


def retryable_inserts(work: Path, settings: Settings) -> None:
    """One-document inserts as a driver sends them with retryable writes on (``lsid`` + ``txnNumber``)
    to the replica set and without ``txnNumber`` to the standalone (drivers retry only on replica sets),
    through the same client calls on both sides."""
    with ServerProcess(work / "rs.mdb", RS) as rs, ServerProcess(work / "sa.mdb") as sa:
        with (
            rs.client() as rc,
            sa.client() as sc,
            rc.start_session() as rsession,
            sc.start_session() as ssession,
        ):
            rdb, sdb = rc.bench, sc.bench

            def retryable(i: int) -> None:
                cmd = {"insert": "c", "documents": [{"n": i, "pad": "x" * 100}], "txnNumber": Int64(i + 1)}
                rdb.command(cmd, session=rsession)

            def plain(i: int) -> None:
                sdb.command({"insert": "c", "documents": [{"n": i, "pad": "x" * 100}]}, session=ssession)

            r, s = timed([(rs.proc.pid, retryable), (sa.proc.pid, plain)], settings)
    print(
        f"insert_one retryable (txnNumber): replica set {r.rate:,.0f}/s ({r.cpu_us_per_op:.0f} us CPU), "
        f"standalone {s.rate:,.0f}/s ({s.cpu_us_per_op:.0f} us CPU): ratio {r.rate / s.rate:.2f}"
    )


def transaction_vs_plain(work: Path, settings: Settings) -> None:
    with ServerProcess(work / "tx.mdb", RS) as server, server.client() as client:
        coll = client.bench.c
        pid = server.proc.pid

        def in_transaction(i: int) -> None:
            with client.start_session() as session, session.start_transaction():
                for k in range(10):
                    coll.insert_one({"_id": f"t{i}:{k}"}, session=session)

        def plain(i: int) -> None:
            for k in range(10):
                coll.insert_one({"_id": f"p{i}:{k}"})

        t, p = timed([(pid, in_transaction), (pid, plain)], settings)
    print(
        f"10 inserts: in a transaction {1e3 / t.rate:.2f} ms, without {1e3 / p.rate:.2f} ms: "
        f"ratio {p.rate / t.rate:.2f}"
    )


def start_on_big_vs_empty(work: Path, settings: Settings, docs: int) -> None:
    with ServerProcess(work / "big.mdb", RS) as server, server.client() as client:
        big, empty = client.bench.big, client.bench.empty
        batch = 10_000
        for start in range(0, docs, batch):
            big.insert_many(
                [{"_id": i, "v": i} for i in range(start, min(docs, start + batch))], ordered=False
            )
        empty.insert_one({"_id": 0})
        empty.delete_one({"_id": 0})

        def start(coll: pymongo.collection.Collection) -> None:
            with client.start_session() as session, session.start_transaction():
                coll.find_one({"_id": 7}, session=session)

        b, e = timed(
            [(server.proc.pid, lambda i: start(big)), (server.proc.pid, lambda i: start(empty))], settings
        )
    print(
        f"start a transaction (find_one + commit): on {docs:,} documents {1e6 / b.rate:.0f} us, on an "
        f"empty collection {1e6 / e.rate:.0f} us: ratio {e.rate / b.rate:.2f}"
    )


def memory_of_open_sessions(work: Path, sessions: int) -> None:
    for writes in (1, 10):
        with ServerProcess(work / f"mem{writes}.mdb", RS) as server, server.client(maxPoolSize=4) as client:
            coll = client.bench.c
            coll.insert_one({"_id": "warm"})
            before = rss_bytes(server.proc.pid)
            opened = []
            for s in range(sessions):
                session = client.start_session()
                session.start_transaction()
                coll.insert_many(
                    [{"_id": f"{s}:{k}", "pad": "x" * 100} for k in range(writes)], session=session
                )
                opened.append(session)
            after = rss_bytes(server.proc.pid)
            for session in opened:
                session.abort_transaction()
                session.end_session()
        per = (after - before) / sessions
        print(
            f"{sessions} open transactions of {writes} insert(s) of ~130 B: "
            f"RSS +{(after - before) / 1e6:.1f} MB ({per / 1e3:.1f} kB per transaction)"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--docs", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--sessions", type=int, default=1000)
    args = parser.parse_args(argv)
    settings = Settings(warmup_ops=100, seconds=args.seconds, bulk_docs=0)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        retryable_inserts(work, settings)
        transaction_vs_plain(work, Settings(warmup_ops=20, seconds=args.seconds, bulk_docs=0))
        start_on_big_vs_empty(work, settings, args.docs)
        memory_of_open_sessions(work, args.sessions)
    return 0


if __name__ == "__main__":
    sys.exit(main())
