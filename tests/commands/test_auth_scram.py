"""SCRAM-SHA-1 / SCRAM-SHA-256 authentication against a server started with --auth (PyMongo and a
hand-driven conversation), the localhost exception, and users surviving a restart."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pymongo
import pytest
from bson.binary import Binary
from pymongo.errors import OperationFailure

from tests.commands.auth_helpers import ROOT_PWD, ROOT_USER, ScramClient, user_client
from tests.serverproc import ServerProcess


@pytest.fixture(scope="module")
def auth_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    path = tmp_path_factory.mktemp("auth") / "auth.mdb"
    with ServerProcess(path, ["--auth"]) as proc:
        with proc.client() as anonymous:  # the localhost exception creates the first user
            anonymous.admin.command("createUser", ROOT_USER, pwd=ROOT_PWD, roles=["root"])
        yield proc


@pytest.fixture(scope="module")
def root(auth_server: ServerProcess) -> Iterator[pymongo.MongoClient]:
    with user_client(auth_server, ROOT_USER, ROOT_PWD) as c:
        yield c


@pytest.mark.parametrize("mechanism", ["SCRAM-SHA-1", "SCRAM-SHA-256", None])
def test_pymongo_authenticates_with_each_mechanism(auth_server, mechanism):
    options = {"authMechanism": mechanism} if mechanism else {}
    with user_client(auth_server, ROOT_USER, ROOT_PWD, **options) as c:
        coll = c.t_scram[f"c_{mechanism}"]
        coll.insert_one({"_id": 1})
        assert coll.find_one() == {"_id": 1}
        assert c.admin.command("connectionStatus") == {
            "authInfo": {
                "authenticatedUsers": [{"user": ROOT_USER, "db": "admin"}],
                "authenticatedUserRoles": [{"role": "root", "db": "admin"}],
            },
            "ok": 1.0,
        }


def test_user_of_another_database_authenticates_with_its_auth_source(auth_server, root):
    root.appdb.command("createUser", "app", pwd="app-pw", roles=["readWrite"])
    with user_client(auth_server, "app", "app-pw", authSource="appdb") as c:
        c.appdb.items.insert_one({"_id": "a"})
        assert c.appdb.items.count_documents({}) == 1
    with user_client(auth_server, "app", "app-pw") as wrong_source, pytest.raises(OperationFailure) as exc:
        wrong_source.appdb.items.find_one()
    assert (exc.value.code, exc.value.details["errmsg"]) == (18, "Authentication failed.")


@pytest.mark.parametrize("mechanism", ["SCRAM-SHA-1", "SCRAM-SHA-256"])
@pytest.mark.parametrize("user,pwd", [(ROOT_USER, "wrong"), ("nobody", ROOT_PWD)])
def test_wrong_password_or_user_fail_alike(auth_server, mechanism, user, pwd):
    with (
        user_client(auth_server, user, pwd, authMechanism=mechanism) as c,
        pytest.raises(OperationFailure) as exc,
    ):
        c.test.c.find_one()
    assert exc.value.code == 18
    assert exc.value.details == {
        "ok": 0.0,
        "errmsg": "Authentication failed.",
        "code": 18,
        "codeName": "AuthenticationFailed",
    }


def test_unauthenticated_command_requires_authentication(auth_server):
    with auth_server.client() as c, pytest.raises(OperationFailure) as exc:
        c.test.c.find_one()
    assert exc.value.code == 13
    assert exc.value.details["errmsg"] == "Command find requires authentication"
    assert exc.value.details["codeName"] == "Unauthorized"
    with auth_server.client() as c:  # what mongod allows before authentication still works
        assert c.admin.command("ping") == {"ok": 1.0}
        assert c.admin.command("hello")["isWritablePrimary"] is True
        assert c.admin.command("buildInfo")["version"].startswith("7.0")


def _one_connection(server: ServerProcess) -> pymongo.MongoClient:
    return server.client(maxPoolSize=1)


@pytest.mark.parametrize("mechanism", ["SCRAM-SHA-1", "SCRAM-SHA-256"])
def test_sasl_conversation_with_the_empty_exchange(auth_server, mechanism):
    scram = ScramClient(ROOT_USER, ROOT_PWD, mechanism)
    with _one_connection(auth_server) as c:
        start = c.admin.command("saslStart", 1, mechanism=mechanism, payload=Binary(scram.first()))
        assert list(start) == ["conversationId", "done", "payload", "ok"]
        assert (start["conversationId"], start["done"]) == (1, False)
        step = c.admin.command(
            "saslContinue", 1, conversationId=1, payload=Binary(scram.final(start["payload"]))
        )
        assert step == {
            "conversationId": 1,
            "done": False,
            "payload": f"v={scram.expected_server_signature}".encode(),
            "ok": 1.0,
        }
        last = c.admin.command("saslContinue", 1, conversationId=1, payload=Binary(b""))
        assert last == {"conversationId": 1, "done": True, "payload": b"", "ok": 1.0}
        assert c.admin.command("connectionStatus")["authInfo"]["authenticatedUsers"] == [
            {"user": ROOT_USER, "db": "admin"}
        ]
        assert c.admin.command("logout") == {"ok": 1.0}
        assert c.admin.command("connectionStatus")["authInfo"]["authenticatedUsers"] == []


def test_sasl_skip_empty_exchange_finishes_in_two_steps(auth_server):
    scram = ScramClient(ROOT_USER, ROOT_PWD)
    with _one_connection(auth_server) as c:
        start = c.admin.command(
            "saslStart",
            1,
            mechanism="SCRAM-SHA-256",
            payload=Binary(scram.first()),
            options={"skipEmptyExchange": True},
        )
        step = c.admin.command(
            "saslContinue",
            1,
            conversationId=start["conversationId"],
            payload=Binary(scram.final(start["payload"])),
        )
        assert step["done"] is True
        assert step["payload"] == f"v={scram.expected_server_signature}".encode()
        assert c.t_scram.c.count_documents({}) >= 0


def test_speculative_authenticate_and_sasl_supported_mechs_in_hello(auth_server):
    scram = ScramClient(ROOT_USER, ROOT_PWD)
    with _one_connection(auth_server) as c:
        reply = c.admin.command(
            "hello",
            saslSupportedMechs=f"admin.{ROOT_USER}",
            speculativeAuthenticate={
                "saslStart": 1,
                "mechanism": "SCRAM-SHA-256",
                "payload": Binary(scram.first()),
                "db": "admin",
                "options": {"skipEmptyExchange": True},
            },
        )
        assert reply["saslSupportedMechs"] == ["SCRAM-SHA-1", "SCRAM-SHA-256"]
        speculative = reply["speculativeAuthenticate"]
        assert list(speculative) == ["conversationId", "done", "payload"]
        final = c.admin.command(
            "saslContinue",
            1,
            conversationId=speculative["conversationId"],
            payload=Binary(scram.final(speculative["payload"])),
        )
        assert final["done"] is True
        assert c.admin.command("connectionStatus")["authInfo"]["authenticatedUsers"] == [
            {"user": ROOT_USER, "db": "admin"}
        ]


def test_hello_leaves_out_auth_fields_for_an_unknown_user(auth_server):
    with auth_server.client() as c:
        reply = c.admin.command(
            "hello",
            saslSupportedMechs="admin.nobody",
            speculativeAuthenticate={
                "saslStart": 1,
                "mechanism": "SCRAM-SHA-256",
                "payload": Binary(ScramClient("nobody", "x").first()),
                "db": "admin",
            },
        )
    assert "saslSupportedMechs" not in reply and "speculativeAuthenticate" not in reply


def test_sasl_errors(auth_server):
    with _one_connection(auth_server) as c:
        with pytest.raises(OperationFailure) as exc:
            c.admin.command("saslStart", 1, mechanism="PLAIN", payload=Binary(b"x"))
        assert (exc.value.code, exc.value.details["errmsg"]) == (
            2,
            "Unsupported mechanism 'PLAIN' on authentication database 'admin'",
        )
        with pytest.raises(OperationFailure) as exc:
            c.admin.command("authenticate", 1, mechanism="MONGODB-X509")
        assert (exc.value.code, exc.value.details["errmsg"]) == (18, "Authentication failed.")
        with pytest.raises(OperationFailure) as exc:
            c.admin.command("hello", saslSupportedMechs="nodot")
        assert exc.value.details["errmsg"] == "UserName must contain a '.' separated database.user pair"
        with pytest.raises(OperationFailure) as exc:
            c.admin.command("saslContinue", 1, conversationId=1, payload=Binary(b"x"))
        assert (exc.value.code, exc.value.details["errmsg"]) == (17, "No SASL session state found")
        with pytest.raises(OperationFailure) as exc:
            c.admin.command(
                "saslStart", 1, mechanism="SCRAM-SHA-256", payload=Binary(b"p=tls,,n=root,r=abcdef")
            )
        assert (exc.value.code, exc.value.details["errmsg"]) == (18, "Authentication failed.")


def test_sha1_only_user_has_no_sha256(auth_server, root):
    root.admin.command("createUser", "legacy", pwd="old-pw", roles=[], mechanisms=["SCRAM-SHA-1"])
    with user_client(auth_server, "legacy", "old-pw", authMechanism="SCRAM-SHA-1") as c:
        assert c.admin.command("connectionStatus")["authInfo"]["authenticatedUsers"] == [
            {"user": "legacy", "db": "admin"}
        ]
    with user_client(auth_server, "legacy", "old-pw", authMechanism="SCRAM-SHA-256") as c:
        with pytest.raises(OperationFailure) as exc:
            c.admin.command("connectionStatus")
        assert exc.value.code == 18


def test_saslprep_applies_to_sha256_passwords(auth_server, root):
    # U+2168 (ROMAN NUMERAL NINE) prepares to "IX", and a soft hyphen maps to nothing: RFC 4013's examples
    root.admin.command("createUser", "prepped", pwd="I\u00adX", roles=[])
    for password in ("IX", "\u2168", "I\u00adX"):
        with user_client(auth_server, "prepped", password, authMechanism="SCRAM-SHA-256") as c:
            assert (
                c.admin.command("connectionStatus")["authInfo"]["authenticatedUsers"][0]["user"] == "prepped"
            )


def test_stored_user_holds_salted_keys_never_the_password(root):
    stored = root.admin.system.users.find_one({"_id": f"admin.{ROOT_USER}"})
    assert set(stored) == {"_id", "userId", "user", "db", "credentials", "roles"}
    assert stored["credentials"]["SCRAM-SHA-256"]["iterationCount"] == 15000
    assert stored["credentials"]["SCRAM-SHA-1"]["iterationCount"] == 10000
    assert set(stored["credentials"]["SCRAM-SHA-256"]) == {"iterationCount", "salt", "storedKey", "serverKey"}
    assert ROOT_PWD not in repr(stored)


def test_localhost_exception_allows_only_the_first_user(tmp_path: Path):
    with ServerProcess(tmp_path / "fresh.mdb", ["--auth"]) as proc, proc.client() as anonymous:
        with pytest.raises(OperationFailure) as exc:
            anonymous.test.c.insert_one({})
        assert exc.value.code == 13
        assert exc.value.details["errmsg"].startswith(
            'not authorized on test to execute command { insert: "c"'
        )
        with pytest.raises(OperationFailure) as exc:
            anonymous.test.command("createUser", "u", pwd="p", roles=[])
        assert exc.value.code == 13  # the exception is for users on admin
        anonymous.admin.command("createUser", "first", pwd="p", roles=["root"])
        with pytest.raises(OperationFailure) as exc:
            anonymous.admin.command("createUser", "second", pwd="p", roles=["root"])
        assert exc.value.details["errmsg"] == "Command createUser requires authentication"


def test_users_survive_a_restart_and_auth_applies_on_next_start(tmp_path: Path):
    path = tmp_path / "restart.mdb"
    with ServerProcess(path) as proc, proc.client() as c:  # no --auth: users can still be created
        c.admin.command("createUser", "keeper", pwd="pw", roles=["readWriteAnyDatabase"])
        c.data.items.insert_one({"_id": 1})
        assert c.data.items.find_one() == {"_id": 1}
    with ServerProcess(path, ["--auth"]) as proc:
        with proc.client() as anonymous, pytest.raises(OperationFailure) as exc:
            anonymous.data.items.find_one()
        assert exc.value.code == 13
        with user_client(proc, "keeper", "pw") as c:
            assert c.data.items.find_one() == {"_id": 1}


def test_auth_env_variable_turns_auth_on(tmp_path: Path):
    with ServerProcess(tmp_path / "env.mdb", env={"DOCDB_AUTH": "1"}) as proc:
        with proc.client() as c:
            c.admin.command("createUser", "x", pwd="y", roles=["root"])
            with pytest.raises(OperationFailure) as exc:
                c.test.c.find_one()
            assert exc.value.details["errmsg"] == "Command find requires authentication"


def test_base64_string_payloads_are_answered_in_kind(auth_server):
    scram = ScramClient(ROOT_USER, ROOT_PWD)
    with _one_connection(auth_server) as c:
        start = c.admin.command(
            "saslStart", 1, mechanism="SCRAM-SHA-256", payload=base64.b64encode(scram.first()).decode()
        )
        assert isinstance(start["payload"], str)
        final = scram.final(base64.b64decode(start["payload"]))
        step = c.admin.command("saslContinue", 1, conversationId=1, payload=base64.b64encode(final).decode())
        assert base64.b64decode(step["payload"]) == f"v={scram.expected_server_signature}".encode()
        with pytest.raises(OperationFailure) as exc:
            c.admin.command("saslContinue", 1, conversationId=2, payload="")
        assert (exc.value.code, exc.value.details["errmsg"]) == (17, "sasl: Mismatched conversation id")


def test_users_are_encrypted_at_rest_with_the_rest(tmp_path: Path):
    path, key = tmp_path / "enc.mdb", tmp_path / "key"
    key.write_text("a long passphrase\n")
    marker = "UserNameMarker7"
    with ServerProcess(path, ["--auth", "--encryption-key-file", str(key)]) as proc, proc.client() as c:
        c.admin.command("createUser", marker, pwd="pw", roles=["root"])
    assert marker.encode() not in path.read_bytes()
    with ServerProcess(path, ["--auth", "--encryption-key-file", str(key)]) as proc:
        with user_client(proc, marker, "pw") as c:
            assert c.admin.command("connectionStatus")["authInfo"]["authenticatedUsers"] == [
                {"user": marker, "db": "admin"}
            ]


def test_pymongo_authenticates_speculatively_by_default(auth_server, root):
    def sasl_counts() -> tuple[int, int]:
        commands = root.admin.command("serverStatus")["metrics"]["commands"]
        return tuple(commands.get(name, {"total": 0})["total"] for name in ("saslStart", "saslContinue"))

    starts, continues = sasl_counts()
    with user_client(auth_server, ROOT_USER, ROOT_PWD) as c:
        c.admin.command("ping")
    # the first step rode in the handshake's hello: no saslStart, one saslContinue (skipEmptyExchange)
    assert sasl_counts() == (starts, continues + 1)
    with user_client(auth_server, ROOT_USER, ROOT_PWD, authMechanism="SCRAM-SHA-1") as c:
        c.admin.command("ping")
    assert sasl_counts() == (starts, continues + 2)
