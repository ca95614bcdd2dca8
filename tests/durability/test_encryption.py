"""Encryption at rest through the server: no document text in the file, and a wrong or missing key
refuses to start with a clear message, writing nothing."""

from __future__ import annotations

import subprocess

from click.testing import CliRunner

from docdb.cli import tools_main
from tests.serverproc import ServerProcess, start_refused

MARKER = "Sup3rSecretMarker"


def _grep(path) -> int:
    return subprocess.run(["grep", "-c", MARKER, str(path)], capture_output=True).returncode


def test_encrypted_file_hides_documents_and_needs_its_key(data_file, tmp_path):
    key = tmp_path / "key"
    key.write_text("a long passphrase\n")
    with ServerProcess(data_file, ["--encryption-key-file", str(key)]) as server, server.client() as client:
        client.d.c.insert_many([{"_id": i, "text": f"{MARKER} {i}"} for i in range(50)])
        client.d[MARKER].insert_one({"_id": 1})
    assert _grep(data_file) == 1  # grep exit status 1: no line matched
    before = data_file.read_bytes()

    missing = start_refused(data_file)
    assert missing.returncode == 2
    assert f"{data_file} is encrypted: start with --encryption-key-file" in missing.stderr
    wrong = tmp_path / "wrong"
    wrong.write_text("not the passphrase")
    refused = start_refused(data_file, "--encryption-key-file", str(wrong))
    assert refused.returncode == 2
    assert "wrong encryption key" in refused.stderr
    assert data_file.read_bytes() == before

    with ServerProcess(data_file, ["--encryption-key-file", str(key)]) as server, server.client() as client:
        assert client.d.c.count_documents({}) == 50
        assert client.d.c.find_one({"_id": 7}) == {"_id": 7, "text": f"{MARKER} 7"}


def test_compact_encrypt_then_decrypt(data_file, tmp_path):
    key = tmp_path / "key"
    key.write_bytes(bytes(range(32)))
    with ServerProcess(data_file) as server, server.client() as client:
        client.d.c.insert_many([{"_id": i, "text": MARKER} for i in range(20)])
    assert _grep(data_file) == 0
    runner = CliRunner()
    result = runner.invoke(
        tools_main, ["compact", str(data_file), "--encrypt", "--encryption-key-file", str(key)]
    )
    assert result.exit_code == 0, result.output
    assert "20 documents, encrypted" in result.output
    assert _grep(data_file) == 1
    plain_start = start_refused(data_file)
    assert plain_start.returncode == 2
    with ServerProcess(data_file, ["--encryption-key-file", str(key)]) as server, server.client() as client:
        assert client.d.c.count_documents({}) == 20
    result = runner.invoke(
        tools_main, ["compact", str(data_file), "--decrypt", "--encryption-key-file", str(key)]
    )
    assert result.exit_code == 0, result.output
    assert _grep(data_file) == 0
    with ServerProcess(data_file) as server, server.client() as client:
        assert client.d.c.count_documents({}) == 20


def test_plain_file_with_a_key_refuses(data_file, tmp_path):
    with ServerProcess(data_file) as server, server.client() as client:
        client.d.c.insert_one({"_id": 1})
    key = tmp_path / "key"
    key.write_text("pass")
    refused = start_refused(data_file, "--encryption-key-file", str(key))
    assert refused.returncode == 2
    assert "is not encrypted; encrypt it with `docdb compact --encrypt`" in refused.stderr
