"""What a command handler can see: the server's shared state and the calling connection."""

from __future__ import annotations

import asyncio
import datetime
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from docdb.config import ServerConfig
from docdb.engine.catalog import Catalog
from docdb.server.auth.session import AuthSession
from docdb.server.cursors import CursorRegistry


@dataclass(slots=True)
class ServerState:
    """Process-wide state, shared by every connection (one event loop thread touches it)."""

    config: ServerConfig
    catalog: Catalog
    cursors: CursorRegistry
    started_monotonic: float = field(default_factory=time.monotonic)
    started_at: datetime.datetime = field(
        default_factory=lambda: datetime.datetime.now(datetime.timezone.utc)
    )
    connections_current: int = 0
    connections_total: int = 0
    connections_rejected: int = 0
    max_connections: int = 1_000_000  # config.max_connections capped by the open-file limit
    next_connection_id: int = 1
    opcounters: Counter[str] = field(default_factory=Counter)
    command_counts: Counter[str] = field(default_factory=Counter)
    compressors: tuple[str, ...] = ()
    log_lines: list[str] = field(default_factory=list)

    def new_connection_id(self) -> int:
        cid = self.next_connection_id
        self.next_connection_id += 1
        return cid


@dataclass(slots=True)
class ConnectionInfo:
    """The calling client: its id (``connectionId`` in hello) and addresses."""

    connection_id: int
    peer: str
    local: str
    client_metadata: dict[str, Any] | None = None
    compressors: tuple[str, ...] = ()
    auth: AuthSession = field(default_factory=AuthSession)  # who is logged in on this connection


@dataclass(slots=True)
class CommandContext:
    """One command's view.

    A handler whose reply must wait sets ``wait_lsn`` (the reply goes out after the fsync covering that log
    position: j:true, w:"majority", fsync) or ``pending`` (an asyncio future, e.g. a compaction; its result
    goes through ``finish`` to become the reply body). The connection waits without blocking the loop.
    """

    state: ServerState
    db: str
    connection: ConnectionInfo
    wait_lsn: int | None = None
    pending: asyncio.Future[Any] | None = None
    finish: Callable[[Any], dict[str, Any]] | None = None

    @property
    def catalog(self) -> Catalog:
        return self.state.catalog
