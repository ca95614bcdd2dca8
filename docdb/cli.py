"""Command-line entry points: ``docdb-server`` (the server) and ``docdb`` (file tools)."""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections.abc import Iterator
from typing import Any, NoReturn

import click

from docdb import __version__
from docdb.config import ServerConfig
from docdb.errors import StorageError


def _configure_logging(level: str, fmt: str = "text") -> None:
    from docdb.server.log_format import configure

    configure(level, fmt, sys.stderr)


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
    "--log-format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    envvar="DOCDB_LOG_FORMAT",
    help="'json' writes mongod's structured log lines ({t, s, c, id, ctx, msg, attr}).",
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
    "--metrics-port",
    type=click.IntRange(0, 65535),
    envvar="DOCDB_METRICS_PORT",
    help="Serve Prometheus metrics on http://<bind>:PORT/metrics (0 picks a free port; off when unset).",
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
@click.option(
    "--no-javascript",
    is_flag=True,
    envvar="DOCDB_NO_JAVASCRIPT",
    help="Turn server-side JavaScript off ($where, $function, $accumulator, mapReduce), as mongod's "
    "security.javascriptEnabled: false.",
)
@click.option(
    "--js-time-limit-ms",
    type=click.IntRange(1),
    default=60_000,
    show_default=True,
    envvar="DOCDB_JS_TIME_LIMIT_MS",
    help="Time limit of one JavaScript call (mongod's internalQueryJavaScriptFnTimeoutMillis).",
)
@click.option(
    "--js-memory-limit-mb",
    type=click.IntRange(1),
    default=100,
    show_default=True,
    envvar="DOCDB_JS_MEMORY_LIMIT_MB",
    help="Heap limit of one JavaScript scope (mongod's internalQueryJavaScriptHeapSizeLimitMB).",
)
@click.version_option(__version__, prog_name="docdb-server")
def server_main(
    file: str | None,
    port: int,
    bind: str,
    log_level: str,
    log_format: str,
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
    metrics_port: int | None,
    max_connections: int,
    oplog_size_mb: float,
    auth: bool,
    no_javascript: bool,
    js_time_limit_ms: int,
    js_memory_limit_mb: int,
) -> None:
    """Run a docdb server that MongoDB clients connect to."""
    from docdb.server.parameters import ServerParameters, StartupParameterError
    from docdb.server.server import run_server

    try:
        ServerParameters.at_startup(enable_test_commands, set_parameters)
    except StartupParameterError as error:
        raise click.UsageError(str(error)) from None

    _configure_logging(log_level, log_format)
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
        metrics_port=metrics_port,
        max_connections=max_connections,
        oplog_size_mb=oplog_size_mb,
        auth=auth,
        javascript_enabled=not no_javascript,
        js_time_limit_ms=js_time_limit_ms,
        js_memory_limit_mb=js_memory_limit_mb,
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
    """docdb tools: for .mdb files (verify, repair, compact) and mongodump's family (dump, restore,
    export, import). Exit codes: 0 healthy/done, 1 damaged or stopped by --stopOnError, 2 cannot read
    or refused."""


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
@click.option(
    "--oplog-size-mb",
    type=click.FloatRange(min=1.0),
    default=256.0,
    show_default=True,
    envvar="DOCDB_OPLOG_SIZE_MB",
    help="A replica set's file keeps this much change history, as the server's --oplog-size-mb.",
)
@_KEY_OPTION
def compact(file: str, encrypt: bool, decrypt: bool, oplog_size_mb: float, key_file: str | None) -> None:
    """Rewrite FILE (not in use by a server) as just its live documents (and a replica set's change
    history window)."""
    from docdb.tools.compact import compact_file

    try:
        with _progress(os.path.getsize(file), "compacting") as bar:
            result = compact_file(
                file,
                _key(key_file),
                encrypt=encrypt,
                decrypt=decrypt,
                progress=bar.update,
                history_bytes=int(oplog_size_mb * (1 << 20)),
            )
    except StorageError as error:
        _fail(error)
    state = "encrypted" if result.encrypted else "not encrypted"
    click.echo(
        f"compacted {file}: {result.old_size} -> {result.new_size} bytes, "
        f"{result.documents} documents, {state}"
    )


