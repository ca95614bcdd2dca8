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
    """A command's name and handler; ``admin_only`` commands run only against the ``admin`` database."""

    name: str
    handler: Handler
    admin_only: bool = False
    help: str = ""


REGISTRY: dict[str, CommandSpec] = {}


def command(*names: str, admin_only: bool = False, help: str = "") -> Callable[[Handler], Handler]:
    """Register a handler under each wire name in ``names`` (exact case, as mongod matches them)."""

    def register(handler: Handler) -> Handler:
        for name in names:
            if name in REGISTRY:
                raise RuntimeError(f"command {name!r} registered twice")
            REGISTRY[name] = CommandSpec(name, handler, admin_only, help or (handler.__doc__ or "").strip())
        return handler

    return register
