"""Geo benchmark: ``$near`` with a limit of 10 over many points with a 2dsphere index.

    python bench/bench_geo.py [--docs 1000000] [--seconds 3] [--quick]

Loads ``--docs`` GeoJSON points spread uniformly in longitude and latitude (so the poles and the
antimeridian are included) into a collection with a 2dsphere index, then measures
find({loc: {$near: random point}}).limit(10) as queries/s, in 0.1 s slices taken in turns with the null
responder's find_one (the ceiling), and the same through the $geoNear stage. Issue 13's target: >= 500
$near queries/s over 1 000 000 points. Nothing asserts: these are numbers to compare.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

import pymongo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))

from run import ENV, Settings, start_responder, stop, timed  # noqa: E402
from serverproc import ServerProcess  # noqa: E402

BATCH = 10_000


def _point(rng: random.Random) -> list[float]:
    return [rng.uniform(-180, 180), rng.uniform(-90, 90)]


def load(coll: pymongo.collection.Collection, docs: int) -> float:
    rng = random.Random(13)
    t0 = time.perf_counter()
    for start in range(0, docs, BATCH):
        coll.insert_many(
            [
                {"_id": i, "loc": {"type": "Point", "coordinates": _point(rng)}, "n": i % 100}
                for i in range(start, min(start + BATCH, docs))
            ],
            ordered=True,
        )
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--quick", action="store_true", help="100 000 points, 1 s runs")
    args = parser.parse_args(argv)
    docs, seconds = (100_000, 1.0) if args.quick else (args.docs, args.seconds)
    responder, port = start_responder()
    rows: list[tuple[str, str, str]] = []
    try:
        ceiling_client = pymongo.MongoClient(f"mongodb://127.0.0.1:{port}/?directConnection=true")
        ceiling_coll = ceiling_client.bench.c
        ceiling = (responder.pid, lambda i: ceiling_coll.find_one({"_id": i}))
        with tempfile.TemporaryDirectory() as tmp:
            server = ServerProcess(Path(tmp) / "geo.mdb", env=ENV).start(timeout=120)
            assert server.proc is not None
            pid = server.proc.pid
            with server.client() as client:
                coll = client.bench.c
                # indexed before loading: a build over 1 000 000 points holds the event loop for tens of
                # seconds on a busy machine, long enough for PyMongo's monitor to give up on the server
                coll.create_index([("loc", "2dsphere")])
                load_s = load(coll, docs)
                rows.append(("load into a 2dsphere index", f"{docs / load_s:,.0f} docs/s", ""))
                rng = random.Random(7)

                def near(i: int) -> None:
                    q = {"loc": {"$near": {"$geometry": {"type": "Point", "coordinates": _point(rng)}}}}
                    got = list(coll.find(q).limit(10))
                    assert len(got) == 10

                def geo_near(i: int) -> None:
                    stage = {"near": {"type": "Point", "coordinates": _point(rng)}, "distanceField": "d"}
                    got = list(coll.aggregate([{"$geoNear": stage}, {"$limit": 10}]))
                    assert len(got) == 10

                settings = Settings(warmup_ops=50, seconds=seconds, bulk_docs=0)
                for name, op in (("$near, limit 10", near), ("$geoNear + $limit 10", geo_near)):
                    ours, top = timed([(pid, op), ceiling], settings)
                    rows.append((name, f"{ours.rate:,.0f} queries/s", f"{ours.rate / top.rate:.2f}"))
            server.stop()
        ceiling_client.close()
    finally:
        stop(responder)
    width = max(len(r[0]) for r in rows)
    print(f"{docs:,} points")
    print(f"{'workload':<{width}}  {'result':>20}  {'vs ceiling':>10}")
    for name, value, ratio in rows:
        print(f"{name:<{width}}  {value:>20}  {ratio:>10}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
