"""OP_COMPRESSED: wrapping, unwrapping, and the bounds that stop a small frame from inflating unboundedly."""

from __future__ import annotations

import struct
import zlib

import pytest

from docdb.errors import ProtocolError
from docdb.protocol import (
    CHECKSUM_PRESENT,
    COMPRESSOR_IDS,
    MAX_MESSAGE_SIZE,
    OpMsg,
    OpQuery,
    available_compressors,
    compress_frame,
    decode_request,
    decompress_frame,
    encode_header,
    encode_op_msg,
    encode_op_query,
)

MSG = encode_op_msg(
    {"insert": "c", "$db": "d"}, 21, 4, sequences={"documents": [{"_id": i} for i in range(50)]}
)


def compressed(
    original_opcode: int, size: int, compressor_id: int, data: bytes, request_id: int = 8
) -> bytes:
    """A hand-built OP_COMPRESSED frame."""
    payload = struct.pack("<iiB", original_opcode, size, compressor_id) + data
    return encode_header(16 + len(payload), request_id, 0, 2012) + payload


def test_available_compressors_order() -> None:
    names = available_compressors()
    assert names[-1] == "zlib"
    assert names == [n for n in ("snappy", "zstd", "zlib") if n in names]


@pytest.mark.parametrize("name", ["noop", *available_compressors()])
def test_round_trip_op_msg(name: str) -> None:
    frame = compress_frame(MSG, COMPRESSOR_IDS[name])
    length, request_id, response_to, op_code = struct.unpack_from("<iiii", frame)
    assert (length, request_id, response_to, op_code) == (len(frame), 21, 4, 2012)
    assert struct.unpack_from("<iiB", frame, 16) == (2013, len(MSG) - 16, COMPRESSOR_IDS[name])
    assert decompress_frame(frame) == (MSG, COMPRESSOR_IDS[name])
    request = decode_request(frame)
    assert request.compressor_id == COMPRESSOR_IDS[name]
    assert request.header.op_code == 2012 and request.header.request_id == 21
    message = request.message
    assert isinstance(message, OpMsg)
    assert message.body == {"insert": "c", "$db": "d"}
    assert message.sequences == {"documents": [{"_id": i} for i in range(50)]}


def test_round_trip_op_query() -> None:
    query = OpQuery(0, "admin.$cmd", 0, -1, {"hello": 1}, None)
    request = decode_request(compress_frame(encode_op_query(query, 3), COMPRESSOR_IDS["zlib"]))
    assert (request.message, request.compressor_id) == (query, 2)


def test_zlib_level_is_honoured() -> None:
    frame = compress_frame(MSG, 2, zlib_level=0)
    assert frame[25:] == zlib.compress(MSG[16:], 0)


def test_checksum_verifies_against_the_rebuilt_inner_header() -> None:
    frame = encode_op_msg({"ping": 1}, 30, 0, CHECKSUM_PRESENT)
    message = decode_request(compress_frame(frame, COMPRESSOR_IDS["zlib"])).message
    assert isinstance(message, OpMsg) and message.body == {"ping": 1} and message.checksum_present


def test_compress_frame_rejects_unknown_compressor() -> None:
    with pytest.raises(ValueError, match="compressor id 9"):
        compress_frame(MSG, 9)


def rejects(frame: bytes, match: str) -> None:
    with pytest.raises(ProtocolError, match=match):
        decode_request(frame)


def test_too_short() -> None:
    rejects(encode_header(24, 1, 0, 2012) + b"\x00" * 8, "too short")


def test_nested_op_compressed() -> None:
    inner = compress_frame(MSG, 0)
    rejects(compressed(2012, len(inner) - 16, 0, inner[16:]), "may not wrap another OP_COMPRESSED")


def test_unknown_compressor_id() -> None:
    rejects(compressed(2013, len(MSG) - 16, 7, MSG[16:]), "unknown or unavailable compressorId 7")


@pytest.mark.parametrize("size", [-1, MAX_MESSAGE_SIZE - 15, 2**31 - 1])
def test_uncompressed_size_out_of_range(size: int) -> None:
    rejects(compressed(2013, size, 2, zlib.compress(MSG[16:])), f"uncompressedSize {size} ")


@pytest.mark.parametrize("delta", [-1, 1])
def test_uncompressed_size_mismatch(delta: int) -> None:
    rejects(compressed(2013, len(MSG) - 16 + delta, 2, zlib.compress(MSG[16:])), "does not inflate")
    rejects(compressed(2013, len(MSG) - 16 + delta, 0, MSG[16:]), "noop-compressed message has")


def test_zip_bomb_stops_at_declared_size() -> None:
    bomb = zlib.compress(b"\x00" * (64 * 1024 * 1024), 9)
    assert len(bomb) < 100_000
    rejects(compressed(2013, 1000, 2, bomb), "does not inflate to uncompressedSize 1000")


def test_truncated_zlib_stream() -> None:
    rejects(compressed(2013, len(MSG) - 16, 2, zlib.compress(MSG[16:])[:-6]), "does not inflate")


def test_trailing_data_after_zlib_stream() -> None:
    rejects(compressed(2013, len(MSG) - 16, 2, zlib.compress(MSG[16:]) + b"xx"), "does not inflate")


def test_invalid_zlib_data() -> None:
    rejects(compressed(2013, 10, 2, b"not zlib at all"), "invalid zlib-compressed message")


def test_legacy_opcode_inside_is_rejected() -> None:
    rejects(compressed(2002, len(MSG) - 16, 0, MSG[16:]), "unsupported OP_INSERT")


def test_malformed_inner_op_msg_is_rejected() -> None:
    rejects(compressed(2013, 5, 0, b"\x00\x00\x00\x00\x07"), "too short")


@pytest.mark.skipif("snappy" not in available_compressors(), reason="python-snappy is not installed")
def test_snappy_length_preamble_must_match() -> None:
    import snappy

    data = snappy.compress(MSG[16:])
    rejects(compressed(2013, len(MSG) - 15, 1, data), "snappy-compressed message declares")
    rejects(compressed(2013, 3, 1, b"\xff\xff\xff\xff\xff\xff"), "invalid length preamble")


@pytest.mark.skipif("zstd" not in available_compressors(), reason="no zstd module is installed")
def test_zstd_size_must_match() -> None:
    frame = compress_frame(MSG, 3)
    data = frame[25:]
    rejects(compressed(2013, len(MSG) - 17, 3, data), "zstd")
    rejects(compressed(2013, 10, 3, b"not zstd"), "invalid zstd-compressed message")