@contextlib.contextmanager
def _progress(length: int, label: str) -> Iterator[Any]:
    """Bytes done on stderr: a bar on a terminal, periodic lines elsewhere, a summary line at the end."""
    from docdb.tools.progress import Progress

    bar = Progress(label, total=length, unit="bytes")
    with bar:
        yield bar
    bar.finish()


# -- dump / restore / export / import: mongodump's family, by the same option names ------------------

_CONNECTION_OPTIONS = [
    click.option("--uri", default=None, help="Connection string (default mongodb://localhost:27017)."),
    click.option("--host", default=None, help="HOST[:PORT] (when --uri is not given)."),
    click.option("--port", type=int, default=None, help="Server port (when --uri is not given)."),
    click.option("--username", "-u", default=None, help="User to authenticate as."),
    click.option("--password", "-p", default=None, help="That user's password."),
    click.option("--authenticationDatabase", "auth_db", default=None, help="Where the user is defined."),
    click.option("--authenticationMechanism", "auth_mechanism", default=None, help="e.g. SCRAM-SHA-256."),
]


def _connection_options(command: Any) -> Any:
    """mongodump's connection options (--uri or --host/--port, and credentials) on a command."""
    for option in reversed(_CONNECTION_OPTIONS):
        command = option(command)
    return command


def _connect(conn: dict[str, Any], **kwargs: Any) -> Any:
    """A PyMongo client from the connection options (credentials given apart from the URI win)."""
    import pymongo

    uri = conn.get("uri")
    if not uri:
        host = conn.get("host") or "localhost"
        if conn.get("port") is not None and ":" not in host:
            host = f"{host}:{conn['port']}"
        uri = f"mongodb://{host}"
    for option, key in (("username", "username"), ("password", "password"), ("auth_db", "authSource")):
        if conn.get(option) is not None:
            kwargs[key] = conn[option]
    if conn.get("auth_mechanism"):
        kwargs["authMechanism"] = conn["auth_mechanism"]
    return pymongo.MongoClient(uri, **kwargs)


_QUIET_OPTION = click.option("--quiet", is_flag=True, help="No progress and no summary lines.")
_GZIP_OPTION = click.option("--gzip", is_flag=True, help="Compress (or read compressed) files or archive.")
_ARCHIVE_OPTION = click.option(
    "--archive",
    is_flag=False,
    flag_value="-",
    default=None,
    help="An archive stream: --archive=FILE, or --archive alone for stdout/stdin.",
)


def _json_option(text: str | None, path: str | None) -> dict[str, Any] | None:
    """``--query``/``--queryFile``: a document in (relaxed or canonical) Extended JSON."""
    from bson import json_util

    if path is not None:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    if text is None:
        return None
    try:
        value = json_util.loads(text)
    except ValueError as error:
        _fail(ValueError(f"error parsing query as Extended JSON: {error}"))
    if not isinstance(value, dict):
        _fail(ValueError("query is not a document"))
    return value


def _tool_progress(label: str, quiet: bool) -> Any:
    from docdb.tools.progress import NoProgress, Progress

    return NoProgress(label) if quiet else Progress(label)


