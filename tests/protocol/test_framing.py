"""The header, FrameBuffer's stream cutting and length limits, and decode_request's opcode table."""

from __future__ import annotations

import pytest

from docdb.errors import ProtocolError
from docdb.protocol import (
    MAX_MESSAGE_SIZE,
    FrameBuffer,
    MsgHeader,
    OpCode,
    OpMsg,
    decode_header,
    decode_request,
    encode_header,
    encode_op_msg,
)

FRAMES = [encode_op_msg({"ping": i}, i, 0) for i in range(1, 4)]


def test_header_round_trip() -> None:
    data = encode_header(1234, -5, 2**31 - 1, OpCode.OP_MSG)
    assert data == bytes.fromhex("d2040000 fbffffff ffffff7f dd070000")
    assert decode_header(data + b"extra") == MsgHeader(1234, -5, 2**31 - 1, 2013)


def test_header_too_short() -> None:
    with pytest.raises(ProtocolError, match="needs 16 bytes, got 15"):
        decode_header(b"\x00" * 15)


def test_feed_one_whole_frame_returns_it_uncopied() -> None:
    frames = FrameBuffer()
    assert frames.feed(FRAMES[0])[0] is FRAMES[0]
    assert frames.pending == 0


def test_feed_many_frames_at_once() -> None:
    frames = FrameBuffer()
    assert frames.feed(b"".join(FRAMES)) == FRAMES


def test_feed_byte_by_byte() -> None:
    frames = FrameBuffer()
    out: list[bytes] = []
    for byte in b"".join(FRAMES):
        out += frames.feed(bytes([byte]))
    assert out == FRAMES
    assert frames.pending == 0


def test_feed_keeps_a_partial_frame() -> None:
    frames = FrameBuffer()
    assert frames.feed(FRAMES[0] + FRAMES[1][:10]) == [FRAMES[0]]
    assert frames.pending == 10
    assert frames.feed(FRAMES[1][10:]) == [FRAMES[1]]


@pytest.mark.parametrize("length", [-1, 0, 15, MAX_MESSAGE_SIZE + 1, 2**31 - 1])
def test_feed_rejects_a_bad_length_from_its_first_four_bytes(length: int) -> None:
    with pytest.raises(ProtocolError, match=f"message length {length} is outside 16..48000000"):
        FrameBuffer().feed(length.to_bytes(4, "little", signed=True))


def test_feed_rejects_a_bad_length_after_good_frames() -> None:
    frames = FrameBuffer()
    with pytest.raises(ProtocolError, match="message length 8 is outside"):
        frames.feed(FRAMES[0][:5])
        frames.feed(FRAMES[0][5:] + (8).to_bytes(4, "little"))


def test_feed_accepts_the_maximum_length_without_its_body() -> None:
    frames = FrameBuffer()
    assert frames.feed(MAX_MESSAGE_SIZE.to_bytes(4, "little")) == []
    assert frames.pending == 4


def test_decode_request_op_msg() -> None:
    request = decode_request(FRAMES[1])
    assert request.header == MsgHeader(len(FRAMES[1]), 2, 0, 2013)
    assert request.message == OpMsg(0, {"ping": 2}, {})
    assert request.compressor_id is None


@pytest.mark.parametrize(
    ("op_code", "name"),
    [
        (1, "OP_REPLY"),
        (2001, "OP_UPDATE"),
        (2002, "OP_INSERT"),
        (2005, "OP_GET_MORE"),
        (2006, "OP_DELETE"),
        (2007, "OP_KILL_CURSORS"),
        (2010, "opcode 2010"),
        (-1, "opcode -1"),
    ],
)
def test_decode_request_rejects_other_opcodes(op_code: int, name: str) -> None:
    frame = encode_header(26, 1, 0, op_code) + b"\x00" * 10
    with pytest.raises(ProtocolError, match=f"^unsupported {name}: only OP_MSG, OP_QUERY and OP_COMPRESSED$"):
        decode_request(frame)


@pytest.mark.parametrize("delta", [-1, 1])
def test_decode_request_rejects_length_mismatch(delta: int) -> None:
    frame = FRAMES[0] + b"\x00" if delta > 0 else FRAMES[0][:-1]
    with pytest.raises(ProtocolError, match="does not match the"):
        decode_request(frame)


@pytest.mark.parametrize("frame", [b"", b"\x10\x00\x00", encode_header(8, 1, 0, 2013)])
def test_decode_request_rejects_short_or_invalid_header(frame: bytes) -> None:
    with pytest.raises(ProtocolError):
        decode_request(frame)
