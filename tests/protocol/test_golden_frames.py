"""Frames captured from real drivers (PyMongo 4.20, Node driver 7.9) by ``fake_mongod.py``.

Each must decode to exactly the documents the driver meant, and re-encode to the very same bytes.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from bson.binary import Binary

from docdb.protocol import (
    OpCode,
    OpMsg,
    OpQuery,
    decode_request,
    decompress_frame,
    encode_op_msg,
    encode_op_query,
)

FRAMES = Path(__file__).parent / "frames"
DOCUMENTS = [{"_id": 1, "x": "a"}, {"_id": 2, "x": "b"}]
PYMONGO_LSID = {"id": Binary(bytes.fromhex("d08e7949b0c0466da264bcf8f4c3818a"), 4)}


def load(name: str) -> bytes:
    return bytes.fromhex((FRAMES / f"{name}.hex").read_text())


def reencode(message: OpMsg, request_id: int) -> bytes:
    return encode_op_msg(message.body, request_id, 0, message.flags, sequences=message.sequences)


def test_pymongo_hello_is_op_msg_with_legacy_name() -> None:
    frame = load("pymongo_op_msg_hello")
    request = decode_request(frame)
    assert request.header.op_code == OpCode.OP_MSG
    assert request.header.length == len(frame) == 365
    assert request.compressor_id is None
    msg = request.message
    assert isinstance(msg, OpMsg)
    assert list(msg.body) == ["ismaster", "helloOk", "backpressure", "client", "$db"]
    assert msg.body["ismaster"] == 1 and msg.body["helloOk"] is True and msg.body["$db"] == "admin"
    assert msg.body["client"]["driver"] == {"name": "PyMongo|c", "version": "4.20.0|"}
    assert msg.body["client"]["application"] == {"name": "golden"}
    assert msg.sequences == {}
    assert reencode(msg, request.header.request_id) == frame


def test_pymongo_insert_many_uses_a_document_sequence() -> None:
    frame = load("pymongo_op_msg_insert")
    request = decode_request(frame)
    msg = request.message
    assert isinstance(msg, OpMsg)
    assert msg.flags == 0 and not (msg.more_to_come or msg.checksum_present or msg.exhaust_allowed)
    assert msg.body == {"insert": "coll", "ordered": True, "lsid": PYMONGO_LSID, "$db": "test"}
    assert msg.sequences == {"documents": DOCUMENTS}
    assert reencode(msg, request.header.request_id) == frame


def test_pymongo_find() -> None:
    frame = load("pymongo_op_msg_find")
    request = decode_request(frame)
    msg = request.message
    assert isinstance(msg, OpMsg)
    assert msg.body == {
        "find": "coll",
        "filter": {"_id": 2},
        "limit": 1,
        "singleBatch": True,
        "lsid": PYMONGO_LSID,
        "$db": "test",
    }
    assert list(msg.body) == ["find", "filter", "limit", "singleBatch", "lsid", "$db"]
    assert msg.sequences == {}
    assert reencode(msg, request.header.request_id) == frame


@pytest.mark.parametrize("name", ["pymongo_op_compressed_zlib_insert", "node_op_compressed_zlib_insert"])
def test_zlib_compressed_insert(name: str) -> None:
    frame = load(name)
    request = decode_request(frame)
    assert request.header.op_code == OpCode.OP_COMPRESSED
    assert request.compressor_id == 2
    msg = request.message
    assert isinstance(msg, OpMsg)
    assert list(msg.body) == ["insert", "ordered", "lsid", "$db"]
    assert msg.body["insert"] == "coll" and msg.body["$db"] == "test"
    assert msg.sequences == {"documents": DOCUMENTS}
    inner, compressor_id = decompress_frame(frame)
    assert compressor_id == 2
    assert reencode(msg, request.header.request_id) == inner


def test_node_hello_is_op_query() -> None:
    frame = load("node_op_query_hello")
    request = decode_request(frame)
    msg = request.message
    assert isinstance(msg, OpQuery)
    assert request.header.op_code == OpCode.OP_QUERY and request.header.request_id == 2
    assert (msg.flags, msg.full_collection_name, msg.number_to_skip, msg.number_to_return) == (
        0,
        "admin.$cmd",
        0,
        -1,
    )
    assert list(msg.query) == ["ismaster", "backpressure", "helloOk", "client", "compression"]
    assert msg.query["compression"] == ["zlib"]
    assert msg.query["client"]["driver"] == {"name": "nodejs", "version": "7.9.0"}
    assert msg.return_fields is None
    assert encode_op_query(msg, request.header.request_id) == frame