@tools_main.command("dump")
@_connection_options
@click.option(
    "--file", "mdb_file", type=click.Path(dir_okay=False, exists=True), help="Dump an .mdb file offline."
)
@_KEY_OPTION
@click.option("--db", "-d", default=None, help="Database to dump.")
@click.option("--collection", "-c", default=None, help="Collection to dump (needs --db).")
@click.option("--query", "-q", default=None, help="Filter in Extended JSON (needs --collection).")
@click.option("--queryFile", "query_file", type=click.Path(dir_okay=False, exists=True), default=None)
@click.option(
    "--out", "-o", default=None, help="Output directory (default 'dump'); '-' writes BSON to stdout."
)
@_ARCHIVE_OPTION
@_GZIP_OPTION
@click.option("--dumpDbUsersAndRoles", "users_and_roles", is_flag=True, help="Also the users/roles of --db.")
@click.option("--excludeCollection", "exclude_collections", multiple=True, help="Leave this collection out.")
@click.option("--excludeCollectionsWithPrefix", "exclude_prefixes", multiple=True, help="Leave these out.")
@click.option("--viewsAsCollections", "views_as_collections", is_flag=True, help="Dump views' documents.")
@_QUIET_OPTION
def dump_command(
    mdb_file: str | None,
    key_file: str | None,
    db: str | None,
    collection: str | None,
    query: str | None,
    query_file: str | None,
    out: str | None,
    archive: str | None,
    gzip: bool,
    users_and_roles: bool,
    exclude_collections: tuple[str, ...],
    exclude_prefixes: tuple[str, ...],
    views_as_collections: bool,
    quiet: bool,
    **conn: Any,
) -> None:
    """Write databases in mongodump's formats, from a server (--uri) or an .mdb file (--file)."""
    from docdb.tools.dump import DumpOptions, dump
    from docdb.tools.dump_source import FileSource, WireSource

    options = DumpOptions(
        db,
        collection,
        _json_option(query, query_file),
        out,
        archive,
        gzip,
        users_and_roles,
        list(exclude_collections),
        list(exclude_prefixes),
        views_as_collections,
    )
    progress = _tool_progress("dump", quiet)
    try:
        source = (
            FileSource(mdb_file, _key(key_file))
            if mdb_file
            else WireSource(_connect(conn, document_class=dict, tz_aware=True))
        )
        try:
            result = dump(source, options, progress)
        finally:
            source.close()
    except Exception as error:  # a bad file or option, a driver error (server down, command refused)
        _fail(error)
    if not quiet:
        progress.finish(f"{len(result.collections)} collection(s)")


@tools_main.command("restore")
@click.argument("directory", required=False)
@click.option("--dir", "dir_option", default=None, help="The dump directory (as the positional argument).")
@_connection_options
@_ARCHIVE_OPTION
@_GZIP_OPTION
@click.option("--db", "-d", default=None, help="Restore only this database (or a database folder into it).")
@click.option(
    "--collection", "-c", default=None, help="Restore only this collection (or a .bson file into it)."
)
@click.option("--nsInclude", "ns_include", multiple=True, help="Namespaces to restore (wildcard *).")
@click.option("--nsExclude", "ns_exclude", multiple=True, help="Namespaces to leave out (wildcard *).")
@click.option("--nsFrom", "ns_from", multiple=True, help="Rename from this pattern ($var$ variables).")
@click.option("--nsTo", "ns_to", multiple=True, help="Rename to this pattern (paired with --nsFrom).")
@click.option("--drop", is_flag=True, help="Drop each collection before restoring it.")
@click.option("--noIndexRestore", "no_index_restore", is_flag=True, help="Do not build the dumped indexes.")
@click.option("--restoreDbUsersAndRoles", "users_and_roles", is_flag=True, help="Restore dumped users/roles.")
@click.option("--maintainInsertionOrder", "ordered", is_flag=True, help="Insert in order, stop at an error.")
@click.option("--stopOnError", "stop_on_error", is_flag=True, help="Stop at the first failed insert.")
@click.option("--batchSize", "batch_size", type=click.IntRange(1), default=1000, show_default=True)
@_QUIET_OPTION
def restore_command(
    directory: str | None,
    dir_option: str | None,
    archive: str | None,
    gzip: bool,
    db: str | None,
    collection: str | None,
    ns_include: tuple[str, ...],
    ns_exclude: tuple[str, ...],
    ns_from: tuple[str, ...],
    ns_to: tuple[str, ...],
    drop: bool,
    no_index_restore: bool,
    users_and_roles: bool,
    ordered: bool,
    stop_on_error: bool,
    batch_size: int,
    quiet: bool,
    **conn: Any,
) -> None:
    """Load a mongodump directory (default 'dump') or archive into a server."""
    import gzip as gzip_module

    from docdb.tools.namespaces import NamespaceRules
    from docdb.tools.restore import RestoreOptions, Restorer, RestoreStopped

    if archive is not None and (directory or dir_option):
        _fail(ValueError("cannot use --archive together with a dump directory"))
    if len(ns_from) != len(ns_to):
        _fail(ValueError("--nsFrom and --nsTo arguments must be paired"))
    try:
        rules = NamespaceRules(list(ns_include), list(ns_exclude), list(zip(ns_from, ns_to, strict=True)))
    except ValueError as error:
        _fail(error)
    options = RestoreOptions(
        directory or dir_option,
        archive,
        gzip,
        db,
        collection,
        rules,
        drop,
        no_index_restore,
        users_and_roles,
        ordered,
        stop_on_error,
        batch_size,
    )
    progress = _tool_progress("restore", quiet)
    stopped = None
    try:
        with _connect(conn) as client:
            restorer = Restorer(client, options, progress)
            result = restorer.result
            if archive is not None:
                raw = sys.stdin.buffer if archive == "-" else open(archive, "rb")  # noqa: SIM115
                stream = gzip_module.GzipFile(fileobj=raw, mode="rb") if gzip else raw
                try:
                    restorer.restore_archive(stream)  # type: ignore[arg-type]
                finally:
                    if raw is not sys.stdin.buffer:
                        raw.close()
            else:
                restorer.restore_directory(options.directory or "dump")
    except RestoreStopped as error:
        stopped = error
    except Exception as error:  # a bad file or option, a driver error (server down, command refused)
        _fail(error)
    if stopped is not None:
        click.echo(f"error: {stopped}", err=True)
    if not quiet:
        progress.finish(result.summary())
    if stopped is not None:
        sys.exit(1)


