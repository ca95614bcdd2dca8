"""Start a real ``docdb-server`` subprocess on a free port, for tests and benchmarks.

The server prints one ready line (``... listening on HOST:PORT ...``) on stderr; we wait for it, so a test
never races the server's start-up.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import pymongo

READY = re.compile(r"listening on (\S+):(\d+)")


def start_refused(file: str | Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``docdb-server --file FILE ARGS`` where it is expected to refuse to start: its exit and output
    (a server that does start would run until the 30 s timeout fails the test)."""
    return subprocess.run(
        [sys.executable, "-m", "docdb", "--port", "0", "--file", str(file), *args],
        capture_output=True,
        text=True,
        timeout=30,
    )


REPLICA_SET = ("--replica-set", "rs0")  # the flags (SERVER_ARGS) of a module whose tests need a replica set


class ServerProcess:
    """One docdb-server process; ``start()`` blocks until it listens (or raises with its output)."""

    def __init__(self, file: str | Path | None, extra_args: Sequence[str] = (), env: dict | None = None):
        self.file = None if file is None else str(file)
        self.extra_args = list(extra_args)
        self.env = env
        self.proc: subprocess.Popen[str] | None = None
        self.port: int | None = None
        self.output: list[str] = []
        self._drainer: threading.Thread | None = None

    def start(self, timeout: float = 20.0) -> ServerProcess:
        args = [sys.executable, "-m", "docdb", "--port", "0", "--log-level", "info", *self.extra_args]
        if self.file is not None:
            args += ["--file", self.file]
        env = {**os.environ, **(self.env or {})}
        self.proc = subprocess.Popen(
            args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env
        )
        deadline = time.monotonic() + timeout
        assert self.proc.stderr is not None
        while time.monotonic() < deadline:
            line = self.proc.stderr.readline()
            if not line:
                self.proc.wait(5)
                self._close_pipe()
                raise RuntimeError(f"docdb-server exited {self.proc.returncode}: {''.join(self.output)}")
            self.output.append(line)
            m = READY.search(line)
            if m:
                self.port = int(m.group(2))
                self._drainer = threading.Thread(target=self._drain, daemon=True)
                self._drainer.start()
                return self
        raise RuntimeError(f"docdb-server did not become ready: {''.join(self.output)}")

    def _drain(self) -> None:
        assert self.proc is not None and self.proc.stderr is not None
        for line in self.proc.stderr:
            self.output.append(line)

    @property
    def uri(self) -> str:
        return f"mongodb://127.0.0.1:{self.port}/?directConnection=true"

    def client(self, **kwargs) -> pymongo.MongoClient:
        kwargs.setdefault("serverSelectionTimeoutMS", 5000)
        return pymongo.MongoClient(self.uri, **kwargs)

    def _close_pipe(self) -> None:
        """Wait for the output reader to see EOF, then close the pipe (no ResourceWarning)."""
        assert self.proc is not None
        if self._drainer is not None:
            self._drainer.join(5)
        if self.proc.stderr is not None:
            self.proc.stderr.close()

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)
        self._close_pipe()

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 10.0) -> int:
        """Stop the server with ``sig`` and return its exit code."""
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self._close_pipe()
        return self.proc.returncode

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.stop()
