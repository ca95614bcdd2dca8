"""The ``.mdb`` append-only log: record framing, appending with group commit, recovery, the file lock.

Records are ``(type, payload)`` where the payload is one BSON document; what the documents mean is the
catalog's business. The file format is specified in ``docs/mdb-format.md``.
"""

from docdb.engine.log.filelock import LockHandle, lock_file
from docdb.engine.log.record import (
    FILE_MAGIC,
    FORMAT_VERSION,
    HEADER_SIZE,
    BadRecord,
    FileHeader,
    RecordType,
    decode_file_header,
    decode_record,
    encode_file_header,
    encode_record,
)
from docdb.engine.log.recovery import LogReader, read_log
from docdb.engine.log.writer import LogWriter

__all__ = [
    "FILE_MAGIC",
    "FORMAT_VERSION",
    "HEADER_SIZE",
    "BadRecord",
    "FileHeader",
    "LockHandle",
    "LogReader",
    "LogWriter",
    "RecordType",
    "decode_file_header",
    "decode_record",
    "encode_file_header",
    "encode_record",
    "lock_file",
    "read_log",
]
