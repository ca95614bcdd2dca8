"""saslStart / saslContinue (SCRAM), authenticate, logout, connectionStatus, and the hello fields for
authentication (``saslSupportedMechs``, ``speculativeAuthenticate``).

Whatever goes wrong inside a SCRAM conversation — no such user, a wrong proof, a malformed message — is
answered with the same ``AuthenticationFailed`` "Authentication failed.", as mongod does, so a client cannot
tell which part was wrong; the detail goes to the server log.
"""

from __future__ import annotations

import base64
import binascii
import logging
from dataclasses import replace
from typing import Any

from docdb.errors import ErrorCode, MongoError
from docdb.server.auth.scram import (
    MECHANISMS,
    ScramConversation,
    ScramFailure,
    parse_client_first,
    usable_credentials,
)
from docdb.server.auth.session import SaslState
from docdb.server.auth.store import AuthStore
from docdb.server.auth.x509 import EXTERNAL_DB, x509_login
from docdb.server.auth.x509 import MECHANISM as X509_MECHANISM
from docdb.server.context import CommandContext
from docdb.server.params import check_fields, get_bool, get_doc
from docdb.server.registry import command

log = logging.getLogger("docdb.auth")
AUTH_FAILED = "Authentication failed."
CONVERSATION_ID = 1  # mongod holds one conversation per connection and always numbers it 1


def _failed(ctx: CommandContext, reason: str) -> MongoError:
    log.info("authentication failed on connection %d: %s", ctx.connection.connection_id, reason)
    ctx.connection.auth.sasl = None
    return MongoError(ErrorCode.AuthenticationFailed, AUTH_FAILED)


def _payload(cmd: dict[str, Any]) -> bytes:
    value = cmd.get("payload")
    if isinstance(value, bytes):
        return bytes(value)
    if isinstance(value, str):  # mongod accepts a base64 string too
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise MongoError(ErrorCode.BadValue, "Invalid base64 in SASL payload") from None
    if value is None:
        raise MongoError(40414, f"BSON field '{next(iter(cmd))}.payload' is missing but a required field")
    raise MongoError(ErrorCode.TypeMismatch, f"BSON field '{next(iter(cmd))}.payload' is the wrong type")


def start_conversation(ctx: CommandContext, cmd: dict[str, Any], db: str) -> dict[str, Any]:
    """Step 1 of SCRAM for ``cmd`` (a saslStart document) against the users of ``db``."""
    mechanism = cmd.get("mechanism")
    if not isinstance(mechanism, str):
        raise MongoError(40414, "BSON field 'saslStart.mechanism' is missing but a required field")
    if mechanism not in MECHANISMS:
        raise MongoError(
            ErrorCode.BadValue, f"Unsupported mechanism '{mechanism}' on authentication database '{db}'"
        )
    payload = _payload(cmd)
    as_base64 = isinstance(cmd.get("payload"), str)
    options = get_doc(cmd, "options") or {}
    skip_empty = bool(options.get("skipEmptyExchange", False))
    session = ctx.connection.auth
    try:
        user, client_nonce, bare = parse_client_first(payload)
    except ScramFailure as error:
        raise _failed(ctx, str(error)) from None
    stored = AuthStore(ctx.catalog).user(db, user)
    all_credentials = None if stored is None else stored.get("credentials")
    credentials = all_credentials.get(mechanism) if isinstance(all_credentials, dict) else None
    if not usable_credentials(credentials):
        raise _failed(ctx, f"no usable {mechanism} credentials for {user}@{db}")
    scram = ScramConversation(mechanism, credentials, client_nonce, bare)
    session.sasl = SaslState(CONVERSATION_ID, user, db, mechanism, scram, skip_empty, as_base64)
    return _reply(session.sasl, False, scram.server_first)


def _reply(state: SaslState, done: bool, payload: str) -> dict[str, Any]:
    """mongod's SaslReply; the payload in the form the client sent its own (BinData or base64 string)."""
    data = payload.encode()
    return {
        "conversationId": CONVERSATION_ID,
        "done": done,
        "payload": base64.b64encode(data).decode() if state.as_base64 else data,
    }


@command("saslStart", no_auth=True)
def sasl_start(ctx: CommandContext, cmd: dict[str, Any]) -> dict[str, Any]:
    """Begin a SCRAM-SHA-1 / SCRAM-SHA-256 conversation: the server-first-message."""
    check_fields(cmd, {"mechanism", "payload", "autoAuthorize", "options"})
    return start_conversation(ctx, cmd, ctx.db)


@command("saslContinue", no_auth=True)
def sasl_continue(ctx: CommandContext, cmd: dict[str, Any]) -> dict[str, Any]:
    """The client's proof (answered with the server signature) or, without ``skipEmptyExchange``, the
    final empty exchange."""
    check_fields(cmd, {"conversationId", "payload"})
    session = ctx.connection.auth
    state = session.sasl
    if state is None:
        raise MongoError(ErrorCode.ProtocolError, "No SASL session state found")
    if cmd.get("conversationId") != CONVERSATION_ID:
        session.sasl = None
        raise MongoError(ErrorCode.ProtocolError, "sasl: Mismatched conversation id")
    payload = _payload(cmd)
    if state.scram.step == 1:
        try:
            final = state.scram.finish(payload)
        except ScramFailure as error:
            raise _failed(ctx, str(error)) from None
        if not state.skip_empty_exchange:
            return _reply(state, False, final)
        _login(ctx, state)
        return _reply(state, True, final)
    if payload:
        raise _failed(ctx, "unexpected payload after the server-final-message")
    _login(ctx, state)
    return _reply(state, True, "")


