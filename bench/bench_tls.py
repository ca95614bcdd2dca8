"""find_one over TLS against plaintext on the same server (``--tls-mode preferTLS``), in the same run.

    python bench/bench_tls.py [--seconds 3]

One server serves both clients on one port, so the only difference is the TLS layer. The two clients
take turns in 0.1 s slices (``run.timed``), so neighbours' load on a shared machine falls on both alike.
Reports ops/s of each and their ratio (issue 12's target: TLS ≥ 0.7 of plaintext). Asserts nothing.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import pymongo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from run import Settings, timed  # noqa: E402

from tests.certificates import make_pki  # noqa: E402
from tests.serverproc import ServerProcess  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        pki = make_pki(Path(tmp))
        server_args = ["--tls-mode", "preferTLS", "--tls-cert-key-file", str(pki.server_pem)]
        with ServerProcess(Path(tmp) / "b.mdb", server_args) as server:
            uri = f"mongodb://127.0.0.1:{server.port}/?directConnection=true"
            plain = pymongo.MongoClient(uri)
            tls = pymongo.MongoClient(uri, tls=True, tlsCAFile=str(pki.ca_file))
            plain.bench.c.insert_many([{"_id": i, "name": f"user{i}", "n": i} for i in range(1000)])
            pid = server.proc.pid
            plain_coll, tls_coll = plain.bench.c, tls.bench.c
            samples = timed(
                [
                    (pid, lambda i: plain_coll.find_one({"_id": i % 1000})),
                    (pid, lambda i: tls_coll.find_one({"_id": i % 1000})),
                ],
                Settings(warmup_ops=500, seconds=args.seconds, bulk_docs=0),
            )
            plain.close()
            tls.close()
    for label, sample in (("plaintext", samples[0]), ("TLS", samples[1])):
        print(f"find_one {label:9}: {sample.rate:9.0f} ops/s, server CPU {sample.cpu_us_per_op:.0f} µs/op")
    print(f"TLS / plaintext: {samples[1].rate / samples[0].rate:.2f}  (target ≥ 0.7)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
