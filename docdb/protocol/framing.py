"""Cut a byte stream into frames, and turn one frame into a :class:`Request`.

``FrameBuffer`` only reads the int32 length that starts every message, so a bad length closes the
connection before any of its body is buffered. ``decode_request`` picks the decoder from ``DECODERS``
by opcode, unwrapping OP_COMPRESSED first; mongod >= 6 accepts no other opcode from clients.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass

from docdb.errors import ProtocolError
from docdb.protocol.header import HEADER_SIZE, MAX_MESSAGE_SIZE, MsgHeader, OpCode, decode_header, opcode_name
from docdb.protocol.op_compressed import decompress_frame
from docdb.protocol.op_msg import OpMsg, decode_op_msg
from docdb.protocol.op_query import OpQuery, decode_op_query

_INT32 = struct.Struct("<i")
_OP_MSG = int(OpCode.OP_MSG)  # module-level ints: no Enum attribute lookup per request
_OP_COMPRESSED = int(OpCode.OP_COMPRESSED)

DECODERS: dict[int, Callable[[bytes], OpMsg | OpQuery]] = {
    OpCode.OP_MSG: decode_op_msg,
    OpCode.OP_QUERY: decode_op_query,
}


def _check_length(length: int, limit: int = MAX_MESSAGE_SIZE) -> None:
    if length < HEADER_SIZE or length > limit:
        raise ProtocolError(f"message length {length} is outside {HEADER_SIZE}..{limit}")


class FrameBuffer:
    """Accumulates received bytes; ``feed`` returns the frames they complete, in order.

    The common case, one whole frame per ``data_received``, is returned without copying. ``max_length``
    is the largest frame accepted (the connection lowers it for a client that has not authenticated).
    """

    __slots__ = ("_buf", "max_length")

    def __init__(self, max_length: int = MAX_MESSAGE_SIZE) -> None:
        self._buf = bytearray()
        self.max_length = max_length

    @property
    def pending(self) -> int:
        """Bytes received but not yet part of a complete frame."""
        return len(self._buf)

    def feed(self, data: bytes) -> list[bytes]:
        """Add ``data``; return the complete frames (each with its 16-byte header), oldest first.

        Raises ProtocolError as soon as a frame's declared length is < 16 or > ``max_length``; frames
        completed earlier in the same call are then dropped too, since the connection is closing.
        """
        buf = self._buf
        if not buf and len(data) >= 4:
            length = _INT32.unpack_from(data)[0]
            _check_length(length, self.max_length)
            if length == len(data):
                return [bytes(data)]
        buf += data
        frames: list[bytes] = []
        pos, end = 0, len(buf)
        with memoryview(buf) as view:
            while end - pos >= 4:
                length = _INT32.unpack_from(buf, pos)[0]
                _check_length(length, self.max_length)
                if end - pos < length:
                    break
                frames.append(bytes(view[pos : pos + length]))
                pos += length
        if pos:
            del buf[:pos]
        return frames


@dataclass(slots=True)
class Request:
    """One decoded client message.

    ``header`` is the outer frame's (replies answer ``header.request_id``); ``compressor_id`` is set when
    the request came in OP_COMPRESSED, and the reply should then use the same compressor.
    """

    header: MsgHeader
    message: OpMsg | OpQuery
    compressor_id: int | None = None


def decode_request(frame: bytes) -> Request:
    """Decode one complete frame; raises ProtocolError (never anything else) when it is malformed."""
    header = decode_header(frame)
    _check_length(header.length)
    if header.length != len(frame):
        raise ProtocolError(f"message length {header.length} does not match the {len(frame)} bytes received")
    inner, compressor_id = frame, None
    op_code = header.op_code
    if op_code == _OP_MSG:
        return Request(header, decode_op_msg(frame), None)
    if op_code == _OP_COMPRESSED:
        inner, compressor_id = decompress_frame(frame)
        op_code = _INT32.unpack_from(inner, 12)[0]
    decoder = DECODERS.get(op_code)
    if decoder is None:
        raise ProtocolError(f"unsupported {opcode_name(op_code)}: only OP_MSG, OP_QUERY and OP_COMPRESSED")
    return Request(header, decoder(inner), compressor_id)
