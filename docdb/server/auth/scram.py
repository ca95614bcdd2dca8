"""SCRAM-SHA-1 and SCRAM-SHA-256 (RFC 5802 / RFC 7677) as mongod runs them, server side.

The server keeps only ``salt``, ``iterationCount``, ``storedKey`` and ``serverKey`` per mechanism (what
``createUser`` derives once); a conversation costs a few HMACs, never PBKDF2 — the client does that.
SCRAM-SHA-1 hashes mongod's legacy password digest ``md5("user:mongo:password")``; SCRAM-SHA-256 hashes
the SASLprep'd password.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from dataclasses import dataclass
from typing import Any

from docdb.errors import ErrorCode, MongoError
from docdb.server.auth.saslprep import SaslPrepError, saslprep

SCRAM_SHA_1 = "SCRAM-SHA-1"
SCRAM_SHA_256 = "SCRAM-SHA-256"
MECHANISMS = (SCRAM_SHA_1, SCRAM_SHA_256)


@dataclass(frozen=True, slots=True)
class Mechanism:
    """One SCRAM variant: its hash, mongod's default iteration count and salt length."""

    name: str
    hash_name: str
    iterations: int
    salt_len: int


MECHANISM_TABLE = {
    SCRAM_SHA_1: Mechanism(SCRAM_SHA_1, "sha1", 10_000, 16),
    SCRAM_SHA_256: Mechanism(SCRAM_SHA_256, "sha256", 15_000, 28),
}


def legacy_digest(user: str, password: str) -> str:
    """mongod's SCRAM-SHA-1 password: the hex MD5 of ``user:mongo:password``."""
    return hashlib.md5(f"{user}:mongo:{password}".encode()).hexdigest()  # noqa: S324 (the protocol's)


def prepare_password(mechanism: str, user: str, password: str) -> bytes:
    """The bytes PBKDF2 stretches for ``mechanism``."""
    if mechanism == SCRAM_SHA_1:
        return legacy_digest(user, password).encode()
    try:
        return saslprep(password).encode()
    except SaslPrepError as error:
        raise MongoError(ErrorCode.BadValue, f"Could not SASLprep password: {error}") from None


def make_credentials(
    mechanism: str, user: str, password: str, salt: bytes | None = None, iterations: int | None = None
) -> dict[str, Any]:
    """The stored credential document of one mechanism (base64 strings, as in mongod's system.users)."""
    return keys_from_secret(mechanism, prepare_password(mechanism, user, password), salt, iterations)


def keys_from_secret(
    mechanism: str, secret: bytes, salt: bytes | None = None, iterations: int | None = None
) -> dict[str, Any]:
    """Salt, iteration count, StoredKey and ServerKey from the prepared password bytes (``secret`` is
    the MD5 digest for SCRAM-SHA-1 even when the client digested it itself: ``digestPassword: false``)."""
    mech = MECHANISM_TABLE[mechanism]
    salt = os.urandom(mech.salt_len) if salt is None else salt
    iterations = mech.iterations if iterations is None else iterations
    salted = hashlib.pbkdf2_hmac(mech.hash_name, secret, salt, iterations)
    client_key = hmac.digest(salted, b"Client Key", mech.hash_name)
    return {
        "iterationCount": iterations,
        "salt": base64.b64encode(salt).decode(),
        "storedKey": base64.b64encode(hashlib.new(mech.hash_name, client_key).digest()).decode(),
        "serverKey": base64.b64encode(hmac.digest(salted, b"Server Key", mech.hash_name)).decode(),
    }


def usable_credentials(credentials: Any) -> bool:
    """Whether a stored credential document has what a conversation needs (a document written into
    admin.system.users by hand may not)."""
    if not isinstance(credentials, dict):
        return False
    try:
        base64.b64decode(credentials["storedKey"], validate=True)
        base64.b64decode(credentials["serverKey"], validate=True)
    except (KeyError, TypeError, binascii.Error, ValueError):
        return False
    count = credentials.get("iterationCount")
    return isinstance(credentials.get("salt"), str) and isinstance(count, int) and not isinstance(count, bool)


class ScramFailure(Exception):
    """A malformed message or a wrong proof; the command layer answers "Authentication failed."."""


def _decode_username(name: str) -> str:
    return name.replace("=2C", ",").replace("=3D", "=")


