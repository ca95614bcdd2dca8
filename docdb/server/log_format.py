"""The server's log line formats: docdb's text lines, or mongod's structured JSON (``--log-format json``).

A log call may pass ``extra={"mongo_id": N, "attr": {...}, "ctx": "connN"}``: the JSON format writes them
as mongod's ``id``, ``attr`` and ``ctx``; the text format appends ``attr`` as Extended JSON to the message
so both formats carry the same facts (e.g. the "Slow query" line).
"""

from __future__ import annotations

import datetime
import json
import logging
from typing import Any

from bson import json_util

_JSON_OPTIONS = json_util.RELAXED_JSON_OPTIONS
_SEVERITY = {
    logging.DEBUG: "D1",
    logging.INFO: "I",
    logging.WARNING: "W",
    logging.ERROR: "E",
    logging.CRITICAL: "F",
}
# Logger name (after "docdb.") -> mongod's log component.
_COMPONENTS = {
    "command": "COMMAND",
    "dispatch": "COMMAND",
    "connection": "NETWORK",
    "server": "NETWORK",
    "tls": "NETWORK",
    "replica_set": "REPL",
    "ttl": "INDEX",
    "engine": "STORAGE",
}


def _component(name: str) -> str:
    parts = name.split(".")
    return _COMPONENTS.get(parts[1] if len(parts) > 1 else "", "-")


def _attr_json(attr: Any) -> str:
    return json_util.dumps(attr, json_options=_JSON_OPTIONS, separators=(",", ":"))


class TextFormatter(logging.Formatter):
    """docdb's plain lines; a structured ``attr`` follows the message as Extended JSON."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        attr = getattr(record, "attr", None)
        return line if attr is None else f"{line} {_attr_json(attr)}"


class JsonFormatter(logging.Formatter):
    """mongod's structured log shape: ``{t: {$date}, s, c, id, ctx, msg, attr}``, one object a line."""

    def format(self, record: logging.LogRecord) -> str:
        when = datetime.datetime.fromtimestamp(record.created, datetime.timezone.utc)
        head = {
            "t": {"$date": when.isoformat(timespec="milliseconds")},
            "s": _SEVERITY.get(record.levelno, "I"),
            "c": _component(record.name),
            "id": getattr(record, "mongo_id", 0),
            "ctx": getattr(record, "ctx", "listener" if record.name == "docdb.server" else "main"),
            "msg": record.getMessage(),
        }
        line = json.dumps(head, separators=(",", ":"))
        attr = getattr(record, "attr", None)
        if record.exc_info:
            attr = {**(attr or {}), "error": self.formatException(record.exc_info)}
        if attr is None:
            return line
        return f'{line[:-1]},"attr":{_attr_json(attr)}}}'


def configure(level: str, fmt: str, stream: Any) -> None:
    """Send the ``docdb`` loggers' records to ``stream`` in ``fmt`` ("text" or "json")."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(getattr(logging, level.upper(), logging.INFO))
