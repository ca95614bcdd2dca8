"""Fixtures for end-to-end tests with real MongoDB clients: mongosh and the Node driver.

Both come from the repo's package.json; install them at the repo root with ``npm ci --no-audit --no-fund``.
Without node or node_modules the tests skip and say so. Each client runs as a subprocess against one
in-memory docdb-server per test module; tests use their own database names so they do not interfere.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))

from serverproc import ServerProcess  # noqa: E402

NPM_HINT = "run `npm ci --no-audit --no-fund` in the repo root"
TIMEOUT_S = 60


def client_env(home: Path) -> dict[str, str]:
    """The environment for node clients: a private HOME so mongosh's config, history and logs stay out of
    the user's, and no NODE_OPTIONS from the caller that could change what gets printed."""
    env = {k: v for k, v in os.environ.items() if k != "NODE_OPTIONS"}
    env["HOME"] = str(home)
    return env


@pytest.fixture(scope="session")
def node() -> str:
    path = shutil.which("node")
    if path is None:
        pytest.skip("node is not on PATH (install Node.js >= 20.19 to run the e2e tests)")
    return path


@pytest.fixture(scope="session")
def mongosh(node: str) -> str:
    path = ROOT / "node_modules" / ".bin" / "mongosh"
    if not path.exists():
        pytest.skip(f"node_modules/.bin/mongosh is missing: {NPM_HINT}")
    return str(path)


@pytest.fixture(scope="session")
def node_driver(node: str) -> str:
    if not (ROOT / "node_modules" / "mongodb" / "package.json").exists():
        pytest.skip(f"node_modules/mongodb is missing: {NPM_HINT}")
    return node


@pytest.fixture(scope="module")
def e2e_server() -> Iterator[ServerProcess]:
    server = ServerProcess(
        None, env={"PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    )
    server.start()
    yield server
    server.stop()


@pytest.fixture
def run_mongosh(
    mongosh: str, e2e_server: ServerProcess, tmp_path: Path
) -> Callable[..., subprocess.CompletedProcess[str]]:
    """``run_mongosh(script, *flags)``: mongosh ``--eval script`` against the test server."""

    def run(script: str, *flags: str) -> subprocess.CompletedProcess[str]:
        args = [mongosh, e2e_server.uri, *flags, "--eval", script]
        return subprocess.run(
            args, capture_output=True, text=True, timeout=TIMEOUT_S, cwd=tmp_path, env=client_env(tmp_path)
        )

    return run


@pytest.fixture
def run_node(node_driver: str, e2e_server: ServerProcess, tmp_path: Path) -> Callable[..., Any]:
    """``run_node(body, relaxed=True)``: run an async JS body with ``client`` (a MongoClient) and ``mongodb``
    in scope; the value the body ``return``s comes back through Extended JSON (canonical with
    ``relaxed=False``, so that BSON types can be compared exactly)."""

    def run(body: str, relaxed: bool = True) -> Any:
        script = (
            "const mongodb = require('mongodb');\n"
            f"const client = new mongodb.MongoClient({json.dumps(e2e_server.uri)}, "
            "{serverSelectionTimeoutMS: 5000});\n"
            f"const options = {{relaxed: {json.dumps(relaxed)}}};\n"
            f"(async () => {{\n{body}\n}})()\n"
            ".then(r => console.log(mongodb.BSON.EJSON.stringify({result: r}, options)))\n"
            ".catch(e => { console.error(e); process.exitCode = 1; })\n"
            ".finally(() => client.close());\n"
        )
        proc = subprocess.run(
            [node_driver, "-e", script],
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
            cwd=ROOT,
            env=client_env(tmp_path),
        )
        assert proc.returncode == 0, proc.stderr
        assert proc.stderr == ""
        return json.loads(proc.stdout)["result"]

    return run
