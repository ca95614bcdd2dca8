"""Importing this package registers every command handler in ``docdb.server.registry.REGISTRY``."""

from docdb.server.commands import (  # noqa: F401
    admin,
    aggregate,
    catalog_cmds,
    crud,
    ddl,
    explain,
    handshake,
    map_reduce,
    session_cmds,
)
