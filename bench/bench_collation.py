"""Collation benchmark (issue 14's target), one docdb-server, workloads taken in turns.

    python bench/bench_collation.py [--seconds 3] [--docs 100000]

1. Sort 100 000 strings: ``find({}).sort("s", 1).limit(1)`` with ``collation: {locale: "en"}`` vs
   without. The limit keeps the reply one document, so the server's sort (every document keyed, then
   ordered) is what is timed. Target: the collated sort within 3x of the binary one (ICU sort keys,
   computed once per value).
2. The same sort, in-process: ``sorted(strings, key=collator.sort_key)`` vs ``key=bson_order.sort_key``,
   to show the comparator's own cost apart from the server's document handling.
3. The default path with collation support in place (no collation asked for), against ``--baseline DIR``
   (a checkout of the commit before collation, e.g. ``git archive <commit> | tar -x -C DIR``) when
   given: (a) in-process, the engine's compiled filter, sort and ``$group`` over 20 000 documents, CPU
   time (best of 15) in a fresh interpreter per tree, the trees taking turns 5 times, so wall-clock noise
   from neighbours does not count; (b) a filtered find, a ``$group`` and a sorted find against the two
   servers in alternating slices (wall clock: noisy on a shared machine).

Each pair runs in ``run.timed``'s alternating 0.1 s slices, so load from neighbours on a shared machine
weighs on both alike. Nothing asserts: these are numbers to compare.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

from run import ENV, Settings, timed  # noqa: E402
from serverproc import ServerProcess  # noqa: E402

WORDS = ["apple", "Äpfel", "banana", "Banane", "cote", "côte", "coté", "zèbre", "Zebra", "item"]


def strings(n: int) -> list[str]:
    """``n`` mixed-case, accented strings with numbers in them (what a collation has to work at)."""
    rng = random.Random(14)
    return [f"{rng.choice(WORDS)} {rng.randrange(100_000)} {rng.choice(WORDS)}" for _ in range(n)]


def in_process(values: list[str]) -> None:
    from docdb.engine import bson_order
    from docdb.engine.collation import parse_collation

    collator = parse_collation({"locale": "en"})
    for label, key in (("binary", bson_order.sort_key), ("en", collator.sort_key)):
        best = min(_seconds(lambda key=key: sorted(values, key=key)) for _ in range(3))
        print(f"in-process  sorted({len(values)} strings, key={label} sort_key)  {best * 1000:7.1f} ms")


def _seconds(fn) -> float:  # noqa: ANN001
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


# Run in a fresh interpreter with one tree on sys.path: best-of-15 CPU seconds of each default-path workload.
_DEFAULT_PATH = """
import random, sys, time
from types import SimpleNamespace
from docdb.engine.aggregation.pipeline import compile_pipeline
from docdb.engine.matcher import compile_filter
from docdb.engine.sort import compile_sort

rng = random.Random(14)
docs = [
    {"_id": i, "g": i % 50, "s": "%s %d" % (rng.choice("abcxyz"), rng.randrange(10**6))} for i in range(20000)
]
ctx = SimpleNamespace(variables={}, collection="c", db="d")

def best(fn):
    out = []
    for _ in range(15):
        t0 = time.process_time()
        fn()
        out.append(time.process_time() - t0)
    return min(out)

def filtered():
    match = compile_filter({"g": 7, "s": {"$gt": "b"}})
    return [d for d in docs if match(d)]

def sorted_docs():
    return sorted(docs, key=compile_sort({"s": 1}))

def grouped():
    return list(compile_pipeline([{"$group": {"_id": "$g", "m": {"$max": "$s"}}}], ctx).run(iter(docs)))

print(best(filtered), best(sorted_docs), best(grouped))
"""


def _default_path_in_process(baseline: Path) -> None:
    import subprocess

    totals: dict[str, list[list[float]]] = {"now": [], "before": []}
    for _ in range(5):
        for label, tree in (("now", ROOT), ("before", baseline)):
            env = {**os.environ, "PYTHONPATH": str(tree)}
            out = subprocess.run(
                [sys.executable, "-c", _DEFAULT_PATH],
                env=env,
                cwd=tree,
                capture_output=True,
                text=True,
                check=True,
            )
            totals[label].append([float(x) for x in out.stdout.split()])
    for i, name in enumerate(("find filter", "sort", "$group")):
        now = min(run[i] for run in totals["now"])
        before = min(run[i] for run in totals["before"])
        print(
            f"default     {name:12s} in-process CPU  now {now * 1000:7.2f} ms  before {before * 1000:7.2f} ms"
            f"  ratio {now / before:.3f}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--baseline", type=Path, help="a checkout of docdb before collation support")
    args = parser.parse_args(argv)
    settings = Settings(warmup_ops=2, seconds=args.seconds, bulk_docs=0)
    values = strings(args.docs)
    in_process(values)
    if args.baseline is not None:
        _default_path_in_process(args.baseline)
    with tempfile.TemporaryDirectory() as tmp:
        with ServerProcess(Path(tmp) / "bench.mdb", env=ENV) as server, server.client() as client:
            pid = server.proc.pid
            coll = client.bench.s
            coll.insert_many([{"_id": i, "s": s} for i, s in enumerate(values)])
            binary, collated = timed(
                [
                    (pid, lambda i: list(coll.find({}, {"_id": 1}).sort("s", 1).limit(1))),
                    (
                        pid,
                        lambda i: list(
                            coll.find({}, {"_id": 1}, collation={"locale": "en"}).sort("s", 1).limit(1)
                        ),
                    ),
                ],
                settings,
            )
            print(
                f"find sort   {args.docs} strings  binary {1000 / binary.rate:8.1f} ms"
                f"  en collation {1000 / collated.rate:8.1f} ms  ratio {binary.rate / collated.rate:.2f}x"
                " (target <= 3)"
            )
            if args.baseline is not None:
                _default_path(coll, pid, args.baseline, Path(tmp), values[:20_000], settings)
    return 0


def _default_path(coll, pid: int, baseline: Path, tmp: Path, values: list[str], settings: Settings) -> None:  # noqa: ANN001
    """No collation asked for: this server against the baseline checkout's, on the same documents."""
    env = {**ENV, "PYTHONPATH": str(baseline)}
    cwd = os.getcwd()
    os.chdir(baseline)
    try:
        base_server = ServerProcess(tmp / "base.mdb", env=env)
        base_server.__enter__()
    finally:
        os.chdir(cwd)
    try:
        with base_server.client() as base_client:
            docs = [{"_id": i, "s": s, "g": i % 50} for i, s in enumerate(values)]
            ours, theirs = coll.database.d, base_client.bench.d
            ours.insert_many(docs)
            theirs.insert_many(docs)
            base_pid = base_server.proc.pid
            workloads = {
                "find filter": lambda c, i: list(c.find({"g": i % 50, "s": {"$gt": "b"}})),
                "$group": lambda c, i: list(c.aggregate([{"$group": {"_id": "$g", "m": {"$max": "$s"}}}])),
                "find sort": lambda c, i: list(c.find({}, {"_id": 1}).sort("s", 1).limit(1)),
            }
            for name, op in workloads.items():
                new, old = timed(
                    [(pid, lambda i, op=op: op(ours, i)), (base_pid, lambda i, op=op: op(theirs, i))],
                    settings,
                )
                print(
                    f"default     {name:12s} now {new.rate:8.1f}/s  before {old.rate:8.1f}/s"
                    f"  ratio {new.rate / old.rate:.2f}"
                )
    finally:
        base_server.__exit__(None, None, None)


if __name__ == "__main__":
    raise SystemExit(main())
