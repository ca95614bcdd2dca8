"""Tools benchmark (issue 17): dump / restore / export / import of ``--docs`` documents of ~300 bytes.

    python bench/bench_tools.py [--docs 1000000] [--skip-offline]

Builds one ``.mdb`` file of ``--docs`` documents (``{_id, k, g, name, pad}``, ~300 B) written directly as
a compacted file would be, starts ``docdb-server`` on it, and times each tool as its own process (what a
user runs): ``docdb dump --archive`` and to a directory, ``docdb dump --file`` (offline), ``docdb restore``
of the archive into another database, ``docdb export`` as relaxed Extended JSON and ``docdb import`` of
that file. Each line gives documents/s (wall clock, tool process start included) and the tool's peak RSS
(``VmHWM``, read every 50 ms), which shows whether a stream kept constant memory.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import bson
from bson.binary import Binary

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from serverproc import ServerProcess  # noqa: E402

from docdb.engine.log.compaction import CollectionSnapshot, SnapshotFile  # noqa: E402

TOOL = [sys.executable, "-c", "import sys; from docdb.cli import tools_main; sys.exit(tools_main())"]


def build_file(path: Path, docs: int) -> int:
    """Write the file; returns the live BSON bytes."""
    batch = [
        bson.encode({"_id": i, "k": i, "g": i % 1000, "name": f"user{i:08d}", "pad": "p" * 240})
        for i in range(docs)
    ]
    out = SnapshotFile(str(path), None)
    out.write_collections([CollectionSnapshot("bench.c", Binary(bytes(16), 4), {}, [], batch)])
    out.sync()
    out.close()
    return sum(len(raw) for raw in batch)


def run_tool(server_pid: int, label: str, docs: int, *args: str) -> float:
    """Run ``docdb ARGS`` to completion; print and return documents per second (wall clock)."""
    server_cpu = cpu_seconds(server_pid)
    started = time.monotonic()
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen([*TOOL, *args], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=err)
        peak = 0
        while True:
            peak = max(peak, _peak_rss_kib(proc.pid))
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            time.sleep(0.05)
        elapsed = time.monotonic() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            err.seek(0)
            raise RuntimeError(f"{label} failed ({proc.returncode}): {err.read().decode()[-2000:]}")
    tool_cpu = usage.ru_utime + usage.ru_stime
    server_cpu = cpu_seconds(server_pid) - server_cpu
    rate = docs / elapsed
    print(
        f"  {label:<32} {elapsed:6.2f} s {rate:>9,.0f} docs/s | CPU µs/doc tool {1e6 * tool_cpu / docs:5.1f} "
        f"server {1e6 * server_cpu / docs:5.1f} -> {docs / max(tool_cpu, server_cpu, 1e-9):>9,.0f} docs/s "
        f"| peak RSS {peak / 1024:4.0f} MiB"
    )
    return rate


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used so far."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _peak_rss_kib(pid: int) -> int:
    """The process's high-water RSS so far (VmHWM; the last reading before exit is what is kept)."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--docs", type=int, default=1_000_000)
    parser.add_argument("--skip-offline", action="store_true", help="leave out the offline .mdb dump")
    args = parser.parse_args()
    n = args.docs
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        mdb = work / "db.mdb"
        live = build_file(mdb, n)
        print(f"{n:,} documents, {live / n:.0f} B each, {live / 2**20:.0f} MiB of BSON")
        with ServerProcess(mdb, ["--compaction-check-s", "0", "--ttl-monitor-interval-s", "0"]) as server:
            uri = server.uri
            assert server.proc is not None
            pid = server.proc.pid
            q = "--quiet"
            dump = ["dump", "--uri", uri, "--db", "bench", q]
            run_tool(pid, "dump --archive=FILE", n, *dump, f"--archive={work}/a")
            run_tool(pid, "dump --out DIR", n, *dump, "--out", str(work / "d"))
            run_tool(pid, "dump --archive --gzip", n, *dump, f"--archive={work}/z", "--gzip")
            if not args.skip_offline:
                run_tool(
                    pid,
                    "dump --file (offline) --archive",
                    n,
                    "dump",
                    "--file",
                    str(mdb),
                    f"--archive={work}/o",
                    q,
                )
            restore = ["restore", "--uri", uri, "--nsFrom", "bench.$c$", q]
            run_tool(
                pid, "restore --archive=FILE", n, *restore, "--nsTo", "restored.$c$", f"--archive={work}/a"
            )
            run_tool(pid, "restore DIR", n, *restore, "--nsTo", "restored2.$c$", str(work / "d"))
            run_tool(
                pid,
                "export (relaxed JSON)",
                n,
                "export",
                "--uri",
                uri,
                "-d",
                "bench",
                "-c",
                "c",
                "-o",
                f"{work}/e.json",
                q,
            )
            run_tool(
                pid,
                "import (relaxed JSON)",
                n,
                "import",
                "--uri",
                uri,
                "-d",
                "imported",
                "-c",
                "c",
                f"{work}/e.json",
                q,
            )
            with server.client() as client:
                for db in ("restored", "restored2", "imported"):
                    assert client[db].c.estimated_document_count() == n, db


if __name__ == "__main__":
    main()
