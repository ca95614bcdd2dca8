"""Importing this package registers every command handler in ``docdb.server.registry.REGISTRY``."""

from docdb.server.commands import admin, catalog_cmds, crud, ddl, handshake, session_cmds  # noqa: F401
