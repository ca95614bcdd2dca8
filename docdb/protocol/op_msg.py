"""OP_MSG (opcode 2013): ``uint32 flagBits, section+, [uint32 checksum]``.

A section is kind 0 (the command body: one BSON document) or kind 1 (a document sequence:
``int32 size, cstring identifier, document*``, used by drivers for large batches such as ``insert``'s
``documents``). Exactly one kind-0 section is allowed; at most two sequences (mongod's limit).

Errors follow mongod: structural damage (bad lengths, unknown required flag bits, a failing checksum,
too many sequences) is a plain :class:`~docdb.errors.ProtocolError` and the connection is closed; content
errors that mongod answers with an error reply (a second body, an unknown section kind, invalid BSON, ...)
raise :class:`InvalidRequest`, which carries mongod's code and errmsg.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import bson
import crc32c

from docdb.bson_codec import CODEC_OPTIONS, c_encode, decode_document, decode_documents
from docdb.errors import ErrorCode, ProtocolError
from docdb.protocol.header import HEADER_SIZE, MAX_COMMAND_SIZE, OpCode, decode_cstring

CHECKSUM_PRESENT = 1 << 0
MORE_TO_COME = 1 << 1
EXHAUST_ALLOWED = 1 << 16
# Bits 0-15 are "required": a receiver must reject any it does not know. Bits 16-31 are optional.
REQUIRED_FLAGS_MASK = 0xFFFF
KNOWN_REQUIRED_FLAGS = CHECKSUM_PRESENT | MORE_TO_COME
MAX_DOCUMENT_SEQUENCES = 2

_INT32 = struct.Struct("<i")
_UINT32 = struct.Struct("<I")
# header + flagBits + section kind 0, the prefix of every reply we send.
_MSG_PREFIX = struct.Struct("<iiiiIB")
_OP_MSG = int(OpCode.OP_MSG)  # a plain int: an IntEnum member costs an attribute lookup and __index__
_SEQUENCE_PREFIX = struct.Struct("<Bi")
# header, flagBits, the first section's kind and (for kinds 0 and 1) its int32 size.
_PREFIX = struct.Struct("<iiiiIBi")
_BODY_START = HEADER_SIZE + 5
_MIN_SIZE = _BODY_START + 5  # flagBits and the smallest body section


class InvalidRequest(ProtocolError):
    """A well-framed OP_MSG whose content mongod rejects with an error *reply* instead of closing.

    ``code``/``errmsg`` are mongod's; the server may answer ``request_id`` with
    ``{ok: 0, errmsg, code, codeName}`` unless ``more_to_come`` (then nothing is replied).
    """

    def __init__(self, code: int, errmsg: str, request_id: int, more_to_come: bool) -> None:
        super().__init__(errmsg)
        self.code = int(code)
        self.errmsg = errmsg
        self.request_id = request_id
        self.more_to_come = more_to_come


@dataclass(slots=True)
class OpMsg:
    """A decoded OP_MSG; ``body`` and the ``sequences`` documents are decoded with ``CODEC_OPTIONS``."""

    flags: int
    body: dict[str, Any]
    sequences: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    @property
    def checksum_present(self) -> bool:
        return bool(self.flags & CHECKSUM_PRESENT)

    @property
    def more_to_come(self) -> bool:
        """The client wants no reply to this request (unacknowledged writes)."""
        return bool(self.flags & MORE_TO_COME)

    @property
    def exhaust_allowed(self) -> bool:
        """The client accepts an exhaust stream of replies (``moreToCome`` set on each but the last)."""
        return bool(self.flags & EXHAUST_ALLOWED)


def decode_op_msg(frame: bytes | bytearray | memoryview) -> OpMsg:
    """Decode a whole OP_MSG frame (header included; its length must already equal ``len(frame)``).

    Raises ProtocolError (or its subclass InvalidRequest) on anything malformed, never another type.
    """
    if not isinstance(frame, bytes):
        frame = bytes(frame)
    end = len(frame)
    if end < _MIN_SIZE:
        raise ProtocolError(f"OP_MSG of {end} bytes is too short for flagBits and a section")
    _, request_id, _, _, flags, kind, size = _PREFIX.unpack_from(frame)
    if flags & REQUIRED_FLAGS_MASK & ~KNOWN_REQUIRED_FLAGS:
        raise ProtocolError(f"Message contains illegal flags value: Ob{flags:032b}")
    if flags & CHECKSUM_PRESENT:
        end -= 4
        if end < _MIN_SIZE:
            raise ProtocolError("OP_MSG with checksumPresent is too short for a section and a checksum")
        if crc32c.crc32c(memoryview(frame)[:end]) != _UINT32.unpack_from(frame, end)[0]:
            raise ProtocolError("OP_MSG checksum does not match contents")
    view = memoryview(frame)
    # Fast path: the whole message is one body section (every command without a document sequence).
    if kind == 0 and size == end - _BODY_START:
        return OpMsg(flags, _decode_body(view, _BODY_START, end, request_id, flags), {})
    if kind == 0 and 5 <= size <= MAX_COMMAND_SIZE:
        message = _body_and_sequence(frame, size, end, flags)
        if message is not None:
            return message
    return _decode_sections(frame, view, HEADER_SIZE + 4, end, request_id, flags)


def _body_and_sequence(frame: bytes, size: int, end: int, flags: int) -> OpMsg | None:
    """A message of a body section then one document sequence (an insert, update or delete as drivers
    send it), decoded by one call of the C decoder over the body and the documents put together (each
    call reads the codec options again). None, with nothing decided, for anything else, anything
    malformed or too large: ``_decode_sections`` then decodes it and reports what is wrong."""
    start = _BODY_START + size  # the second section's kind byte
    if end - start < 6 or frame[start] != 1 or _INT32.unpack_from(frame, start + 1)[0] != end - start - 1:
        return None
    nul = frame.find(b"\x00", start + 5, end)
    if nul < 0 or end - nul - 1 > MAX_COMMAND_SIZE:
        return None
    try:
        name = frame[start + 5 : nul].decode()
        decoded = decode_documents(frame[_BODY_START:start] + frame[nul + 1 : end])
    except Exception:
        return None
    if not decoded or _path_present(decoded[0], name):
        return None
    return OpMsg(flags, decoded[0], {name: decoded[1:]})


def _decode_sections(
    frame: bytes, view: memoryview, pos: int, end: int, request_id: int, flags: int
) -> OpMsg:
    more = bool(flags & MORE_TO_COME)
    body: dict[str, Any] | None = None
    sequences: dict[str, list[dict[str, Any]]] = {}
    while pos < end:
        kind = frame[pos]
        pos += 1
        if end - pos < 4:
            raise ProtocolError(f"OP_MSG section of kind {kind} is truncated")
        size = _INT32.unpack_from(frame, pos)[0]
        if size < 5 or size > end - pos:
            raise ProtocolError(f"OP_MSG section of kind {kind} declares {size} bytes, {end - pos} remain")
        if kind == 0:
            if body is not None:
                raise InvalidRequest(40430, "Multiple body sections in message", request_id, more)
            body = _decode_body(view, pos, pos + size, request_id, flags)
        elif kind == 1:
            if len(sequences) >= MAX_DOCUMENT_SEQUENCES:
                raise ProtocolError("Too many document sequences in OP_MSG")
            name, docs = _decode_sequence(frame, view, pos, pos + size, request_id, more)
            if name in sequences:
                raise InvalidRequest(40431, f"Duplicate document sequence: {name}", request_id, more)
            sequences[name] = docs
        else:
            raise InvalidRequest(40432, f"Unknown section kind {kind}", request_id, more)
        pos += size
    if body is None:
        raise InvalidRequest(40587, "OP_MSG messages must have a body", request_id, more)
    for name in sequences:
        if _path_present(body, name):
            raise InvalidRequest(
                40433, f"Duplicate field between body and document sequence {name}", request_id, more
            )
    return OpMsg(flags, body, sequences)


def _decode_body(view: memoryview, start: int, stop: int, request_id: int, flags: int) -> dict[str, Any]:
    if stop - start > MAX_COMMAND_SIZE:
        _check_document_size(stop - start, request_id, bool(flags & MORE_TO_COME))
    try:
        return decode_document(view[start:stop])
    except Exception as exc:  # the C decoder raises InvalidBSON, but also ValueError & co. on odd input
        raise InvalidRequest(
            ErrorCode.InvalidBSON,
            f"invalid BSON in OP_MSG body: {exc}",
            request_id,
            bool(flags & MORE_TO_COME),
        ) from exc


def _decode_sequence(
    frame: bytes, view: memoryview, start: int, stop: int, request_id: int, more: bool
) -> tuple[str, list[dict[str, Any]]]:
    """Decode the kind-1 section occupying ``frame[start:stop]`` (its int32 size included)."""
    name, first = decode_cstring(frame, start + 4, stop, "OP_MSG document sequence identifier")
    if stop - first > MAX_COMMAND_SIZE:
        pos = first
        while stop - pos >= 4:
            size = _INT32.unpack_from(frame, pos)[0]
            _check_document_size(size, request_id, more)
            pos += max(size, 5)
    try:
        docs = decode_documents(view[first:stop])
    except Exception as exc:  # as in _decode_body: any decoder failure is the client's malformed input
        raise InvalidRequest(
            ErrorCode.InvalidBSON, f"invalid BSON in OP_MSG document sequence {name}: {exc}", request_id, more
        ) from exc
    return name, docs


def _check_document_size(size: int, request_id: int, more: bool) -> None:
    if size > MAX_COMMAND_SIZE:
        raise InvalidRequest(
            ErrorCode.BSONObjectTooLarge,
            f"BSONObj size: {size} (0x{size:X}) is invalid. "
            f"Size must be between 0 and {MAX_COMMAND_SIZE}({MAX_COMMAND_SIZE // (1024 * 1024)}MB)",
            request_id,
            more,
        )


def _path_present(body: Mapping[str, Any], dotted: str) -> bool:
    """Whether ``dotted`` names something in ``body``; an array met on the way counts, as in mongod.

    >>> [_path_present(body, "a.b") for body in ({"a": {"b": 1}}, {"a": [1]}, {"a": 1})]
    [True, True, False]
    """
    value: Any = body
    for part in dotted.split("."):
        if isinstance(value, list):
            return True
        if not isinstance(value, (dict, Mapping)) or part not in value:  # dict first: no ABC check
            return False
        value = value[part]
    return True


def encode_op_msg(
    body: Mapping[str, Any] | bytes,
    request_id: int,
    response_to: int,
    flags: int = 0,
    *,
    sequences: Mapping[str, list[Mapping[str, Any] | bytes]] | None = None,
) -> bytes:
    """A whole OP_MSG frame, header included.

    ``body`` is a document (encoded once; raw values inside, such as ``RawBSONDocument``, are embedded
    as they are) or already-encoded BSON bytes. ``sequences`` adds kind-1 sections (replies never need
    them). The checksum is appended only when ``flags`` asks for it; the server's replies never do.
    """
    data = body if isinstance(body, bytes) else c_encode(body, False, CODEC_OPTIONS)
    if not sequences and not flags & CHECKSUM_PRESENT:
        length = HEADER_SIZE + 5 + len(data)
        return _MSG_PREFIX.pack(length, request_id, response_to, _OP_MSG, flags, 0) + data
    parts = [b"", data]
    for name, docs in (sequences or {}).items():
        encoded = [d if isinstance(d, bytes) else bson.encode(d, False, CODEC_OPTIONS) for d in docs]
        ident = name.encode() + b"\x00"
        parts.append(_SEQUENCE_PREFIX.pack(1, 4 + len(ident) + sum(map(len, encoded))))
        parts.append(ident)
        parts.extend(encoded)
    length = HEADER_SIZE + 5 + sum(map(len, parts))
    checksum = bool(flags & CHECKSUM_PRESENT)
    if checksum:
        length += 4
    parts[0] = _MSG_PREFIX.pack(length, request_id, response_to, _OP_MSG, flags, 0)
    frame = b"".join(parts)
    if checksum:
        frame += _UINT32.pack(crc32c.crc32c(frame))
    return frame
