"""A client looping on garbage frames must not grow the log without bound: protocol warnings are
rate-limited (a burst per window, then one summary line) and counted in serverStatus ``docdb.log``."""

from __future__ import annotations

import logging
import socket
import struct

import bson

from docdb.server.log_limits import DEFAULT_BURST, RateLimitedLog
from tests.serverproc import ServerProcess
from tests.wire_client import op_msg_frame

GARBAGE_CONNECTIONS = 300


def _garbage_frame(i: int) -> bytes:
    """A well-framed message with an opcode no server knows: the server closes the connection."""
    frame = bytearray(op_msg_frame(bson.encode({"ping": 1, "$db": "admin"}), request_id=i))
    struct.pack_into("<i", frame, 12, 9000 + i)
    return bytes(frame)


def _send_until_closed(port: int, data: bytes) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(data)
        try:
            while sock.recv(4096):
                pass
        except ConnectionResetError:
            pass


def test_garbage_frames_leave_a_bounded_log(data_file):
    with ServerProcess(data_file) as server:
        for i in range(GARBAGE_CONNECTIONS):
            _send_until_closed(server.port, _garbage_frame(i))
        with server.client() as client:
            counts = client.admin.command("serverStatus")["docdb"]["log"]
            assert client.admin.command("ping") == {"ok": 1.0}  # still serving
    closing = [line for line in server.output if "closing connection" in line]
    summaries = [line for line in server.output if "suppressed" in line and "protocol warnings" in line]
    assert counts["warnings"] == GARBAGE_CONNECTIONS
    assert counts["suppressed"] == GARBAGE_CONNECTIONS - len(closing)
    # a burst per 60 s window, the run spanning at most two windows
    assert DEFAULT_BURST <= len(closing) <= 2 * DEFAULT_BURST
    assert len(summaries) <= 2
    assert all("unsupported opcode" in line for line in closing)


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def test_rate_limited_log_bursts_then_summarizes():
    now = [0.0]
    logger = logging.getLogger("test.log_limits")
    records = _Records()
    logger.addHandler(records)
    try:
        limited = RateLimitedLog(logger, burst=3, interval_s=60, clock=lambda: now[0])
        for i in range(10):
            limited.warning("protocol", "bad frame %d", i)
        assert records.messages == ["bad frame 0", "bad frame 1", "bad frame 2"]
        limited.flush()  # the window is not over: nothing to say yet
        assert len(records.messages) == 3
        now[0] = 61.0
        limited.warning("protocol", "bad frame %d", 10)
        assert records.messages[3:] == [
            "suppressed 7 more protocol warnings in the last 60 s",
            "bad frame 10",
        ]
        for i in range(11, 15):
            limited.warning("protocol", "bad frame %d", i)
        now[0] = 130.0
        limited.flush()
        assert records.messages[5:] == [
            "bad frame 11",
            "bad frame 12",
            "suppressed 2 more protocol warnings in the last 60 s",
        ]
        assert limited.status() == {"warnings": 15, "suppressed": 9}
    finally:
        logger.removeHandler(records)
