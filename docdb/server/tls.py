"""TLS as mongod offers it: ``--tls-mode disabled|allowTLS|preferTLS|requireTLS`` on one port.

Why an accept loop of our own: in ``allowTLS``/``preferTLS`` one port serves plaintext and TLS clients, so
the server must look at a connection's first byte before it knows which it is, and bytes read from a
socket cannot be handed back to an SSL layer. Peeking (``MSG_PEEK``) leaves them in the kernel's buffer;
the socket then goes to ``loop.connect_accepted_socket`` with or without the SSL context. A TLS connection
opens with a handshake record: content type 22, then major version 3. A MongoDB message opens with its
little-endian int32 length; bytes 22, 3 would make it at least 790 bytes long, and no driver's first
message (hello) is anywhere near that, so the two bytes tell them apart.

In ``requireTLS`` a plaintext client is told nothing (it is not speaking TLS) and disconnected, with a
log line naming it; with ``disabled`` a TLS client is a malformed plaintext stream and the normal framing
closes it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass

from docdb.errors import StorageError

log = logging.getLogger("docdb.tls")

TLS_MODES = ("disabled", "allowTLS", "preferTLS", "requireTLS")
PEEK_TIMEOUT_S = 10.0  # a client that connects and sends nothing is dropped after this long
_TLS_HANDSHAKE = 22


@dataclass(frozen=True, slots=True)
class TlsSettings:
    """What ``--tls-*`` asked for; ``context`` is None when TLS is disabled."""

    mode: str
    context: ssl.SSLContext | None

    @property
    def enabled(self) -> bool:
        return self.context is not None


def build_tls_settings(
    mode: str,
    cert_key_file: str | None,
    ca_file: str | None,
    allow_without_certificates: bool,
) -> TlsSettings:
    """The server's SSL context, refusing a start that mongod refuses (TLS mode without a certificate)."""
    if mode not in TLS_MODES:
        raise StorageError(f"unknown --tls-mode {mode!r}; expected one of {', '.join(TLS_MODES)}")
    if mode == "disabled":
        return TlsSettings(mode, None)
    if not cert_key_file:
        raise StorageError(f"--tls-mode {mode} needs --tls-cert-key-file (the server's certificate and key)")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(cert_key_file)
        if ca_file:
            context.load_verify_locations(ca_file)
            # mongod: with a CA file, client certificates are requested and, unless connections without
            # them are allowed, required; a presented certificate is always verified.
            context.verify_mode = ssl.CERT_OPTIONAL if allow_without_certificates else ssl.CERT_REQUIRED
    except (OSError, ssl.SSLError) as error:
        raise StorageError(f"cannot load TLS files: {error}") from error
    return TlsSettings(mode, context)


def looks_like_tls(head: bytes) -> bool:
    """True when a connection's first bytes open a TLS handshake record (type 22, version 3.x).

    >>> looks_like_tls(bytes([22, 3, 1, 2, 0])), looks_like_tls(bytes([22, 0, 0, 0, 0xDD]))
    (True, False)
    """
    return len(head) >= 2 and head[0] == _TLS_HANDSHAKE and head[1] == 3


class TlsListener:
    """Accepts connections on ``sock`` and hands each to ``protocol_factory``, over TLS or not by mode."""

    def __init__(
        self,
        sock: socket.socket,
        settings: TlsSettings,
        protocol_factory: Callable[[], asyncio.Protocol],
    ) -> None:
        self.sock = sock
        self.settings = settings
        self.protocol_factory = protocol_factory
        self._task: asyncio.Task[None] | None = None
        self._pending: set[asyncio.Task[None]] = set()

    def start(self) -> None:
        self.sock.setblocking(False)
        self._task = asyncio.create_task(self._accept_loop())

    def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
        for task in list(self._pending):
            task.cancel()
        self.sock.close()

    async def _accept_loop(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            try:
                conn, _address = await loop.sock_accept(self.sock)
            except OSError as error:  # EMFILE and friends: keep listening
                log.warning("accept failed: %s", error)
                await asyncio.sleep(0.1)
                continue
            task = asyncio.create_task(self._admit(conn))
            self._pending.add(task)
            task.add_done_callback(self._pending.discard)

    async def _admit(self, conn: socket.socket) -> None:
        """Peek at the first bytes, then serve ``conn`` with TLS or plaintext as the mode allows."""
        peer = _describe(conn)
        try:
            head = await asyncio.wait_for(_peek(conn, 2), PEEK_TIMEOUT_S)
        except (asyncio.TimeoutError, OSError):
            conn.close()
            return
        if not head:
            conn.close()
            return
        tls = looks_like_tls(head)
        if not tls and self.settings.mode == "requireTLS":
            log.warning("closing connection %s: plaintext client on a requireTLS port", peer)
            conn.close()
            return
        loop = asyncio.get_running_loop()
        try:
            await loop.connect_accepted_socket(
                self.protocol_factory,
                conn,
                ssl=self.settings.context if tls else None,
                ssl_handshake_timeout=PEEK_TIMEOUT_S if tls else None,
            )
        except (OSError, ssl.SSLError, asyncio.TimeoutError) as error:
            log.warning("closing connection %s: TLS handshake failed: %s", peer, error)
            with contextlib.suppress(OSError):
                conn.close()


async def _peek(conn: socket.socket, count: int) -> bytes:
    """The first ``count`` bytes the peer sent (fewer if it closed), left unread in the socket."""
    loop = asyncio.get_running_loop()
    while True:
        try:
            data = conn.recv(count, socket.MSG_PEEK)
        except BlockingIOError:
            data = None
        if data is not None and (len(data) >= count or data == b""):
            return data
        if data:  # a partial record header: the rest is a packet away
            await asyncio.sleep(0.005)
            continue
        await _readable(loop, conn)


async def _readable(loop: asyncio.AbstractEventLoop, conn: socket.socket) -> None:
    ready: asyncio.Future[None] = loop.create_future()

    def wake() -> None:
        if not ready.done():
            ready.set_result(None)

    loop.add_reader(conn.fileno(), wake)
    try:
        await ready
    finally:
        loop.remove_reader(conn.fileno())


def certificate_subject(ssl_object: ssl.SSLObject) -> str | None:
    """The verified client certificate's subject as RFC 4514 text (MONGODB-X509's user name), or None."""
    der = ssl_object.getpeercert(binary_form=True)
    if not der:
        return None
    from cryptography import x509

    return x509.load_der_x509_certificate(der).subject.rfc4514_string()


def _describe(conn: socket.socket) -> str:
    try:
        host, port = conn.getpeername()[:2]
    except OSError:
        return "?"
    return f"{host}:{port}"
