"""Documents held by open multi-document transactions, and what a plain write of one of them does.

Every open transaction's writes are registered in ``Catalog.intents``: ``(ns, key)`` -> the
transaction's store. In mongod a plain (non-transactional) write of such a document meets a write
conflict that it retries internally until the transaction commits or aborts (or its own ``maxTimeMS``
passes); then it applies on top of the committed state, and the transaction commits normally. A unique
index key that an open transaction's write took holds a plain write of that key alike. Here the
catalog's commit funnel raises :class:`WriteBlocked` instead of applying such a statement; the server
parks the command until the holder ends and runs it again from that statement. The check costs a
truthiness test per commit when no transaction holds anything.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import Any, Protocol

from docdb.bson_codec import decode_document


class Holder(Protocol):
    """What a blocked write needs of the transaction that holds its document."""

    open: bool

    def when_ended(self, callback: Any) -> None: ...

    def holds_unique(self, ns: str, index_name: str, ikey: tuple, key: Hashable) -> bool: ...


class WriteBlocked(Exception):  # noqa: N818 (a signal to the server, not an error a client sees)
    """A plain write reached a document that an open transaction (``holder``) has written.

    Nothing of the statement that raised it was applied. A write command of several statements may
    have applied the ``done`` statements before it: ``outcome`` (a ``writes.WriteOutcome``) is their
    result and ``retried`` the statement ids a retryable write answered from its log, so the command
    can go on from statement ``done`` once the holder has ended.
    """

    def __init__(self, holder: Holder) -> None:
        super().__init__("write blocked by an open transaction")
        self.holder = holder
        self.done = 0
        self.outcome: Any = None
        self.retried: list[int] = []


def check_intents(
    intents: dict[tuple[str, Hashable], Holder],
    writes: Iterable[Any],
    unique_holders: dict[str, set[Holder]] | None = None,
) -> None:
    """Raise WriteBlocked if one of ``writes`` (``DocWrite``) is of a document an open transaction holds,
    or gives a unique index a key that an open transaction's write holds (``unique_holders``: ns -> the
    transactions holding unique keys in it), as WiredTiger's write conflict on the index entry would."""
    for w in writes:
        holder = intents.get((w.collection.ns, w.key))
        if holder is not None and holder.open:
            raise WriteBlocked(holder)
    if not unique_holders:
        return
    for w in writes:
        holders = unique_holders.get(w.collection.ns) if w.raw is not None else None
        if not holders:
            continue
        doc = decode_document(w.raw)
        for index in w.collection.indexes.values():
            if not index.unique:
                continue
            for ikey in index.keys(doc):
                for holder in holders:
                    if holder.open and holder.holds_unique(w.collection.ns, index.name, ikey, w.key):
                        raise WriteBlocked(holder)
