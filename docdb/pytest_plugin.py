"""A pytest plugin (entry point ``pytest11: docdb``): a docdb server for the whole test session, started
on this machine (no Docker) on a free port, in memory by default or over a temporary ``.mdb`` file.

Fixtures: ``docdb_server`` (the running server), ``docdb_uri`` (its connection string), ``docdb_client``
(a PyMongo client), and ``docdb_db`` (a fresh database per test, dropped afterwards). Server flags come
from ``--docdb-arg=--flag=value`` (repeatable) or the ``docdb_args`` ini line; ``--docdb-storage=file``
or ``docdb_storage = file`` keeps the data in a temporary file instead of memory.
"""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from typing import Any

import pytest

_READY = re.compile(r"listening on (\S+):(\d+)")
_START_TIMEOUT_S = 30.0


class DocdbServer:
    """One ``python -m docdb`` child process; ``start()`` returns once it listens."""

    def __init__(self, args: Sequence[str] = (), file: str | None = None) -> None:
        self.args = list(args)
        self.file = file
        self.port: int | None = None
        self.host = "127.0.0.1"
        self.output: list[str] = []
        self._proc: subprocess.Popen[str] | None = None
        self._reader: threading.Thread | None = None

    @property
    def uri(self) -> str:
        return f"mongodb://{self.host}:{self.port}/?directConnection=true"

    def start(self) -> DocdbServer:
        cmd = [sys.executable, "-m", "docdb", "--port", "0", "--log-level", "info", *self.args]
        if self.file is not None:
            cmd += ["--file", self.file]
        self._proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        assert self._proc.stderr is not None
        deadline = time.monotonic() + _START_TIMEOUT_S
        while time.monotonic() < deadline:
            line = self._proc.stderr.readline()
            if not line:
                self._proc.wait(5)
                raise RuntimeError(f"docdb exited with {self._proc.returncode}: {''.join(self.output)}")
            self.output.append(line)
            ready = _READY.search(line)
            if ready:
                self.port = int(ready.group(2))
                # keep reading its log, so a chatty server never blocks on a full pipe
                self._reader = threading.Thread(target=self._drain, daemon=True)
                self._reader.start()
                return self
        self.stop()
        raise RuntimeError(f"docdb did not start within {_START_TIMEOUT_S:.0f} s: {''.join(self.output)}")

    def _drain(self) -> None:
        assert self._proc is not None and self._proc.stderr is not None
        for line in self._proc.stderr:
            self.output.append(line)

    def stop(self) -> int | None:
        """SIGTERM (a clean shutdown that flushes the file), SIGKILL only if it hangs."""
        if self._proc is None:
            return None
        if self._proc.poll() is None:
            self._proc.send_signal(signal.SIGTERM)
            try:
                self._proc.wait(15)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(5)
        if self._reader is not None:
            self._reader.join(5)
        if self._proc.stderr is not None:
            self._proc.stderr.close()
        return self._proc.returncode


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("docdb", "docdb server for tests")
    group.addoption(
        "--docdb-storage",
        choices=["memory", "file"],
        default=None,
        help="Keep the session server's data in memory (default) or in a temporary .mdb file.",
    )
    group.addoption(
        "--docdb-arg",
        action="append",
        default=[],
        help="A flag for the session's docdb server, e.g. --docdb-arg=--replica-set=rs0 (repeatable).",
    )
    parser.addini("docdb_storage", "memory or file", default="memory")
    parser.addini("docdb_args", "flags for the session's docdb server", type="args", default=[])


@pytest.fixture(scope="session")
def docdb_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DocdbServer]:
    """The session's docdb server, started on first use and stopped at the end of the session."""
    config = request.config
    storage = config.getoption("docdb_storage") or config.getini("docdb_storage")
    args = [*config.getini("docdb_args"), *config.getoption("docdb_arg")]
    file = str(tmp_path_factory.mktemp("docdb") / "session.mdb") if storage == "file" else None
    server = DocdbServer(args, file).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def docdb_uri(docdb_server: DocdbServer) -> str:
    """Connection string of the session's server."""
    return docdb_server.uri


@pytest.fixture(scope="session")
def docdb_client(docdb_uri: str) -> Iterator[Any]:
    """A PyMongo client of the session's server."""
    import pymongo

    client: pymongo.MongoClient = pymongo.MongoClient(docdb_uri, serverSelectionTimeoutMS=10_000)
    try:
        yield client
    finally:
        client.close()


@pytest.fixture
def docdb_db(docdb_client: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A database of its own for each test (dropped afterwards), so tests never see each other's data."""
    stem = re.sub(r"[^A-Za-z0-9_]", "_", request.node.name)[:40]
    name = f"test_{stem}_{uuid.uuid4().hex[:8]}"
    yield docdb_client[name]
    docdb_client.drop_database(name)
