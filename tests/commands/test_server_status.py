"""serverStatus sections as mongod 7.0 names and types them, each excludable with ``{section: 0}``, and
counters that count: bytes and requests in the connection layer, documents in the server."""

from __future__ import annotations

import socket

import bson
import pytest
from bson.int64 import Int64
from pymongo.errors import DuplicateKeyError, OperationFailure

from tests.wire_client import op_msg_frame, read_reply

SECTIONS = [
    "asserts",
    "connections",
    "docdb",
    "extra_info",
    "globalLock",
    "locks",
    "mem",
    "metrics",
    "network",
    "opLatencies",
    "opcounters",
    "storageEngine",
]


def _types(doc: dict) -> dict:
    return {key: _types(value) if isinstance(value, dict) else type(value) for key, value in doc.items()}


def test_sections_follow_the_header_in_name_order(client):
    status = client.admin.command("serverStatus")
    assert list(status)[8:] == [*SECTIONS, "ok"]


def test_section_fields_and_types(client):
    status = client.admin.command("serverStatus")
    assert _types(status["asserts"]) == dict.fromkeys(
        ["regular", "warning", "msg", "user", "tripwire", "rollovers"], int
    )
    queue = {"total": int, "readers": int, "writers": int}
    assert _types(status["globalLock"]) == {"totalTime": Int64, "currentQueue": queue, "activeClients": queue}
    assert _types(status["network"]) == dict.fromkeys(
        [
            "bytesIn",
            "bytesOut",
            "physicalBytesIn",
            "physicalBytesOut",
            "numSlowDNSOperations",
            "numSlowSSLOperations",
            "numRequests",
        ],
        Int64,
    )
    assert _types(status["opLatencies"]) == dict.fromkeys(
        ["reads", "writes", "commands", "transactions"], {"latency": Int64, "ops": Int64}
    )
    assert _types(status["mem"]) == {"bits": int, "resident": int, "virtual": int, "supported": bool}
    extra = _types(status["extra_info"])
    assert extra.pop("note") is str
    assert extra == dict.fromkeys(
        [
            "user_time_us",
            "system_time_us",
            "maximum_resident_set_kb",
            "input_blocks",
            "output_blocks",
            "page_reclaims",
            "page_faults",
            "voluntary_context_switches",
            "involuntary_context_switches",
        ],
        Int64,
    )
    assert _types(status["locks"]) == {"Global": {"acquireCount": {"r": Int64, "w": Int64}}}
    metrics = _types(status["metrics"])
    assert metrics["document"] == dict.fromkeys(["deleted", "inserted", "returned", "updated"], Int64)
    assert metrics["cursor"] == {
        "lifespan": dict.fromkeys(
            [
                "greaterThanOrEqual10Minutes",
                "lessThan10Minutes",
                "lessThan15Seconds",
                "lessThan1Minute",
                "lessThan1Second",
                "lessThan30Seconds",
                "lessThan5Seconds",
            ],
            Int64,
        ),
        "moreThanOneBatch": Int64,
        "open": {"noTimeout": Int64, "pinned": Int64, "total": Int64},
        "timedOut": Int64,
        "totalOpened": Int64,
    }
    assert _types(status["storageEngine"]) == {
        "name": str,
        "supportsCommittedReads": bool,
        "supportsPendingDrops": bool,
        "dropPendingIdents": Int64,
        "supportsSnapshotReadConcern": bool,
        "readOnly": bool,
        "persistent": bool,
        "backupCursorOpen": bool,
    }


@pytest.mark.parametrize("section", SECTIONS)
def test_each_section_can_be_excluded(client, section):
    status = client.admin.command({"serverStatus": 1, section: 0})
    assert section not in status
    assert [name for name in SECTIONS if name != section] == [name for name in status if name in SECTIONS]


