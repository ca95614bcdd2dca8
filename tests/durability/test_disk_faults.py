"""A failed write (disk full, I/O error) is an error reply; the server keeps serving, memory and file
are unchanged, and writes work again once the disk does."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from pymongo.errors import OperationFailure

from docdb.cli import tools_main
from tests.serverproc import ServerProcess


@pytest.mark.parametrize(
    ("errno_name", "code", "code_name"),
    [("ENOSPC", 14031, "OutOfDiskSpace"), ("EIO", 1, "InternalError")],
    ids=["enospc", "eio"],
)
def test_failed_append_is_a_write_error_and_nothing_changes(data_file, tmp_path, errno_name, code, code_name):
    fault = tmp_path / "fault"
    with ServerProcess(data_file, env={"DOCDB_FAULT_FILE": str(fault)}) as server, server.client() as client:
        client.d.c.insert_many([{"_id": 1}, {"_id": 2}])
        size = data_file.stat().st_size
        fault.write_text(errno_name)
        with pytest.raises(OperationFailure) as exc:
            client.d.c.insert_many([{"_id": 3}, {"_id": 4}])
        assert (exc.value.code, exc.value.details["codeName"]) == (code, code_name)
        with pytest.raises(OperationFailure) as exc:
            client.d.c.drop()
        assert exc.value.code == code
        assert client.admin.command("ping") == {"ok": 1.0}
        assert list(client.d.c.find()) == [{"_id": 1}, {"_id": 2}]
        assert data_file.stat().st_size == size
        fault.unlink()
        client.d.c.insert_one({"_id": 5})
    result = CliRunner().invoke(tools_main, ["verify", str(data_file)])
    assert result.exit_code == 0, result.output
    with ServerProcess(data_file) as server, server.client() as client:
        assert list(client.d.c.find()) == [{"_id": 1}, {"_id": 2}, {"_id": 5}]
