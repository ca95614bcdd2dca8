"""The change history keeps each commit's wall-clock milliseconds and each change's collection UUID: the
catalog stamps them, HISTORY records carry them (``w`` once per commit, ``ui`` once per run of one
collection's changes) and read them back, and a record written before they were kept still loads."""

from __future__ import annotations

import bson
from bson.binary import Binary
from bson.timestamp import Timestamp

from docdb.bson_codec import decode_document
from docdb.engine.catalog import Catalog
from docdb.engine.history import ChangeHistory, wall_ms
from docdb.engine.history_records import encode_history, load_history_record
from docdb.engine.writes import insert_documents


def _catalog() -> Catalog:
    """``d.c`` written, dropped, recreated and written again; then the database dropped."""
    catalog = Catalog()
    insert_documents(catalog, "d", "c", [{"_id": i} for i in range(3)], True)
    catalog.drop_collection("d", "c")
    insert_documents(catalog, "d", "c", [{"_id": 0}], True)
    catalog.drop_database("d")
    return catalog


def test_the_catalog_stamps_wall_time_and_uuid():
    catalog = _catalog()
    changes = catalog.history.entries()
    assert [c.op for c in changes] == ["create", "insert", "insert", "insert", "drop", "create", "insert"] + [
        "drop",
        "dropDatabase",
    ]
    first, second = changes[0].uuid, changes[5].uuid
    assert isinstance(first, Binary) and first.subtype == 4 and first != second
    assert [c.uuid for c in changes] == [first] * 5 + [second] * 3 + [None]
    for change in changes:
        assert change.wall // 1000 == change.ts.time  # read with the Timestamp's seconds
    inserts = changes[1:4]
    assert len({c.wall for c in inserts}) == 1  # one commit, one value
    assert inserts[0].wall is inserts[2].wall


def test_history_records_carry_them_once_per_commit_and_collection():
    entries = _catalog().history.entries()
    payloads = list(encode_history(entries, Timestamp(0, 0), 1 << 20))
    changes = [c for p in payloads for c in decode_document(p)["changes"]]
    walls = ["w" in c for c in changes]
    uuids = ["ui" in c for c in changes]
    # the three inserts are one commit; a drop and the database's drop share one too
    assert walls == [True, True, False, False, True, True, True, True, False]
    assert uuids == [True, False, False, False, False, True, False, False, True]
    assert changes[-1]["ui"] is None
    history = ChangeHistory()
    for payload in payloads:
        load_history_record(history, payload)
    assert [tuple(c)[1:] for c in history.entries()] == [tuple(c)[1:] for c in entries]


def test_a_record_without_them_falls_back():
    ts = [Timestamp(1_700_000_000, 1), Timestamp(1_700_000_000, 2), Timestamp(1_700_000_005, 1)]
    raw = bson.encode({"_id": 1})
    record = {
        "horizon": Timestamp(1_699_999_999, 0),
        "changes": [
            {"ts": ts[0], "ns": "d.c", "op": "insert", "id": 1, "a": raw},
            {"ts": ts[1], "ns": "d.c", "op": "delete", "id": 1},
            {"ts": ts[2], "ns": "d.e", "op": "create", "id": {}},
        ],
    }
    history = ChangeHistory()
    load_history_record(history, bson.encode(record))
    changes = history.entries()
    assert [(c.wall, wall_ms(c), c.uuid) for c in changes] == [
        (1_700_000_000_000, 1_700_000_000_000, None),
        (1_700_000_000_000, 1_700_000_000_000, None),
        (1_700_000_005_000, 1_700_000_005_000, None),
    ]