def test_network_counts_the_bytes_and_requests_on_the_wire(server):
    status = bson.encode({"serverStatus": 1, "$db": "admin"})
    ping = op_msg_frame(bson.encode({"ping": 1, "$db": "admin"}), request_id=2)
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(op_msg_frame(status))
        first = read_reply(sock)
        sock.sendall(ping)
        pong = read_reply(sock)
        sock.sendall(op_msg_frame(status, request_id=3))
        after = read_reply(sock)["network"]
    before = first["network"]
    assert pong == {"ok": 1.0}
    pong_frame = 16 + 5 + len(bson.encode({"ok": 1.0}))
    first_reply = 16 + 5 + len(bson.encode(first))  # counted when sent, after its counters were read
    assert after["numRequests"] - before["numRequests"] == 2
    assert after["bytesIn"] - before["bytesIn"] == len(ping) + len(op_msg_frame(status))
    assert after["physicalBytesIn"] - before["physicalBytesIn"] == len(ping) + len(op_msg_frame(status))
    assert after["bytesOut"] - before["bytesOut"] == first_reply + pong_frame


def test_document_counters(client, db):
    before = client.admin.command("serverStatus")["metrics"]["document"]
    db.c.insert_many([{"_id": i, "a": i % 2} for i in range(10)])
    db.c.update_many({"a": 1}, {"$set": {"b": 1}})
    db.c.update_one({"_id": 99}, {"$set": {"b": 1}}, upsert=True)
    db.c.delete_many({"a": 0})
    db.c.find_one_and_update({"_id": 1}, {"$inc": {"b": 1}})
    db.c.find_one_and_delete({"_id": 3})
    assert len(list(db.c.find({}, batch_size=2))) == 5
    after = client.admin.command("serverStatus")["metrics"]["document"]
    delta = {name: after[name] - before[name] for name in after}
    assert delta == {"deleted": 6, "inserted": 11, "returned": 5, "updated": 6}


def test_cursor_metrics(client, db):
    db.c.insert_many([{"_id": i} for i in range(5)])
    before = client.admin.command("serverStatus")["metrics"]["cursor"]
    assert len(list(db.c.find({}, batch_size=2))) == 5
    after = client.admin.command("serverStatus")["metrics"]["cursor"]
    assert after["totalOpened"] - before["totalOpened"] == 1
    assert after["moreThanOneBatch"] - before["moreThanOneBatch"] == 1
    assert sum(after["lifespan"].values()) - sum(before["lifespan"].values()) == 1
    assert after["open"]["total"] == before["open"]["total"]


def test_latencies_locks_and_asserts(client, db):
    before = client.admin.command("serverStatus")
    db.c.insert_one({"_id": 1})
    db.c.find_one({"_id": 1})
    with pytest.raises(DuplicateKeyError):
        db.c.insert_one({"_id": 1})  # E11000 is a write error, not a failed command
    with pytest.raises(OperationFailure):
        db.command("find", "c", filter={"$bad": 1})
    after = client.admin.command("serverStatus")
    ops = {
        kind: after["opLatencies"][kind]["ops"] - before["opLatencies"][kind]["ops"]
        for kind in after["opLatencies"]
    }
    assert ops == {"reads": 2, "writes": 2, "commands": 1, "transactions": 0}
    acquired = after["locks"]["Global"]["acquireCount"]
    was = before["locks"]["Global"]["acquireCount"]
    assert (acquired["r"] - was["r"], acquired["w"] - was["w"]) == (3, 2)
    assert after["asserts"]["user"] - before["asserts"]["user"] == 1
    finds = after["metrics"]["commands"]["find"]
    was_finds = before["metrics"]["commands"]["find"]
    assert (finds["failed"] - was_finds["failed"], finds["total"] - was_finds["total"]) == (1, 2)
    assert _types(after["metrics"]["commands"]["find"]) == {"failed": Int64, "total": Int64}
    assert after["globalLock"]["totalTime"] > before["globalLock"]["totalTime"]
