"""find through a view: the command's shape checked as for a collection, then run as an aggregation."""

from __future__ import annotations

from typing import Any

from docdb.engine.collation import using
from docdb.engine.reads import FindSpec
from docdb.engine.view_reads import FIND_OPTIONS_REFUSED_ON_VIEWS, find_view
from docdb.engine.views import ViewChain
from docdb.errors import ErrorCode, MongoError
from docdb.server.commands.query_options import check_hint, view_collator
from docdb.server.context import CommandContext
from docdb.server.params import get_bool, get_doc, get_int, non_negative


def find_on_view(ctx: CommandContext, cmd: dict[str, Any], chain: ViewChain) -> dict[str, Any]:
    """A find on a view, rewritten (as mongod rewrites it) into an aggregate over the view's source; the
    options an aggregation has no equivalent for are refused with mongod's error."""
    from docdb.server.commands.crud import cursor_reply

    for option in FIND_OPTIONS_REFUSED_ON_VIEWS:
        if cmd.get(option):
            raise MongoError(
                ErrorCode.InvalidPipelineOperator, f"Option {option} not supported in aggregation."
            )
    check_hint(chain.base, cmd.get("hint"))
    spec = FindSpec(
        get_doc(cmd, "filter") or {},
        get_doc(cmd, "projection"),
        get_doc(cmd, "sort"),
        non_negative("skip", get_int(cmd, "skip")) or 0,
        non_negative("limit", get_int(cmd, "limit")) or 0,
    )
    batch_size = get_int(cmd, "batchSize")
    if batch_size is not None:
        non_negative("batchSize", batch_size)
    with using(view_collator(cmd.get("collation"), chain.definition)):
        docs = find_view(ctx.catalog, chain, spec, get_doc(cmd, "let"))
    return cursor_reply(ctx, chain.ns, docs, batch_size, get_bool(cmd, "singleBatch"))
