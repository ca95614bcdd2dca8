"""Command-line entry points: ``docdb-server`` (the server) and ``docdb`` (file tools)."""

from __future__ import annotations

import logging
import sys

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
@click.version_option(__version__, prog_name="docdb-server")
def server_main(
    file: str | None, port: int, bind: str, log_level: str, sync_interval_ms: int, sync_mode: str
) -> None:
    """Run a docdb server that MongoDB clients connect to."""
    from docdb.server.server import run_server

    _configure_logging(log_level)
    config = ServerConfig(
        file=file,
        bind=bind,
        port=port,
        log_level=log_level,
        sync_interval_ms=sync_interval_ms,
        sync_always=sync_mode == "always",
    )
    try:
        run_server(config)
    except StorageError as error:
        logging.getLogger("docdb").error("cannot start: %s", error)
        sys.exit(2)
    except OSError as error:
        logging.getLogger("docdb").error("cannot start: %s", error)
        sys.exit(1)


@click.group()
@click.version_option(__version__, prog_name="docdb")
def tools_main() -> None:
    """docdb file tools."""
