"""Importing this package registers every command handler in ``docdb.server.registry.REGISTRY``."""

from docdb.server.commands import (  # noqa: F401
    admin,
    aggregate,
    catalog_cmds,
    crud,
    ddl,
    diagnostic_cmds,
    explain,
    failpoint_cmds,
    handshake,
    parameter_cmds,
    replset,
    session_cmds,
)
