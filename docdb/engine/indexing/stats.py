"""``$indexStats`` documents: per index, how often plans used it since it was created (or loaded)."""

from __future__ import annotations

import datetime
from typing import Any

from bson.int64 import Int64

from docdb.engine.collection import Collection


def index_stats(coll: Collection, host: str) -> list[dict[str, Any]]:
    """One ``{name, key, host, accesses: {ops, since}, spec}`` document per index, ``_id_`` first."""
    out = []
    id_index = coll.indexes_by_id()
    rows = [
        (id_index, coll.id_accesses + id_index.accesses),
        *((i, i.accesses) for i in coll.indexes.values()),
    ]
    for index, ops in rows:
        since = datetime.datetime.fromtimestamp(index.since, datetime.timezone.utc).replace(tzinfo=None)
        out.append(
            {
                "name": index.name,
                "key": dict(index.key_pattern),
                "host": host,
                "accesses": {"ops": Int64(ops), "since": since},
                "spec": dict(index.spec),
            }
        )
    return out
