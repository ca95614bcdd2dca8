"""Importing this package registers every command handler in ``docdb.server.registry.REGISTRY``."""

from docdb.server.commands import (  # noqa: F401
    admin,
    aggregate,
    auth_cmds,
    capped_cmds,
    catalog_cmds,
    crud,
    ddl,
    diagnostic_cmds,
    explain,
    failpoint_cmds,
    handshake,
    map_reduce,
    parameter_cmds,
    replset,
    role_cmds,
    session_admin,
    transaction_cmds,
    user_cmds,
)
