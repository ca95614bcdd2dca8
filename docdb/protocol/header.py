"""The 16-byte standard message header, the opcode table and the wire size limits.

Every MongoDB wire message starts with ``int32 messageLength, int32 requestID, int32 responseTo,
int32 opCode`` (little-endian); ``messageLength`` counts the header itself.
"""

from __future__ import annotations

import struct
from enum import IntEnum
from typing import NamedTuple

from docdb.errors import ProtocolError

HEADER_SIZE = 16
MAX_MESSAGE_SIZE = 48_000_000
MAX_BSON_SIZE = 16 * 1024 * 1024
# mongod accepts a command body (and each kind-1 document) up to 16 KiB past maxBsonObjectSize, so that a
# maximum-size user document still fits inside the command that carries it.
MAX_COMMAND_SIZE = MAX_BSON_SIZE + 16 * 1024

HEADER = struct.Struct("<iiii")


class OpCode(IntEnum):
    """Wire opcodes; only OP_MSG, OP_QUERY (handshake) and OP_COMPRESSED are accepted from clients."""

    OP_REPLY = 1
    OP_UPDATE = 2001
    OP_INSERT = 2002
    OP_QUERY = 2004
    OP_GET_MORE = 2005
    OP_DELETE = 2006
    OP_KILL_CURSORS = 2007
    OP_COMPRESSED = 2012
    OP_MSG = 2013


class MsgHeader(NamedTuple):
    """A decoded header; ``length`` includes the 16 header bytes. A named tuple: one is built per request,
    and a tuple is built from ``HEADER.unpack_from`` several times faster than a frozen dataclass."""

    length: int
    request_id: int
    response_to: int
    op_code: int


_new_header = tuple.__new__  # MsgHeader from the unpacked 4-tuple in one C call (no Python __new__)


def decode_header(buf: bytes | bytearray | memoryview) -> MsgHeader:
    """Decode the first 16 bytes of ``buf`` (which may hold more); the length is not validated here.

    >>> decode_header(bytes.fromhex("15000000 07000000 00000000 dd070000"))
    MsgHeader(length=21, request_id=7, response_to=0, op_code=2013)
    """
    if len(buf) < HEADER_SIZE:
        raise ProtocolError(f"message header needs {HEADER_SIZE} bytes, got {len(buf)}")
    return _new_header(MsgHeader, HEADER.unpack_from(buf))


def encode_header(length: int, request_id: int, response_to: int, op_code: int) -> bytes:
    """The 16 header bytes; ``length`` is the whole message's length, header included.

    >>> encode_header(21, 7, 0, OpCode.OP_MSG).hex()
    '150000000700000000000000dd070000'
    """
    return HEADER.pack(length, request_id, response_to, op_code)


def decode_cstring(frame: bytes, start: int, stop: int, what: str) -> tuple[str, int]:
    """The NUL-terminated UTF-8 string at ``frame[start:stop]`` and the offset after its NUL;
    ProtocolError naming ``what`` when it has no NUL or is not UTF-8."""
    nul = frame.find(b"\x00", start, stop)
    if nul < 0:
        raise ProtocolError(f"{what} is not NUL-terminated")
    try:
        return frame[start:nul].decode(), nul + 1
    except UnicodeDecodeError as exc:
        raise ProtocolError(f"{what} is not valid UTF-8") from exc


def opcode_name(op_code: int) -> str:
    """A readable name for error messages, also for opcodes we do not know.

    >>> opcode_name(2002), opcode_name(9)
    ('OP_INSERT', 'opcode 9')
    """
    try:
        return OpCode(op_code).name
    except ValueError:
        return f"opcode {op_code}"
