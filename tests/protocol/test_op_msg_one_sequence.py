"""decode_op_msg's path for a body and one document sequence (``_body_and_sequence``, one C decoder call
for both) answers exactly what the general section loop (``_decode_sections``) answers, or steps aside.

Valid messages of every shape drivers send, and the same messages mutated byte by byte: whenever the
fast path returns a message, the general loop must return an equal one (same body, same sequences, same
types); when the general loop raises, the fast path must have stepped aside.
"""

from __future__ import annotations

import bson
from bson.int64 import Int64
from hypothesis import given, settings
from hypothesis import strategies as st

from docdb.errors import ProtocolError
from docdb.protocol import encode_op_msg
from docdb.protocol.op_msg import (
    _BODY_START,
    MAX_COMMAND_SIZE,
    _body_and_sequence,
    _decode_sections,
    decode_op_msg,
)
from tests.fuzz_campaign import RICH

SHAPES = [
    ({"insert": "c", "ordered": True, "$db": "d"}, "documents", [{"_id": 1, "s": "x"}, {"_id": 2}]),
    ({"update": "c", "$db": "d"}, "updates", [{"q": {"_id": 1}, "u": {"$inc": {"n": 1}}}]),
    ({"delete": "c", "$db": "d"}, "deletes", [{"q": {}, "limit": 0}]),
    ({"insert": "c", "$db": "d"}, "documents", []),
    ({"insert": "c", "$db": "d"}, "documents", [RICH]),
    ({"insert": "c", "$db": "d"}, "documents", [{"l": {"$ref": "c", "$id": 1}}, {"n": Int64(5)}]),
    ({"insert": "c", "documents": [], "$db": "d"}, "documents", [{"_id": 1}]),  # duplicate: error 40433
    ({"update": "c", "a": {"b": 1}, "$db": "d"}, "a.b", [{"x": 1}]),  # duplicate through a dotted name
]


def both(frame: bytes) -> tuple[object, object]:
    """(the fast path's answer or None, the general loop's answer or the ProtocolError it raised). The
    fast path is tried when ``decode_op_msg`` tries it: a first section of kind 0 and a body size within
    bounds."""
    end = len(frame)
    size = int.from_bytes(frame[_BODY_START : _BODY_START + 4], "little", signed=True)
    offered = frame[_BODY_START - 1] == 0 and 5 <= size <= MAX_COMMAND_SIZE
    fast = _body_and_sequence(frame, size, end, 0) if offered else None
    try:
        general: object = _decode_sections(frame, memoryview(frame), 20, end, 1, 0)
    except ProtocolError as error:
        general = error
    return fast, general


def test_each_shape_decodes_alike() -> None:
    taken = 0
    for body, name, docs in SHAPES:
        frame = encode_op_msg(body, 1, 0, sequences={name: docs})
        fast, general = both(frame)
        if fast is None:
            assert isinstance(general, ProtocolError) or name in body or "." in name
            continue
        taken += 1
        assert encoded(fast) == encoded(general)  # same types, same order
        assert decode_op_msg(frame) == general
    assert taken == 6  # every valid shape took the fast path


@settings(max_examples=400, deadline=None)
@given(
    shape=st.sampled_from(SHAPES),
    position=st.integers(0, 200),
    value=st.integers(0, 255),
    cut=st.integers(0, 8),
)
def test_mutated_messages_decode_alike_or_step_aside(
    shape: tuple, position: int, value: int, cut: int
) -> None:
    body, name, docs = shape
    frame = bytearray(encode_op_msg(body, 1, 0, sequences={name: docs}))
    if position < len(frame):
        frame[position] = value
    data = bytes(frame[: len(frame) - cut])
    data = len(data).to_bytes(4, "little") + data[4:]
    fast, general = both(data)
    if fast is not None:
        assert not isinstance(general, ProtocolError)
        assert encoded(fast) == encoded(general)


def encoded(message: object) -> tuple:
    """A message's body and sequences as BSON bytes: equal exactly when types and order are."""
    return (
        message.flags,
        bson.encode(message.body),
        {name: [bson.encode(doc) for doc in docs] for name, docs in message.sequences.items()},
    )
