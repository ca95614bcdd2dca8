"""OP_COMPRESSED (2012): another message, minus its header, compressed.

Layout after the header: ``int32 originalOpcode, int32 uncompressedSize, uint8 compressorId, bytes``.
Decompression is bounded by the declared size (never more than ``MAX_MESSAGE_SIZE``), so a small frame
cannot expand into gigabytes. zlib and noop always work; snappy needs ``python-snappy``; zstd needs
``backports.zstd`` (or Python 3.14's ``compression.zstd``, which PyMongo uses) or ``zstandard``.
"""

from __future__ import annotations

import importlib
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from docdb.errors import ProtocolError
from docdb.protocol.header import HEADER, HEADER_SIZE, MAX_MESSAGE_SIZE, OpCode, opcode_name

COMPRESSOR_IDS = {"noop": 0, "snappy": 1, "zlib": 2, "zstd": 3}
# mongod's default net.compression.compressors order.
PREFERENCE = ("snappy", "zstd", "zlib")

_COMPRESSION_HEADER = struct.Struct("<iiB")


@dataclass(frozen=True, slots=True)
class Compressor:
    """``decompress(data, size)`` returns exactly ``size`` bytes or raises ProtocolError."""

    name: str
    compress: Callable[[bytes], bytes]
    decompress: Callable[[memoryview, int], bytes]


def _noop_decompress(data: memoryview, size: int) -> bytes:
    if len(data) != size:
        raise ProtocolError(f"noop-compressed message has {len(data)} bytes, uncompressedSize says {size}")
    return bytes(data)


def _inflate(name: str, inflater: Any, error: type[Exception], data: memoryview, size: int) -> bytes:
    """Exactly ``size`` bytes from a streaming ``inflater`` (zlib's or zstd's: same interface), reading
    at most one byte more, so a frame that inflates to more than it declared fails without inflating all."""
    try:
        out = inflater.decompress(data, size + 1)
    except error as exc:
        raise ProtocolError(f"invalid {name}-compressed message: {exc}") from exc
    if len(out) != size or not inflater.eof or inflater.unused_data:
        raise ProtocolError(f"{name}-compressed message does not inflate to uncompressedSize {size}")
    return out


def _zlib_decompress(data: memoryview, size: int) -> bytes:
    return _inflate("zlib", zlib.decompressobj(), zlib.error, data, size)


def _import_first(*names: str) -> Any:
    """The first of ``names`` that imports, else None."""
    for name in names:
        try:
            return importlib.import_module(name)
        except ImportError:
            continue
    return None


def _snappy_compressor() -> Compressor | None:
    snappy = _import_first("snappy")
    if snappy is None:
        return None

    def decompress(data: memoryview, size: int) -> bytes:
        declared = _snappy_length(data)
        if declared != size:
            raise ProtocolError(
                f"snappy-compressed message declares {declared} bytes, uncompressedSize {size}"
            )
        try:
            out = snappy.uncompress(bytes(data))
        except Exception as exc:  # python-snappy's error types differ between its backends
            raise ProtocolError(f"invalid snappy-compressed message: {exc}") from exc
        if len(out) != size:
            raise ProtocolError(f"snappy-compressed message does not inflate to uncompressedSize {size}")
        return bytes(out)

    return Compressor("snappy", lambda data: bytes(snappy.compress(data)), decompress)


def _snappy_length(data: memoryview) -> int:
    """The varint uncompressed length that starts every raw snappy block.

    >>> _snappy_length(memoryview(bytes([0xF4, 0x03, 0x10])))
    500
    """
    result = 0
    for i in range(min(5, len(data))):
        result |= (data[i] & 0x7F) << (7 * i)
        if not data[i] & 0x80:
            return result
    raise ProtocolError("snappy-compressed message has an invalid length preamble")


