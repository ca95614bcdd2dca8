"""``configureFailPoint`` and the ``failCommand`` fail point, so applications test their retry handling
against docdb exactly as against mongod (only with ``enableTestCommands``).

``failCommand`` makes the next matching commands (``data.failCommands``, optionally only from one
``appName``) fail with ``errorCode`` (+ ``errorLabels``), close the connection without a reply
(``closeConnection``), wait ``blockTimeMS`` first (``blockConnection``), or succeed with a
``writeConcernError``. ``mode`` says how often: ``alwaysOn``, ``{times: n}``, ``{skip: n}`` (then always),
``{activationProbability: p}``, or ``off``. The order of the actions is mongod's: block, close, error.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from docdb.engine.bson_types import bson_type_alias
from docdb.errors import ErrorCode, MongoError
from docdb.server.context import CommandContext
from docdb.server.params import is_number

FAIL_COMMAND = "failCommand"
FAIL_MESSAGE = "Failing command via 'failCommand' failpoint"
CLOSED_CONNECTION = 50985
# Codes drivers retry a write on (mongod labels them RetryableWriteError for a retryable write).
RETRYABLE_CODES = frozenset({6, 7, 89, 91, 134, 189, 262, 9001, 10107, 11600, 11602, 13435, 13436})
RETRYABLE_WRITES = frozenset({"insert", "update", "delete", "findAndModify", "findandmodify"})
Resume = Callable[[], dict[str, Any]]


@dataclass(slots=True)
class FailPoint:
    """One configured fail point: how often it fires, what it does, and how often it fired."""

    mode: str  # "alwaysOn", "times", "skip", "activationProbability"
    amount: float  # times left, skips left, or the probability
    data: dict[str, Any]
    entered: int = 0

    def fires(self) -> bool:
        """Consume one activation for a matching command; whether the fail point acts on it."""
        if self.mode == "times":
            if self.amount <= 0:
                return False
            self.amount -= 1
        elif self.mode == "skip" and self.amount > 0:
            self.amount -= 1
            return False
        elif self.mode == "activationProbability" and random.random() >= self.amount:
            return False
        self.entered += 1
        return True


def parse_fail_point(cmd: dict[str, Any]) -> FailPoint | None:
    """The fail point ``cmd`` configures (None: mode "off"), with mongod's errors for a bad spec."""
    if "mode" not in cmd:
        raise MongoError(ErrorCode.IllegalOperation, "When setting a failpoint, you must supply a 'mode'")
    mode = cmd["mode"]
    data = cmd.get("data", {})
    if not isinstance(data, dict):
        raise MongoError(ErrorCode.TypeMismatch, "the 'data' option must be a JSON object")
    if isinstance(mode, str):
        if mode == "off":
            return None
        if mode == "alwaysOn":
            return FailPoint("alwaysOn", 0, data)
        raise MongoError(ErrorCode.BadValue, f"unknown mode: {mode}")
    if not isinstance(mode, dict):
        raise MongoError(ErrorCode.TypeMismatch, "'mode' must be a string or JSON object")
    for name in ("times", "skip", "activationProbability"):
        if name in mode:
            return FailPoint(name, _mode_amount(name, mode[name]), data)
    raise MongoError(
        ErrorCode.BadValue, "'mode' must be one of 'off', 'alwaysOn', 'times', and 'activationProbability'"
    )


def _mode_amount(name: str, value: Any) -> float:
    if not is_number(value):
        raise MongoError(ErrorCode.TypeMismatch, f"'{name}' option to 'mode' must be a number")
    amount = float(value.to_decimal()) if hasattr(value, "to_decimal") else float(value)
    if name == "activationProbability":
        if not 0.0 <= amount <= 1.0:
            raise MongoError(ErrorCode.BadValue, "activationProbability must be between 0.0 and 1.0")
        return amount
    if amount < 0:
        raise MongoError(ErrorCode.BadValue, f"'{name}' option to 'mode' must be positive")
    return int(amount)


# -- acting on commands ----------------------------------------------------------------------------------


def _namespace(ctx: CommandContext, name: str, body: dict[str, Any]) -> str:
    """The namespace a command works on, as mongod names it (``db.$cmd`` for database commands)."""
    target = body.get("collection") if name == "getMore" else body.get(name)
    return f"{ctx.db}.{target}" if isinstance(target, str) else f"{ctx.db}.$cmd"


