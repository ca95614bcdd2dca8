"""Recovery: every good record in order; a torn tail is cut, corruption is refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from docdb.bson_codec import encode_document
from docdb.engine.log.record import HEADER_SIZE, RecordType, encode_file_header, encode_record
from docdb.engine.log.recovery import find_verifying_record, read_log
from docdb.engine.log.writer import LogWriter
from docdb.errors import CorruptLogError, StorageError

RECORDS = [
    (RecordType.CREATE_COLLECTION, encode_document({"ns": "db.c", "options": {}})),
    (RecordType.WRITE_BATCH, encode_document({"ops": [{"ns": "db.c", "put": {"_id": 1, "a": "x" * 20}}]})),
    (RecordType.WRITE_BATCH, encode_document({"ops": [{"ns": "db.c", "del": 1}]})),
]


def _log_bytes(records) -> tuple[bytes, list[int]]:
    """The file for ``records`` and each record's start offset."""
    data = bytearray(encode_file_header())
    starts = []
    for rtype, payload in records:
        starts.append(len(data))
        data += encode_record(rtype, payload)
    return bytes(data), starts


def _read(path) -> tuple[list, int | None, int | None]:
    reader = read_log(str(path))
    records = list(reader)
    return records, reader.valid_end, reader.torn_bytes


def test_missing_file_has_no_records(tmp_path):
    assert _read(tmp_path / "none.mdb") == ([], 0, 0)


def test_empty_file_has_no_records(tmp_path):
    path = tmp_path / "empty.mdb"
    path.write_bytes(b"")
    assert _read(path) == ([], 0, 0)


def test_header_only(tmp_path):
    path = tmp_path / "h.mdb"
    path.write_bytes(encode_file_header())
    reader = read_log(str(path))
    assert list(reader) == []
    assert (reader.valid_end, reader.torn_bytes, reader.records) == (HEADER_SIZE, 0, 0)
    assert reader.header is not None and reader.header.version == 1


def test_records_round_trip_in_order(tmp_path):
    data, _ = _log_bytes(RECORDS)
    path = tmp_path / "a.mdb"
    path.write_bytes(data)
    records, valid_end, torn = _read(path)
    assert records == RECORDS
    assert all(type(rtype) is RecordType for rtype, _ in records)
    assert all(type(payload) is bytes for _, payload in records)
    assert (valid_end, torn) == (len(data), 0)


def test_unknown_record_type_is_yielded_as_int(tmp_path):
    path = tmp_path / "u.mdb"
    path.write_bytes(encode_file_header() + encode_record(99, encode_document({})))
    assert _read(path)[0] == [(99, encode_document({}))]


def test_reader_can_iterate_twice(tmp_path):
    data, _ = _log_bytes(RECORDS)
    path = tmp_path / "twice.mdb"
    path.write_bytes(data)
    reader = read_log(str(path))
    assert list(reader) == list(reader) == RECORDS


def test_abandoned_iteration_releases_the_file(tmp_path):
    data, _ = _log_bytes(RECORDS)
    path = tmp_path / "abandon.mdb"
    path.write_bytes(data)
    reader = read_log(str(path))
    iterator = iter(reader)
    assert next(iterator) == RECORDS[0]
    iterator.close()
    assert reader.valid_end is None


def test_last_record_truncated_at_every_offset(tmp_path):
    data, starts = _log_bytes(RECORDS)
    last = starts[-1]
    path = tmp_path / "torn.mdb"
    for cut in range(last, len(data)):
        path.write_bytes(data[:cut])
        records, valid_end, torn = _read(path)
        assert records == RECORDS[:-1], cut
        assert (valid_end, torn) == (last, cut - last), cut

        writer = LogWriter(str(path), valid_end=valid_end)
        try:
            lsn = writer.append(*RECORDS[-1])
        finally:
            writer.close()
        assert lsn == len(data)
        assert path.read_bytes() == data
        assert _read(path) == (RECORDS, len(data), 0)


def test_header_truncated_at_every_offset_is_a_torn_creation(tmp_path):
    header = encode_file_header()
    path = tmp_path / "new.mdb"
    for cut in range(1, HEADER_SIZE):
        path.write_bytes(header[:cut])
        reader = read_log(str(path))
        assert list(reader) == []
        assert (reader.header, reader.valid_end, reader.torn_bytes) == (None, 0, cut)
        writer = LogWriter(str(path), valid_end=reader.valid_end)
        writer.append(*RECORDS[0])
        writer.close()
        assert _read(path)[0] == RECORDS[:1]


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"hello", id="short-garbage"),
        pytest.param(b"x" * 100, id="long-garbage"),
        pytest.param(b"SQLite format 3\0" + bytes(100), id="other-format"),
    ],
)
def test_bad_header_is_a_storage_error(tmp_path, content):
    path = tmp_path / "bad.mdb"
    path.write_bytes(content)
    with pytest.raises(StorageError) as exc:
        read_log(str(path))
    assert str(exc.value).startswith("not a docdb .mdb file")
    assert not isinstance(exc.value, CorruptLogError)


