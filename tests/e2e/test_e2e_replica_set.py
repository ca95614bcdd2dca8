"""mongosh and the Node driver against docdb in replica-set mode (``--replica-set rs0``), connecting with
``?replicaSet=rs0`` (discovery through hello's hosts) and with ``directConnection=true``."""

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


class ReplicaSetServer(ServerProcess):
    """Clients of the shared fixtures (run_mongosh, run_node) connect through replica-set discovery."""

    @property
    def uri(self) -> str:
        return f"mongodb://127.0.0.1:{self.port}/?replicaSet=rs0"

    @property
    def direct_uri(self) -> str:
        return f"mongodb://127.0.0.1:{self.port}/?directConnection=true"


@pytest.fixture(scope="module")
def e2e_server() -> Iterator[ReplicaSetServer]:
    """Overrides conftest's standalone: one in-memory replica-set member for this module."""
    env = {"PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    server = ReplicaSetServer(None, ["--replica-set", "rs0"], env=env)
    server.start()
    yield server
    server.stop()


def eval_json(run_mongosh, script: str):
    proc = run_mongosh(f"print(EJSON.stringify(({script})))", "--quiet")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stderr == ""
    return json.loads(proc.stdout)


def test_mongosh_rs_initiate_once_then_already_initialized(run_mongosh, e2e_server):
    # a CI script's `rs.initiate()` right after start-up works; a second one fails as on mongod
    script = """(() => {
        const first = rs.initiate();
        let second;
        try { rs.initiate(); } catch (e) { second = {code: e.code, codeName: e.codeName, msg: e.message}; }
        return {ok: first.ok, info2: first.info2, me: first.me, second};
    })()"""
    assert eval_json(run_mongosh, script) == {
        "ok": 1,
        "info2": "no configuration specified. Using a default configuration for the set",
        "me": f"localhost:{e2e_server.port}",
        "second": {"code": 23, "codeName": "AlreadyInitialized", "msg": "already initialized"},
    }


def test_mongosh_status_conf_and_hello(run_mongosh, e2e_server):
    me = f"localhost:{e2e_server.port}"
    script = """(() => {
        const s = rs.status();
        const c = rs.conf();
        const h = db.hello();
        return {
            set: s.set, myState: s.myState, members: s.members.map(m => [m.name, m.stateStr, m.self]),
            conf: {_id: c._id, hosts: c.members.map(m => m.host)},
            hello: {setName: h.setName, primary: h.primary, writable: h.isWritablePrimary, hosts: h.hosts},
            clusterTime: typeof h.$clusterTime.clusterTime,
        };
    })()"""
    assert eval_json(run_mongosh, script) == {
        "set": "rs0",
        "myState": 1,
        "members": [[me, "PRIMARY", True]],
        "conf": {"_id": "rs0", "hosts": [me]},
        "hello": {"setName": "rs0", "primary": me, "writable": True, "hosts": [me]},
        "clusterTime": "object",
    }


def test_mongosh_try_status_catch_initiate_script(run_mongosh):
    script = """(() => {
        let path = 'status';
        try { rs.status(); } catch (e) { path = 'initiate'; rs.initiate(); }
        return {path, primary: db.hello().isWritablePrimary};
    })()"""
    assert eval_json(run_mongosh, script) == {"path": "status", "primary": True}


def test_mongosh_direct_connection(mongosh, e2e_server, tmp_path: Path):
    script = "print(EJSON.stringify(db.getSiblingDB('e2e_rs_direct').c.insertOne({_id: 1})))"
    proc = subprocess.run(
        [mongosh, e2e_server.direct_uri, "--quiet", "--eval", script],
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        cwd=tmp_path,
        env=client_env(tmp_path),
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert json.loads(proc.stdout) == {"acknowledged": True, "insertedId": 1}


def test_node_driver_discovers_the_primary_and_writes(run_node, e2e_server):
    body = """
        const c = client.db('e2e_rs_node').collection('items');
        await c.insertMany([{_id: 1, v: 'a'}, {_id: 2, v: 'b'}]);
        await c.updateOne({_id: 2}, {$set: {v: 'c'}});
        const status = await client.db('admin').command({replSetGetStatus: 1});
        const description = client.topology.description;
        return {
            docs: await c.find().sort({_id: 1}).toArray(),
            type: description.type,
            servers: [...description.servers.values()].map(s => [s.address, s.type, s.setName]),
            state: status.members[0].stateStr,
        };
    """
    me = f"localhost:{e2e_server.port}"
    assert run_node(body) == {
        "docs": [{"_id": 1, "v": "a"}, {"_id": 2, "v": "c"}],
        "type": "ReplicaSetWithPrimary",
        "servers": [[me, "RSPrimary", "rs0"]],
        "state": "PRIMARY",
    }
