"""MONGODB-X509: a verified TLS client certificate authenticates a user of ``$external``."""

from __future__ import annotations

from pathlib import Path

import pymongo
import pytest
from pymongo.errors import OperationFailure

from tests.certificates import Pki, make_pki
from tests.serverproc import ServerProcess

FAST = {"serverSelectionTimeoutMS": 5000, "directConnection": True}


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


def _tls_args(pki: Pki) -> list[str]:
    return [
        "--tls-mode", "requireTLS",
        "--tls-cert-key-file", str(pki.server_pem),
        "--tls-ca-file", str(pki.ca_file),
        "--tls-allow-connections-without-certificates",
    ]  # fmt: skip


def _client(port: int, pki: Pki, cert: Path | None = None, **options) -> pymongo.MongoClient:
    tls = {"tls": True, "tlsCAFile": str(pki.ca_file)}
    if cert is not None:
        tls["tlsCertificateKeyFile"] = str(cert)
    return pymongo.MongoClient(f"mongodb://127.0.0.1:{port}/", **FAST, **tls, **options)


@pytest.fixture(scope="module")
def x509_server(pki: Pki, tmp_path_factory: pytest.TempPathFactory):
    """A user for the client certificate's subject, created before --auth, then a server with --auth."""
    path = tmp_path_factory.mktemp("x509") / "x.mdb"
    with ServerProcess(path, _tls_args(pki)) as setup, _client(setup.port, pki) as admin:
        external = admin["$external"]
        external.command("createUser", pki.client_subject, roles=[{"role": "readWrite", "db": "app"}])
        admin.app.items.insert_one({"_id": 1})
        admin.other.items.insert_one({"_id": 1})
    with ServerProcess(path, [*_tls_args(pki), "--auth"]) as server:
        yield server


def test_certificate_user_is_listed_with_the_external_mechanism(x509_server, pki):
    with _client(x509_server.port, pki, pki.client_pem, authMechanism="MONGODB-X509") as client:
        info = client["$external"].command("usersInfo", pki.client_subject)["users"][0]
    assert (info["user"], info["db"], info["mechanisms"]) == (pki.client_subject, "$external", ["external"])


def test_x509_login_reads_and_writes_what_its_roles_allow(x509_server, pki):
    with _client(x509_server.port, pki, pki.client_pem, authMechanism="MONGODB-X509") as client:
        client.app.items.insert_one({"_id": 2})
        assert [d["_id"] for d in client.app.items.find()] == [1, 2]
        status = client.admin.command("connectionStatus")["authInfo"]
        assert status["authenticatedUsers"] == [{"user": pki.client_subject, "db": "$external"}]
        with pytest.raises(OperationFailure) as exc:
            client.other.items.find_one()
        assert exc.value.code == 13


def test_authenticate_command_and_its_failures(x509_server, pki):
    with _client(x509_server.port, pki, pki.client_pem) as client:
        external = client["$external"]
        with pytest.raises(OperationFailure) as exc:
            external.command("authenticate", 1, mechanism="MONGODB-X509", user="CN=someone-else")
        assert (exc.value.code, exc.value.details["errmsg"]) == (18, "Authentication failed.")
        with pytest.raises(OperationFailure) as exc:
            external.command("authenticate", 1, mechanism="MONGODB-CR")
        assert exc.value.code == 18
        reply = external.command("authenticate", 1, mechanism="MONGODB-X509")
        assert (reply["dbname"], reply["user"]) == ("$external", pki.client_subject)
        assert client.app.items.count_documents({}) >= 1


def test_no_certificate_no_x509_login(x509_server, pki):
    with _client(x509_server.port, pki) as client:
        with pytest.raises(OperationFailure) as exc:
            client["$external"].command("authenticate", 1, mechanism="MONGODB-X509")
        assert (exc.value.code, exc.value.details["errmsg"]) == (18, "Authentication failed.")
        with pytest.raises(OperationFailure) as exc:
            client.app.items.find_one()
        assert exc.value.code == 13


def test_external_users_take_no_password(x509_server, pki, tmp_path):
    with ServerProcess(tmp_path / "p.mdb", _tls_args(pki)) as server, _client(server.port, pki) as client:
        with pytest.raises(OperationFailure) as exc:
            client["$external"].command("createUser", "CN=x", pwd="secret", roles=[])
        assert exc.value.code == 2
