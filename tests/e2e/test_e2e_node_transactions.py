"""The Node driver's ``session.withTransaction`` against docdb in replica-set mode (directConnection)."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import ROOT, TIMEOUT_S, client_env
from tests.serverproc import ServerProcess

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def rs_server() -> Iterator[ServerProcess]:
    env = {"PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    with ServerProcess(None, extra_args=["--replica-set", "rs0"], env=env) as server:
        yield server


def _run(node: str, server: ServerProcess, body: str, home: Path) -> Any:
    script = (
        "const mongodb = require('mongodb');\n"
        f"const client = new mongodb.MongoClient({json.dumps(server.uri)}, "
        "{serverSelectionTimeoutMS: 5000});\n"
        f"(async () => {{\n{body}\n}})()\n"
        ".then(r => console.log(mongodb.BSON.EJSON.stringify({result: r}, {relaxed: true})))\n"
        ".catch(e => { console.error(e); process.exitCode = 1; })\n"
        ".finally(() => client.close());\n"
    )
    proc = subprocess.run(
        [node, "-e", script],
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        cwd=ROOT,
        env=client_env(home),
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)["result"]


def test_with_transaction_commits_and_retries_a_conflict(node_driver, rs_server, tmp_path) -> None:
    body = """
        const db = client.db('e2e_node_txn');
        await db.collection('acct').insertMany([{_id: 'a', bal: 100}, {_id: 'b', bal: 0}]);
        let attempts = 0;
        const session = client.startSession();
        try {
            await session.withTransaction(async () => {
                attempts += 1;
                const a = await db.collection('acct').findOne({_id: 'a'}, {session});
                if (attempts === 1) {
                    await db.collection('acct').updateOne({_id: 'a'}, {$inc: {bal: 5}});
                }
                await db.collection('acct').updateOne({_id: 'a'}, {$set: {bal: a.bal - 30}}, {session});
                await db.collection('acct').updateOne({_id: 'b'}, {$inc: {bal: 30}}, {session});
                await db.collection('log').insertOne({moved: 30}, {session});
            });
        } finally {
            await session.endSession();
        }
        const accounts = await db.collection('acct').find().sort({_id: 1}).toArray();
        const logs = await db.collection('log').countDocuments();
        return {attempts, accounts, logs};
    """
    assert _run(node_driver, rs_server, body, tmp_path) == {
        "attempts": 2,
        "accounts": [{"_id": "a", "bal": 75}, {"_id": "b", "bal": 30}],
        "logs": 1,
    }
