"""The MongoDB wire protocol: bytes in, messages out, and back. Pure functions; no I/O, no commands."""

from docdb.protocol.framing import DECODERS, FrameBuffer, Request, decode_request
from docdb.protocol.header import (
    HEADER_SIZE,
    MAX_BSON_SIZE,
    MAX_COMMAND_SIZE,
    MAX_MESSAGE_SIZE,
    MsgHeader,
    OpCode,
    decode_header,
    encode_header,
)
from docdb.protocol.op_compressed import (
    COMPRESSOR_IDS,
    available_compressors,
    compress_frame,
    decompress_frame,
)
from docdb.protocol.op_msg import (
    CHECKSUM_PRESENT,
    EXHAUST_ALLOWED,
    MORE_TO_COME,
    InvalidRequest,
    OpMsg,
    decode_op_msg,
    encode_op_msg,
)
from docdb.protocol.op_query import OpQuery, decode_op_query, encode_op_query, encode_op_reply

__all__ = [
    "CHECKSUM_PRESENT",
    "COMPRESSOR_IDS",
    "DECODERS",
    "EXHAUST_ALLOWED",
    "HEADER_SIZE",
    "MAX_BSON_SIZE",
    "MAX_COMMAND_SIZE",
    "MAX_MESSAGE_SIZE",
    "MORE_TO_COME",
    "FrameBuffer",
    "InvalidRequest",
    "MsgHeader",
    "OpCode",
    "OpMsg",
    "OpQuery",
    "Request",
    "available_compressors",
    "compress_frame",
    "decode_header",
    "decode_op_msg",
    "decode_op_query",
    "decode_request",
    "decompress_frame",
    "encode_header",
    "encode_op_msg",
    "encode_op_query",
    "encode_op_reply",
]
