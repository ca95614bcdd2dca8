"""The shipped pytest plugin, run as a user would run it: pytest in another directory with the plugin on."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

README_EXAMPLE = """
def test_insert(docdb_db):
    docdb_db.items.insert_one({"_id": 1, "name": "pen"})
    assert docdb_db.items.find_one() == {"_id": 1, "name": "pen"}
"""

SESSION_CHECKS = """
import os

def test_fresh_db_each_time_a(docdb_db, docdb_uri, docdb_server):
    assert docdb_db.list_collection_names() == []
    docdb_db.c.insert_one({"_id": 1})
    assert docdb_uri == docdb_server.uri
    print("PORT", docdb_server.port, "FILE", docdb_server.file, "ARGS", docdb_server.args)

def test_fresh_db_each_time_b(docdb_db, docdb_client):
    assert docdb_db.list_collection_names() == []
    assert docdb_client.admin.command("ping") == {"ok": 1.0}
"""


def _pytest(tmp_path: Path, *args: str, body: str) -> subprocess.CompletedProcess[str]:
    """Run pytest on ``body`` with the plugin found as an installed package's ``pytest11`` entry point
    (a dist-info made here, as ``pip install`` makes from pyproject.toml), not named on the command line."""
    site = tmp_path / "site"
    dist = site / "docdb_plugin_check-0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: docdb-plugin-check\nVersion: 0\n")
    (dist / "entry_points.txt").write_text("[pytest11]\ndocdb = docdb.pytest_plugin\n")
    (tmp_path / "test_user.py").write_text(body)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(site)])}
    env.pop("PYTEST_DISABLE_PLUGIN_AUTOLOAD", None)
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-q",
            "-s",
            "-o",
            "addopts=",
            *args,
            "test_user.py",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_readme_example_runs_in_memory(tmp_path):
    result = _pytest(tmp_path, body=README_EXAMPLE)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout


def test_one_server_per_session_a_fresh_db_per_test_and_server_flags(tmp_path):
    result = _pytest(tmp_path, "--docdb-storage=file", "--docdb-arg=--sync=always", body=SESSION_CHECKS)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout
    line = next(x for x in result.stdout.splitlines() if "PORT" in x)
    assert "session.mdb" in line and "ARGS ['--sync=always']" in line


def test_a_refused_server_flag_fails_the_tests_with_the_servers_output(tmp_path):
    result = _pytest(tmp_path, "--docdb-arg=--no-such-flag", body=README_EXAMPLE)
    assert result.returncode == 1
    assert "docdb exited with 2" in result.stdout and "--no-such-flag" in result.stdout