def _field_list(fields: str | None, field_file: str | None) -> list[str]:
    """``--fields a,b.c`` or ``--fieldFile`` (one name a line)."""
    if field_file is not None:
        with open(field_file, encoding="utf-8") as f:
            return [line.strip() for line in f if line.strip()]
    return [f.strip() for f in fields.split(",") if f.strip()] if fields else []


@tools_main.command("export")
@_connection_options
@click.option("--db", "-d", required=True, help="Database of the collection.")
@click.option("--collection", "-c", required=True, help="Collection to export.")
@click.option("--type", "out_type", type=click.Choice(["json", "csv"]), default="json", show_default=True)
@click.option("--jsonFormat", "json_format", type=click.Choice(["relaxed", "canonical"]), default="relaxed")
@click.option(
    "--jsonArray", "json_array", is_flag=True, help="One JSON array instead of one document a line."
)
@click.option("--pretty", is_flag=True, help="Indented JSON.")
@click.option("--fields", "-f", default=None, help="Comma-separated field names (CSV needs them).")
@click.option("--fieldFile", "field_file", type=click.Path(dir_okay=False, exists=True), default=None)
@click.option("--noHeaderLine", "no_header_line", is_flag=True, help="CSV without the field names line.")
@click.option("--query", "-q", default=None, help="Filter in Extended JSON.")
@click.option("--queryFile", "query_file", type=click.Path(dir_okay=False, exists=True), default=None)
@click.option("--sort", default=None, help="Sort document in Extended JSON.")
@click.option("--skip", type=click.IntRange(0), default=0)
@click.option("--limit", type=click.IntRange(0), default=0)
@click.option("--out", "-o", default=None, help="Output file (default stdout).")
@_QUIET_OPTION
def export_command(
    db: str,
    collection: str,
    out_type: str,
    json_format: str,
    json_array: bool,
    pretty: bool,
    fields: str | None,
    field_file: str | None,
    no_header_line: bool,
    query: str | None,
    query_file: str | None,
    sort: str | None,
    skip: int,
    limit: int,
    out: str | None,
    quiet: bool,
    **conn: Any,
) -> None:
    """Write one collection as Extended JSON or CSV, as mongoexport does."""

    from docdb.tools.exporter import ExportOptions, export

    options = ExportOptions(
        db,
        collection,
        out_type,
        json_format,
        json_array,
        pretty,
        _field_list(fields, field_file),
        no_header_line,
        _json_option(query, query_file),
        _json_option(sort, None),
        skip,
        limit,
    )
    progress = _tool_progress("export", quiet)
    try:
        with _connect(conn, tz_aware=True) as client:
            if out is None or out == "-":
                count = export(client, options, sys.stdout, progress)
                sys.stdout.flush()
            else:
                with open(out, "w", encoding="utf-8", newline="", buffering=1 << 20) as f:
                    count = export(client, options, f, progress)
    except Exception as error:  # a bad file or option, a driver error (server down, command refused)
        _fail(error)
    if not quiet:
        progress.finish(f"exported {count} record{'s' if count != 1 else ''}")


