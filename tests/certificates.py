"""Test certificates made with ``cryptography``: a CA, a server certificate for localhost/127.0.0.1, and
client certificates — so TLS tests need no files from outside."""

from __future__ import annotations

import datetime
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


@dataclass(frozen=True)
class Pki:
    ca_file: Path
    server_pem: Path  # certificate + key
    client_pem: Path  # certificate + key, signed by the CA
    rogue_client_pem: Path  # certificate + key from a CA the server does not trust
    client_subject: str


def _name(**parts: str) -> x509.Name:
    oids = {
        "C": NameOID.COUNTRY_NAME,
        "O": NameOID.ORGANIZATION_NAME,
        "OU": NameOID.ORGANIZATIONAL_UNIT_NAME,
        "CN": NameOID.COMMON_NAME,
    }
    return x509.Name([x509.NameAttribute(oids[k], v) for k, v in parts.items()])


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _cert(
    subject: x509.Name,
    key: ec.EllipticCurvePrivateKey,
    issuer: x509.Name,
    issuer_key: ec.EllipticCurvePrivateKey,
    *,
    ca: bool = False,
    san: list[x509.GeneralName] | None = None,
    usage: list[x509.ObjectIdentifier] | None = None,
) -> x509.Certificate:
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if san:
        builder = builder.add_extension(x509.SubjectAlternativeName(san), critical=False)
    if usage:
        builder = builder.add_extension(x509.ExtendedKeyUsage(usage), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def _pem(cert: x509.Certificate, key: ec.EllipticCurvePrivateKey | None = None) -> bytes:
    out = cert.public_bytes(serialization.Encoding.PEM)
    if key is not None:
        out += key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    return out


def make_pki(directory: Path) -> Pki:
    """Write a CA, a server and two client certificates under ``directory``."""
    ca_key, rogue_key = _key(), _key()
    ca_name, rogue_name = _name(CN="docdb test CA"), _name(CN="rogue CA")
    ca = _cert(ca_name, ca_key, ca_name, ca_key, ca=True)
    rogue_ca = _cert(rogue_name, rogue_key, rogue_name, rogue_key, ca=True)
    server_key, client_key, rogue_client_key = _key(), _key(), _key()
    server = _cert(
        _name(CN="localhost"),
        server_key,
        ca_name,
        ca_key,
        san=[x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))],
        usage=[ExtendedKeyUsageOID.SERVER_AUTH],
    )
    client_name = _name(C="US", O="docdb", OU="tests", CN="app-client")
    client = _cert(client_name, client_key, ca_name, ca_key, usage=[ExtendedKeyUsageOID.CLIENT_AUTH])
    rogue = _cert(_name(CN="intruder"), rogue_client_key, rogue_name, rogue_key)
    paths = Pki(
        directory / "ca.pem",
        directory / "server.pem",
        directory / "client.pem",
        directory / "rogue.pem",
        client_name.rfc4514_string(),
    )
    paths.ca_file.write_bytes(_pem(ca))
    paths.server_pem.write_bytes(_pem(server, server_key))
    paths.client_pem.write_bytes(_pem(client, client_key))
    paths.rogue_client_pem.write_bytes(_pem(rogue, rogue_client_key) + _pem(rogue_ca))
    return paths
