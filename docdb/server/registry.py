"""The command table: wire name -> handler, filled by ``@command`` in ``server/commands/*``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from docdb.server.context import CommandContext

Handler = Callable[["CommandContext", dict[str, Any]], dict[str, Any]]


@dataclass(frozen=True, slots=True)
class CommandSpec:
    """A command's name, handler and the facts dispatch checks before running it.

    ``admin_only`` commands run only against the ``admin`` database. The flags are read by
    ``dispatch.run_command`` (one place), never by handlers: ``writes`` (changes data), ``in_transaction``
    (may run inside a multi-document transaction), ``retryable`` (a retryable write: ``txnNumber`` makes it
    run at most once), ``no_auth`` (allowed before authentication, as mongod allows hello/ping/saslStart).
    """

    name: str
    handler: Handler
    admin_only: bool = False
    help: str = ""
    writes: bool = False
    in_transaction: bool = False
    retryable: bool = False
    no_auth: bool = False


REGISTRY: dict[str, CommandSpec] = {}


def command(
    *names: str,
    admin_only: bool = False,
    help: str = "",
    writes: bool = False,
    in_transaction: bool = False,
    retryable: bool = False,
    no_auth: bool = False,
) -> Callable[[Handler], Handler]:
    """Register a handler under each wire name in ``names`` (exact case, as mongod matches them)."""

    def register(handler: Handler) -> Handler:
        for name in names:
            if name in REGISTRY:
                raise RuntimeError(f"command {name!r} registered twice")
            REGISTRY[name] = CommandSpec(
                name,
                handler,
                admin_only,
                help or (handler.__doc__ or "").strip(),
                writes=writes,
                in_transaction=in_transaction,
                retryable=retryable,
                no_auth=no_auth,
            )
        return handler

    return register
