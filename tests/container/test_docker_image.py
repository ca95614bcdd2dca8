"""The Docker image, built and run with podman: data on the /data volume survives a restart, the server
is PID 1 and stops gracefully on SIGTERM, it runs as a non-root user, and the HEALTHCHECK passes.

``<repo>/../shared/tools/container-base.sh`` prepares podman and a local debian:bookworm-slim base; the test
skips when that script is absent or exits 3 (this machine cannot run containers).
"""

from __future__ import annotations

import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pymongo
import pytest

pytestmark = pytest.mark.container

ROOT = Path(__file__).resolve().parents[2]
CONTAINER_BASE = ROOT.parent / "shared" / "tools" / "container-base.sh"
IMAGE = "localhost/docdb:test"
STOP_BUDGET_S = 5.0


def podman(*args: str, timeout: float = 60, check: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(["podman", *args], capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        pytest.fail(f"podman {' '.join(args)} exited {proc.returncode}:\n{proc.stdout}{proc.stderr}")
    return proc


@pytest.fixture(scope="module")
def image() -> str:
    """Prepare podman, then build the image from the repo (cached layers make rebuilds quick)."""
    if not CONTAINER_BASE.exists():
        pytest.skip(f"{CONTAINER_BASE} is absent: no way to prepare podman and the base image here")
    prep = subprocess.run(["bash", str(CONTAINER_BASE)], capture_output=True, text=True, timeout=600)
    if prep.returncode == 3:
        pytest.skip(f"this machine cannot run containers: {prep.stderr.strip()}")
    assert prep.returncode == 0, prep.stderr
    # Without cached layers the build compiles numpy (see the Dockerfile): 5-15 minutes on 2 busy cores.
    podman("build", "--format", "docker", "-t", IMAGE, str(ROOT), timeout=1800)
    return IMAGE


@pytest.fixture
def container_name() -> Iterator[str]:
    name = f"docdb-test-{uuid.uuid4().hex[:12]}"
    yield name
    podman("rm", "--force", "--time", "0", name, check=False)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def client(port: int) -> pymongo.MongoClient:
    return pymongo.MongoClient(
        f"mongodb://127.0.0.1:{port}/?directConnection=true", serverSelectionTimeoutMS=30_000
    )


def test_data_survives_restart_and_sigterm_stops_cleanly(image: str, container_name: str, tmp_path: Path):
    data = tmp_path / "data"
    data.mkdir()
    data.chmod(0o777)  # the image's user (uid 999) writes here; the host directory is root's
    port = free_port()
    podman(
        "run",
        "--detach",
        "--name",
        container_name,
        "-p",
        f"127.0.0.1:{port}:27017",
        "-v",
        f"{data}:/data",
        image,
    )

    with client(port) as c:
        c.shop.items.insert_many([{"_id": 1, "name": "tea", "qty": 3}, {"_id": 2, "name": "jam", "qty": 0}])
        c.shop.items.update_one({"_id": 2}, {"$inc": {"qty": 5}})
    assert podman("exec", container_name, "id", "-u").stdout == "999\n"
    assert podman("healthcheck", "run", container_name, check=False).returncode == 0
    logs = podman("logs", container_name)
    assert "listening on 0.0.0.0:27017" in logs.stdout + logs.stderr

    started = time.monotonic()
    podman("stop", "--time", "10", container_name, timeout=30)
    assert time.monotonic() - started < STOP_BUDGET_S
    state = podman("inspect", "--format", "{{.State.ExitCode}} {{.State.Status}}", container_name).stdout
    assert state.split() == ["0", "exited"]
    assert (data / "db.mdb").stat().st_size > 0

    podman("start", container_name)
    with client(port) as c:
        assert list(c.shop.items.find().sort("_id", 1)) == [
            {"_id": 1, "name": "tea", "qty": 3},
            {"_id": 2, "name": "jam", "qty": 5},
        ]