@tools_main.command("import")
@_connection_options
@click.argument("positional_file", required=False)
@click.option("--file", "in_file", default=None, help="Input file (default stdin).")
@click.option("--db", "-d", default="test", show_default=True)
@click.option("--collection", "-c", default=None, help="Target collection (default: the file's name).")
@click.option(
    "--type", "in_type", type=click.Choice(["json", "csv", "tsv"]), default="json", show_default=True
)
@click.option("--jsonArray", "json_array", is_flag=True, help="The input is one JSON array.")
@click.option("--headerline", "header_line", is_flag=True, help="CSV/TSV: the first line names the fields.")
@click.option("--fields", "-f", default=None, help="CSV/TSV: comma-separated field names.")
@click.option("--fieldFile", "field_file", type=click.Path(dir_okay=False, exists=True), default=None)
@click.option("--ignoreBlanks", "ignore_blanks", is_flag=True, help="CSV/TSV: leave out empty fields.")
@click.option(
    "--mode",
    type=click.Choice(["insert", "upsert", "merge", "delete"]),
    default=None,
    help="insert (default), or upsert when --upsertFields is given.",
)
@click.option("--upsertFields", "upsert_fields", default=None, help="Fields that find the existing document.")
@click.option("--drop", is_flag=True, help="Drop the collection first.")
@click.option(
    "--stopOnError", "stop_on_error", is_flag=True, help="Stop at the first bad line or failed write."
)
@click.option("--batchSize", "batch_size", type=click.IntRange(1), default=1000, show_default=True)
@_QUIET_OPTION
def import_command(
    positional_file: str | None,
    in_file: str | None,
    db: str,
    collection: str | None,
    in_type: str,
    json_array: bool,
    header_line: bool,
    fields: str | None,
    field_file: str | None,
    ignore_blanks: bool,
    mode: str | None,
    upsert_fields: str | None,
    drop: bool,
    stop_on_error: bool,
    batch_size: int,
    quiet: bool,
    **conn: Any,
) -> None:
    """Read Extended JSON, CSV or TSV into one collection, as mongoimport does."""

    from docdb.tools.importer import ImportOptions, ImportStopped, import_documents

    path = in_file or positional_file
    if collection is None:
        if path is None:
            _fail(ValueError("no collection specified"))
        collection = os.path.splitext(os.path.basename(path))[0]
    field_names = _field_list(fields, field_file)
    if in_type != "json" and not header_line and not field_names:
        _fail(ValueError("must specify --fields, --fieldFile or --headerline to import this file type"))
    if header_line and field_names:
        _fail(ValueError("incompatible options: --fields and --headerline"))
    if json_array and in_type != "json":
        _fail(ValueError("cannot use --jsonArray except with JSON input"))
    if mode is None:
        mode = "upsert" if upsert_fields else "insert"
    options = ImportOptions(
        db,
        collection,
        in_type,
        json_array,
        header_line,
        field_names,
        ignore_blanks,
        mode,
        _field_list(upsert_fields, None),
        drop,
        stop_on_error,
        batch_size,
    )
    progress = _tool_progress("import", quiet)
    stopped = None
    try:
        with _connect(conn) as client:
            source = sys.stdin if path is None else open(path, encoding="utf-8-sig", newline="")  # noqa: SIM115
            try:
                result = import_documents(client, source, options, progress)
            except ImportStopped as error:
                stopped, result = error, error.result
            finally:
                if source is not sys.stdin:
                    source.close()
    except Exception as error:  # a bad file or option, a driver error (server down, command refused)
        _fail(error)
    for line in result.errors:
        click.echo(f"error: {line}", err=True)
    if not quiet:
        progress.finish(result.summary())
    if stopped is not None:
        sys.exit(1)
