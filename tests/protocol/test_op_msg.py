"""OP_MSG: encode/decode round trips, flag bits, checksum, and every malformed shape we must reject."""

from __future__ import annotations

import struct

import bson
import crc32c
import pytest
from bson.binary import Binary
from bson.int64 import Int64
from bson.raw_bson import RawBSONDocument

from docdb.bson_codec import StoredDocument
from docdb.errors import ProtocolError
from docdb.protocol import (
    CHECKSUM_PRESENT,
    EXHAUST_ALLOWED,
    MAX_COMMAND_SIZE,
    MORE_TO_COME,
    InvalidRequest,
    OpMsg,
    decode_request,
    encode_header,
    encode_op_msg,
)

PING = bson.encode({"ping": 1, "$db": "admin"})


def frame(sections: bytes, flags: int = 0, request_id: int = 7, checksum: bool = False) -> bytes:
    """An OP_MSG frame around hand-built section bytes."""
    length = 16 + 4 + len(sections) + (4 if checksum else 0)
    data = encode_header(length, request_id, 0, 2013) + struct.pack("<I", flags) + sections
    return data + struct.pack("<I", crc32c.crc32c(data)) if checksum else data


def body(doc: bytes = PING) -> bytes:
    return b"\x00" + doc


def sequence(name: str, *docs: dict, size_delta: int = 0) -> bytes:
    payload = name.encode() + b"\x00" + b"".join(bson.encode(d) for d in docs)
    return b"\x01" + struct.pack("<i", 4 + len(payload) + size_delta) + payload


def decode(data: bytes) -> OpMsg:
    message = decode_request(data).message
    assert isinstance(message, OpMsg)
    return message


# --- encoding -------------------------------------------------------------------------------------------


def test_encode_is_header_flags_kind0_body() -> None:
    assert encode_op_msg({"ok": 1.0}, 5, 9) == (
        bytes.fromhex("26000000 05000000 09000000 dd070000 00000000 00")
        + bytes.fromhex("11000000 01 6f6b00 000000000000f03f 00")
    )


def test_encode_accepts_encoded_bytes() -> None:
    assert encode_op_msg(PING, 1, 2) == encode_op_msg({"ping": 1, "$db": "admin"}, 1, 2)


@pytest.mark.parametrize("wrap", [RawBSONDocument, StoredDocument])
def test_encode_embeds_raw_documents_without_reencoding(wrap) -> None:
    stored = bson.encode({"_id": 1, "b": Binary(b"\x00\x01", 4), "n": Int64(5)})
    reply = {"cursor": {"firstBatch": [wrap(stored)], "id": Int64(0), "ns": "db.c"}, "ok": 1.0}
    data = encode_op_msg(reply, 3, 4)
    assert stored in data
    assert decode(data).body == {
        "cursor": {"firstBatch": [{"_id": 1, "b": Binary(b"\x00\x01", 4), "n": 5}], "id": 0, "ns": "db.c"},
        "ok": 1.0,
    }


def test_encode_more_to_come_sets_only_that_flag() -> None:
    data = encode_op_msg({"ok": 1.0}, 1, 2, MORE_TO_COME)
    assert data[16:20] == b"\x02\x00\x00\x00"
    assert decode(data).more_to_come is True


@pytest.mark.parametrize("flags", [0, MORE_TO_COME, EXHAUST_ALLOWED, MORE_TO_COME | EXHAUST_ALLOWED, 1 << 31])
def test_round_trip_flags_and_sequences(flags: int) -> None:
    docs = [{"_id": i, "s": "x" * i} for i in range(3)]
    data = encode_op_msg({"insert": "c", "$db": "d"}, 11, 0, flags, sequences={"documents": docs})
    msg = decode(data)
    assert (msg.flags, msg.body, msg.sequences) == (flags, {"insert": "c", "$db": "d"}, {"documents": docs})
    assert msg.more_to_come is bool(flags & MORE_TO_COME)
    assert msg.exhaust_allowed is bool(flags & EXHAUST_ALLOWED)


