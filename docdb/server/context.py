"""What a command handler can see: the server's shared state and the calling connection."""

from __future__ import annotations

import asyncio
import datetime
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from docdb.config import ServerConfig
from docdb.engine.catalog import Catalog
from docdb.server.auth.session import AuthSession
from docdb.server.cursors import CursorRegistry
from docdb.server.log_limits import RateLimitedLog
from docdb.server.metrics import Metrics
from docdb.server.operations import Operations
from docdb.server.parameters import ServerParameters
from docdb.server.profiler import Profiler
from docdb.server.sessions import Session, SessionRegistry

if TYPE_CHECKING:
    from docdb.server.failpoints import FailPoint
    from docdb.server.replica_set import ReplicaSet


OPCOUNTER_NAMES = ("insert", "query", "update", "delete", "getmore", "command")  # serverStatus's order


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
    # serverStatus opcounters and metrics.commands' totals: plain dicts, not Counters (a dict subclass
    # costs about a microsecond per increment; each command makes two)
    opcounters: dict[str, int] = field(default_factory=lambda: dict.fromkeys(OPCOUNTER_NAMES, 0))
    command_counts: dict[str, int] = field(default_factory=dict)  # by command name
    compressors: tuple[str, ...] = ()
    log_lines: list[str] = field(default_factory=list)
    replica_set: ReplicaSet | None = None  # --replica-set: this member's config and topology
    parameters: ServerParameters = field(default_factory=ServerParameters)
    fail_points: dict[str, FailPoint] = field(default_factory=dict)  # configureFailPoint (test commands)
    profiler: Profiler = field(default_factory=Profiler)  # profile levels, slowms, system.profile rings
    metrics: Metrics = field(default_factory=Metrics)  # serverStatus counters (server/metrics.py)
    log_limiter: RateLimitedLog = field(
        default_factory=lambda: RateLimitedLog(logging.getLogger("docdb.connection"))
    )
    sessions: SessionRegistry = field(default_factory=SessionRegistry)
    intents: dict[Any, Any] = field(default_factory=dict)  # (ns, key) -> open transaction that wrote it
    waiters: Any = None  # server/tailing.CommitWaiters: parked awaitData getMores (made on first use)
    operations: Operations = field(default_factory=Operations)  # in progress: currentOp, killOp

    def __post_init__(self) -> None:
        self.intents = self.catalog.intents  # one table: the catalog's commit funnel checks it

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
    tls: bool = False
    peer_certificate_subject: str | None = None  # RFC 4514 subject of a verified client certificate
    auth: AuthSession = field(default_factory=AuthSession)  # who is logged in on this connection
    closed: bool = False  # the peer went away (a write waiting for a transaction then does not run)


@dataclass(slots=True)
class CommandContext:
    """One command's view.

    A handler whose reply must wait sets ``wait_lsn`` (the reply goes out after the fsync covering that log
    position: j:true, w:"majority", fsync) or ``pending`` (an asyncio future, e.g. a compaction; its result
    goes through ``finish`` to become the reply body). The connection waits without blocking the loop.
    A handler that streams (exhaust hello) sets ``next_invocation``: its reply goes out with moreToCome and
    that command runs next on the connection, as if the client had sent it.
    """

    state: ServerState
    db: str
    connection: ConnectionInfo
    wait_lsn: int | None = None
    pending: asyncio.Future[Any] | None = None
    finish: Callable[[Any], dict[str, Any]] | None = None
    exhaust_allowed: bool = False  # the request's OP_MSG exhaustAllowed bit
    next_invocation: dict[str, Any] | None = None  # a streamed reply (moreToCome): the command run next
    close_connection: bool = False  # close without replying (failCommand's closeConnection)
    awaits_topology: bool = False  # ``pending`` is an awaitable hello's wait (shutdown does not wait)
    session: Session | None = None  # the command's logical session (its ``lsid``), set by dispatch
    store: Any = None  # a transaction's (or snapshot read's) store: what ``catalog`` is for this command
    operation: Any = None  # server/operations.Operation of a command that may yield (currentOp lists it)
    point_index: Any = None  # the sole index operations._reads_one found for a find_one (express reuses it)

    @property
    def catalog(self) -> Catalog:
        """Where the command reads and writes: the catalog, or the store of its transaction or snapshot
        read (``engine/store.py``), which answers the same calls."""
        store = self.store
        return self.state.catalog if store is None else store
