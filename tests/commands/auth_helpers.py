"""Shared by the auth tests: a server with --auth whose root user exists, clients for users, a hand-made
SCRAM client for conversations PyMongo hides (speculative auth, the empty exchange)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from typing import Any
from urllib.parse import quote_plus

import pymongo

from tests.serverproc import ServerProcess

ROOT_USER, ROOT_PWD = "root", "s3cret!"


def user_client(server: ServerProcess, user: str, pwd: str, **options: Any) -> pymongo.MongoClient:
    """A client that authenticates as ``user`` (authSource admin unless given)."""
    options.setdefault("authSource", "admin")
    options.setdefault("serverSelectionTimeoutMS", 5000)
    uri = f"mongodb://{quote_plus(user)}:{quote_plus(pwd)}@127.0.0.1:{server.port}/?directConnection=true"
    return pymongo.MongoClient(uri, **options)


class ScramClient:
    """The client side of RFC 5802, enough to drive the server's conversation step by step."""

    def __init__(self, user: str, password: str, mechanism: str = "SCRAM-SHA-256") -> None:
        self.user, self.mechanism = user, mechanism
        self.hash_name = "sha256" if mechanism == "SCRAM-SHA-256" else "sha1"
        self.password = (
            password
            if mechanism == "SCRAM-SHA-256"
            else hashlib.md5(f"{user}:mongo:{password}".encode()).hexdigest()
        )
        self.nonce = base64.b64encode(os.urandom(24)).decode()
        self.bare = f"n={user.replace('=', '=3D').replace(',', '=2C')},r={self.nonce}"

    def first(self) -> bytes:
        return f"n,,{self.bare}".encode()

    def final(self, server_first: bytes) -> bytes:
        fields = dict(item.split("=", 1) for item in server_first.decode().split(","))
        salted = hashlib.pbkdf2_hmac(
            self.hash_name, self.password.encode(), base64.b64decode(fields["s"]), int(fields["i"])
        )
        without_proof = f"c=biws,r={fields['r']}"
        auth_message = f"{self.bare},{server_first.decode()},{without_proof}".encode()
        client_key = hmac.digest(salted, b"Client Key", self.hash_name)
        stored_key = hashlib.new(self.hash_name, client_key).digest()
        signature = hmac.digest(stored_key, auth_message, self.hash_name)
        proof = bytes(a ^ b for a, b in zip(client_key, signature, strict=True))
        server_key = hmac.digest(salted, b"Server Key", self.hash_name)
        self.expected_server_signature = base64.b64encode(
            hmac.digest(server_key, auth_message, self.hash_name)
        ).decode()
        return f"{without_proof},p={base64.b64encode(proof).decode()}".encode()
