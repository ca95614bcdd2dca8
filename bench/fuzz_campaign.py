"""The long hostile-client campaign: N mutated frames (default 1 000 000) against a fresh docdb-server.

    python bench/fuzz_campaign.py [--frames 1000000] [--seed 11] [--connections 8]

Prints the frame count and rate, how many went pipelined vs. alone on a fresh connection, the bystander
client's operations, failures and slowest answer, and the server's RSS before and at its peak. Exits 1 if
the server died or the bystander saw a failure. The mutation engine is ``tests/fuzz_campaign.py``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.fuzz_campaign import run_campaign  # noqa: E402
from tests.serverproc import ServerProcess  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--frames", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--connections", type=int, default=8)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp, ServerProcess(Path(tmp) / "fuzz.mdb") as server:
        result = run_campaign(
            server.proc.pid, server.port, args.frames, seed=args.seed, connections=args.connections
        )
        alive = server.proc.poll() is None
        log_lines = len(server.output)
    mib = 1 << 20
    print(f"frames: {result.frames} in {result.seconds:.1f} s = {result.rate:.0f} frames/s")
    print(f"  pipelined on long-lived connections: {result.pipelined} ({result.reconnects} reconnects)")
    print(f"  alone on a fresh connection (framing broken): {result.lone}")
    print(f"server alive: {alive and result.server_alive}; server log lines: {log_lines}")
    print(f"server RSS: {result.rss_start / mib:.0f} MiB at start, {result.rss_max / mib:.0f} MiB peak")
    print(
        f"bystander: {result.bystander_ops} ping+find rounds, {len(result.bystander_failures)} failures, "
        f"slowest {result.bystander_max_latency_s * 1000:.0f} ms"
    )
    for failure in result.bystander_failures[:5]:
        print(f"  failure: {failure}")
    return 0 if alive and result.server_alive and not result.bystander_failures else 1


if __name__ == "__main__":
    raise SystemExit(main())
