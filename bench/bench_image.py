"""The Docker image's size and how soon it answers: podman's sizes of the image and of the base, what the
image adds, and the wall time from ``podman run -d -p PORT:27017 IMAGE`` to the first successful PyMongo
``ping`` (median of ``--runs``), plus the same inside the container from spawning ``docdb-server`` to its
port accepting (the server's own start-up, without podman's) and the CPU time one server process uses in
all (its start-up, nearly all of it; a figure that a busy machine does not inflate as it does wall times).

    podman build --format docker -t localhost/docdb:dev .
    python bench/bench_image.py [--image localhost/docdb:dev] [--runs 7]

PyMongo's monitor waits 500 ms after a refused connection before it tries again, which would round every
measurement up to a multiple of 0.5 s: the port is polled with a plain socket first (refused until the
server listens), then a fresh client pings. No assertions.
"""

from __future__ import annotations

import argparse
import socket
import statistics
import subprocess
import time
import uuid

import pymongo

BASE = "docker.io/library/debian:bookworm-slim"
IN_CONTAINER = """
import resource, socket, statistics, subprocess, sys, time
times, cpu = [], []
for i in range(int(sys.argv[1])):
    port = 27100 + i
    started = time.monotonic()
    server = subprocess.Popen(["docdb-server", "--port", str(port), "--bind", "127.0.0.1", "--file",
                               f"/tmp/start{i}.mdb"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.002)
    times.append(time.monotonic() - started)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    server.terminate()
    server.wait()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
print(" ".join(f"{t:.3f}" for t in times), f"{statistics.median(times):.3f}", f"{statistics.median(cpu):.3f}")
"""


def podman(*args: str) -> str:
    return subprocess.run(["podman", *args], check=True, capture_output=True, text=True).stdout.strip()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def first_ping(image: str) -> float:
    port, name = free_port(), f"bench-image-{uuid.uuid4().hex[:8]}"
    started = time.monotonic()
    run = subprocess.Popen(
        ["podman", "run", "-d", "--name", name, "-p", f"127.0.0.1:{port}:27017", image],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while time.monotonic() - started < 60:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
            except OSError:
                time.sleep(0.005)
                continue
            with pymongo.MongoClient(f"mongodb://127.0.0.1:{port}/?directConnection=true") as client:
                client.admin.command("ping")
            return time.monotonic() - started
        raise SystemExit(f"{image} did not answer within 60 s")
    finally:
        run.wait()
        subprocess.run(["podman", "rm", "-f", "-t", "0", name], capture_output=True)


def main() -> None:
    raw = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=raw)
    parser.add_argument("--image", default="localhost/docdb:dev")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    size = int(podman("image", "inspect", "--format", "{{.Size}}", args.image))
    base = int(podman("image", "inspect", "--format", "{{.Size}}", BASE))
    print(f"{args.image}: {size / 1e6:.1f} MB, base {base / 1e6:.1f} MB, added {(size - base) / 1e6:.1f} MB")
    times = [first_ping(args.image) for _ in range(args.runs)]
    each = " ".join(f"{t:.3f}" for t in times)
    print(f"podman run -> first ping: {each} median {statistics.median(times):.3f} s")
    inside = podman("run", "--rm", "--entrypoint", "python", args.image, "-c", IN_CONTAINER, str(args.runs))
    *runs, median, cpu = inside.split()
    print(f"in the container, spawn -> listening: {' '.join(runs)} median {median} s (CPU {cpu} s a start)")


if __name__ == "__main__":
    main()
