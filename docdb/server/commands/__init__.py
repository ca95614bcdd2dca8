"""Importing this package registers every command handler in ``docdb.server.registry.REGISTRY``."""

from docdb.server.commands import (  # noqa: F401
    admin,
    aggregate,
    catalog_cmds,
    crud,
    ddl,
    explain,
    failpoint_cmds,
    handshake,
    parameter_cmds,
    replset,
    session_admin,
    transaction_cmds,
)