def test_two_sequences_and_empty_sequence() -> None:
    data = frame(sequence("updates", {"q": {}}) + body(bson.encode({"update": "c"})) + sequence("other"))
    msg = decode(data)
    assert msg.body == {"update": "c"}
    assert msg.sequences == {"updates": [{"q": {}}], "other": []}


def test_checksum_round_trip() -> None:
    data = encode_op_msg({"ping": 1}, 1, 0, CHECKSUM_PRESENT, sequences={"documents": [{"a": 1}]})
    assert struct.unpack_from("<I", data, len(data) - 4)[0] == crc32c.crc32c(data[:-4])
    msg = decode(data)
    assert (msg.checksum_present, msg.body, msg.sequences) == (True, {"ping": 1}, {"documents": [{"a": 1}]})


def test_checksum_on_body_only_message() -> None:
    msg = decode(frame(body(), CHECKSUM_PRESENT, checksum=True))
    assert msg.body == {"ping": 1, "$db": "admin"}


# --- rejected: connection-fatal ProtocolError -----------------------------------------------------------


def rejects(data: bytes, match: str) -> ProtocolError:
    with pytest.raises(ProtocolError, match=match) as info:
        decode_request(data)
    return info.value


@pytest.mark.parametrize("bit", [2, 3, 8, 15])
def test_unknown_required_flag_bit(bit: int) -> None:
    error = rejects(frame(body(), 1 << bit), "illegal flags value")
    assert not isinstance(error, InvalidRequest)


def test_unknown_optional_flag_bit_is_accepted() -> None:
    assert decode(frame(body(), 1 << 20)).flags == 1 << 20


def test_bad_checksum() -> None:
    data = bytearray(frame(body(), CHECKSUM_PRESENT, checksum=True))
    data[-1] ^= 0xFF
    rejects(bytes(data), "checksum does not match")


def test_checksum_flag_without_room_for_checksum() -> None:
    rejects(frame(b"\x00\x05", CHECKSUM_PRESENT), "too short")


def test_no_sections() -> None:
    rejects(frame(b""), "too short")


def test_body_size_runs_past_message() -> None:
    rejects(frame(b"\x00" + PING[:-1]), "kind 0 declares 30 bytes, 29 remain")


def test_leftover_bytes_after_body() -> None:
    rejects(frame(body() + b"\x00"), "section of kind 0 is truncated")


def test_sequence_size_runs_past_message() -> None:
    rejects(frame(body() + sequence("documents", {"a": 1}, size_delta=1)), "kind 1 declares")


def test_sequence_size_too_small() -> None:
    rejects(frame(body() + b"\x01" + struct.pack("<i", 3) + b"\x00" * 8), "kind 1 declares 3 bytes")


def test_sequence_identifier_not_terminated() -> None:
    rejects(frame(body() + b"\x01" + struct.pack("<i", 8) + b"abcd"), "not NUL-terminated")


def test_sequence_identifier_not_utf8() -> None:
    rejects(frame(body() + b"\x01" + struct.pack("<i", 6) + b"\xff\x00"), "not valid UTF-8")


def test_three_sequences() -> None:
    three = sequence("a") + sequence("b") + sequence("c")
    error = rejects(frame(body() + three), "Too many document sequences")
    assert not isinstance(error, InvalidRequest)


# --- rejected with an error reply, as mongod does (InvalidRequest carries code and errmsg) ---------------


def invalid(data: bytes) -> InvalidRequest:
    with pytest.raises(InvalidRequest) as info:
        decode_request(data)
    return info.value


def test_two_bodies() -> None:
    error = invalid(frame(body() + body()))
    assert (error.code, error.errmsg, error.request_id, error.more_to_come) == (
        40430,
        "Multiple body sections in message",
        7,
        False,
    )


def test_no_body() -> None:
    error = invalid(frame(sequence("documents", {"a": 1}), MORE_TO_COME))
    assert (error.code, error.errmsg, error.more_to_come) == (40587, "OP_MSG messages must have a body", True)


def test_duplicate_sequence() -> None:
    error = invalid(frame(body() + sequence("documents") + sequence("documents")))
    assert (error.code, error.errmsg) == (40431, "Duplicate document sequence: documents")


