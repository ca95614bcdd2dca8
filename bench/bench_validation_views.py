"""Validator and view benchmark (issue 14's targets), one docdb-server, workloads taken in turns.

    python bench/bench_validation_views.py [--seconds 3]

1. insert_one into a collection with a 10-rule ``$jsonSchema`` validator vs into one without: the
   validated rate as a fraction of the plain one (target >= 0.8).
2. find through a one-stage view vs the same aggregate on the base collection (the view's ``$match``
   then the find's filter): the view's rate as a fraction of the aggregate's (target >= 0.9).

Each pair runs in ``run.timed``'s alternating 0.1 s slices, so load from neighbours on a shared machine
weighs on both alike. Nothing asserts: these are numbers to compare.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))

from run import ENV, Settings, timed  # noqa: E402
from serverproc import ServerProcess  # noqa: E402

SCHEMA = {
    "bsonType": "object",
    "required": ["name", "age", "email", "tags"],
    "properties": {
        "name": {"bsonType": "string", "minLength": 1, "maxLength": 64},
        "age": {"bsonType": "int", "minimum": 0, "maximum": 150},
        "email": {"bsonType": "string", "pattern": "^[^@]+@[^@]+$"},
        "tags": {"bsonType": "array", "maxItems": 10, "items": {"bsonType": "string"}},
        "score": {"bsonType": "double"},
    },
}


def person(i: int) -> dict:
    return {
        "name": f"user{i}",
        "age": i % 100,
        "email": f"u{i}@example.com",
        "tags": ["a", "b"],
        "score": 1.5,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args(argv)
    settings = Settings(warmup_ops=200, seconds=args.seconds, bulk_docs=0)
    with tempfile.TemporaryDirectory() as tmp:
        with ServerProcess(Path(tmp) / "bench.mdb", env=ENV) as server, server.client() as client:
            pid = server.proc.pid
            db = client.bench
            db.create_collection("validated", validator={"$jsonSchema": SCHEMA})
            db.create_collection("plain")
            plain, validated = timed(
                [
                    (pid, lambda i: db.plain.insert_one(person(i))),
                    (pid, lambda i: db.validated.insert_one(person(i))),
                ],
                settings,
            )
            print(
                f"insert_one  plain {plain.rate:9.0f}/s  10-rule $jsonSchema {validated.rate:9.0f}/s  "
                f"ratio {validated.rate / plain.rate:.2f} (target >= 0.8)"
            )
            db.base.insert_many([{"_id": i, "k": i % 100, "g": i % 7} for i in range(1000)])
            stage = {"$match": {"g": {"$lt": 5}}}
            db.create_collection("view", viewOn="base", pipeline=[stage])
            through_view, aggregate = timed(
                [
                    (pid, lambda i: list(db.view.find({"k": i % 100}))),
                    (pid, lambda i: list(db.base.aggregate([stage, {"$match": {"k": i % 100}}]))),
                ],
                settings,
            )
            print(
                f"find        view {through_view.rate:9.0f}/s  aggregate on base {aggregate.rate:9.0f}/s  "
                f"ratio {through_view.rate / aggregate.rate:.2f} (target >= 0.9)"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