def _matches(ctx: CommandContext, data: dict[str, Any], name: str, body: dict[str, Any]) -> bool:
    """mongod's shouldActivateFailCommandFailPoint: never configureFailPoint itself."""
    if name == "configureFailPoint":
        return False
    if "threadName" in data and data["threadName"] != f"conn{ctx.connection.connection_id}":
        return False
    if "appName" in data:
        # a connection's first hello names its client before the command runs, as in mongod
        metadata = ctx.connection.client_metadata or body.get("client") or {}
        metadata = metadata if isinstance(metadata, dict) else {}
        application = metadata.get("application")
        app_name = application.get("name") if isinstance(application, dict) else None
        if app_name != data["appName"]:
            return False
    if "namespace" in data and data["namespace"] != _namespace(ctx, name, body):
        return False
    if "failAllCommands" in data:
        return True
    commands = data.get("failCommands")
    if not isinstance(commands, list):
        return False
    lowered = name.lower()  # a command's aliases differ only in case (isMaster/ismaster)
    return any(isinstance(c, str) and c.lower() == lowered for c in commands)


def triggered(ctx: CommandContext, name: str, body: dict[str, Any]) -> FailPoint | None:
    """The ``failCommand`` fail point if it acts on this command (its activation is consumed)."""
    point = ctx.state.fail_points.get(FAIL_COMMAND)
    if point is None or not _acts(point.data) or not _matches(ctx, point.data, name, body):
        return None
    return point if point.fires() else None


def _acts(data: dict[str, Any]) -> bool:
    return any(data.get(f) is True for f in ("closeConnection", "blockConnection")) or any(
        f in data for f in ("errorCode", "writeConcernError")
    )


def apply(ctx: CommandContext, point: FailPoint, name: str, body: dict[str, Any], resume: Resume) -> dict:
    """The reply for a command the fail point acts on; ``resume`` runs the command itself."""
    data = point.data
    if data.get("blockConnection") is True:
        block_ms = data.get("blockTimeMS")
        if not is_number(block_ms):
            raise MongoError(
                ErrorCode.InvalidOptions, "must specify 'blockTimeMS' when 'blockConnection' is true"
            )
        if block_ms < 0:
            raise MongoError(ErrorCode.InvalidOptions, "'blockTimeMS' must be non-negative")
        loop = asyncio.get_running_loop()
        ctx.pending = loop.create_future()
        loop.call_later(block_ms / 1000, lambda f=ctx.pending: f.done() or f.set_result(None))
        ctx.finish = lambda _: _act(ctx, data, name, body, resume)
        return {"ok": 1.0}  # the real reply comes from ``finish`` once the block is over
    return _act(ctx, data, name, body, resume)


def _act(ctx: CommandContext, data: dict[str, Any], name: str, body: dict[str, Any], resume: Resume) -> dict:
    labels = _labels(data, name, body, data.get("errorCode"))
    if data.get("closeConnection") is True:
        ctx.close_connection = True
        return MongoError(CLOSED_CONNECTION, FAIL_MESSAGE).to_document()
    if "errorCode" in data and is_number(data["errorCode"]):
        extra = {"errorLabels": labels} if labels else {}
        return MongoError(int(data["errorCode"]), FAIL_MESSAGE, **extra).to_document()
    reply = resume()
    if "writeConcernError" in data and reply.get("ok"):
        ok = reply.pop("ok")
        reply["writeConcernError"] = data["writeConcernError"]
        reply["ok"] = ok
        wce = data["writeConcernError"]
        code = wce.get("code") if isinstance(wce, dict) else None
        labels = _labels(data, name, body, code)
        if labels:
            reply["errorLabels"] = labels
    return reply


def _labels(data: dict[str, Any], name: str, body: dict[str, Any], code: Any) -> list[Any]:
    """``errorLabels`` from the fail point, else the RetryableWriteError mongod adds to a retryable write."""
    if isinstance(data.get("errorLabels"), list):
        return list(data["errorLabels"])
    retryable_write = "txnNumber" in body and "autocommit" not in body and name in RETRYABLE_WRITES
    if (retryable_write or name in ("commitTransaction", "abortTransaction")) and code in RETRYABLE_CODES:
        return ["RetryableWriteError"]
    return []


def check_name(name: Any) -> str:
    """configureFailPoint's fail point name: docdb has ``failCommand`` only."""
    if not isinstance(name, str):
        raise MongoError(
            ErrorCode.TypeMismatch,
            f"configureFailPoint must be a string, not {bson_type_alias(name)}",
        )
    if name != FAIL_COMMAND:
        raise MongoError(ErrorCode.FailPointSetFailed, f"{name} not found")
    return name
