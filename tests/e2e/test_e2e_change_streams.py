"""The Node driver's ``collection.watch()`` and mongosh's ``db.c.watch()`` against docdb in replica-set
mode."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator

import pytest

from tests.e2e.conftest import ROOT
from tests.e2e.test_e2e_replica_set import ReplicaSetServer

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def e2e_server() -> Iterator[ReplicaSetServer]:
    """Overrides conftest's standalone: one in-memory replica-set member for this module."""
    env = {"PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    server = ReplicaSetServer(None, ["--replica-set", "rs0"], env=env)
    server.start()
    yield server
    server.stop()


def test_node_collection_watch(run_node) -> None:
    body = """
        const coll = client.db('e2e_cs').collection('c');
        const stream = coll.watch([{$match: {operationType: {$in: ['insert', 'update']}}}],
                                  {fullDocument: 'updateLookup', maxAwaitTimeMS: 5000});
        const first = stream.next();
        await new Promise(r => setTimeout(r, 200));
        await coll.insertOne({_id: 1, n: 0});
        await coll.updateOne({_id: 1}, {$inc: {n: 1}});
        const a = await first;
        const b = await stream.next();
        await stream.close();
        const strip = e => ({operationType: e.operationType, ns: e.ns, documentKey: e.documentKey,
                             fullDocument: e.fullDocument, updateDescription: e.updateDescription});
        return [strip(a), strip(b), typeof a._id._data];
    """
    assert run_node(body) == [
        {
            "operationType": "insert",
            "ns": {"db": "e2e_cs", "coll": "c"},
            "documentKey": {"_id": 1},
            "fullDocument": {"_id": 1, "n": 0},
            "updateDescription": None,  # absent (undefined, which EJSON writes as null)
        },
        {
            "operationType": "update",
            "ns": {"db": "e2e_cs", "coll": "c"},
            "documentKey": {"_id": 1},
            "fullDocument": {"_id": 1, "n": 1},
            "updateDescription": {
                "updatedFields": {"n": 1},
                "removedFields": [],
                "truncatedArrays": [],
            },
        },
        "string",
    ]


def test_mongosh_watch(run_mongosh) -> None:
    script = """
        const coll = db.getSiblingDB('e2e_cs_sh').c;
        const stream = coll.watch([], {maxAwaitTimeMS: 2000});
        coll.insertOne({_id: 7});
        let event = null;
        while (event === null) { event = stream.tryNext(); }
        stream.close();
        print(EJSON.stringify({op: event.operationType, key: event.documentKey, doc: event.fullDocument}));
    """
    proc = run_mongosh(script, "--quiet")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert json.loads(proc.stdout) == {"op": "insert", "key": {"_id": 7}, "doc": {"_id": 7}}
