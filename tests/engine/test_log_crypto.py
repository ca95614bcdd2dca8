"""Encryption at rest: sealed payloads stay BSON-framed, need the right key, and hide the plaintext."""

from __future__ import annotations

import pytest

from docdb.bson_codec import encode_document
from docdb.engine.log.crypto import cipher_for_header, new_cipher, read_key_file
from docdb.engine.log.record import FLAG_ENCRYPTED, RecordType, decode_file_header, looks_like_bson
from docdb.engine.log.recovery import read_log
from docdb.engine.log.writer import LogWriter
from docdb.errors import StorageError

RAW_KEY = bytes(range(32))
SECRET = encode_document({"ops": [{"ns": "db.c", "put": {"_id": 1, "card": "4111-1111-1111-1111"}}]})


def test_sealed_payload_is_bson_framed_and_opens():
    cipher = new_cipher(RAW_KEY)
    sealed = cipher.seal(RecordType.WRITE_BATCH, SECRET)
    assert looks_like_bson(sealed, 0, len(sealed))
    assert b"4111" not in sealed
    assert len(sealed) == len(SECRET) + 33 + 16
    assert cipher.open(RecordType.WRITE_BATCH, sealed) == SECRET


def test_nonces_are_unique_per_record():
    cipher = new_cipher(RAW_KEY)
    assert cipher.seal(1, SECRET) != cipher.seal(1, SECRET)


def test_record_type_is_authenticated():
    cipher = new_cipher(RAW_KEY)
    sealed = cipher.seal(RecordType.WRITE_BATCH, SECRET)
    with pytest.raises(StorageError, match="failed authentication"):
        cipher.open(RecordType.DROP_DATABASE, sealed)


def test_raw_key_check():
    cipher = new_cipher(RAW_KEY)
    assert cipher_for_header(cipher.extra, RAW_KEY, "f").open(1, cipher.seal(1, SECRET)) == SECRET
    with pytest.raises(StorageError, match="wrong encryption key for f"):
        cipher_for_header(cipher.extra, bytes(32), "f")
    with pytest.raises(StorageError, match="f is encrypted: start with --encryption-key-file"):
        cipher_for_header(cipher.extra, None, "f")


def test_passphrase_is_stretched_with_a_random_salt():
    one, two = new_cipher(b"correct horse"), new_cipher(b"correct horse")
    assert one.extra[0] == 1 and one.extra[1] == 15
    assert one.extra[4:20] != two.extra[4:20]  # salts differ
    again = cipher_for_header(one.extra, b"correct horse", "f")
    assert again.open(2, one.seal(2, SECRET)) == SECRET
    with pytest.raises(StorageError, match="wrong encryption key"):
        cipher_for_header(one.extra, b"battery staple", "f")


def test_key_file_raw_or_passphrase(tmp_path):
    raw = tmp_path / "raw"
    raw.write_bytes(b"\n" * 32)  # 32 bytes are a raw key, even if they look like whitespace
    assert read_key_file(str(raw)) == b"\n" * 32
    phrase = tmp_path / "phrase"
    phrase.write_bytes(b"  my passphrase\n")
    assert read_key_file(str(phrase)) == b"my passphrase"
    empty = tmp_path / "empty"
    empty.write_bytes(b"\n")
    with pytest.raises(StorageError, match="is empty"):
        read_key_file(str(empty))


def test_writer_and_reader_round_trip_without_plaintext_on_disk(tmp_path):
    path = str(tmp_path / "e.mdb")
    writer = LogWriter(path, cipher=new_cipher(b"pass"))
    writer.append(RecordType.WRITE_BATCH, SECRET)
    writer.close()
    data = (tmp_path / "e.mdb").read_bytes()
    assert b"4111" not in data and b"card" not in data
    assert decode_file_header(data[:64]).flags == FLAG_ENCRYPTED
    assert list(read_log(path, b"pass")) == [(RecordType.WRITE_BATCH, SECRET)]
    with pytest.raises(StorageError, match="wrong encryption key"):
        read_log(path, b"nope")
    with pytest.raises(StorageError, match="is encrypted"):
        read_log(path)


def test_writer_refuses_a_mismatched_file(tmp_path):
    plain = str(tmp_path / "p.mdb")
    LogWriter(plain).close()
    with pytest.raises(StorageError, match="is not encrypted"):
        LogWriter(plain, cipher=new_cipher(RAW_KEY))
    with pytest.raises(StorageError, match="is not encrypted; encrypt it with `docdb compact --encrypt`"):
        read_log(plain, RAW_KEY).cipher_for_writer(RAW_KEY)
