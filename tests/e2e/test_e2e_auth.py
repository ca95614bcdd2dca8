"""mongosh ``-u -p`` and the Node driver with ``user:password@`` URIs against a docdb-server with --auth:
SCRAM-SHA-256 and SCRAM-SHA-1, a wrong password, and a read-only user refused a write."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import ROOT, TIMEOUT_S, client_env
from tests.serverproc import ServerProcess

pytestmark = pytest.mark.e2e

USER, PWD = "admin", "e2e-secret"


@pytest.fixture(scope="module")
def auth_server() -> Iterator[ServerProcess]:
    server = ServerProcess(
        None, ["--auth"], env={"PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    )
    server.start()
    with server.client() as anonymous:  # the localhost exception creates the first user
        anonymous.admin.command("createUser", USER, pwd=PWD, roles=["root"])
    with server.client(username=USER, password=PWD) as root:
        root.admin.command("createUser", "viewer", pwd="view-pw", roles=[{"role": "read", "db": "e2e_auth"}])
    yield server
    server.stop()


def _mongosh(mongosh: str, server: ServerProcess, tmp_path: Path, script: str, *flags: str):
    args = [mongosh, server.uri, "--quiet", *flags, "--eval", script]
    return subprocess.run(
        args, capture_output=True, text=True, timeout=TIMEOUT_S, cwd=tmp_path, env=client_env(tmp_path)
    )


@pytest.mark.parametrize("mechanism", ["SCRAM-SHA-256", "SCRAM-SHA-1"])
def test_mongosh_user_password(mongosh, auth_server, tmp_path, mechanism):
    script = (
        "db.getSiblingDB('e2e_auth').items.insertOne({_id: 'm-" + mechanism + "'});"
        "print(EJSON.stringify(db.runCommand({connectionStatus: 1}).authInfo.authenticatedUsers))"
    )
    proc = _mongosh(
        mongosh,
        auth_server,
        tmp_path,
        script,
        "-u",
        USER,
        "-p",
        PWD,
        "--authenticationDatabase",
        "admin",
        "--authenticationMechanism",
        mechanism,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert json.loads(proc.stdout) == [{"user": USER, "db": "admin"}]


def test_mongosh_wrong_password_fails(mongosh, auth_server, tmp_path):
    proc = _mongosh(mongosh, auth_server, tmp_path, "db.runCommand({ping: 1})", "-u", USER, "-p", "nope")
    assert proc.returncode != 0
    assert "Authentication failed." in proc.stdout + proc.stderr


def _node(node_driver: str, uri: str, body: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    script = (
        "const mongodb = require('mongodb');\n"
        f"const client = new mongodb.MongoClient({json.dumps(uri)}, {{serverSelectionTimeoutMS: 5000}});\n"
        f"(async () => {{\n{body}\n}})()\n"
        ".then(r => console.log(JSON.stringify({result: r})))\n"
        ".catch(e => { console.log(JSON.stringify({error: {code: e.code, message: e.message}})); })\n"
        ".finally(() => client.close());\n"
    )
    return subprocess.run(
        [node_driver, "-e", script], capture_output=True, text=True, timeout=TIMEOUT_S, cwd=ROOT,
        env=client_env(tmp_path),
    )  # fmt: skip


def _uri(server: ServerProcess, user: str, pwd: str, extra: str = "") -> str:
    return f"mongodb://{user}:{pwd}@127.0.0.1:{server.port}/?directConnection=true&authSource=admin{extra}"


@pytest.mark.parametrize("extra", ["", "&authMechanism=SCRAM-SHA-1", "&authMechanism=SCRAM-SHA-256"])
def test_node_driver_authenticates(node_driver, auth_server, tmp_path, extra):
    body = """
        const c = client.db('e2e_auth').collection('node');
        await c.deleteMany({});
        await c.insertOne({_id: 1, v: 'x'});
        const status = await client.db('admin').command({connectionStatus: 1});
        return {doc: await c.findOne({_id: 1}), users: status.authInfo.authenticatedUsers};
    """
    proc = _node(node_driver, _uri(auth_server, USER, PWD, extra), body, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == {
        "result": {"doc": {"_id": 1, "v": "x"}, "users": [{"user": USER, "db": "admin"}]}
    }


def test_node_driver_wrong_password_and_read_only_user(node_driver, auth_server, tmp_path):
    proc = _node(
        node_driver,
        _uri(auth_server, USER, "bad"),
        "return await client.db('a').command({ping: 1});",
        tmp_path,
    )
    assert json.loads(proc.stdout) == {"error": {"code": 18, "message": "Authentication failed."}}
    body = "return await client.db('e2e_auth').collection('node').insertOne({_id: 2});"
    proc = _node(node_driver, _uri(auth_server, "viewer", "view-pw"), body, tmp_path)
    error = json.loads(proc.stdout)["error"]
    assert error["code"] == 13
    assert error["message"].startswith('not authorized on e2e_auth to execute command { insert: "node"')
