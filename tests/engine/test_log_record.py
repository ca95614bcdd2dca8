"""The pure framing layer: file header and records, on bytes."""

from __future__ import annotations

import struct

import pytest
from bson.timestamp import Timestamp
from crc32c import crc32c

from docdb.bson_codec import encode_document
from docdb.engine.log.record import (
    FILE_MAGIC,
    FORMAT_VERSION,
    HEADER_SIZE,
    RECORD_HEADER_SIZE,
    BadRecord,
    FileHeader,
    RecordType,
    decode_file_header,
    decode_record,
    encode_file_header,
    encode_record,
    verifies,
)
from docdb.errors import StorageError

PAYLOADS = {
    RecordType.WRITE_BATCH: {"ops": [{"ns": "db.c", "put": {"_id": 1, "a": "x"}}, {"ns": "db.c", "del": 2}]},
    RecordType.CREATE_COLLECTION: {"ns": "db.c", "options": {"capped": False}},
    RecordType.DROP_COLLECTION: {"ns": "db.c"},
    RecordType.RENAME_COLLECTION: {"from": "db.c", "to": "db.d", "dropTarget": True},
    RecordType.DROP_DATABASE: {"db": "db"},
    RecordType.CREATE_INDEXES: {"ns": "db.c", "indexes": [{"key": {"a": 1}, "name": "a_1"}]},
    RecordType.DROP_INDEXES: {"ns": "db.c", "names": ["a_1"]},
    RecordType.COLL_MOD: {"ns": "db.c", "changes": {"validator": {}}},
    RecordType.HISTORY: {"horizon": Timestamp(1, 1), "changes": [{"ts": Timestamp(1, 2), "ns": "db.c"}]},
}


def test_every_record_type_has_a_payload_case():
    assert set(PAYLOADS) == set(RecordType)


@pytest.mark.parametrize("rtype", list(RecordType), ids=lambda t: t.name)
def test_record_round_trip(rtype):
    payload = encode_document(PAYLOADS[rtype])
    record = encode_record(rtype, payload)
    assert len(record) == RECORD_HEADER_SIZE + len(payload)
    buf = memoryview(b"junk" + record + b"more")
    assert decode_record(buf, 4) == (rtype, payload, 4 + len(record))
    assert verifies(buf, 4) is True


def test_record_layout_is_little_endian_length_crc_type_payload():
    payload = encode_document({"db": "x"})
    record = encode_record(RecordType.DROP_DATABASE, payload)
    length, crc, rtype = struct.unpack_from("<IIB", record)
    assert (length, rtype, record[9:]) == (len(payload), 5, payload)
    assert crc == crc32c(record[:4] + record[8:])


def test_empty_document_is_the_smallest_payload():
    record = encode_record(RecordType.DROP_DATABASE, bytes([5, 0, 0, 0, 0]))
    assert record.hex() == "050000003b73778e050500000000"


@pytest.mark.parametrize(
    ("rtype", "payload"),
    [
        pytest.param(1, b"", id="empty"),
        pytest.param(1, b"abcdefgh", id="not-bson"),
        pytest.param(1, bytes([6, 0, 0, 0, 0]), id="bson-length-mismatch"),
        pytest.param(1, bytes([5, 0, 0, 0, 1]), id="no-terminator"),
        pytest.param(256, bytes([5, 0, 0, 0, 0]), id="type-too-big"),
        pytest.param(-1, bytes([5, 0, 0, 0, 0]), id="type-negative"),
    ],
)
def test_encode_record_rejects(rtype, payload):
    with pytest.raises(ValueError):
        encode_record(rtype, payload)


def _bad(buf: bytes, offset: int = 0) -> str:
    with pytest.raises(BadRecord) as exc:
        decode_record(memoryview(buf), offset)
    assert verifies(memoryview(buf), offset) is False
    return exc.value.reason


def test_decode_record_short_header():
    record = encode_record(1, encode_document({"ops": []}))
    assert _bad(record[:8]) == "truncated record header (8 of 9 bytes)"


def test_decode_record_short_payload():
    record = encode_record(1, encode_document({"ops": []}))
    assert _bad(record[:-1]) == "truncated record: length 15 but only 14 bytes follow"


def test_decode_record_checksum_mismatch():
    record = bytearray(encode_record(1, encode_document({"ops": []})))
    record[12] ^= 0x01
    assert _bad(bytes(record)) == "checksum mismatch"


def test_decode_record_unframed_payload_that_checksums():
    payload = b"abcdefgh"
    head = struct.pack("<I", len(payload))
    record = head + struct.pack("<I", crc32c(b"\x01" + payload, crc32c(head))) + b"\x01" + payload
    assert _bad(record) == "payload is not one BSON document"


def test_unknown_record_type_decodes_as_int():
    payload = encode_document({})
    assert decode_record(memoryview(encode_record(200, payload)), 0) == (200, payload, 14)


def test_file_header_round_trip():
    header = encode_file_header()
    assert len(header) == HEADER_SIZE
    assert header[:8] == FILE_MAGIC
    assert decode_file_header(header) == FileHeader(version=FORMAT_VERSION, flags=0, extra=bytes(44))
    assert decode_file_header(encode_file_header(extra=b"salt")).extra == b"salt" + bytes(40)


def test_file_header_rejects_bad_arguments():
    with pytest.raises(ValueError):
        encode_file_header(flags=2)
    with pytest.raises(ValueError):
        encode_file_header(extra=bytes(45))


def _reheader(version: int, flags: int) -> bytes:
    body = struct.pack("<8sII44s", FILE_MAGIC, version, flags, bytes(44))
    return body + struct.pack("<I", crc32c(body))


@pytest.mark.parametrize(
    ("header", "message"),
    [
        pytest.param(b"DOCDBMDB", "not a docdb .mdb file: header is 8 bytes, expected 64", id="short"),
        pytest.param(b"SQLITE3\0" + bytes(56), "not a docdb .mdb file: bad magic b'SQLITE3\\x00'", id="mag"),
        pytest.param(
            encode_file_header()[:20] + b"\x01" + encode_file_header()[21:],
            "corrupt .mdb file header: checksum mismatch",
            id="crc",
        ),
        pytest.param(
            _reheader(2, 0), "unsupported .mdb format version 2; this docdb reads version 1", id="version"
        ),
        pytest.param(_reheader(1, 4), "unsupported .mdb header flags 0x4; this docdb knows 0x1", id="flags"),
    ],
)
def test_decode_file_header_errors(header, message):
    with pytest.raises(StorageError) as exc:
        decode_file_header(header)
    assert str(exc.value) == message
