"""The server parameters docdb honours: their values, settable at start-up (``--set-parameter NAME=VALUE``,
as mongod's ``--setParameter``) and, where mongod allows it, at run time (``setParameter``).

One small mutable object on ``ServerState`` so every part of the server reads the current value:
``enableTestCommands`` turns on ``configureFailPoint``; ``transactionLifetimeLimitSeconds`` bounds how long
a transaction may stay open (read by the transaction code); ``requireApiVersion`` makes dispatch refuse
commands without ``apiVersion``; ``ttlMonitorEnabled`` pauses the TTL monitor.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from docdb.server.mongod_parameters import MONGOD_PARAMETERS, TEST_ONLY_PARAMETERS


class StartupParameterError(ValueError):
    """A ``--set-parameter`` that mongod would refuse at start-up (the server does not start)."""


@dataclass(slots=True)
class ServerParameters:
    """Current values; ``FIELDS`` maps mongod's parameter names to them."""

    enable_test_commands: bool = False
    transaction_lifetime_limit_seconds: int = 60
    cursor_timeout_millis: int | None = None  # None: as the server's configuration says
    require_api_version: bool = False  # every command must carry apiVersion (498870 otherwise)
    ttl_monitor_enabled: bool = True
    ttl_monitor_sleep_secs: int | None = None  # None: as the server's configuration says
    ttl_sleep_changed: asyncio.Event | None = None  # set by setParameter: the TTL monitor's new interval

    @classmethod
    def at_startup(cls, enable_test_commands: bool, assignments: Iterable[str]) -> ServerParameters:
        """The parameters for ``--enable-test-commands`` and each ``NAME=VALUE`` of ``--set-parameter``."""
        params = cls(enable_test_commands=enable_test_commands)
        for assignment in assignments:
            name, sep, text = assignment.partition("=")
            if not sep:
                raise StartupParameterError(f"Illegal option assignment: '{assignment}'")
            parse = _STARTUP_PARSERS.get(name)
            if name in UNSUPPORTED_AT_STARTUP:
                raise StartupParameterError(f"docdb does not support --setParameter '{name}'")
            if parse is None:
                raise StartupParameterError(f"Unknown --setParameter '{name}'")
            setattr(params, FIELDS[name], parse(name, text))
        return params


def _parse_bool(name: str, text: str) -> bool:
    if text in ("1", "true"):
        return True
    if text in ("0", "false"):
        return False
    raise StartupParameterError(f"Bad value for parameter \"{name}\": '{text}' is not a valid boolean")


def _parse_int(name: str, text: str, minimum: int) -> int:
    try:
        value = int(text)
    except ValueError:
        message = f"Bad value for parameter \"{name}\": '{text}' is not an integer"
        raise StartupParameterError(message) from None
    if value < minimum:
        raise StartupParameterError(
            f'Bad value for parameter "{name}": {value} is not greater than or equal to {minimum}'
        )
    return value


FIELDS = {
    "cursorTimeoutMillis": "cursor_timeout_millis",
    "enableTestCommands": "enable_test_commands",
    "requireApiVersion": "require_api_version",
    "transactionLifetimeLimitSeconds": "transaction_lifetime_limit_seconds",
    "ttlMonitorEnabled": "ttl_monitor_enabled",
    "ttlMonitorSleepSecs": "ttl_monitor_sleep_secs",
}
_STARTUP_PARSERS: dict[str, Callable[[str, str], Any]] = {
    "cursorTimeoutMillis": lambda name, text: _parse_int(name, text, 0),
    "enableTestCommands": _parse_bool,
    "requireApiVersion": _parse_bool,
    "transactionLifetimeLimitSeconds": lambda name, text: _parse_int(name, text, 1),
    "ttlMonitorEnabled": _parse_bool,
    "ttlMonitorSleepSecs": lambda name, text: _parse_int(name, text, 1),
}
# mongod's parameters that docdb has no start-up setting for (refused rather than ignored).
_DECLARED = frozenset(
    {"authenticationMechanisms", "featureCompatibilityVersion", "sslMode", "tlsMode"}
    | MONGOD_PARAMETERS.keys()
    | TEST_ONLY_PARAMETERS.keys()
)
UNSUPPORTED_AT_STARTUP = _DECLARED - _STARTUP_PARSERS.keys()
