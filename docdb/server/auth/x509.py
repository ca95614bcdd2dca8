"""MONGODB-X509: the verified TLS client certificate is the credential, its subject the user name.

The TLS layer (server/tls.py) verifies the certificate against ``--tls-ca-file`` and keeps its subject in
RFC 4514 form on the connection; authentication then only has to find a user of that name in the
``$external`` database, as mongod does. No password, salt or key is stored for such a user.
"""

from __future__ import annotations

from typing import Any

from docdb.errors import ErrorCode, MongoError
from docdb.server.auth.store import AuthStore
from docdb.server.context import CommandContext

EXTERNAL_DB = "$external"
MECHANISM = "MONGODB-X509"


def x509_login(ctx: CommandContext, cmd: dict[str, Any]) -> str:
    """The subject the connection authenticates as, or a MongoError with the reason (the caller turns it
    into mongod's "Authentication failed.", as mongod hides which check failed)."""
    subject = ctx.connection.peer_certificate_subject
    if subject is None:
        raise MongoError(ErrorCode.AuthenticationFailed, "No verified subject name available from client")
    named = cmd.get("user")
    if named is not None and named != subject:
        raise MongoError(
            ErrorCode.AuthenticationFailed, "There is no x.509 client certificate matching the user"
        )
    if AuthStore(ctx.catalog).user(EXTERNAL_DB, subject) is None:
        raise MongoError(ErrorCode.UserNotFound, f'Could not find user "{subject}" for db "{EXTERNAL_DB}"')
    return subject
