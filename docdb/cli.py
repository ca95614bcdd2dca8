"""Command-line entry points: ``docdb-server`` (the server) and ``docdb`` (file tools)."""

from __future__ import annotations

import logging
import os
import sys
from typing import Any, NoReturn

import click

from docdb import __version__
from docdb.config import ServerConfig
from docdb.errors import StorageError


def _configure_logging(level: str) -> None:
    logging.basicConfig(
        level=getattr(logging, level.upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


@click.command(context_settings={"auto_envvar_prefix": "DOCDB", "help_option_names": ["-h", "--help"]})
@click.option(
    "--file",
    "file",
    type=click.Path(dir_okay=False),
    envvar="DOCDB_FILE",
    help="The .mdb data file (created if missing). Without it, data lives in memory only.",
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=27017,
    show_default=True,
    envvar="DOCDB_PORT",
    help="TCP port; 0 picks a free one (the ready line says which).",
)
@click.option(
    "--bind",
    default="127.0.0.1",
    show_default=True,
    envvar="DOCDB_BIND",
    help="Address to listen on (0.0.0.0 for all interfaces).",
)
@click.option(
    "--log-level",
    type=click.Choice(["debug", "info", "warning", "error"], case_sensitive=False),
    default="info",
    show_default=True,
    envvar="DOCDB_LOG_LEVEL",
)
@click.option(
    "--sync-interval-ms",
    type=click.IntRange(1, 60_000),
    default=100,
    show_default=True,
    envvar="DOCDB_SYNC_INTERVAL_MS",
    help="Longest time between fsyncs of the data file.",
)
@click.option(
    "--sync",
    "sync_mode",
    type=click.Choice(["interval", "always"]),
    default="interval",
    show_default=True,
    envvar="DOCDB_SYNC",
    help="'always' makes every write wait for its fsync.",
)
@click.option(
    "--encryption-key-file",
    type=click.Path(dir_okay=False, exists=True),
    envvar="DOCDB_ENCRYPTION_KEY_FILE",
    help="Encrypt the data file at rest: 32 raw key bytes, or a passphrase (stretched with scrypt).",
)
@click.option(
    "--compaction-min-mb",
    type=click.FloatRange(0),
    default=16.0,
    show_default=True,
    envvar="DOCDB_COMPACTION_MIN_MB",
    help="Automatic compaction only for a data file at least this big.",
)
@click.option(
    "--compaction-dead-ratio",
    type=click.FloatRange(0.0, 1.0, min_open=True),
    default=0.5,
    show_default=True,
    envvar="DOCDB_COMPACTION_DEAD_RATIO",
    help="Automatic compaction when this fraction of the file is dead (superseded or deleted) bytes.",
)
@click.option(
    "--compaction-check-s",
    type=click.FloatRange(0),
    default=5.0,
    show_default=True,
    envvar="DOCDB_COMPACTION_CHECK_S",
    help="How often to check the compaction thresholds; 0 turns automatic compaction off.",
)
@click.option(
    "--ttl-monitor-interval-s",
    type=click.FloatRange(0),
    default=60.0,
    show_default=True,
    envvar="DOCDB_TTL_MONITOR_INTERVAL_S",
    help="How often documents expired by TTL indexes are deleted; 0 turns the monitor off.",
)
@click.option(
    "--column-cache-mb",
    type=click.FloatRange(0),
    default=256.0,
    show_default=True,
    envvar="DOCDB_COLUMN_CACHE_MB",
    help="Memory for the columns that unindexed scans and $group use (0: always scan rows).",
)
@click.option(
    "--replica-set",
    envvar="DOCDB_REPLICA_SET",
    help="Run as the primary of a one-member replica set of this name (sessions with transactions).",
)
@click.option(
    "--advertise-host",
    envvar="DOCDB_ADVERTISE_HOST",
    help="HOST[:PORT] that hello names as this member (default localhost:<port>).",
)
@click.option(
    "--tls-mode",
    type=click.Choice(["disabled", "allowTLS", "preferTLS", "requireTLS"]),
    default="disabled",
    show_default=True,
    envvar="DOCDB_TLS_MODE",
    help="TLS on the listening port, as mongod's --tlsMode (allow/prefer: TLS and plaintext both served).",
)
@click.option(
    "--tls-cert-key-file",
    type=click.Path(dir_okay=False, exists=True),
    envvar="DOCDB_TLS_CERT_KEY_FILE",
    help="PEM file with the server's certificate and private key.",
)
@click.option(
    "--tls-ca-file",
    type=click.Path(dir_okay=False, exists=True),
    envvar="DOCDB_TLS_CA_FILE",
    help="PEM CA bundle: client certificates are then requested and verified.",
)
@click.option(
    "--tls-allow-connections-without-certificates",
    is_flag=True,
    envvar="DOCDB_TLS_ALLOW_CONNECTIONS_WITHOUT_CERTIFICATES",
    help="With --tls-ca-file: a client without a certificate may still connect.",
)
@click.option(
    "--enable-test-commands",
    is_flag=True,
    envvar="DOCDB_ENABLE_TEST_COMMANDS",
    help="Allow test-only commands (configureFailPoint), as mongod's --setParameter enableTestCommands=1.",
)
@click.option(
    "--set-parameter",
    "--setParameter",
    "set_parameters",
    multiple=True,
    metavar="NAME=VALUE",
    help="Set a server parameter at start-up, as mongod's --setParameter (repeatable).",
)
@click.option(
    "--max-connections",
    type=click.IntRange(1),
    default=1_000_000,
    show_default=True,
    envvar="DOCDB_MAX_CONNECTIONS",
    help="Most simultaneous client connections (at most 80% of the open-file limit, as mongod); "
    "more are refused and logged.",
)
@click.option(
    "--oplog-size-mb",
    type=click.FloatRange(min=1.0),
    default=256.0,
    show_default=True,
    envvar="DOCDB_OPLOG_SIZE_MB",
    help="How much change history is kept (memory, and the end of the .mdb file replayed into it at "
    "start-up): how far back change streams can resume.",
)
@click.option(
    "--auth",
    is_flag=True,
    envvar="DOCDB_AUTH",
    help="Require authentication (SCRAM) and check each command against the user's roles.",
)
@click.version_option(__version__, prog_name="docdb-server")
def server_main(
    file: str | None,
    port: int,
    bind: str,
    log_level: str,
    sync_interval_ms: int,
    sync_mode: str,
    encryption_key_file: str | None,
    compaction_min_mb: float,
    compaction_dead_ratio: float,
    compaction_check_s: float,
    ttl_monitor_interval_s: float,
    column_cache_mb: float,
    replica_set: str | None,
    advertise_host: str | None,
    tls_mode: str,
    tls_cert_key_file: str | None,
    tls_ca_file: str | None,
    tls_allow_connections_without_certificates: bool,
    enable_test_commands: bool,
    set_parameters: tuple[str, ...],
    max_connections: int,
    oplog_size_mb: float,
    auth: bool,
) -> None:
    """Run a docdb server that MongoDB clients connect to."""
    from docdb.server.parameters import ServerParameters, StartupParameterError
    from docdb.server.server import run_server

    try:
        ServerParameters.at_startup(enable_test_commands, set_parameters)
    except StartupParameterError as error:
        raise click.UsageError(str(error)) from None

    _configure_logging(log_level)
    config = ServerConfig(
        file=file,
        bind=bind,
        port=port,
        log_level=log_level,
        sync_interval_ms=sync_interval_ms,
        sync_always=sync_mode == "always",
        encryption_key_file=encryption_key_file,
        compaction_min_bytes=int(compaction_min_mb * (1 << 20)),
        compaction_dead_ratio=compaction_dead_ratio,
        compaction_check_s=compaction_check_s,
        ttl_monitor_interval_s=ttl_monitor_interval_s,
        column_cache_mb=column_cache_mb,
        replica_set=replica_set or None,
        advertise_host=advertise_host or None,
        tls_mode=tls_mode,
        tls_cert_key_file=tls_cert_key_file,
        tls_ca_file=tls_ca_file,
        tls_allow_connections_without_certificates=tls_allow_connections_without_certificates,
        enable_test_commands=enable_test_commands,
        set_parameters=set_parameters,
        max_connections=max_connections,
        oplog_size_mb=oplog_size_mb,
        auth=auth,
    )
    try:
        run_server(config)
    except StorageError as error:
        logging.getLogger("docdb").error("cannot start: %s", error)
        sys.exit(2)
    except OSError as error:
        logging.getLogger("docdb").error("cannot start: %s", error)
        sys.exit(1)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="docdb")
def tools_main() -> None:
    """docdb file tools. Exit codes: 0 healthy/done, 1 damaged, 2 cannot read or refused."""


_KEY_OPTION = click.option(
    "--encryption-key-file",
    "key_file",
    type=click.Path(dir_okay=False, exists=True),
    envvar="DOCDB_ENCRYPTION_KEY_FILE",
    help="Key of an encrypted file (32 raw bytes or a passphrase).",
)
_FILE_ARG = click.argument("file", type=click.Path(dir_okay=False, exists=True))


def _key(key_file: str | None) -> bytes | None:
    from docdb.engine.log.crypto import read_key_file

    return read_key_file(key_file) if key_file else None


def _fail(error: Exception) -> NoReturn:
    click.echo(f"error: {error}", err=True)
    sys.exit(2)


@tools_main.command()
@_FILE_ARG
@_KEY_OPTION
def verify(file: str, key_file: str | None) -> None:
    """Check every record of FILE (read-only); exit 0 when healthy, 1 when damaged."""
    from docdb.tools.verify import verify_file

    try:
        with _progress(os.path.getsize(file), "verifying") as bar:
            report = verify_file(file, _key(key_file), bar.update)
    except StorageError as error:
        _fail(error)
    click.echo(f"file: {report.path} ({report.size} bytes{', encrypted' if report.encrypted else ''})")
    click.echo(f"records: {report.records} ({report.record_bytes} bytes)")
    if report.collections is None:
        click.echo("collections: not counted (encrypted; pass --encryption-key-file)")
    else:
        for ns, count in sorted(report.collections.items()):
            click.echo(f"collection {ns}: {count} live documents")
        click.echo(f"dead bytes: {report.dead_bytes}")
    if report.torn_bytes:
        click.echo(f"torn tail: {report.torn_bytes} bytes (cut off at the next start; no data lost)")
    for region in report.bad_regions:
        if not region.torn:
            click.echo(f"corrupt: bytes {region.offset}..{region.end} ({region.reason})")
    if report.replay_errors:
        click.echo(f"records that cannot be applied: {report.replay_errors}")
    if report.healthy:
        click.echo("healthy")
        return
    first = report.first_bad_offset
    click.echo(
        f"DAMAGED: first bad offset {first}; run `docdb repair {file}`" if first is not None else "DAMAGED"
    )
    sys.exit(1)


@tools_main.command()
@_FILE_ARG
@click.option("--out", type=click.Path(dir_okay=False), help="New file (default FILE.repaired.mdb).")
@_KEY_OPTION
def repair(file: str, out: str | None, key_file: str | None) -> None:
    """Salvage every verifying record of FILE into a new file; FILE itself is never modified."""
    from docdb.tools.repair import repair_file

    try:
        with _progress(os.path.getsize(file), "repairing") as bar:
            report = repair_file(file, out, _key(key_file), bar.update)
    except StorageError as error:
        _fail(error)
    click.echo(
        f"wrote {report.out}: {report.kept} records kept, {report.skipped_bytes} damaged bytes skipped "
        f"in {report.bad_regions} region(s), {report.dropped_unappliable} record(s) that could not be applied"
    )


@tools_main.command()
@_FILE_ARG
@click.option("--encrypt", is_flag=True, help="Encrypt a plain file with --encryption-key-file.")
@click.option("--decrypt", is_flag=True, help="Decrypt an encrypted file (its key is needed).")
@_KEY_OPTION
def compact(file: str, encrypt: bool, decrypt: bool, key_file: str | None) -> None:
    """Rewrite FILE (not in use by a server) as just its live documents."""
    from docdb.tools.compact import compact_file

    try:
        with _progress(os.path.getsize(file), "compacting") as bar:
            result = compact_file(file, _key(key_file), encrypt=encrypt, decrypt=decrypt, progress=bar.update)
    except StorageError as error:
        _fail(error)
    state = "encrypted" if result.encrypted else "not encrypted"
    click.echo(
        f"compacted {file}: {result.old_size} -> {result.new_size} bytes, "
        f"{result.documents} documents, {state}"
    )


def _progress(length: int, label: str) -> Any:
    """A progress bar on stderr (click draws it only on a terminal)."""
    return click.progressbar(length=max(1, length), label=label, file=sys.stderr)
