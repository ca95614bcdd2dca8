"""The server parameters docdb honours: their values, settable at start-up (``--set-parameter NAME=VALUE``,
as mongod's ``--setParameter``) and, where mongod allows it, at run time (``setParameter``).

One small mutable object on ``ServerState`` so every part of the server reads the current value:
``enableTestCommands`` turns on ``configureFailPoint``; ``transactionLifetimeLimitSeconds`` bounds how long
a transaction may stay open (read by the transaction code).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


class StartupParameterError(ValueError):
    """A ``--set-parameter`` that mongod would refuse at start-up (the server does not start)."""


@dataclass(slots=True)
class ServerParameters:
    """Current values; ``FIELDS`` maps mongod's parameter names to them."""

    enable_test_commands: bool = False
    transaction_lifetime_limit_seconds: int = 60

    @classmethod
    def at_startup(cls, enable_test_commands: bool, assignments: Iterable[str]) -> ServerParameters:
        """The parameters for ``--enable-test-commands`` and each ``NAME=VALUE`` of ``--set-parameter``."""
        params = cls(enable_test_commands=enable_test_commands)
        for assignment in assignments:
            name, sep, text = assignment.partition("=")
            if not sep:
                raise StartupParameterError(f"Illegal option assignment: '{assignment}'")
            parse = _STARTUP_PARSERS.get(name)
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


def _parse_positive_int(name: str, text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        message = f"Bad value for parameter \"{name}\": '{text}' is not an integer"
        raise StartupParameterError(message) from None
    if value < 1:
        raise StartupParameterError(
            f'Bad value for parameter "{name}": {value} is not greater than or equal to 1'
        )
    return value


FIELDS = {
    "enableTestCommands": "enable_test_commands",
    "transactionLifetimeLimitSeconds": "transaction_lifetime_limit_seconds",
}
_STARTUP_PARSERS = {
    "enableTestCommands": _parse_bool,
    "transactionLifetimeLimitSeconds": _parse_positive_int,
}