def parse_client_first(payload: bytes) -> tuple[str, str, str]:
    """``(user, client nonce, client-first-message-bare)`` of ``n,[a=authzid],n=user,r=nonce[,ext]``."""
    try:
        text = payload.decode()
    except UnicodeDecodeError:
        raise ScramFailure("client-first-message is not UTF-8") from None
    flag, sep, rest = text.partition(",")
    if not sep:
        raise ScramFailure("Incorrect number of arguments for first SCRAM client message")
    if flag.startswith("p="):
        raise ScramFailure("Server does not support channel binding")
    if flag not in ("y", "n"):
        raise ScramFailure(f"Incorrect SCRAM client message prefix: {flag}")
    authzid, sep, bare = rest.partition(",")
    if not sep:
        raise ScramFailure("Incorrect number of arguments for first SCRAM client message")
    if authzid and not authzid.startswith("a="):
        raise ScramFailure(f"Incorrect SCRAM authzid: {authzid}")
    if bare.startswith("m="):
        raise ScramFailure("SCRAM mandatory extensions are not supported")
    fields = [f for f in bare.split(",") if f]
    if len(fields) < 2:
        raise ScramFailure("Incorrect number of arguments for first SCRAM client message")
    if not fields[0].startswith("n=") or len(fields[0]) < 3:
        raise ScramFailure(f"Invalid SCRAM user name: {fields[0]}")
    user = _decode_username(fields[0][2:])
    if authzid and authzid[2:] != user:
        raise ScramFailure(f"SCRAM user name {user} does not match authzid {authzid[2:]}")
    if not fields[1].startswith("r=") or len(fields[1]) < 6:
        raise ScramFailure(f"Invalid SCRAM client nonce: {fields[1]}")
    return user, fields[1][2:], bare


class ScramConversation:
    """One client's SCRAM exchange against one user's stored credentials for ``mechanism``."""

    __slots__ = (
        "mechanism",
        "hash_name",
        "stored_key",
        "server_key",
        "nonce",
        "server_first",
        "auth_message",
        "step",
    )

    def __init__(self, mechanism: str, credentials: dict[str, Any], client_nonce: str, bare: str) -> None:
        self.mechanism = mechanism
        self.hash_name = MECHANISM_TABLE[mechanism].hash_name
        self.stored_key = base64.b64decode(credentials["storedKey"])
        self.server_key = base64.b64decode(credentials["serverKey"])
        self.nonce = client_nonce + base64.b64encode(os.urandom(24)).decode()
        self.step = 1
        self.server_first = f"r={self.nonce},s={credentials['salt']},i={credentials['iterationCount']}"
        self.auth_message = f"{bare},{self.server_first}"

    def finish(self, payload: bytes) -> str:
        """Check ``c=...,r=...,p=proof`` and return ``v=ServerSignature`` (raises ScramFailure)."""
        self.step = 2
        try:
            text = payload.decode()
        except UnicodeDecodeError:
            raise ScramFailure("client-final-message is not UTF-8") from None
        without_proof, sep, last = text.rpartition(",")
        if not sep:
            raise ScramFailure("Incorrect number of arguments for second SCRAM client message")
        if len(last) < 3 or not last.startswith("p="):
            raise ScramFailure(f"Incorrect SCRAM ClientProof: {last}")
        fields = [f for f in without_proof.split(",") if f]
        if len(fields) < 2:
            raise ScramFailure("Incorrect number of arguments for second SCRAM client message")
        if not fields[0].startswith("c=") or len(fields[0]) < 3:
            raise ScramFailure(f"Incorrect SCRAM channel binding: {fields[0]}")
        if fields[1] != f"r={self.nonce}":
            raise ScramFailure("Unmatched SCRAM nonce received from client in second step")
        try:
            proof = base64.b64decode(last[2:], validate=True)
        except (binascii.Error, ValueError):
            raise ScramFailure("Incorrect SCRAM ClientProof encoding") from None
        auth_message = f"{self.auth_message},{without_proof}".encode()
        signature = hmac.digest(self.stored_key, auth_message, self.hash_name)
        if len(proof) != len(signature):
            raise ScramFailure("SCRAM authentication failed, storedKey mismatch")
        client_key = bytes(a ^ b for a, b in zip(proof, signature, strict=True))
        if not hmac.compare_digest(hashlib.new(self.hash_name, client_key).digest(), self.stored_key):
            raise ScramFailure("SCRAM authentication failed, storedKey mismatch")
        server_signature = hmac.digest(self.server_key, auth_message, self.hash_name)
        return "v=" + base64.b64encode(server_signature).decode()
