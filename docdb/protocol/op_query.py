"""Legacy OP_QUERY (2004) in and OP_REPLY (1) out.

Drivers still send their first ``hello``/``isMaster`` as an OP_QUERY on ``<db>.$cmd`` and expect an
OP_REPLY; mongod >= 5.1 answers nothing else through them. Layouts (little-endian)::

    OP_QUERY: int32 flags, cstring fullCollectionName, int32 numberToSkip, int32 numberToReturn,
              document query, [document returnFieldsSelector]
    OP_REPLY: int32 responseFlags, int64 cursorID, int32 startingFrom, int32 numberReturned, document*
"""

from __future__ import annotations

import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import bson

from docdb.bson_codec import CODEC_OPTIONS, decode_document
from docdb.errors import ProtocolError
from docdb.protocol.header import HEADER, HEADER_SIZE, MAX_COMMAND_SIZE, OpCode, decode_cstring

# OP_REPLY responseFlags bits.
CURSOR_NOT_FOUND = 1 << 0
QUERY_FAILURE = 1 << 1
AWAIT_CAPABLE = 1 << 3

_INT32 = struct.Struct("<i")
_SKIP_RETURN = struct.Struct("<ii")
# header + responseFlags, cursorID, startingFrom, numberReturned
_REPLY_PREFIX = struct.Struct("<iiiiiqii")


@dataclass(slots=True)
class OpQuery:
    """A decoded OP_QUERY; ``query`` and ``return_fields`` are decoded with ``CODEC_OPTIONS``."""

    flags: int
    full_collection_name: str
    number_to_skip: int
    number_to_return: int
    query: dict[str, Any]
    return_fields: dict[str, Any] | None


def decode_op_query(frame: bytes | bytearray | memoryview) -> OpQuery:
    """Decode a whole OP_QUERY frame (header included; its length must already equal ``len(frame)``)."""
    if not isinstance(frame, bytes):
        frame = bytes(frame)
    end = len(frame)
    if end < HEADER_SIZE + 4:
        raise ProtocolError("OP_QUERY is too short for its flags")
    flags = _INT32.unpack_from(frame, HEADER_SIZE)[0]
    name, pos = decode_cstring(frame, HEADER_SIZE + 4, end, "OP_QUERY fullCollectionName")
    if end - pos < 8:
        raise ProtocolError("OP_QUERY is truncated before numberToSkip/numberToReturn")
    skip, limit = _SKIP_RETURN.unpack_from(frame, pos)
    pos += 8
    view = memoryview(frame)
    query, pos = _decode_document(frame, view, pos, end, "query")
    fields = None
    if pos < end:
        fields, pos = _decode_document(frame, view, pos, end, "returnFieldsSelector")
    if pos != end:
        raise ProtocolError(f"OP_QUERY has {end - pos} bytes left over after returnFieldsSelector")
    return OpQuery(flags, name, skip, limit, query, fields)


def _decode_document(frame: bytes, view: memoryview, pos: int, end: int, what: str) -> tuple[dict, int]:
    if end - pos < 5:
        raise ProtocolError(f"OP_QUERY {what} is truncated")
    size = _INT32.unpack_from(frame, pos)[0]
    if size < 5 or size > end - pos or size > MAX_COMMAND_SIZE:
        raise ProtocolError(f"OP_QUERY {what} declares {size} bytes, {end - pos} remain")
    try:
        return decode_document(view[pos : pos + size]), pos + size
    except Exception as exc:  # the C decoder raises InvalidBSON, but also ValueError & co. on odd input
        raise ProtocolError(f"invalid BSON in OP_QUERY {what}: {exc}") from exc


def encode_op_query(query: OpQuery, request_id: int, response_to: int = 0) -> bytes:
    """A whole OP_QUERY frame (what legacy clients send; used by tests and tools)."""
    parts = [
        b"",
        _INT32.pack(query.flags),
        query.full_collection_name.encode() + b"\x00",
        _SKIP_RETURN.pack(query.number_to_skip, query.number_to_return),
        bson.encode(query.query, False, CODEC_OPTIONS),
    ]
    if query.return_fields is not None:
        parts.append(bson.encode(query.return_fields, False, CODEC_OPTIONS))
    parts[0] = HEADER.pack(HEADER_SIZE + sum(map(len, parts)), request_id, response_to, OpCode.OP_QUERY)
    return b"".join(parts)


def encode_op_reply(
    documents: Sequence[Mapping[str, Any] | bytes],
    request_id: int,
    response_to: int,
    *,
    response_flags: int = 0,
    cursor_id: int = 0,
    starting_from: int = 0,
) -> bytes:
    """A whole OP_REPLY frame; each document is a mapping (encoded once) or already-encoded BSON bytes."""
    encoded = [d if isinstance(d, bytes) else bson.encode(d, False, CODEC_OPTIONS) for d in documents]
    length = _REPLY_PREFIX.size + sum(map(len, encoded))
    prefix = _REPLY_PREFIX.pack(
        length,
        request_id,
        response_to,
        OpCode.OP_REPLY,
        response_flags,
        cursor_id,
        starting_from,
        len(encoded),
    )
    return b"".join([prefix, *encoded])
