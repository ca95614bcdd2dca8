"""The server process: open the data file, listen, serve, and stop gracefully.

Shutdown order (SIGINT/SIGTERM): stop accepting, let queued commands finish (bounded wait), close
connections, then flush + fsync the log and release the file lock — so every acknowledged write is on disk
when the process exits 0.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
import socket
import time
from functools import partial

from docdb.config import ServerConfig
from docdb.engine import columns, js
from docdb.engine.catalog import Catalog
from docdb.engine.compaction import Compactor
from docdb.engine.log.crypto import read_key_file
from docdb.engine.system_collections import install_system_collections
from docdb.protocol import available_compressors
from docdb.server import commands, transactions  # noqa: F401  (commands registers every command)
from docdb.server.connection import MongoProtocol
from docdb.server.context import ServerState
from docdb.server.cursors import CursorRegistry
from docdb.server.parameters import ServerParameters
from docdb.server.replica_set import ReplicaSet, advertised_address
from docdb.server.startup_log import startup_document
from docdb.server.tls import TlsListener, build_tls_settings
from docdb.server.ttl import run_ttl_monitor

log = logging.getLogger("docdb.server")

SHUTDOWN_GRACE_S = 0.5
REAP_INTERVAL_S = 60.0
# The cyclic collector's thresholds for a server process. The default (700, 10, 10) collects the young
# generation every 700 new containers: an insert batch of 1000 documents (its decoded documents alive
# while it runs, a history entry per document) set off several collections that walked the live batch,
# and the growing change history was walked again by frequent full collections. 50 000 lets a command's
# garbage die by reference count before a collection, and walks the long-lived history a quarter as
# often (bench/run.py insert_many: 1.8-2.1 -> 1.5-1.6 us server CPU per document); cyclic garbage waits
# for at most 50 000 allocations.
GC_THRESHOLDS = (50_000, 20, 20)


def connection_limit(configured: int) -> int:
    """``configured``, capped as mongod caps maxIncomingConnections: at 80% of the soft open-file limit
    (each connection is a descriptor; the rest are for the data file and the listener)."""
    try:
        import resource
    except ImportError:  # not a Unix: no descriptor limit to respect
        return configured
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return configured
    return max(1, min(configured, int(soft * 0.8)))


class Server:
    """One listening docdb server over one catalog."""

    def __init__(self, config: ServerConfig, catalog: Catalog | None = None) -> None:
        self.config = config
        self._own_catalog = catalog is None
        self.catalog = catalog
        self.state: ServerState | None = None
        self.connections: set[MongoProtocol] = set()
        self._server: asyncio.base_events.Server | None = None
        self._tls_listener: TlsListener | None = None
        self._stop = asyncio.Event()
        self._reaper: asyncio.Task[None] | None = None
        self._compaction_watch: asyncio.Task[None] | None = None
        self._ttl_monitor: asyncio.Task[None] | None = None
        self._metrics_server: asyncio.base_events.Server | None = None
        self.port: int | None = None

    async def start(self, *, handle_signals: bool = True) -> None:
        if handle_signals:
            self._install_signal_handlers()
        tls = build_tls_settings(
            self.config.tls_mode,
            self.config.tls_cert_key_file,
            self.config.tls_ca_file,
            self.config.tls_allow_connections_without_certificates,
        )
        if self.catalog is None:
            key_file = self.config.encryption_key_file
            self.catalog = Catalog.open(
                self.config.file,
                sync_interval_ms=self.config.sync_interval_ms,
                sync_always=self.config.sync_always,
                key=read_key_file(key_file) if key_file else None,
                history_bytes=int(self.config.oplog_size_mb * (1 << 20)),
            )
        install_system_collections(self.catalog, startup_document(self.config))
        compactor = Compactor(
            self.catalog,
            min_bytes=self.config.compaction_min_bytes,
            dead_ratio=self.config.compaction_dead_ratio,
        )
        columns.SETTINGS.max_bytes = int(self.config.column_cache_mb * (1 << 20))
        columns.SETTINGS.enabled = self.config.column_cache_mb > 0
        config = self.config
        js.configure(config.javascript_enabled, config.js_time_limit_ms, config.js_memory_limit_mb)
        compressors = tuple(c for c in self.config.compressors if c in available_compressors())
        self.state = ServerState(
            config=self.config,
            catalog=self.catalog,
            cursors=CursorRegistry(self.config.cursor_timeout_s),
            compressors=compressors,
            parameters=ServerParameters.at_startup(
                self.config.enable_test_commands, self.config.set_parameters
            ),
            max_connections=connection_limit(self.config.max_connections),
        )
        parameters = self.state.parameters
        if parameters.cursor_timeout_millis is not None:
            self.state.cursors.timeout_s = parameters.cursor_timeout_millis / 1000
        if tls.enabled:  # one port for TLS and (by mode) plaintext: our own accept loop peeks first
            sock = socket.create_server((self.config.bind, self.config.port), reuse_port=False, backlog=511)
            self._tls_listener = TlsListener(sock, tls, self._new_protocol)
            self._tls_listener.start()
        else:
            loop = asyncio.get_running_loop()
            self._server = await loop.create_server(
                self._new_protocol, self.config.bind, self.config.port, reuse_address=True
            )
            sock = self._server.sockets[0]
        host, self.port = sock.getsockname()[:2]
        if self.config.replica_set:
            me = advertised_address(self.config.advertise_host, self.port)
            self.state.replica_set = ReplicaSet(
                self.catalog, self.config.replica_set, me, self.port, bool(self.config.advertise_host)
            )
        self.state.sessions.on_kill = partial(transactions.kill_session, self.state)
        for sid in self.catalog.session_facts:  # sessions with retryable writes in the log expire as others
            self.state.sessions.touch(sid)
        self._reaper = asyncio.create_task(self._reap_cursors())
        parameters.ttl_sleep_changed = asyncio.Event()
        self._ttl_monitor = asyncio.create_task(
            run_ttl_monitor(
                self.catalog,
                lambda: parameters.ttl_monitor_sleep_secs or self.config.ttl_monitor_interval_s,
                lambda: parameters.ttl_monitor_enabled,
                parameters.ttl_sleep_changed,
            )
        )
        if self.catalog.writer is not None and self.config.compaction_check_s > 0:
            self._compaction_watch = asyncio.create_task(compactor.watch(self.config.compaction_check_s))
        if self.config.metrics_port is not None:  # imported only when asked for: start-up time matters
            from docdb.server.prometheus import serve_metrics

            self._metrics_server = await serve_metrics(self.state, self.config.bind, self.config.metrics_port)
        where = self.config.file if self.config.file else "(in memory, nothing persisted)"
        # mongod's own ready line (id 23016): what container wait strategies look for, e.g. testcontainers'
        # MongoDbContainer waits for "Waiting for connections" in the container's log. It comes before
        # docdb's own ready line, so whoever waits for that one has seen this one too.
        ssl = "off" if self.config.tls_mode == "disabled" else "on"
        attr = {"port": self.port, "ssl": ssl}
        log.info("Waiting for connections", extra={"mongo_id": 23016, "attr": attr, "ctx": "listener"})
        log.info("docdb-server ready: listening on %s:%d, file %s", host, self.port, where)

    def _new_protocol(self) -> MongoProtocol:
        assert self.state is not None
        proto = MongoProtocol(self.state, on_close=self.connections.discard)
        self.connections.add(proto)
        return proto

    async def _reap_cursors(self) -> None:
        assert self.state is not None
        while True:
            await asyncio.sleep(REAP_INTERVAL_S)
            self.state.cursors.reap_idle()
            self.state.log_limiter.flush()
            transactions.reap(self.state)

    def request_stop(self) -> None:
        self._stop.set()

    def _install_signal_handlers(self) -> None:
        """SIGINT/SIGTERM request a graceful stop; installed before anything else so that a signal during
        start-up (even while a large file loads) still ends in a clean exit 0, never a kill."""
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(sig, self.request_stop)
            except (NotImplementedError, RuntimeError):
                pass

    async def serve_until_stopped(self) -> None:
        await self._stop.wait()
        await self.shutdown()

    async def shutdown(self) -> None:
        log.info("shutting down")
        if self._server is not None:
            self._server.close()
        if self._tls_listener is not None:
            self._tls_listener.close()
        if self._metrics_server is not None:
            self._metrics_server.close()
        if self._reaper is not None:
            self._reaper.cancel()
        if self._ttl_monitor is not None:
            self._ttl_monitor.cancel()
        if self._compaction_watch is not None:
            self._compaction_watch.cancel()
        compaction = Compactor.of(self.catalog).task if self.catalog is not None else None
        if compaction is not None and not compaction.done():
            await asyncio.wait([compaction])  # the writer it swaps must not be closed under it
        deadline = time.monotonic() + SHUTDOWN_GRACE_S
        while any(not c.idle for c in self.connections) and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        for conn in list(self.connections):
            if conn.transport is not None:
                conn.transport.close()
        if self._own_catalog and self.catalog is not None:
            self.catalog.close()
        log.info("stopped")


def run_server(config: ServerConfig) -> None:
    """Run until SIGINT/SIGTERM; the event loop is uvloop's where installed."""
    try:
        import uvloop
    except ImportError:
        uvloop = None

    gc.set_threshold(*GC_THRESHOLDS)

    async def main() -> None:
        server = Server(config)
        await server.start()
        await server.serve_until_stopped()

    if uvloop is not None:
        uvloop.run(main())
    else:
        asyncio.run(main())
