"""Retryable writes: an insert/update/delete/findAndModify statement with a given ``(lsid, txnNumber,
stmtId)`` runs at most once; a retry gets the original result back without anything applied again.

Each statement runs with the catalog's commits held (``Catalog.hold_commits``): the statement's one
commit is held back so it can be logged together with the fact that the statement ran and its result
(``session_log.txn_document``): one record, so after a crash the effect and the fact are both there or
neither. The facts live in ``Catalog.session_facts`` (rebuilt by recovery), the one place a retry is
answered from, before or after a restart. The insert hot path stays one handler call and one commit.
"""

from __future__ import annotations

from typing import Any

from docdb.engine.catalog import DocWrite
from docdb.engine.session_log import txn_document
from docdb.engine.write_intents import WriteBlocked
from docdb.engine.writes import WriteOutcome
from docdb.errors import ErrorCode, MongoError
from docdb.server.context import CommandContext
from docdb.server.registry import CommandSpec
from docdb.server.sessions import Session

STATEMENT_FIELDS = {"insert": "documents", "update": "updates", "delete": "deletes"}  # statements, by command


def run(
    ctx: CommandContext, spec: CommandSpec, body: dict[str, Any], session: Session, txn_number: int
) -> dict[str, Any]:
    """Run the retryable write ``body`` of ``session`` under ``txn_number``."""
    catalog = ctx.state.catalog
    facts = catalog.session_facts.get(session.id)
    if (
        spec.name == "insert"  # the hot path: a driver's insert under a new number, nothing ran yet
        and session.txn_number < txn_number
        and (facts is None or facts.txn_number < txn_number)
        and "stmtId" not in body
        and "stmtIds" not in body
    ):
        session.txn_number = txn_number
        held = catalog.hold_commits()
        try:
            reply = spec.handler(ctx, body)
        finally:
            catalog.release_commits()
        docs = body["documents"]  # the handler checked it is a non-empty array
        if "writeErrors" not in reply:
            _log(ctx, held, {"lsid": session.id, "txnNumber": txn_number, "stmts": list(range(len(docs)))})
            return reply
        return _insert_outcome(ctx, body, reply, held, session.id, txn_number, list(range(len(docs))))
    newest = session.txn_number if facts is None else max(session.txn_number, facts.txn_number)
    txn = session.txn
    in_txn = txn is not None and txn.number == newest
    if txn_number < newest:
        raise MongoError(
            ErrorCode.TransactionTooOld,
            f"Retryable write with txnNumber {txn_number} is prohibited on session {session.describe()} "
            f"because a newer {'transaction' if in_txn else 'retryable write'} with txnNumber {newest} has "
            "already started on this session.",
        )
    if in_txn and txn_number == newest:
        raise MongoError(
            ErrorCode.IncompleteTransactionHistory,
            "Cannot retry a retryable write that has been converted into a transaction",
        )
    session.txn_number = txn_number
    if "stmtId" in body or "stmtIds" in body:  # the statement ids are this step's, not the handler's
        stmt_fields = {k: body[k] for k in ("stmtId", "stmtIds") if k in body}
        body = {k: v for k, v in body.items() if k not in stmt_fields}
    else:
        stmt_fields = {}
    done = facts.results if facts is not None and facts.txn_number == txn_number else {}
    name = spec.name
    if name in ("findAndModify", "findandmodify"):
        return _find_and_modify(ctx, spec, body, session.id, txn_number, done, stmt_fields.get("stmtId", 0))
    items = body.get(STATEMENT_FIELDS[name])
    if not isinstance(items, list) or not items:
        return spec.handler(ctx, body)  # the handler refuses the shape as mongod does
    stmt_ids = _statement_ids(stmt_fields, len(items)) if stmt_fields else list(range(len(items)))
    if name == "insert":
        return _insert(ctx, spec, body, session.id, txn_number, done, items, stmt_ids)
    return _one_by_one(ctx, spec, body, session.id, txn_number, done, items, stmt_ids)


def _statement_ids(fields: dict[str, Any], count: int) -> list[int]:
    """The statements' ids: ``stmtIds``, or consecutive from ``stmtId`` (0), as drivers send them."""
    ids = fields.get("stmtIds")
    if isinstance(ids, list):
        if len(ids) != count:
            raise MongoError(
                ErrorCode.InvalidLength, "Number of statement ids must match the number of batch entries"
            )
        return [int(i) for i in ids]
    first = fields.get("stmtId", 0)
    return list(range(int(first), int(first) + count))


def _run_deferred(
    ctx: CommandContext, spec: CommandSpec, body: dict[str, Any]
) -> tuple[dict[str, Any], list[DocWrite]]:
    """The handler's reply and the writes of its (one) commit, held back for ``_log``."""
    catalog = ctx.state.catalog
    held = catalog.hold_commits()
    try:
        return spec.handler(ctx, body), held
    finally:
        catalog.release_commits()


