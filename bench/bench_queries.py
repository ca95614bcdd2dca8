"""Full-scan query and aggregation throughput over 100 000 documents, through a real server.

    python bench/bench_queries.py [--docs N] [--repeat R]

Prints documents examined per second for an unindexed two-field filter (issue: >= 300 000/s) and input
documents per second for $match + $group (10 groups) + $sort (>= 200 000/s). Both are measured end to
end with PyMongo (the reply is small, so the time is the server's scan), best of ``--repeat`` runs.
No assertions: these are numbers to compare between commits on the same machine.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from timing import best_of  # noqa: E402

from tests.serverproc import ServerProcess  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    n = args.docs
    with ServerProcess(None) as server, server.client() as client:
        coll = client.bench.docs
        docs = [
            {"_id": i, "a": i % 100, "b": i % 7, "g": i % 10, "v": i * 1.5, "s": f"name-{i}"}
            for i in range(n)
        ]
        for start in range(0, n, 1000):
            coll.insert_many(docs[start : start + 1000])
        scan = best_of(args.repeat, lambda: list(coll.find({"a": 5, "b": {"$gt": 3}})))
        pipeline = [
            {"$match": {"b": {"$gte": 1}}},
            {"$group": {"_id": "$g", "total": {"$sum": "$v"}, "count": {"$sum": 1}}},
            {"$sort": {"total": -1}},
        ]
        agg = best_of(args.repeat, lambda: list(coll.aggregate(pipeline)))
    print(f"{'workload':<44} {'docs/s':>12} {'ms':>8}")
    print(f"{'find {a: 5, b: {$gt: 3}} full scan':<44} {n / scan:>12,.0f} {scan * 1000:>8.0f}")
    print(f"{'aggregate $match+$group(10)+$sort':<44} {n / agg:>12,.0f} {agg * 1000:>8.0f}")


if __name__ == "__main__":
    main()
