"""$lookup join throughput through a real server: N orders x N products (default 10 000 x 10 000).

    python bench/bench_aggregation.py [--docs N] [--repeat R]

Measures an equality $lookup (localField/foreignField) whose output is reduced by $unwind + $group, so
the reply is small and the time is the server's join: first without an index on the foreign field, then
with one (skipped, and said so, when the server refuses createIndexes). Also the same join written with
``let`` + ``pipeline`` + ``localField``/``foreignField`` combined. Best of ``--repeat`` runs; no assertions.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pymongo.errors import OperationFailure  # noqa: E402
from timing import best_of  # noqa: E402

from tests.serverproc import ServerProcess  # noqa: E402


def lookup_pipeline(combined: bool) -> list[dict]:
    lookup: dict = {"from": "products", "localField": "sku", "foreignField": "sku", "as": "product"}
    if combined:
        lookup |= {"let": {"qty": "$qty"}, "pipeline": [{"$project": {"_id": 0, "price": 1}}]}
    return [
        {"$lookup": lookup},
        {"$unwind": "$product"},
        {
            "$group": {
                "_id": None,
                "revenue": {"$sum": {"$multiply": ["$qty", "$product.price"]}},
                "n": {"$sum": 1},
            }
        },
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    n = args.docs
    rows: list[tuple[str, float | None]] = []
    with ServerProcess(None) as server, server.client() as client:
        db = client.bench
        db.products.insert_many([{"_id": i, "sku": f"sku-{i}", "price": i % 50 + 1} for i in range(n)])
        db.orders.insert_many(
            [{"_id": i, "sku": f"sku-{(i * 7919) % n}", "qty": i % 5 + 1} for i in range(n)]
        )

        def run(combined: bool) -> None:
            [result] = db.orders.aggregate(lookup_pipeline(combined))
            assert result["n"] == n, result

        rows.append(("$lookup localField/foreignField, no index", best_of(args.repeat, lambda: run(False))))
        rows.append(("$lookup combined let+pipeline, no index", best_of(args.repeat, lambda: run(True))))
        try:
            db.products.create_index("sku")
        except OperationFailure as exc:
            print(f"createIndexes refused ({exc.code}): indexed case skipped")
            rows.append(("$lookup localField/foreignField, index", None))
        else:
            rows.append(("$lookup localField/foreignField, index", best_of(args.repeat, lambda: run(False))))
    print(f"{'workload':<48} {'orders/s':>12} {'ms':>8}   ({n} x {n})")
    for name, seconds in rows:
        if seconds is None:
            print(f"{name:<48} {'-':>12} {'-':>8}")
        else:
            print(f"{name:<48} {n / seconds:>12,.0f} {seconds * 1000:>8.0f}")


if __name__ == "__main__":
    main()
