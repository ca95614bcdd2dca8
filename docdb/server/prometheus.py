"""``--metrics-port``: the server's counters in Prometheus text format, built with ``prometheus-client``.

Nothing is counted twice: a custom collector reads, at scrape time, the counters serverStatus reports
(``server/metrics.py``, the connection and cursor counts, the log writer and the compactor), so a command
costs the exporter nothing. The HTTP endpoint is a small asyncio server on the event loop, so a scrape
reads the counters between commands, never while one is changing them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING

from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
    SummaryMetricFamily,
)
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.registry import CollectorRegistry

from docdb.engine.compaction import Compactor, dead_bytes
from docdb.server.context import OPCOUNTER_NAMES
from docdb.server.metrics import LATENCY_BUCKETS_MICROS, LATENCY_KINDS
from docdb.server.transactions import IN_PROGRESS

if TYPE_CHECKING:
    from docdb.server.context import ServerState

log = logging.getLogger("docdb.server")
_BOUNDS = [f"{micros / 1e6:g}" for micros in LATENCY_BUCKETS_MICROS] + ["+Inf"]


class ServerCollector:
    """Metric families read from one server's state when Prometheus scrapes."""

    def __init__(self, state: ServerState) -> None:
        self.state = state

    def collect(self) -> Iterator[Metric]:
        state, m = self.state, self.state.metrics
        commands = CounterMetricFamily("docdb_commands", "Commands run, by name.", labels=["command"])
        failed = CounterMetricFamily(
            "docdb_commands_failed", "Commands that failed, by name.", labels=["command"]
        )
        for name, n in sorted(state.command_counts.items()):
            commands.add_metric([name], n)
            failed.add_metric([name], m.commands_failed[name])
        yield commands
        yield failed
        latency = HistogramMetricFamily(
            "docdb_command_duration_seconds", "Command latency, by name.", labels=["command"]
        )
        for name, buckets in sorted(m.command_buckets.items()):
            cumulative, running = [], 0
            for bound, n in zip(_BOUNDS, buckets, strict=True):
                running += n
                cumulative.append((bound, running))
            latency.add_metric([name], cumulative, m.command_micros[name] / 1e6)
        yield latency
        ops = CounterMetricFamily("docdb_opcounters", "serverStatus opcounters.", labels=["type"])
        for name in OPCOUNTER_NAMES:
            ops.add_metric([name], state.opcounters[name])
        yield ops
        op_latency = SummaryMetricFamily(
            "docdb_op_latency_seconds", "serverStatus opLatencies, by class.", labels=["type"]
        )
        for i, kind in enumerate(LATENCY_KINDS):
            op_latency.add_metric([kind], m.latency_ops[i], m.latency_micros[i] / 1e6)
        yield op_latency
        documents = CounterMetricFamily(
            "docdb_documents",
            "Documents returned/inserted/updated/deleted (metrics.document).",
            labels=["op"],
        )
        for name in ("returned", "inserted", "updated", "deleted"):
            documents.add_metric([name], m.documents[name])
        yield documents
        yield GaugeMetricFamily(
            "docdb_connections", "Open client connections.", value=state.connections_current
        )
        yield CounterMetricFamily(
            "docdb_connections_created", "Client connections accepted.", value=state.connections_total
        )
        yield GaugeMetricFamily("docdb_open_cursors", "Open cursors.", value=len(state.cursors.cursors))
        yield CounterMetricFamily(
            "docdb_cursors_timed_out", "Cursors closed for being idle.", value=state.cursors.timed_out
        )
        network = CounterMetricFamily("docdb_network_bytes", "Bytes read and written.", labels=["direction"])
        network.add_metric(["in"], m.bytes_in)
        network.add_metric(["out"], m.bytes_out)
        yield network
        yield CounterMetricFamily("docdb_network_requests", "Messages received.", value=m.requests)
        sessions = [s for s in state.sessions.sessions.values() if not s.ended]
        yield GaugeMetricFamily("docdb_sessions", "Logical sessions in use (not ended).", value=len(sessions))
        yield GaugeMetricFamily(
            "docdb_transactions_open",
            "Multi-document transactions in progress.",
            value=sum(1 for s in sessions if s.txn is not None and s.txn.state == IN_PROGRESS),
        )
        yield from self._storage()

    def _storage(self) -> Iterator[Metric]:
        catalog = self.state.catalog
        writer = catalog.writer
        if writer is None:
            return
        yield CounterMetricFamily(
            "docdb_log_written_bytes", "Bytes appended to the .mdb log.", value=writer.bytes_appended
        )
        yield CounterMetricFamily(
            "docdb_log_records", "Records appended to the log.", value=writer.records_appended
        )
        fsync = SummaryMetricFamily("docdb_fsync_seconds", "fsyncs of the data file and their time.")
        fsync.add_metric([], writer.fsyncs, writer.fsync_seconds)
        yield fsync
        size = writer.size
        yield GaugeMetricFamily("docdb_file_size_bytes", "Size of the .mdb file.", value=size)
        dead = dead_bytes(catalog)
        yield GaugeMetricFamily("docdb_file_dead_bytes", "Bytes compaction would free.", value=dead)
        yield GaugeMetricFamily(
            "docdb_file_dead_ratio",
            "Dead bytes as a fraction of the file.",
            value=dead / size if size else 0.0,
        )
        compactor = Compactor.of(catalog)
        compactions = CounterMetricFamily("docdb_compactions", "Compactions, by outcome.", labels=["result"])
        compactions.add_metric(["completed"], compactor.completed)
        compactions.add_metric(["failed"], compactor.failed)
        yield compactions
        yield GaugeMetricFamily(
            "docdb_compaction_running", "1 while a compaction runs.", value=int(compactor.running)
        )


def registry_for(state: ServerState) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(ServerCollector(state))  # type: ignore[arg-type]
    return registry


async def serve_metrics(state: ServerState, host: str, port: int) -> asyncio.Server:
    """Serve ``GET /metrics`` (any path answers the same) on ``host:port`` from the event loop."""
    registry = registry_for(state)

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
            method = request.split(b" ", 1)[0]
            if method not in (b"GET", b"HEAD"):
                head, body = b"HTTP/1.1 405 Method Not Allowed\r\n", b""
            else:
                body = generate_latest(registry)
                head = b"HTTP/1.1 200 OK\r\nContent-Type: " + CONTENT_TYPE_LATEST.encode() + b"\r\n"
            head += b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body)
            writer.write(head + (body if method == b"GET" else b""))
            await writer.drain()
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, asyncio.TimeoutError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, host, port)
    bound = server.sockets[0].getsockname()
    log.info("metrics: Prometheus text on http://%s:%d/metrics", bound[0], bound[1])
    return server
