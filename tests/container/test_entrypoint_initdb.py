"""docker/entrypoint.sh's handling of the ``mongo`` image's variables, run on the host (no image build):
MONGO_INITDB_ROOT_USERNAME/PASSWORD (+ _FILE) create the root user on the first start and turn --auth on,
/docker-entrypoint-initdb.d/*.sh run once, later starts keep the users."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pymongo
import pytest
from pymongo.errors import OperationFailure

ROOT = Path(__file__).resolve().parents[2]
ENTRYPOINT = ROOT / "docker" / "entrypoint.sh"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def box(tmp_path: Path) -> dict[str, object]:
    """A fake container layout: /data, the init-scripts directory, and a docdb-server on PATH that runs
    this worktree's code."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "docdb-server"
    shim.write_text(f'#!/bin/sh\nexec {sys.executable} -m docdb "$@"\n')
    shim.chmod(0o755)
    (bin_dir / "python").symlink_to(sys.executable)
    initdb = tmp_path / "initdb.d"
    initdb.mkdir()
    data = tmp_path / "data"
    data.mkdir()
    port = _free_port()
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "PYTHONPATH": str(ROOT),
        "DOCDB_FILE": str(data / "db.mdb"),
        "DOCDB_BIND": "127.0.0.1",
        "DOCDB_PORT": str(port),
        "DOCDB_LOG_LEVEL": "info",
        "DOCDB_HELPERS_DIR": str(ROOT / "docker"),
        "DOCDB_INITDB_DIR": str(initdb),
    }
    return {"env": env, "port": port, "initdb": initdb, "data": data, "tmp": tmp_path}


class Entrypoint:
    """The entrypoint as a process, its output collected by a thread (the servers log "listening on")."""

    def __init__(self, box: dict[str, object], **extra: str) -> None:
        env = {**box["env"], **extra}  # type: ignore[dict-item]
        self.proc = subprocess.Popen(
            ["sh", str(ENTRYPOINT)],
            env=env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line)

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def wait_listening(self, count: int) -> None:
        """Until the ``count``-th server start (2 on a first start: the temporary one, then the real one)."""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.output
            if self.output.count("listening on") >= count:
                return
            time.sleep(0.05)
        pytest.fail(f"the entrypoint's server did not come up:\n{self.output}")

    def stop(self) -> str:
        if self.proc.poll() is None:
            self.proc.terminate()
        self.proc.wait(15)
        self.reader.join(5)
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        return self.output


@pytest.fixture
def started() -> Iterator[list[Entrypoint]]:
    runs: list[Entrypoint] = []
    yield runs
    for run in runs:
        run.stop()


def _root(box: dict[str, object], user: str = "boss", pwd: str = "hunter2") -> pymongo.MongoClient:
    return pymongo.MongoClient(
        f"mongodb://{user}:{pwd}@127.0.0.1:{box['port']}/?directConnection=true",
        serverSelectionTimeoutMS=10_000,
    )


SCRIPT = """#!/bin/sh
python - <<'PY'
import os, pymongo
uri = "mongodb://%s:%s@127.0.0.1:%s/?directConnection=true" % (
    os.environ["MONGO_INITDB_ROOT_USERNAME"], os.environ["MONGO_INITDB_ROOT_PASSWORD"],
    os.environ["DOCDB_PORT"])
with pymongo.MongoClient(uri) as c:
    c[os.environ["MONGO_INITDB_DATABASE"]].seed.insert_one({"from": "init script"})
PY
"""


def test_first_start_creates_root_runs_scripts_and_turns_auth_on(box, started):
    initdb: Path = box["initdb"]  # type: ignore[assignment]
    (initdb / "10-seed.sh").write_text(SCRIPT)
    (initdb / "20-ignored.js").write_text("db.x.insertOne({})")
    env = {
        "MONGO_INITDB_ROOT_USERNAME": "boss",
        "MONGO_INITDB_ROOT_PASSWORD": "hunter2",
        "MONGO_INITDB_DATABASE": "app",
    }
    run = Entrypoint(box, **env)
    started.append(run)
    run.wait_listening(2)
    with _root(box) as c:
        assert c.admin.command("connectionStatus")["authInfo"]["authenticatedUserRoles"] == [
            {"role": "root", "db": "admin"}
        ]
        assert [d["from"] for d in c.app.seed.find()] == ["init script"]
    with pymongo.MongoClient(f"127.0.0.1:{box['port']}", directConnection=True) as anonymous:
        with pytest.raises(OperationFailure) as exc:
            anonymous.app.seed.find_one()
        assert exc.value.details["errmsg"] == "Command find requires authentication"
    output = run.stop()
    assert run.proc.returncode == 0
    assert "created root user 'boss' in admin" in output
    assert "20-ignored.js: this image has no mongosh" in output

    run = Entrypoint(box, **env)  # a later start: users kept, scripts not run again, auth still on
    started.append(run)
    run.wait_listening(1)
    with _root(box) as c:
        assert c.app.seed.count_documents({}) == 1
    assert "first start" not in run.stop()


def test_password_file_variant(box, started):
    secret = Path(box["tmp"]) / "pw"  # type: ignore[arg-type]
    secret.write_text("from-a-file")
    run = Entrypoint(box, MONGO_INITDB_ROOT_USERNAME="boss", MONGO_INITDB_ROOT_PASSWORD_FILE=str(secret))
    started.append(run)
    run.wait_listening(2)
    with _root(box, pwd="from-a-file") as c:
        assert c.admin.command("connectionStatus")["authInfo"]["authenticatedUsers"] == [
            {"user": "boss", "db": "admin"}
        ]
    run.stop()


@pytest.mark.parametrize(
    "env,message",
    [
        ({"MONGO_INITDB_ROOT_USERNAME": "boss"}, "both must be specified for a user to be created"),
        (
            {"MONGO_INITDB_ROOT_PASSWORD": "a", "MONGO_INITDB_ROOT_PASSWORD_FILE": "/dev/null"},
            "both MONGO_INITDB_ROOT_PASSWORD and MONGO_INITDB_ROOT_PASSWORD_FILE are set (but are exclusive)",
        ),
    ],
)
def test_bad_variables_refuse_to_start(box, env, message):
    proc = subprocess.run(
        ["sh", str(ENTRYPOINT)], env={**box["env"], **env}, capture_output=True, text=True, timeout=30
    )
    assert proc.returncode == 1
    assert message in proc.stderr


def test_without_variables_nothing_changes(box, started):
    run = Entrypoint(box)
    started.append(run)
    run.wait_listening(1)
    with pymongo.MongoClient(f"127.0.0.1:{box['port']}", directConnection=True) as c:
        c.t.c.insert_one({"_id": 1})
        assert c.t.c.find_one() == {"_id": 1}
    assert "first start" not in run.stop()
