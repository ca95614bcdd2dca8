"""Legacy OP_QUERY decoding and OP_REPLY encoding (the handshake path of older drivers)."""

from __future__ import annotations

import struct

import bson
import pytest
from bson.raw_bson import RawBSONDocument

from docdb.errors import ProtocolError
from docdb.protocol import OpQuery, decode_request, encode_header, encode_op_query, encode_op_reply

HELLO = OpQuery(0, "admin.$cmd", 0, -1, {"isMaster": 1, "helloOk": True}, None)


def op_query(payload: bytes, request_id: int = 3) -> bytes:
    return encode_header(16 + len(payload), request_id, 0, 2004) + payload


def test_decode_hello() -> None:
    request = decode_request(encode_op_query(HELLO, 3))
    assert request.header.request_id == 3 and request.compressor_id is None
    assert request.message == HELLO


def test_round_trip_with_return_fields_selector() -> None:
    query = OpQuery(4, "db.$cmd", 2, 5, {"count": "c"}, {"n": 1})
    data = encode_op_query(query, 9)
    assert data == op_query(
        struct.pack("<i", 4)
        + b"db.$cmd\x00"
        + struct.pack("<ii", 2, 5)
        + bson.encode({"count": "c"})
        + bson.encode({"n": 1}),
        9,
    )
    assert decode_request(data).message == query


@pytest.mark.parametrize(
    ("payload", "match"),
    [
        (b"\x00\x00", "too short for its flags"),
        (b"\x00" * 4 + b"admin.$cmd", "not NUL-terminated"),
        (b"\x00" * 4 + b"\xff\x00" + b"\x00" * 8 + bson.encode({}), "not valid UTF-8"),
        (b"\x00" * 4 + b"a.$cmd\x00" + b"\x00" * 7, "before numberToSkip"),
        (b"\x00" * 4 + b"a.$cmd\x00" + b"\x00" * 8, "query is truncated"),
        (b"\x00" * 4 + b"a.$cmd\x00" + b"\x00" * 8 + bson.encode({"a": 1})[:-1], "query declares 12 bytes"),
        (
            b"\x00" * 4 + b"a.$cmd\x00" + b"\x00" * 8 + b"\x05\x00\x00\x00\x01",
            "invalid BSON in OP_QUERY query",
        ),
        (
            b"\x00" * 4 + b"a.$cmd\x00" + b"\x00" * 8 + bson.encode({}) + b"\x00",
            "returnFieldsSelector is trunc",
        ),
        (
            b"\x00" * 4 + b"a.$cmd\x00" + b"\x00" * 8 + bson.encode({}) * 2 + b"\x00",
            "1 bytes left over after returnFieldsSelector",
        ),
    ],
    ids=[
        "short",
        "no-nul",
        "bad-utf8",
        "no-skip",
        "no-query",
        "query-overrun",
        "bad-bson",
        "fields",
        "leftover",
    ],
)
def test_malformed(payload: bytes, match: str) -> None:
    with pytest.raises(ProtocolError, match=match):
        decode_request(op_query(payload))


def test_encode_op_reply_layout() -> None:
    doc = {"ismaster": True, "ok": 1.0}
    data = encode_op_reply([doc], 0, 3)
    encoded = bson.encode(doc)
    assert data == (
        struct.pack("<iiii", 36 + len(encoded), 0, 3, 1) + struct.pack("<iqii", 0, 0, 0, 1) + encoded
    )


def test_encode_op_reply_bytes_raw_and_cursor_fields() -> None:
    first, second = bson.encode({"a": 1}), bson.encode({"b": 2})
    data = encode_op_reply(
        [first, {"c": RawBSONDocument(second)}],
        5,
        6,
        response_flags=8,
        cursor_id=2**40,
        starting_from=3,
    )
    length, request_id, response_to, op_code = struct.unpack_from("<iiii", data)
    assert (length, request_id, response_to, op_code) == (len(data), 5, 6, 1)
    assert struct.unpack_from("<iqii", data, 16) == (8, 2**40, 3, 2)
    assert bson.decode_all(data[36:]) == [{"a": 1}, {"c": {"b": 2}}]
