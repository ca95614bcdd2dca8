"""Stepping over BSON elements in stored bytes without decoding them: the size of an element's value
from its type byte and the bytes at the value. Shared by the log's WRITE_BATCH reader (``log/batch.py``)
and the in-place update of stored documents (``updates/in_place.py``)."""

from __future__ import annotations

import struct

_INT32 = struct.Struct("<i")
_FIXED_SIZES = {0x01: 8, 0x07: 12, 0x08: 1, 0x09: 8, 0x0A: 0, 0x10: 4, 0x11: 8, 0x12: 8, 0x13: 16}
_FIXED_SIZES.update({0x06: 0, 0x7F: 0, 0xFF: 0})
_LENGTH_PREFIXED = {0x02: 4, 0x0D: 4, 0x0E: 4, 0x05: 5}  # int32 length, plus a subtype byte for binary
_EMBEDDED = {0x03, 0x04, 0x0F}  # the int32 counts itself


def value_size(buf: bytes, btype: int, pos: int) -> int | None:
    """The size of the value of type ``btype`` that starts at ``buf[pos]``; None for a type read only
    by the C decoder (regex, DBPointer) or an unknown one.

    >>> value_size(b"\\x05\\x00\\x00\\x00", 0x02, 0), value_size(b"", 0x10, 0), value_size(b"", 0x0B, 0)
    (9, 4, None)
    """
    fixed = _FIXED_SIZES.get(btype)
    if fixed is not None:
        return fixed
    extra = _LENGTH_PREFIXED.get(btype)
    if extra is not None:
        return extra + _INT32.unpack_from(buf, pos)[0]
    if btype in _EMBEDDED:
        return _INT32.unpack_from(buf, pos)[0]
    return None
