"""Real drivers against FakeMongod, a responder built on docdb.protocol: what they send decodes exactly,
and what we encode (OP_MSG, OP_REPLY, compressed replies) they accept."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
from pathlib import Path

import pymongo
import pytest
from bson.binary import Binary
from pymongo.write_concern import WriteConcern

from docdb.protocol import COMPRESSOR_IDS, OpCode, OpMsg, OpQuery, Request, available_compressors
from tests.protocol.fake_mongod import NODE_CLIENT, FakeMongod, record

ROOT = Path(__file__).parents[2]
# PyMongo needs its own modules for a compressor; test those that it and this server both have.
PYMONGO_MODULES = {"zlib": ["zlib"], "snappy": ["snappy"], "zstd": ["compression.zstd", "backports.zstd"]}


def importable(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False


COMMON = [c for c in available_compressors() if any(map(importable, PYMONGO_MODULES[c]))]


def op_msgs(requests: list[tuple[bytes, Request]], command: str) -> list[Request]:
    found = []
    for _, request in requests:
        if isinstance(request.message, OpMsg) and next(iter(request.message.body)) == command:
            found.append(request)
    return found


def test_pymongo_insert_many_and_find_one() -> None:
    results = {}

    def workload(client: pymongo.MongoClient) -> None:
        coll = client.test.coll
        results["ids"] = coll.insert_many([{"_id": 1, "x": "a"}, {"_id": 2, "x": "b"}]).inserted_ids
        results["found"] = coll.find_one({"_id": 2})

    requests = record(workload)
    assert results == {"ids": [1, 2], "found": None}
    [insert] = op_msgs(requests, "insert")
    message = insert.message
    assert isinstance(message, OpMsg)
    assert list(message.body) == ["insert", "ordered", "lsid", "$db"]
    assert message.body["ordered"] is True and message.body["$db"] == "test"
    assert isinstance(message.body["lsid"]["id"], Binary) and message.body["lsid"]["id"].subtype == 4
    assert message.sequences == {"documents": [{"_id": 1, "x": "a"}, {"_id": 2, "x": "b"}]}
    [find] = op_msgs(requests, "find")
    assert isinstance(find.message, OpMsg) and find.message.body["filter"] == {"_id": 2}
    assert find.message.sequences == {}


def test_pymongo_unacknowledged_write_sets_more_to_come() -> None:
    def workload(client: pymongo.MongoClient) -> None:
        client.test.get_collection("coll", write_concern=WriteConcern(w=0)).insert_one({"_id": 7})
        client.admin.command("ping")

    requests = record(workload)
    [insert] = op_msgs(requests, "insert")
    assert isinstance(insert.message, OpMsg)
    assert insert.message.more_to_come is True
    assert insert.message.body["writeConcern"] == {"w": 0}
    assert len(op_msgs(requests, "ping")) == 1


@pytest.mark.parametrize("name", COMMON)
def test_pymongo_compressed_requests_and_replies(name: str) -> None:
    results = {}

    def workload(client: pymongo.MongoClient) -> None:
        results["ids"] = client.test.coll.insert_many([{"_id": i} for i in range(100)]).inserted_ids

    requests = record(workload, compressors=name)
    assert results == {"ids": list(range(100))}
    [insert] = op_msgs(requests, "insert")
    assert insert.compressor_id == COMPRESSOR_IDS[name]
    assert insert.header.op_code == OpCode.OP_COMPRESSED
    assert isinstance(insert.message, OpMsg)
    assert insert.message.sequences == {"documents": [{"_id": i} for i in range(100)]}


@pytest.mark.e2e
@pytest.mark.skipif(
    shutil.which("node") is None or not (ROOT / "node_modules" / "mongodb").is_dir(),
    reason="needs node and the npm package mongodb (npm ci)",
)
def test_node_driver_legacy_hello_and_zlib() -> None:
    with FakeMongod() as server:
        uri = f"mongodb://127.0.0.1:{server.port}/?directConnection=true&compressors=zlib"
        subprocess.run(
            ["node", "-e", NODE_CLIENT, uri], cwd=ROOT, check=True, timeout=60, capture_output=True
        )
        requests = list(server.requests)
    assert not server.errors
    hellos = [r for _, r in requests if isinstance(r.message, OpQuery)]
    assert hellos and all(r.message.full_collection_name == "admin.$cmd" for r in hellos)
    [insert] = op_msgs(requests, "insert")
    assert insert.compressor_id == COMPRESSOR_IDS["zlib"]
    assert isinstance(insert.message, OpMsg)
    assert insert.message.sequences == {"documents": [{"_id": 1, "x": "a"}, {"_id": 2, "x": "b"}]}
