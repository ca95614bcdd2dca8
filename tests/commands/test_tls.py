"""TLS modes as mongod's ``--tlsMode``: requireTLS, preferTLS/allowTLS (TLS and plaintext on one port),
client certificates verified against ``--tls-ca-file``."""

from __future__ import annotations

import socket
import ssl
from pathlib import Path

import pymongo
import pytest
from pymongo.errors import ServerSelectionTimeoutError

from tests.certificates import Pki, make_pki
from tests.serverproc import ServerProcess, start_refused

FAST = {"serverSelectionTimeoutMS": 3000, "connectTimeoutMS": 3000}


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


def _client(port: int, **options) -> pymongo.MongoClient:
    return pymongo.MongoClient(f"mongodb://127.0.0.1:{port}/?directConnection=true", **FAST, **options)


def _tls(pki: Pki, **extra) -> dict:
    return {"tls": True, "tlsCAFile": str(pki.ca_file), **extra}


@pytest.fixture(scope="module")
def require_tls(pki: Pki, tmp_path_factory: pytest.TempPathFactory):
    args = ["--tls-mode", "requireTLS", "--tls-cert-key-file", str(pki.server_pem)]
    with ServerProcess(tmp_path_factory.mktemp("tls") / "t.mdb", args) as proc:
        yield proc


def test_require_tls_serves_tls_clients(require_tls, pki):
    with _client(require_tls.port, **_tls(pki)) as client:
        client.t.c.insert_one({"_id": 1, "x": "over tls"})
        assert client.t.c.find_one({"_id": 1}) == {"_id": 1, "x": "over tls"}


def test_require_tls_disconnects_plaintext_client_with_a_log_line(require_tls):
    with _client(require_tls.port) as client, pytest.raises(ServerSelectionTimeoutError):
        client.admin.command("ping")
    assert any("plaintext client on a requireTLS port" in line for line in require_tls.output)


def test_require_tls_client_must_trust_the_server(require_tls, pki):
    with _client(require_tls.port, tls=True) as client, pytest.raises(ServerSelectionTimeoutError):
        client.admin.command("ping")  # the test CA is not in the system store


def test_other_clients_are_served_while_one_stalls_before_its_handshake(require_tls, pki):
    staller = socket.create_connection(("127.0.0.1", require_tls.port))
    try:
        with _client(require_tls.port, **_tls(pki)) as client:
            assert client.admin.command("ping")["ok"] == 1.0
    finally:
        staller.close()


@pytest.mark.parametrize("mode", ["allowTLS", "preferTLS"])
def test_mixed_modes_serve_tls_and_plaintext_on_one_port(mode, pki, tmp_path: Path):
    args = ["--tls-mode", mode, "--tls-cert-key-file", str(pki.server_pem)]
    with ServerProcess(tmp_path / "m.mdb", args) as proc:
        with _client(proc.port, **_tls(pki)) as tls_client, _client(proc.port) as plain:
            tls_client.t.c.insert_one({"_id": "tls"})
            plain.t.c.insert_one({"_id": "plain"})
            assert sorted(d["_id"] for d in plain.t.c.find()) == ["plain", "tls"]
            assert tls_client.admin.command("connectionStatus")["ok"] == 1.0


@pytest.fixture(scope="module")
def mutual_tls(pki: Pki, tmp_path_factory: pytest.TempPathFactory):
    args = [
        "--tls-mode", "requireTLS",
        "--tls-cert-key-file", str(pki.server_pem),
        "--tls-ca-file", str(pki.ca_file),
    ]  # fmt: skip
    with ServerProcess(tmp_path_factory.mktemp("mtls") / "t.mdb", args) as proc:
        yield proc


def test_ca_file_requires_a_verified_client_certificate(mutual_tls, pki):
    with _client(mutual_tls.port, **_tls(pki, tlsCertificateKeyFile=str(pki.client_pem))) as client:
        assert client.admin.command("ping")["ok"] == 1.0
    with _client(mutual_tls.port, **_tls(pki)) as anonymous, pytest.raises(ServerSelectionTimeoutError):
        anonymous.admin.command("ping")
    rogue = _tls(pki, tlsCertificateKeyFile=str(pki.rogue_client_pem))
    with _client(mutual_tls.port, **rogue) as intruder, pytest.raises(ServerSelectionTimeoutError):
        intruder.admin.command("ping")


def test_allow_connections_without_certificates(pki, tmp_path: Path):
    args = [
        "--tls-mode", "requireTLS",
        "--tls-cert-key-file", str(pki.server_pem),
        "--tls-ca-file", str(pki.ca_file),
        "--tls-allow-connections-without-certificates",
    ]  # fmt: skip
    with ServerProcess(tmp_path / "a.mdb", args) as proc:
        with _client(proc.port, **_tls(pki)) as anonymous:
            assert anonymous.admin.command("ping")["ok"] == 1.0
        rogue = _tls(pki, tlsCertificateKeyFile=str(pki.rogue_client_pem))
        with _client(proc.port, **rogue) as intruder, pytest.raises(ServerSelectionTimeoutError):
            intruder.admin.command("ping")  # a certificate that is presented must still verify


def test_raw_tls_handshake_then_garbage_closes_only_that_connection(require_tls, pki):
    context = ssl.create_default_context(cafile=str(pki.ca_file))
    with socket.create_connection(("127.0.0.1", require_tls.port), timeout=5) as raw:
        with context.wrap_socket(raw, server_hostname="localhost") as tls_sock:
            tls_sock.sendall(b"\x00" * 64)
            assert tls_sock.recv(1) == b""
    with _client(require_tls.port, **_tls(pki)) as client:
        assert client.admin.command("ping")["ok"] == 1.0


def test_tls_mode_without_certificate_refuses_to_start(tmp_path: Path):
    result = start_refused(tmp_path / "x.mdb", "--tls-mode", "requireTLS")
    assert result.returncode == 2
    assert "--tls-mode requireTLS needs --tls-cert-key-file" in result.stderr
