"""What replica-set mode costs per command, in-process: standalone vs ``--replica-set``, same run.

    python bench/bench_replica_set.py [--ops 2000] [--runs 15]

Each side gets the frames PyMongo 4.20 sends it: a standalone gets ``lsid`` (implicit sessions); a
replica-set member also gets ``$clusterTime`` on every command and, for ``insert_one`` (retryable writes,
the driver default), ``txnNumber``. Frames go through ``MongoProtocol.data_received`` as in
``bench_handlers.py`` (framing, dispatch with the cluster-time, API-version and fail-point steps, handler,
engine, log append, reply encoding with ``$clusterTime``/``operationTime``). Prints the best and median
CPU µs per command of the serving thread, and the ratio replica set ÷ standalone.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

from bson.binary import Binary
from bson.int64 import Int64
from bson.timestamp import Timestamp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_handlers import LSID, CountingTransport, run_once  # noqa: E402
from docdb.config import ServerConfig  # noqa: E402
from docdb.engine.catalog import Catalog  # noqa: E402
from docdb.protocol import encode_op_msg  # noqa: E402
from docdb.server import commands  # noqa: E402, F401  (registers every command)
from docdb.server.connection import MongoProtocol  # noqa: E402
from docdb.server.context import ServerState  # noqa: E402
from docdb.server.cursors import CursorRegistry  # noqa: E402
from docdb.server.replica_set import ReplicaSet  # noqa: E402

SIGNATURE = {"hash": Binary(bytes(20), 0), "keyId": Int64(0)}


def make_server(path: str, replica_set: bool) -> MongoProtocol:
    catalog = Catalog.open(path)
    state = ServerState(config=ServerConfig(file=path), catalog=catalog, cursors=CursorRegistry())
    if replica_set:
        state.replica_set = ReplicaSet(catalog, "rs0", "localhost:27017", 27017)
    protocol = MongoProtocol(state)
    protocol.connection_made(CountingTransport())  # type: ignore[arg-type]
    return protocol


def frames(workload: str, n: int, start: int, replica_set: bool) -> list[bytes]:
    """``n`` frames as PyMongo sends them to this kind of server (``start``: first ``_id``/txnNumber)."""
    out = []
    for i in range(start, start + n):
        gossip: dict[str, Any] = {}
        if replica_set:
            gossip = {"$clusterTime": {"clusterTime": Timestamp(1, 1), "signature": SIGNATURE}}
        if workload == "ping":
            body = {"ping": 1, "lsid": LSID, **gossip, "$db": "admin"}
            out.append(encode_op_msg(body, i, 0))
            continue
        body = {"insert": "c", "ordered": True, "lsid": LSID}
        if replica_set:
            body["txnNumber"] = Int64(i)
        body.update(gossip, **{"$db": "bench"})
        documents = [{"_id": i, "n": 0, "s": "abcdefghijklmnop"}]
        out.append(encode_op_msg(body, i, 0, sequences={"documents": documents}))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--ops", type=int, default=2_000, help="commands per run")
    parser.add_argument("--runs", type=int, default=15, help="runs per workload and mode")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        servers = {mode: make_server(str(Path(tmp) / f"{mode}.mdb"), mode == "rs") for mode in ("sa", "rs")}
        print(f"{args.runs} runs × {args.ops} commands; CPU µs per command (best / median)")
        print(f"{'workload':<12}{'standalone':>20}{'replica set':>20}{'ratio':>8}")
        for workload in ("ping", "insert_one"):
            results: dict[str, list[float]] = {"sa": [], "rs": []}
            for run in range(args.runs):
                for mode, protocol in servers.items():  # take turns, so neighbours' load weighs on both
                    batch = frames(workload, args.ops, 1 + run * args.ops, mode == "rs")
                    results[mode].append(run_once(protocol, batch))
            sa, rs = results["sa"], results["rs"]
            cells = [f"{min(r):.1f} / {statistics.median(r):.1f}" for r in (sa, rs)]
            ratio = statistics.median(rs) / statistics.median(sa)
            print(f"{workload:<12}{cells[0]:>20}{cells[1]:>20}{ratio:>8.2f}")
        for protocol in servers.values():
            protocol.state.catalog.close()


if __name__ == "__main__":
    main()
