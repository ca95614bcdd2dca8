"""One process per .mdb file; the lock dies with its process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from docdb.engine.log.filelock import lock_file, lock_path
from docdb.errors import StorageError

REPO = Path(__file__).resolve().parents[2]
HOLDER = """
import sys
from docdb.engine.log.filelock import lock_file
handle = lock_file(sys.argv[1])
print("locked", flush=True)
sys.stdin.read()
handle.release()
"""


@pytest.fixture
def holder(tmp_path):
    """A subprocess holding the lock on tmp_path/db.mdb until its stdin closes."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
    }
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(tmp_path / "db.mdb")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stdout is not None and proc.stdout.readline() == "locked\n"
    yield proc
    if proc.poll() is None:
        proc.kill()
    proc.wait(30)
    proc.stdin.close()
    proc.stdout.close()


def test_second_process_is_refused_before_touching_the_file(tmp_path, holder):
    path = str(tmp_path / "db.mdb")
    with pytest.raises(StorageError) as exc:
        lock_file(path)
    assert str(exc.value) == f"{path} is in use by another docdb-server (pid {holder.pid})"
    assert not os.path.exists(path)


def test_lock_is_free_after_the_holder_releases(tmp_path, holder):
    holder.stdin.close()
    assert holder.wait(30) == 0
    handle = lock_file(str(tmp_path / "db.mdb"))
    handle.release()


def test_kill_9_leaves_no_stale_lock(tmp_path, holder):
    holder.kill()
    holder.wait(30)
    handle = lock_file(str(tmp_path / "db.mdb"))
    assert Path(lock_path(str(tmp_path / "db.mdb"))).read_text() == f"{os.getpid()}\n"
    handle.release()


def test_same_process_second_handle_is_refused(tmp_path):
    path = str(tmp_path / "db.mdb")
    handle = lock_file(path)
    with pytest.raises(StorageError) as exc:
        lock_file(path)
    assert str(exc.value) == f"{path} is in use by another docdb-server (pid {os.getpid()})"
    handle.release()
    handle.release()
    assert not handle.held
    lock_file(path).release()


def test_unwritable_directory_is_a_storage_error(tmp_path):
    with pytest.raises(StorageError) as exc:
        lock_file(str(tmp_path / "missing-dir" / "db.mdb"))
    assert str(exc.value).startswith("cannot open lock file ")
