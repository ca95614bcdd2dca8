"""Property tests: whatever bytes arrive, framing and decoding fail only with ProtocolError.

And valid frames split anywhere across ``feed`` calls come out whole and in order.
"""

from __future__ import annotations

import struct
from pathlib import Path

import bson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from docdb.errors import ProtocolError
from docdb.protocol import (
    CHECKSUM_PRESENT,
    MORE_TO_COME,
    FrameBuffer,
    OpQuery,
    compress_frame,
    decode_request,
    encode_op_msg,
    encode_op_query,
)
from tests.fuzz_campaign import RICH

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

GOLDEN = [bytes.fromhex(p.read_text()) for p in sorted((Path(__file__).parent / "frames").glob("*.hex"))]
BUILT = [
    encode_op_msg({"ping": 1, "$db": "admin"}, 1, 0),
    encode_op_msg({"insert": "c", "$db": "d"}, 2, 0, CHECKSUM_PRESENT, sequences={"documents": [{"_id": 1}]}),
    encode_op_msg({"update": "c"}, 3, 0, MORE_TO_COME, sequences={"updates": [{"q": {}}], "x": []}),
    encode_op_query(OpQuery(0, "admin.$cmd", 0, -1, {"isMaster": 1}, {"f": 1}), 4),
    compress_frame(encode_op_msg({"find": "c", "filter": {"a": [1, 2.5, "s"]}}, 5, 0), 2),
    compress_frame(encode_op_msg({"ping": 1}, 6, 0), 0),
]
CORPUS = GOLDEN + BUILT
RICH_DOCUMENT = bson.encode(RICH)  # one value of every BSON type (shared with the fuzz campaign)
INTERESTING_INT32 = [0, 1, 4, 5, 15, 16, 17, 2**31 - 1, -1, -(2**31), 48_000_000, 48_000_001]


def decode_all(chunks: list[bytes]) -> None:
    """Push ``chunks`` through FrameBuffer and decode_request; only ProtocolError may escape."""
    frames = FrameBuffer()
    try:
        for chunk in chunks:
            for frame in frames.feed(chunk):
                decode_request(frame)
    except ProtocolError:
        pass


def decode_one(frame: bytes) -> None:
    try:
        decode_request(frame)
    except ProtocolError:
        pass


def with_length(data: bytes) -> bytes:
    """``data`` with its first int32 set to its real length, so that it passes framing and gets decoded."""
    if len(data) < 4:
        return data
    return struct.pack("<i", len(data)) + data[4:]


@FUZZ
@given(st.lists(st.binary(max_size=200), max_size=5))
def test_random_bytes(chunks: list[bytes]) -> None:
    decode_all(chunks)


@FUZZ
@given(st.sampled_from([1, 2002, 2004, 2012, 2013, 9999]), st.integers(0, 2**32 - 1), st.binary(max_size=300))
def test_random_body_behind_a_valid_header(op_code: int, flags: int, tail: bytes) -> None:
    payload = struct.pack("<I", flags) + tail
    decode_one(struct.pack("<iiii", 16 + len(payload), 1, 0, op_code) + payload)


mutation = st.one_of(
    st.tuples(st.just("truncate"), st.integers(0, 400)),
    st.tuples(st.just("flip"), st.integers(0, 400), st.integers(1, 255)),
    st.tuples(st.just("int32"), st.integers(0, 400), st.sampled_from(INTERESTING_INT32)),
    st.tuples(st.just("insert"), st.integers(0, 400), st.binary(min_size=1, max_size=8)),
    st.tuples(st.just("delete"), st.integers(0, 400), st.integers(1, 8)),
)


def mutate(frame: bytes, ops: list[tuple]) -> bytes:
    data = bytearray(frame)
    for op in ops:
        at = op[1] % (len(data) + 1)
        if op[0] == "truncate":
            del data[at:]
        elif op[0] == "flip" and at < len(data):
            data[at] ^= op[2]
        elif op[0] == "int32" and at + 4 <= len(data):
            data[at : at + 4] = struct.pack("<i", op[2])
        elif op[0] == "insert":
            data[at:at] = op[2]
        elif op[0] == "delete":
            del data[at : at + op[2]]
    return bytes(data)


@FUZZ
@given(st.sampled_from(CORPUS), st.lists(mutation, min_size=1, max_size=4), st.booleans())
def test_mutated_valid_frames(frame: bytes, ops: list[tuple], fix_length: bool) -> None:
    data = mutate(frame, ops)
    if fix_length:
        data = with_length(data)
    decode_all([data])
    decode_one(data)


@FUZZ
@given(st.binary(min_size=1, max_size=30), st.integers(0, 400))
def test_mutated_bson_inside_op_msg(garbage: bytes, at: int) -> None:
    body = bytearray(RICH_DOCUMENT)
    position = 4 + at % (len(body) - 5)
    body[position : position + len(garbage)] = garbage
    decode_one(encode_op_msg(bytes(body), 1, 0))


@FUZZ
@given(st.lists(st.sampled_from(CORPUS), min_size=1, max_size=6), st.data())
def test_valid_frames_split_anywhere_come_out_whole_and_in_order(
    frames: list[bytes], data: st.DataObject
) -> None:
    stream = b"".join(frames)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=12)))
    chunks = [stream[a:b] for a, b in zip([0, *cuts], [*cuts, len(stream)], strict=True)]
    buffer = FrameBuffer()
    out: list[bytes] = []
    for chunk in chunks:
        out += buffer.feed(chunk)
    assert out == frames
    assert buffer.pending == 0
    for frame in out:
        decode_request(frame)
