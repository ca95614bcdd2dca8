"""The SCRAM payload parsers against arbitrary and mutated input (hypothesis): they either accept or raise
ScramFailure — never another exception — and a mutated proof never authenticates. Also RFC 7677's and
RFC 5802's published example conversations, and SASLprep's RFC 4013 examples."""

from __future__ import annotations

import base64

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from docdb.server.auth.saslprep import SaslPrepError, saslprep
from docdb.server.auth.scram import ScramConversation, ScramFailure, keys_from_secret, parse_client_first
from tests.commands.auth_helpers import ScramClient

FUZZ = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SALT = b"\x01" * 28
CREDS = keys_from_secret("SCRAM-SHA-256", b"pencil", SALT, 4096)


def _conversation(first: bytes) -> ScramConversation:
    user, nonce, bare = parse_client_first(first)
    return ScramConversation("SCRAM-SHA-256", CREDS, nonce, bare)


@FUZZ
@given(st.binary(max_size=200))
def test_client_first_parser_accepts_or_fails_cleanly(payload):
    try:
        user, nonce, bare = parse_client_first(payload)
    except ScramFailure:
        return
    assert user and len(nonce) >= 4 and bare


@FUZZ
@given(
    st.lists(
        st.sampled_from(["n", "y", "p=tls", "a=u", "n=u", "r=abcdef", "m=x", "", "=2C", "=3D"]), max_size=6
    )
)
def test_client_first_parser_on_structured_fields(fields):
    try:
        parse_client_first(",".join(fields).encode())
    except ScramFailure:
        pass


@FUZZ
@given(st.binary(max_size=300))
def test_client_final_parser_accepts_or_fails_cleanly(payload):
    conversation = _conversation(b"n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL")
    with pytest.raises(ScramFailure):
        conversation.finish(payload)  # random bytes never carry the right nonce and proof


@FUZZ
@given(st.integers(min_value=0, max_value=400), st.integers(min_value=1, max_value=255))
def test_a_mutated_client_final_never_authenticates(position, flip):
    """Any changed byte fails, except one that leaves the decoded proof the same."""
    client = ScramClient("user", "pencil")
    conversation = _conversation(client.first())
    server_first = conversation.server_first.encode()
    final = bytearray(client.final(server_first))
    index = position % len(final)
    final[index] ^= flip
    try:
        conversation.finish(bytes(final))
    except ScramFailure:
        return
    # Only a change base64 ignores may pass: the unused low bits of the proof's last character.
    original = client.final(server_first)
    head, _, proof = bytes(final).rpartition(b",p=")
    assert head == original.rpartition(b",p=")[0]
    assert base64.b64decode(proof) == base64.b64decode(original.rpartition(b",p=")[2])


def test_rfc7677_example_conversation():
    """RFC 7677 §3: user "user", password "pencil", the exact messages."""
    salt = base64.b64decode("W22ZaJ0SNY7soEsUEjb6gQ==")
    creds = keys_from_secret("SCRAM-SHA-256", b"pencil", salt, 4096)
    user, nonce, bare = parse_client_first(b"n,,n=user,r=rOprNGfwEbeRWgbNEkqO")
    conversation = ScramConversation("SCRAM-SHA-256", creds, nonce, bare)
    conversation.nonce = "rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"
    conversation.server_first = f"r={conversation.nonce},s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"
    conversation.auth_message = f"{bare},{conversation.server_first}"
    final = (
        b"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
        b"p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
    )
    assert conversation.finish(final) == "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="


def test_rfc5802_sha1_example_conversation():
    salt = base64.b64decode("QSXCR+Q6sek8bf92")
    creds = keys_from_secret("SCRAM-SHA-1", b"pencil", salt, 4096)
    user, nonce, bare = parse_client_first(b"n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL")
    conversation = ScramConversation("SCRAM-SHA-1", creds, nonce, bare)
    conversation.nonce = "fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j"
    conversation.server_first = f"r={conversation.nonce},s=QSXCR+Q6sek8bf92,i=4096"
    conversation.auth_message = f"{bare},{conversation.server_first}"
    final = b"c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts="
    assert conversation.finish(final) == "v=rmF9pqV8S7suAoZWja4dJRkFsKQ="


@pytest.mark.parametrize(
    "text,prepared",
    [
        ("I\u00adX", "IX"),
        ("user", "user"),
        ("USER", "USER"),
        ("\u00aa", "a"),
        ("\u2168", "IX"),
        ("a\u00a0b", "a b"),
    ],
)
def test_saslprep_rfc4013_examples(text, prepared):
    assert saslprep(text) == prepared


@pytest.mark.parametrize("text", ["\u0007", "\u0627\u0031"])
def test_saslprep_rejects_prohibited_and_bad_bidi(text):
    with pytest.raises(SaslPrepError):
        saslprep(text)


@FUZZ
@given(st.text(max_size=40))
def test_saslprep_accepts_or_refuses_cleanly(text):
    try:
        prepared = saslprep(text)
    except SaslPrepError:
        return
    assert saslprep(prepared) == prepared  # idempotent on its own output