def _log(ctx: CommandContext, writes: list[DocWrite], txn: dict[str, Any]) -> None:
    catalog = ctx.state.catalog
    catalog.commit(writes, txn)
    if ctx.wait_lsn is not None:  # the handler asked for durability before the record was written
        ctx.wait_lsn = catalog.last_lsn


def _insert(
    ctx: CommandContext,
    spec: CommandSpec,
    body: dict[str, Any],
    lsid: bytes,
    number: int,
    done: dict[int, dict[str, Any]],
    docs: list[Any],
    stmt_ids: list[int],
) -> dict[str, Any]:
    todo = [i for i, sid in enumerate(stmt_ids) if sid not in done]
    retried = [sid for sid in stmt_ids if sid in done]
    if not todo:
        return {"n": len(docs), "retriedStmtIds": retried}
    sub = body if len(todo) == len(docs) else {**body, "documents": [docs[i] for i in todo]}
    reply, writes = _run_deferred(ctx, spec, sub)
    return _insert_outcome(ctx, body, reply, writes, lsid, number, stmt_ids, todo, retried)


def _insert_outcome(
    ctx: CommandContext,
    body: dict[str, Any],
    reply: dict[str, Any],
    writes: list[DocWrite],
    lsid: bytes,
    number: int,
    stmt_ids: list[int],
    todo: list[int] | None = None,
    retried: list[int] = (),  # type: ignore[assignment]
) -> dict[str, Any]:
    """Log the insert statements that ran (``todo``: the positions run, all by default) with their
    writes, and shape the reply: write error positions in the whole batch, retried ones counted."""
    if todo is None:
        todo = list(range(len(stmt_ids)))
    errors = reply.get("writeErrors")
    failed = set()
    if errors:
        for error in errors:
            error["index"] = todo[error["index"]]
            failed.add(error["index"])
        if body.get("ordered", True):
            first_failed = min(failed)
            todo = [i for i in todo if i < first_failed]
    ran = [stmt_ids[i] for i in todo if i not in failed]
    if ran or writes:
        _log(ctx, writes, txn_document(lsid, number, ran))
    reply["n"] = reply["n"] + len(retried)
    if retried:
        reply["retriedStmtIds"] = retried
    return reply


def _one_by_one(
    ctx: CommandContext,
    spec: CommandSpec,
    body: dict[str, Any],
    lsid: bytes,
    number: int,
    done: dict[int, dict[str, Any]],
    statements: list[Any],
    stmt_ids: list[int],
) -> dict[str, Any]:
    """update / delete: each statement runs (or is answered from its fact) alone."""
    field = STATEMENT_FIELDS[spec.name]
    is_update = spec.name == "update"
    n = modified = 0
    upserted: list[dict[str, Any]] = []
    write_errors: list[dict[str, Any]] = []
    retried: list[int] = []
    for index, statement in enumerate(statements):
        sid = stmt_ids[index]
        if sid not in done:
            try:
                reply, writes = _run_deferred(ctx, spec, {**body, field: [statement]})
            except WriteBlocked as blocked:  # an open transaction holds its document: go on from here later
                blocked.done, blocked.retried = index, retried
                blocked.outcome = WriteOutcome(n, modified, upserted, write_errors)
                raise
            errors = reply.get("writeErrors")
            if errors:
                for error in errors:
                    write_errors.append({**error, "index": index})
                if body.get("ordered", True):
                    break
                continue
            result = {"n": reply["n"]}
            if is_update:
                result["nModified"] = reply["nModified"]
                if reply.get("upserted"):
                    result["upserted"] = reply["upserted"][0]["_id"]
            _log(ctx, writes, txn_document(lsid, number, [sid], [result]))
        else:
            retried.append(sid)
            result = done[sid] or {"n": 1}  # no result kept: the statement was an insert (n = 1)
        n += result["n"]
        modified += result.get("nModified", 0)
        if "upserted" in result:
            upserted.append({"index": index, "_id": result["upserted"]})
    reply = {"n": n}
    if is_update:
        if upserted:
            reply["upserted"] = upserted
        reply["nModified"] = modified
    if write_errors:
        reply["writeErrors"] = write_errors
    if retried:
        reply["retriedStmtIds"] = retried
    return reply


def _find_and_modify(
    ctx: CommandContext,
    spec: CommandSpec,
    body: dict[str, Any],
    lsid: bytes,
    number: int,
    done: dict[int, dict[str, Any]],
    stmt_id: Any,
) -> dict[str, Any]:
    sid = int(stmt_id)
    result = done.get(sid)
    if result:
        return {**result, "retriedStmtId": sid}
    reply, writes = _run_deferred(ctx, spec, body)
    _log(ctx, writes, txn_document(lsid, number, [sid], [dict(reply)]))
    return reply
