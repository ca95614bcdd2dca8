"""Every server knob and its default, in one frozen value passed down from the CLI."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ServerConfig:
    """What ``docdb-server`` was started with.

    ``file`` None means an in-memory server (tests, embedding): nothing is persisted.
    ``port`` 0 asks the OS for a free port; the ready line names the one chosen.
    """

    file: str | None = None
    bind: str = "127.0.0.1"
    port: int = 27017
    log_level: str = "info"
    sync_interval_ms: int = 100
    sync_always: bool = False
    encryption_key_file: str | None = None  # 32 raw bytes or a passphrase; see docs/mdb-format.md
    compaction_min_bytes: int = 16 << 20  # automatic compaction needs a file at least this big ...
    compaction_dead_ratio: float = 0.5  # ... whose dead bytes are at least this fraction of it
    compaction_check_s: float = 5.0  # how often the automatic trigger looks (0 disables it)
    cursor_timeout_s: float = 600.0
    ttl_monitor_interval_s: float = 60.0  # how often expired documents of TTL indexes are deleted
    compressors: tuple[str, ...] = ("zlib",)
    column_cache_mb: float = 256.0  # columnar scan cache bound (engine/columns); 0 turns the path off
    replica_set: str | None = None  # --replica-set NAME: a one-member replica set (None: a standalone)
    advertise_host: str | None = None  # host[:port] that hello names; None: localhost:<port>
    tls_mode: str = "disabled"  # disabled | allowTLS | preferTLS | requireTLS (mongod's net.tls.mode)
    tls_cert_key_file: str | None = None  # the server's certificate and private key, PEM
    tls_ca_file: str | None = None  # CA for client certificates: then they are requested and verified
    tls_allow_connections_without_certificates: bool = False
    enable_test_commands: bool = False  # configureFailPoint (as mongod's enableTestCommands=1)
    set_parameters: tuple[str, ...] = ()  # NAME=VALUE server parameters (mongod's --setParameter)
    max_connections: int = 1_000_000  # mongod's maxIncomingConnections (capped at 80% of the fd limit)
    oplog_size_mb: float = 256.0  # the change history's budget (change streams' resume window, oplog.rs)
    auth: bool = False  # --auth: every command needs an authenticated user with the privilege for it
    javascript_enabled: bool = True  # --no-javascript: mongod's security.javascriptEnabled false
    js_time_limit_ms: int = 60_000  # one JS call's limit (mongod's internalQueryJavaScriptFnTimeoutMillis)
    js_memory_limit_mb: int = 100  # one JS scope's heap (mongod's internalQueryJavaScriptHeapSizeLimitMB)
    metrics_port: int | None = None  # --metrics-port: Prometheus text on http://<bind>:PORT/metrics