def test_unknown_section_kind() -> None:
    error = invalid(frame(body() + b"\x02" + struct.pack("<i", 5) + b"\x00"))
    assert (error.code, error.errmsg) == (40432, "Unknown section kind 2")


@pytest.mark.parametrize(
    ("command", "identifier"),
    [
        ({"insert": "c", "documents": []}, "documents"),
        ({"update": "c", "a": {"b": 1}}, "a.b"),
        ({"update": "c", "a": [{"x": 1}]}, "a.b"),
    ],
    ids=["top-level", "dotted", "array-along-path"],
)
def test_sequence_duplicates_body_field(command: dict, identifier: str) -> None:
    error = invalid(frame(body(bson.encode(command)) + sequence(identifier, {"a": 1})))
    assert error.code == 40433
    assert error.errmsg == f"Duplicate field between body and document sequence {identifier}"


def test_sequence_name_not_in_body_when_path_stops_at_scalar() -> None:
    msg = decode(frame(body(bson.encode({"update": "c", "a": 1})) + sequence("a.b", {"x": 1})))
    assert msg.sequences == {"a.b": [{"x": 1}]}


def test_invalid_bson_in_body() -> None:
    bad = bytearray(bson.encode({"s": "x"}))
    bad[-3] = 0xFF  # the string's only byte: invalid UTF-8
    error = invalid(frame(body(bytes(bad))))
    assert error.code == 22 and error.errmsg.startswith("invalid BSON in OP_MSG body")


def test_invalid_bson_in_sequence() -> None:
    good = sequence("documents", {"a": 1})
    bad = good[:-1] + b"\x01"  # the document's trailing NUL
    error = invalid(frame(body() + bad))
    assert error.code == 22 and error.errmsg.startswith("invalid BSON in OP_MSG document sequence documents")


def test_document_overrunning_its_sequence() -> None:
    payload = b"documents\x00" + bson.encode({"a": 1}) + bson.encode({"b": 2})[:-3]
    error = invalid(frame(body() + b"\x01" + struct.pack("<i", 4 + len(payload)) + payload))
    assert error.code == 22 and "documents" in error.errmsg


def test_body_larger_than_max_command_size() -> None:
    big = bson.encode({"s": "x" * MAX_COMMAND_SIZE})
    error = invalid(frame(body(big)))
    assert error.code == 10334
    assert error.errmsg == (
        f"BSONObj size: {len(big)} (0x{len(big):X}) is invalid. Size must be between 0 and 16793600(16MB)"
    )


def test_sequence_document_larger_than_max_command_size() -> None:
    error = invalid(frame(body() + sequence("documents", {"a": 1}, {"s": "x" * MAX_COMMAND_SIZE})))
    assert error.code == 10334


def test_body_of_max_command_size_is_accepted() -> None:
    doc = {"insert": "c", "s": ""}
    doc["s"] = "x" * (MAX_COMMAND_SIZE - len(bson.encode(doc)))
    assert len(bson.encode(doc)) == MAX_COMMAND_SIZE
    assert decode(encode_op_msg(doc, 1, 0)).body == doc


def nested(depth: int) -> bytes:
    """``{"a": {"a": ... {}}}`` with ``depth`` levels; level k (from the inside) is 5 + 8k bytes long."""
    openings = b"".join(struct.pack("<i", 5 + 8 * k) + b"\x03a\x00" for k in range(depth, 0, -1))
    return openings + b"\x05\x00\x00\x00\x00" + b"\x00" * depth


def test_deeply_nested_body_is_invalid_bson_not_a_crash() -> None:
    # PyMongo's C decoder guards its recursion with Py_EnterRecursiveCall and raises InvalidBSON.
    error = invalid(frame(body(nested(100_000))))
    assert error.code == 22 and "recursion" in error.errmsg


def test_moderately_nested_body_decodes() -> None:
    msg = decode(frame(body(nested(150))))
    depth, value = 0, msg.body
    while value:
        value, depth = value["a"], depth + 1
    assert depth == 150