def _login(ctx: CommandContext, state: SaslState) -> None:
    session = ctx.connection.auth
    session.sasl = None
    if session.user is not None and session.user != (state.user, state.db):
        previous = f"{session.user[0]}@{session.user[1]}"
        if session.user[1] == state.db:
            raise MongoError(
                5626701,
                "Each client connection may only be authenticated once. "
                f"Previously authenticated as: {previous}",
            )
        raise MongoError(
            5626702,
            "Client has attempted to authenticate on multiple databases."
            f"Already authenticated as: {previous}",
        )
    session.login(state.user, state.db)
    log.info(
        "authenticated %s@%s with %s on connection %d",
        state.user,
        state.db,
        state.mechanism,
        ctx.connection.connection_id,
    )


@command("authenticate", no_auth=True)
def authenticate(ctx: CommandContext, cmd: dict[str, Any]) -> dict[str, Any]:
    """mongod 7.0's ``authenticate`` serves only MONGODB-X509: the verified TLS client certificate's
    subject must be a user of ``$external`` (and match ``user`` when given)."""
    check_fields(cmd, {"mechanism", "user"})
    return _x509(ctx, cmd)


def _x509(ctx: CommandContext, cmd: dict[str, Any]) -> dict[str, Any]:
    """Log in by certificate; the reply (``{dbname, user}``) is also hello's speculativeAuthenticate."""
    if cmd.get("mechanism") != X509_MECHANISM:
        raise _failed(ctx, f"authenticate with mechanism {cmd.get('mechanism')!r}: only MONGODB-X509")
    if ctx.db != EXTERNAL_DB:
        raise _failed(ctx, "MONGODB-X509 authentication must use the $external database")
    try:
        subject = x509_login(ctx, cmd)
    except MongoError as error:
        raise _failed(ctx, error.errmsg) from None
    session = ctx.connection.auth
    if session.user is not None and session.user != (subject, EXTERNAL_DB):
        raise MongoError(
            5626702,
            "Client has attempted to authenticate on multiple databases."
            f"Already authenticated as: {session.user[0]}@{session.user[1]}",
        )
    session.login(subject, EXTERNAL_DB)
    log.info(
        "authenticated %s@$external with MONGODB-X509 on connection %d", subject, ctx.connection.connection_id
    )
    return {"dbname": EXTERNAL_DB, "user": subject}


@command("logout", no_auth=True)
def logout(ctx: CommandContext, cmd: dict[str, Any]) -> dict[str, Any]:
    """Forget the user authenticated on this database (mongod 7.0 holds one user per connection)."""
    check_fields(cmd, ())
    session = ctx.connection.auth
    if session.user is not None and session.user[1] == ctx.db:
        session.logout()
    return {}


@command("connectionStatus", no_auth=True)
def connection_status(ctx: CommandContext, cmd: dict[str, Any]) -> dict[str, Any]:
    """Who is authenticated on this connection, their roles, and (``showPrivileges``) what they may do."""
    check_fields(cmd, {"showPrivileges"})
    session = ctx.connection.auth
    privileges = session.privileges(ctx.catalog)
    users, roles = [], []
    if privileges is not None and session.user is not None:
        users = [{"user": session.user[0], "db": session.user[1]}]
        roles = [{"role": role, "db": db} for role, db in session.direct_roles(ctx.catalog)]
    info: dict[str, Any] = {"authenticatedUsers": users, "authenticatedUserRoles": roles}
    if get_bool(cmd, "showPrivileges"):
        info["authenticatedUserPrivileges"] = [] if privileges is None else privileges.documents()
    return {"authInfo": info}


def hello_auth_fields(ctx: CommandContext, cmd: dict[str, Any]) -> dict[str, Any]:
    """``saslSupportedMechs`` for ``"db.user"`` (the user's mechanisms, none when there is no such user)
    and ``speculativeAuthenticate`` (saslStart folded into hello; a failure just leaves the field out,
    and the driver then authenticates the ordinary way)."""
    fields: dict[str, Any] = {}
    named = cmd.get("saslSupportedMechs")
    if isinstance(named, str):
        db, dot, user = named.partition(".")
        if not dot:
            raise MongoError(ErrorCode.BadValue, "UserName must contain a '.' separated database.user pair")
        stored = AuthStore(ctx.catalog).user(db, user)
        if stored is not None:
            held = stored.get("credentials")
            fields["saslSupportedMechs"] = [m for m in MECHANISMS if isinstance(held, dict) and m in held]
    speculative = cmd.get("speculativeAuthenticate")
    if (
        isinstance(speculative, dict)
        and speculative.get("authenticate")
        and speculative.get("db") == EXTERNAL_DB
    ):
        x509_ctx = ctx if ctx.db == EXTERNAL_DB else replace(ctx, db=EXTERNAL_DB)
        try:
            fields["speculativeAuthenticate"] = _x509(x509_ctx, speculative)
        except MongoError as error:
            log.info("speculative authentication failed: %s", error.errmsg)
    elif isinstance(speculative, dict) and speculative.get("saslStart") and "db" in speculative:
        try:
            fields["speculativeAuthenticate"] = start_conversation(ctx, speculative, str(speculative["db"]))
        except MongoError as error:
            log.info("speculative authentication failed: %s", error.errmsg)
    return fields
