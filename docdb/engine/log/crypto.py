"""Encryption at rest: AES-256-GCM per record, the key check in the file header, and key files.

Invariant: a file whose header has the "encrypted" flag holds no plaintext document bytes; opening it
with a missing or wrong key fails before anything is read into memory or written.

- Key file: exactly 32 bytes are used as the key as they are; anything else is a passphrase (surrounding
  whitespace stripped) stretched with scrypt (N=2**15, r=8, p=1) and the file's 16-byte random salt.
- Header ``extra`` (44 bytes): ``kdf:u8`` (0 raw key, 1 scrypt) ``log2_n:u8`` ``reserved[2]``
  ``salt[16]`` ``key_check[16]`` ``zero[8]``. The key check is HMAC-SHA256(key, "docdb key check")
  truncated to 16 bytes: it identifies the key without revealing it.
- Record payload: the BSON document ``{n: BinData(0, nonce[12]), c: BinData(0, ciphertext+tag)}``, so
  the log's framing rule (a payload is one BSON document) keeps holding. The nonce is 12 random bytes
  per record (collision odds stay negligible far beyond any file's record count); the record type byte
  is the associated data, so a ciphertext cannot be replayed as another record type.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import struct

from docdb.errors import StorageError

KEY_SIZE = 32
NONCE_SIZE = 12
SALT_SIZE = 16
CHECK_SIZE = 16
KDF_RAW = 0
KDF_SCRYPT = 1
SCRYPT_LOG2_N = 15
_EXTRA = struct.Struct("<BB2x16s16s8x")  # exactly the header's 44 extra bytes
# {n: BinData(0, 12 bytes), c: BinData(0, ...)}: fixed prefix, then the ciphertext element.
_NONCE_ELEMENT = b"\x05n\x00" + struct.pack("<i", NONCE_SIZE) + b"\x00"
_CIPHER_HEAD = b"\x05c\x00"
_WRAPPER_OVERHEAD = 4 + len(_NONCE_ELEMENT) + NONCE_SIZE + len(_CIPHER_HEAD) + 5 + 1


class RecordCipher:
    """Seals and opens record payloads with one key; safe to share between threads."""

    def __init__(self, key: bytes, extra: bytes) -> None:
        if len(key) != KEY_SIZE:
            raise ValueError("an AES-256 key is 32 bytes")
        # cryptography is imported by the first cipher only: a server without encryption never loads it.
        from cryptography.exceptions import InvalidTag
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        self._invalid_tag = InvalidTag
        self._aead = AESGCM(key)
        self.extra = extra  # the header bytes that describe this key (kdf, salt, key check)

    def seal(self, rtype: int, payload: bytes) -> bytes:
        """The BSON wrapper holding ``payload`` encrypted under a fresh nonce."""
        nonce = os.urandom(NONCE_SIZE)
        sealed = self._aead.encrypt(nonce, payload, bytes((rtype,)))
        size = _WRAPPER_OVERHEAD + len(sealed)
        return b"".join(
            (
                struct.pack("<i", size),
                _NONCE_ELEMENT,
                nonce,
                _CIPHER_HEAD,
                struct.pack("<i", len(sealed)),
                b"\x00",
                sealed,
                b"\x00",
            )
        )

    def open(self, rtype: int, wrapper: bytes | memoryview) -> bytes:
        """The plaintext payload; StorageError when the wrapper is malformed or fails authentication."""
        view = memoryview(wrapper)
        head = len(_NONCE_ELEMENT) + 4
        if len(view) < _WRAPPER_OVERHEAD + 16 or bytes(view[4:head]) != _NONCE_ELEMENT:
            raise StorageError("encrypted record has a malformed wrapper")
        nonce = bytes(view[head : head + NONCE_SIZE])
        start = head + NONCE_SIZE + len(_CIPHER_HEAD) + 5
        try:
            return self._aead.decrypt(nonce, bytes(view[start:-1]), bytes((rtype,)))
        except self._invalid_tag:
            raise StorageError("encrypted record failed authentication (wrong key or tampered)") from None


def read_key_file(path: str) -> bytes:
    """The key material in ``path``: 32 raw bytes, or a passphrase (stripped of surrounding whitespace)."""
    try:
        with open(path, "rb") as f:
            material = f.read()
    except OSError as exc:
        raise StorageError(f"cannot read encryption key file {path}: {exc.strerror}") from exc
    if len(material) != KEY_SIZE:
        material = material.strip()
    if not material:
        raise StorageError(f"encryption key file {path} is empty")
    return material


def new_cipher(material: bytes) -> RecordCipher:
    """A cipher for a new file: a fresh salt when ``material`` is a passphrase."""
    if len(material) == KEY_SIZE:
        key, kdf, salt = material, KDF_RAW, bytes(SALT_SIZE)
    else:
        salt = os.urandom(SALT_SIZE)
        kdf = KDF_SCRYPT
        key = _scrypt(material, salt, SCRYPT_LOG2_N)
    extra = _EXTRA.pack(kdf, SCRYPT_LOG2_N if kdf == KDF_SCRYPT else 0, salt, key_check(key))
    return RecordCipher(key, extra)


def cipher_for_header(extra: bytes, material: bytes | None, path: str) -> RecordCipher:
    """The cipher that opens an encrypted file whose header carries ``extra``; StorageError if the key
    is missing or is not the one the file was written with."""
    if material is None:
        raise StorageError(f"{path} is encrypted: start with --encryption-key-file")
    kdf, log2_n, salt, check = _EXTRA.unpack_from(extra, 0)
    if kdf == KDF_RAW:
        if len(material) != KEY_SIZE:
            raise StorageError(f"wrong encryption key for {path}: it was written with a 32-byte raw key")
        key = material
    elif kdf == KDF_SCRYPT:
        if not 10 <= log2_n <= 22:
            raise StorageError(f"{path}: unsupported scrypt cost 2**{log2_n} in the header")
        key = _scrypt(material, salt, log2_n)
    else:
        raise StorageError(f"{path}: unknown key derivation {kdf} in the header")
    if not hmac.compare_digest(key_check(key), check):
        raise StorageError(f"wrong encryption key for {path} (the header's key check does not match)")
    return RecordCipher(key, extra)


def key_check(key: bytes) -> bytes:
    """16 bytes that identify ``key`` without revealing it."""
    return hmac.new(key, b"docdb key check", hashlib.sha256).digest()[:CHECK_SIZE]


def _scrypt(passphrase: bytes, salt: bytes, log2_n: int) -> bytes:
    return hashlib.scrypt(passphrase, salt=salt, n=1 << log2_n, r=8, p=1, maxmem=1 << 26, dklen=KEY_SIZE)