def test_byte_flipped_anywhere_in_a_middle_record_is_corruption(tmp_path):
    data, starts = _log_bytes(RECORDS)
    middle, after = starts[1], starts[2]
    path = tmp_path / "flip.mdb"
    for position in range(middle, after):
        damaged = bytearray(data)
        damaged[position] ^= 0xFF
        path.write_bytes(bytes(damaged))
        reader = read_log(str(path))
        with pytest.raises(CorruptLogError) as exc:
            list(reader)
        assert exc.value.offset == middle, position
        assert f"valid record follows at offset {after}" in str(exc.value)
        assert reader.valid_end is None


@pytest.mark.parametrize("new_length", [0, 7, 10_000, 0xFFFFFFFF], ids=lambda n: f"len-{n}")
def test_corrupt_length_of_a_middle_record_is_not_a_torn_tail(tmp_path, new_length):
    data, starts = _log_bytes(RECORDS)
    damaged = bytearray(data)
    damaged[starts[1] : starts[1] + 4] = new_length.to_bytes(4, "little")
    path = tmp_path / "len.mdb"
    path.write_bytes(bytes(damaged))
    with pytest.raises(CorruptLogError) as exc:
        list(read_log(str(path)))
    assert exc.value.offset == starts[1]
    assert str(exc.value).startswith(f"corrupt record at offset {starts[1]}: ")


def test_corruption_far_from_the_end_is_found_quickly(tmp_path):
    records = [
        (RecordType.WRITE_BATCH, encode_document({"ops": [], "i": i, "pad": "p" * 200})) for i in range(5000)
    ]
    data, starts = _log_bytes(records)
    damaged = bytearray(data)
    damaged[starts[10] + 2] = 0x7F  # length ~8 MB: runs past the end, like a torn tail
    path = tmp_path / "early.mdb"
    path.write_bytes(bytes(damaged))
    with pytest.raises(CorruptLogError) as exc:
        list(read_log(str(path)))
    assert exc.value.offset == starts[10]
    assert f"valid record follows at offset {starts[11]}; " in str(exc.value)


def test_zeroed_tail_is_torn(tmp_path):
    data, starts = _log_bytes(RECORDS)
    path = tmp_path / "zeros.mdb"
    path.write_bytes(data + bytes(100_000))
    assert _read(path) == (RECORDS, len(data), 100_000)


def test_find_verifying_record_skips_false_starts():
    record = encode_record(RecordType.DROP_DATABASE, encode_document({"db": "x"}))
    lookalike = (20).to_bytes(4, "little") + bytes(5) + (20).to_bytes(4, "little") + bytes(16)
    buf = memoryview(bytes(50) + lookalike + record + bytes(3))
    assert find_verifying_record(buf, 0) == 50 + len(lookalike)
    assert find_verifying_record(buf, 51 + len(lookalike)) is None


# Hypothesis: whatever was appended and wherever the file was cut, recovery yields exactly a prefix.

_values = st.one_of(st.integers(-(2**63), 2**63 - 1), st.binary(max_size=40), st.text(max_size=20))
_documents = st.dictionaries(st.text(alphabet="abcxyz", min_size=1, max_size=3), _values, max_size=4)
_ops = st.lists(st.fixed_dictionaries({"ns": st.just("db.c"), "put": _documents}), max_size=3)
_payloads = st.fixed_dictionaries({"ops": _ops}).map(encode_document)
_records = st.lists(st.tuples(st.sampled_from(list(RecordType)), _payloads), max_size=12)


@pytest.fixture(scope="module")
def scratch(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("prop") / "p.mdb"


@settings(max_examples=300, deadline=None)
@given(records=_records, cut_fraction=st.floats(0, 1))
def test_any_truncation_yields_exactly_a_prefix(scratch, records, cut_fraction):
    data, starts = _log_bytes(records)
    cut = round(len(data) * cut_fraction)
    scratch.write_bytes(data[:cut])
    got, valid_end, torn = _read(scratch)
    complete = [i for i, start in enumerate(starts) if start + 9 + len(records[i][1]) <= cut]
    assert got == records[: len(complete)]
    expected_end = (starts + [len(data)])[len(complete)] if cut >= HEADER_SIZE else 0
    assert (valid_end, torn) == (expected_end, cut - expected_end)


@settings(max_examples=200, deadline=None)
@given(records=_records.filter(lambda r: len(r) >= 2), data=st.data())
def test_any_damaged_record_before_the_last_is_corruption(scratch, records, data):
    raw, starts = _log_bytes(records)
    index = data.draw(st.integers(0, len(records) - 2), label="record")
    position = data.draw(st.integers(starts[index], starts[index + 1] - 1), label="position")
    damaged = bytearray(raw)
    damaged[position] ^= data.draw(st.integers(1, 255), label="xor")
    scratch.write_bytes(bytes(damaged))
    with pytest.raises(CorruptLogError) as exc:
        list(read_log(str(scratch)))
    assert exc.value.offset == starts[index]
