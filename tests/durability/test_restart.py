"""Persistence: every acknowledged write is there after a restart, a SIGTERM, or a kill -9."""

from __future__ import annotations

import datetime
import os
import re
import signal
import uuid

import bson
import pytest
from bson.binary import Binary
from bson.code import Code
from bson.decimal128 import Decimal128
from bson.int64 import Int64
from bson.max_key import MaxKey
from bson.min_key import MinKey
from bson.objectid import ObjectId
from bson.raw_bson import RawBSONDocument
from bson.regex import Regex
from bson.timestamp import Timestamp
from pymongo.write_concern import WriteConcern

from tests.serverproc import ServerProcess, start_refused

EVERY_TYPE = {
    "_id": ObjectId("5f1d7f9e8e4b3c6a2d1e0f00"),
    "double": 1.5,
    "negzero": -0.0,
    "nan": float("nan"),
    "string": "héllo ✓",
    "doc": {"nested": {"deeper": [1, {"x": None}]}},
    "array": [1, "two", [3.0], {"four": 4}],
    "bin0": b"\x00\x01\xff",
    "bin_uuid": Binary(uuid.UUID("12345678-1234-5678-1234-567812345678").bytes, 4),
    "bin_old_uuid": Binary(b"0123456789abcdef", 3),
    "bin_md5": Binary(b"\x00" * 16, 5),
    "bin_user": Binary(b"custom", 128),
    "oid": ObjectId("65a000000000000000000001"),
    "bool": True,
    "date": datetime.datetime(2024, 2, 29, 12, 30, 45, 123000),
    "date_far": bson.DatetimeMS(2**62),
    "null": None,
    "regex": Regex("^a.*b$", "imx"),
    "code": Code("function() { return 1; }"),
    "code_scope": Code("x + y", {"x": 1, "y": 2}),
    "int32": 2147483647,
    "timestamp": Timestamp(1700000000, 7),
    "int64": Int64(2**40),
    "decimal": Decimal128("1234567890.123456789012345678901234"),
    "minkey": MinKey(),
    "maxkey": MaxKey(),
}


def raw_docs(client, db="d", coll="c"):
    opts = client.codec_options.with_options(document_class=RawBSONDocument)
    return [doc.raw for doc in client[db].get_collection(coll, codec_options=opts).find()]


def test_every_bson_type_round_trips_byte_exact_across_restart(data_file):
    encoded = bson.encode(EVERY_TYPE)
    with ServerProcess(data_file) as server, server.client() as client:
        client.d.c.insert_one(RawBSONDocument(encoded))
        assert raw_docs(client) == [encoded]
    with ServerProcess(data_file) as server, server.client() as client:
        assert raw_docs(client) == [encoded]


def test_sigterm_exits_zero_and_keeps_everything(data_file):
    server = ServerProcess(data_file).start()
    with server.client() as client:
        client.d.c.insert_many([{"_id": i, "v": i} for i in range(1000)])
        client.d.c.update_many({"v": {"$gte": 500}}, {"$inc": {"v": 1000}})
        client.d.c.delete_many({"v": {"$lt": 100}})
        client.d.other.insert_one({"_id": "x"})
        client.d.other.rename("renamed")
        client.gone.c.insert_one({})
        client.drop_database("gone")
    assert server.stop(signal.SIGTERM) == 0
    assert any("stopped" in line for line in server.output)
    with ServerProcess(data_file) as again, again.client() as client:
        docs = list(client.d.c.find())
        assert len(docs) == 900
        assert docs[0] == {"_id": 100, "v": 100}
        assert docs[-1] == {"_id": 999, "v": 1999}
        assert sorted(client.d.list_collection_names()) == ["c", "renamed"]
        assert "gone" not in client.list_database_names()


def test_kill_9_loses_no_acknowledged_write(data_file):
    server = ServerProcess(data_file).start()
    with server.client() as client:
        for i in range(300):
            client.d.c.insert_one({"_id": i})
            if i % 3 == 0:
                client.d.c.update_one({"_id": i}, {"$set": {"x": i}})
        client.d.c.delete_one({"_id": 0})
    server.kill9()
    with ServerProcess(data_file) as again, again.client() as client:
        docs = list(client.d.c.find())
        assert [d["_id"] for d in docs] == list(range(1, 300))
        assert docs[2] == {"_id": 3, "x": 3}


def test_journaled_writes_survive_kill_9(data_file):
    server = ServerProcess(data_file).start()
    with server.client() as client:
        coll = client.d.get_collection("c", write_concern=WriteConcern(j=True))
        for i in range(20):
            coll.insert_one({"_id": i})
    server.kill9()
    with ServerProcess(data_file) as again, again.client() as client:
        assert client.d.c.estimated_document_count() == 20


def test_torn_last_record_is_recovered(data_file):
    with ServerProcess(data_file) as server, server.client() as client:
        client.d.c.insert_one({"_id": 1})
        client.d.c.insert_one({"_id": 2, "pad": "x" * 100})
    size = os.path.getsize(data_file)
    with open(data_file, "r+b") as f:
        f.truncate(size - 30)  # cut into the last record
    with ServerProcess(data_file) as server, server.client() as client:
        assert list(client.d.c.find()) == [{"_id": 1}]
        assert any("torn" in line for line in server.output)
        client.d.c.insert_one({"_id": 3})
    with ServerProcess(data_file) as server, server.client() as client:
        assert list(client.d.c.find()) == [{"_id": 1}, {"_id": 3}]


def test_flipped_byte_mid_file_refuses_to_start_and_names_the_offset(data_file):
    with ServerProcess(data_file) as server, server.client() as client:
        for i in range(10):
            client.d.c.insert_one({"_id": i, "pad": "y" * 50})
    data = bytearray(data_file.read_bytes())
    middle = len(data) // 2
    data[middle] ^= 0xFF
    data_file.write_bytes(bytes(data))
    proc = start_refused(data_file)
    assert proc.returncode != 0
    assert re.search(r"corrupt record at offset \d+", proc.stderr), proc.stderr
    assert data_file.read_bytes() == bytes(data)  # untouched


def test_second_server_on_the_same_file_refuses(data_file):
    with ServerProcess(data_file) as server, server.client() as client:
        client.d.c.insert_one({"_id": 1})
        proc = start_refused(data_file)
        assert proc.returncode != 0
        assert "in use" in proc.stderr
        assert client.d.c.find_one() == {"_id": 1}


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["sigint", "sigterm"])
def test_signals_stop_cleanly(data_file, sig):
    server = ServerProcess(data_file).start()
    with server.client() as client:
        client.d.c.insert_one({"_id": 1})
    assert server.stop(sig) == 0
