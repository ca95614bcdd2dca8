"""``Metrics.count_command`` keeps one record per command name: the histogram and total time, the
per-class latencies summed from them, the document counters read from each kind of reply, the failure
counters, and the names beyond the cap counted in their class without a histogram."""

from __future__ import annotations

from bson.int64 import Int64

from docdb.server.metrics import LATENCY_BUCKETS_MICROS, MAX_COMMAND_NAMES, Metrics

NO_CURSOR = {"ok": 1.0}


def test_latency_classes_and_histograms():
    m = Metrics()
    m.count_command("find", NO_CURSOR, 0.000050)
    m.count_command("find", NO_CURSOR, 0.000300)
    m.count_command("insert", {"n": 1, "ok": 1.0}, 0.002)
    m.count_command("ping", NO_CURSOR, 2.0)
    assert m.latency_micros == [350, 2000, 2_000_000, 0]
    assert m.latency_ops == [2, 1, 1, 0]
    assert m.lock_acquisitions() == (3, 1)
    slots = len(LATENCY_BUCKETS_MICROS) + 1
    assert m.command_buckets["find"] == [1, 0, 1] + [0] * (slots - 3)
    assert m.command_buckets["ping"] == [0] * (slots - 1) + [1]
    assert m.command_micros == {"find": 350, "insert": 2000, "ping": 2_000_000}


def test_documents_by_reply_kind():
    m = Metrics()
    m.count_command("find", {"cursor": {"firstBatch": [1, 2], "id": Int64(0), "ns": "d.c"}, "ok": 1.0}, 0)
    m.count_command("getMore", {"cursor": {"nextBatch": [1], "id": Int64(0), "ns": "d.c"}, "ok": 1.0}, 0)
    m.count_command("insert", {"n": 3, "ok": 1.0}, 0)
    m.count_command("update", {"n": 2, "upserted": [{"index": 0, "_id": 1}], "nModified": 1, "ok": 1.0}, 0)
    m.count_command("delete", {"n": 4, "ok": 1.0}, 0)
    m.count_command("findAndModify", {"lastErrorObject": {"n": 1, "updatedExisting": True}, "ok": 1.0}, 0)
    m.count_command("findandmodify", {"lastErrorObject": {"n": 1}, "value": {"a": 1}, "ok": 1.0}, 0)
    m.count_command("count", {"n": 9, "ok": 1.0}, 0)
    assert m.documents == {"returned": 3, "inserted": 4, "updated": 2, "deleted": 5}


def test_failures_count_no_documents():
    m = Metrics()
    m.count_command("insert", {"n": 0, "ok": 0.0, "code": 2}, 0)
    m.count_command("find", {"ok": 0.0, "code": 1}, 0)
    assert m.commands_failed == {"insert": 1, "find": 1}
    assert m.asserts == {"user": 1, "regular": 1}
    assert m.documents == {}
    assert m.latency_ops == [1, 1, 0, 0]


def test_names_beyond_the_cap_count_in_their_class_only():
    m = Metrics()
    for i in range(MAX_COMMAND_NAMES):
        m.count_command(f"made-up-{i}", NO_CURSOR, 0.000001)
    m.count_command("find", NO_CURSOR, 0.000010)
    m.count_command("other", NO_CURSOR, 0.000020)
    assert "find" not in m.command_buckets and len(m.command_buckets) == MAX_COMMAND_NAMES
    assert m.latency_ops == [1, 0, MAX_COMMAND_NAMES + 1, 0]
    assert m.latency_micros == [10, 0, MAX_COMMAND_NAMES + 20, 0]
