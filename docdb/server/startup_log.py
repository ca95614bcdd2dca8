"""The ``local.startup_log`` document of this start, shaped as mongod writes it."""

from __future__ import annotations

import datetime
import os
import socket
import time
from typing import Any

from bson.int64 import Int64

from docdb.config import ServerConfig
from docdb.server.commands.handshake import build_info


def startup_document(config: ServerConfig) -> dict[str, Any]:
    """``{_id: "<host>-<ms>", hostname, startTime, startTimeLocal, cmdLine, pid, buildinfo}``."""
    now = datetime.datetime.now(datetime.timezone.utc)
    millis = int(now.timestamp() * 1000)
    hostname = socket.gethostname()
    cmd_line: dict[str, Any] = {"net": {"bindIp": config.bind, "port": config.port}}
    if config.file:
        cmd_line["storage"] = {"dbPath": os.path.dirname(os.path.abspath(config.file))}
    local = time.localtime(millis / 1000)
    return {
        "_id": f"{hostname}-{millis}",
        "hostname": hostname,
        "startTime": now.replace(microsecond=(now.microsecond // 1000) * 1000, tzinfo=None),
        "startTimeLocal": time.strftime("%a %b %e %H:%M:%S", local) + f".{millis % 1000:03d}",
        "cmdLine": cmd_line,
        "pid": Int64(os.getpid()),
        "buildinfo": build_info(None, {"buildinfo": 1}),  # type: ignore[arg-type]  (reads no context)
    }
