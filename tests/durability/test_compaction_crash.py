"""Compaction killed at each step leaves the old or the new file, never a mix: the data after a restart
is identical. A successful compaction shrinks the file."""

from __future__ import annotations

import time

import pytest
from pymongo.errors import ConnectionFailure

from docdb.engine.log.faults import COMPACTION_STEPS, FAULT_EXIT_CODE
from tests.serverproc import ServerProcess

NO_AUTO = ["--compaction-check-s", "0"]


def _fill(client) -> None:
    """Dead bytes: three generations of every document (via drop + reinsert), then the live one."""
    for rev in range(3):
        client.d.c.drop()
        client.d.c.insert_many([{"_id": i, "rev": rev, "pad": "x" * 200} for i in range(2000)])
    client.d.other.insert_one({"_id": "keep"})


def _snapshot(client) -> dict:
    return {name: list(client.d[name].find()) for name in sorted(client.d.list_collection_names())}


def _wait_compacted(client, completed: int) -> dict:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        status = client.admin.command("serverStatus")["docdb"]
        if status["compaction"]["completed"] >= completed and not status["compaction"]["running"]:
            return status
        time.sleep(0.02)
    raise AssertionError("compaction did not finish")


@pytest.mark.parametrize("step", COMPACTION_STEPS)
def test_crash_at_each_step_keeps_the_data(data_file, step):
    with ServerProcess(data_file, NO_AUTO) as server, server.client() as client:
        _fill(client)
        expected = _snapshot(client)
    size_before = data_file.stat().st_size
    crashing = ServerProcess(data_file, NO_AUTO, env={"DOCDB_FAULT": f"compaction:{step}"}).start()
    with crashing.client() as client, pytest.raises(ConnectionFailure):
        client.d.command("compact", "c")  # the reply waits for the end, which never comes
    assert crashing.proc.wait(20) == FAULT_EXIT_CODE
    crashing.kill9()  # already dead: closes the pipe
    with ServerProcess(data_file, NO_AUTO) as server, server.client() as client:
        assert _snapshot(client) == expected
    after = data_file.stat().st_size
    assert after == size_before or after < size_before / 2  # the old file, or the whole new one


def test_successful_compaction_shrinks_the_file_and_keeps_later_writes(data_file):
    with ServerProcess(data_file, NO_AUTO) as server, server.client() as client:
        _fill(client)
        before = data_file.stat().st_size
        reply = client.d.command("compact", "c")
        assert reply["ok"] == 1.0 and reply["bytesFreed"] > before / 2
        assert data_file.stat().st_size < before / 2  # the reply came after the compaction
        status = _wait_compacted(client, 1)
        assert status["deadBytes"] < 1000
        assert status["compaction"]["lastBytesFreed"] > before / 2
        assert data_file.stat().st_size < before / 2
        client.d.c.insert_one({"_id": "new"})
        expected = _snapshot(client)
    assert len(expected["c"]) == 2001
    with ServerProcess(data_file, NO_AUTO) as server, server.client() as client:
        assert _snapshot(client) == expected


def test_automatic_compaction(data_file):
    """The monitor compacts once dead bytes reach half the file. Where the fill leaves the file depends on
    when the passes ran (dead bytes may stay just under half of it), so a 2 MB dead collection at the end
    makes one more pass certain, after which only the live data is left."""
    args = ["--compaction-check-s", "0.05", "--compaction-min-mb", "0.5"]
    with ServerProcess(data_file, args) as server, server.client() as client:
        _fill(client)
        _wait_compacted(client, 1)
        client.d.junk.insert_many([{"_id": i, "pad": "y" * 1000} for i in range(2000)])
        client.d.junk.drop()
        deadline = time.monotonic() + 20
        while (status := client.admin.command("serverStatus")["docdb"])["deadBytes"] > 100_000:
            assert time.monotonic() < deadline, status
            time.sleep(0.02)
        _wait_compacted(client, 2)
        expected = _snapshot(client)
        assert data_file.stat().st_size < 700_000
    with ServerProcess(data_file, NO_AUTO) as server, server.client() as client:
        assert _snapshot(client) == expected


def test_compact_unknown_collection(data_file):
    with ServerProcess(data_file, NO_AUTO) as server, server.client() as client:
        reply = client.d.command("compact", "missing", check=False)
        assert (reply["code"], reply["codeName"]) == (26, "NamespaceNotFound")
