"""docdb verify / repair through the CLI, and recovery of truncations through the server."""

from __future__ import annotations

import random

import pytest
from click.testing import CliRunner

from docdb.cli import tools_main
from docdb.engine.log.salvage import GoodRecord, scan_log
from tests.serverproc import ServerProcess, start_refused


@pytest.fixture
def ten_records(data_file):
    """A file of a CREATE_COLLECTION record and ten single-document inserts; their offsets."""
    with ServerProcess(data_file) as server, server.client() as client:
        for i in range(10):
            client.d.c.insert_one({"_id": i, "pad": "y" * 50})
    offsets = [item.offset for item in scan_log(str(data_file)) if isinstance(item, GoodRecord)]
    assert len(offsets) == 11
    return data_file, offsets


def _ids(data_file) -> list:
    with ServerProcess(data_file) as server, server.client() as client:
        return [doc["_id"] for doc in client.d.c.find()]


def test_verify_healthy(ten_records):
    data_file, _ = ten_records
    result = CliRunner().invoke(tools_main, ["verify", str(data_file)])
    assert result.exit_code == 0
    assert "records: 11 (" in result.output
    assert "collection d.c: 10 live documents" in result.output
    assert result.output.endswith("healthy\n")


def test_flipped_byte_refuses_then_repair_salvages_the_rest(ten_records):
    data_file, offsets = ten_records
    data = bytearray(data_file.read_bytes())
    data[offsets[5] + 20] ^= 0xFF  # inside the record inserting _id 4
    data_file.write_bytes(bytes(data))
    proc = start_refused(data_file)
    assert proc.returncode == 2
    assert f"corrupt record at offset {offsets[5]}" in proc.stderr
    assert f"run `docdb repair {data_file}`" in proc.stderr

    verify = CliRunner().invoke(tools_main, ["verify", str(data_file)])
    assert verify.exit_code == 1
    assert f"DAMAGED: first bad offset {offsets[5]}" in verify.output

    out = data_file.parent / "fixed.mdb"
    repair = CliRunner().invoke(tools_main, ["repair", str(data_file), "--out", str(out)])
    assert repair.exit_code == 0, repair.output
    assert "10 records kept" in repair.output
    assert data_file.read_bytes() == bytes(data)  # the original is never modified
    assert _ids(out) == [0, 1, 2, 3, 5, 6, 7, 8, 9]
    again = CliRunner().invoke(tools_main, ["repair", str(data_file), "--out", str(out)])
    assert again.exit_code == 2 and "already exists" in again.output


def test_truncated_last_record_recovers_the_previous_ones(ten_records):
    """A sample of cut points through the server (the log layer's tests cut at every byte)."""
    data_file, offsets = ten_records
    original = data_file.read_bytes()
    last, end = offsets[-1], len(original)
    cuts = sorted(
        {last, last + 1, last + 8, last + 9, end - 1, *random.Random(3).sample(range(last, end), 3)}
    )
    for cut in cuts:
        data_file.write_bytes(original[:cut])
        verify = CliRunner().invoke(tools_main, ["verify", str(data_file)])
        assert verify.exit_code == 0 and "healthy" in verify.output
        assert _ids(data_file) == list(range(9)), cut
        assert data_file.stat().st_size == last  # the torn tail was cut off at start