def _zstd_compressor() -> Compressor | None:
    zstd = _import_first("compression.zstd", "backports.zstd")
    if zstd is not None:

        def decompress(data: memoryview, size: int) -> bytes:
            return _inflate("zstd", zstd.ZstdDecompressor(), zstd.ZstdError, data, size)

        return Compressor("zstd", zstd.compress, decompress)
    zstandard = _import_first("zstandard")
    if zstandard is None:
        return None

    def decompress_zstandard(data: memoryview, size: int) -> bytes:
        try:
            declared = zstandard.frame_content_size(data)
            if declared not in (-1, size):
                raise ProtocolError(f"zstd frame declares {declared} bytes, uncompressedSize {size}")
            out = zstandard.ZstdDecompressor().decompress(data, max_output_size=size, allow_extra_data=False)
        except zstandard.ZstdError as exc:
            raise ProtocolError(f"invalid zstd-compressed message: {exc}") from exc
        if len(out) != size:
            raise ProtocolError(f"zstd-compressed message does not inflate to uncompressedSize {size}")
        return out

    return Compressor("zstd", zstandard.ZstdCompressor().compress, decompress_zstandard)


def _load_compressors() -> dict[int, Compressor]:
    table = {
        COMPRESSOR_IDS["noop"]: Compressor("noop", bytes, _noop_decompress),
        COMPRESSOR_IDS["zlib"]: Compressor("zlib", zlib.compress, _zlib_decompress),
    }
    for compressor in (_snappy_compressor(), _zstd_compressor()):
        if compressor is not None:
            table[COMPRESSOR_IDS[compressor.name]] = compressor
    return table


COMPRESSORS = _load_compressors()


def available_compressors() -> list[str]:
    """Compressor names to advertise in ``hello.compression``, in preference order (never noop)."""
    present = {c.name for c in COMPRESSORS.values()}
    return [name for name in PREFERENCE if name in present]


def compress_frame(frame: bytes, compressor_id: int, *, zlib_level: int = -1) -> bytes:
    """Wrap a complete encoded message (header included) in OP_COMPRESSED, same requestID/responseTo."""
    compressor = COMPRESSORS.get(compressor_id)
    if compressor is None:
        raise ValueError(f"compressor id {compressor_id} is not available")
    length, request_id, response_to, op_code = HEADER.unpack_from(frame)
    payload = memoryview(frame)[HEADER_SIZE:]
    if compressor.name == "zlib":
        data = zlib.compress(payload, zlib_level)
    else:
        data = compressor.compress(bytes(payload))
    total = HEADER_SIZE + _COMPRESSION_HEADER.size + len(data)
    return b"".join(
        [
            HEADER.pack(total, request_id, response_to, OpCode.OP_COMPRESSED),
            _COMPRESSION_HEADER.pack(op_code, length - HEADER_SIZE, compressor_id),
            data,
        ]
    )


def decompress_frame(frame: bytes) -> tuple[bytes, int]:
    """Unwrap an OP_COMPRESSED frame into ``(inner frame with its own header, compressor id)``.

    The rebuilt inner header carries the outer requestID/responseTo, the original opcode and length, so
    an OP_MSG checksum (computed by the client before compressing) verifies against it.
    """
    if len(frame) < HEADER_SIZE + _COMPRESSION_HEADER.size:
        raise ProtocolError("OP_COMPRESSED is too short for originalOpcode, uncompressedSize, compressorId")
    _, request_id, response_to, _ = HEADER.unpack_from(frame)
    op_code, size, compressor_id = _COMPRESSION_HEADER.unpack_from(frame, HEADER_SIZE)
    if op_code == OpCode.OP_COMPRESSED:
        raise ProtocolError("OP_COMPRESSED may not wrap another OP_COMPRESSED")
    if size < 0 or size > MAX_MESSAGE_SIZE - HEADER_SIZE:
        raise ProtocolError(
            f"OP_COMPRESSED uncompressedSize {size} ({opcode_name(op_code)}) is outside 0..{MAX_MESSAGE_SIZE}"
        )
    compressor = COMPRESSORS.get(compressor_id)
    if compressor is None:
        raise ProtocolError(f"OP_COMPRESSED uses unknown or unavailable compressorId {compressor_id}")
    payload = compressor.decompress(memoryview(frame)[HEADER_SIZE + _COMPRESSION_HEADER.size :], size)
    return HEADER.pack(HEADER_SIZE + size, request_id, response_to, op_code) + payload, compressor_id
