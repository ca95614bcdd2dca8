"""kill -9 during a stream of multi-collection transactions: after the restart every acknowledged
transaction is whole and no other one is even partly there."""

from __future__ import annotations

import threading
from pathlib import Path

from pymongo.errors import PyMongoError

from tests.serverproc import ServerProcess

ROUNDS = 3


def _stream(server: ServerProcess, start: int, acked: list[int], enough: threading.Event) -> None:
    with server.client(retryWrites=False) as client:
        db = client.d
        k = start
        try:
            while True:
                with client.start_session() as s, s.start_transaction():
                    db.a.insert_one({"_id": k}, session=s)
                    db.b.insert_many([{"_id": k, "n": 0}, {"_id": -k - 1, "n": 1}], session=s)
                    db.other.c.update_one({"_id": "count"}, {"$inc": {"n": 1}}, upsert=True, session=s)
                acked.append(k)
                if len(acked) >= 20:
                    enough.set()
                k += 1
        except PyMongoError:
            enough.set()  # the server is gone


def test_transactions_are_all_or_nothing_after_kill9(tmp_path: Path) -> None:
    path = tmp_path / "txn.mdb"
    acked: list[int] = []
    start = 0
    for _ in range(ROUNDS):
        with ServerProcess(path, extra_args=["--replica-set", "rs0"]) as server:
            enough = threading.Event()
            worker = threading.Thread(target=_stream, args=(server, start, acked, enough), daemon=True)
            worker.start()
            enough.wait(60)
            server.kill9()
            worker.join(30)
        start = (max(acked) + 1 if acked else 0) + 1000
    with ServerProcess(path, extra_args=["--replica-set", "rs0"]) as server, server.client() as client:
        db = client.d
        in_a = {d["_id"] for d in db.a.find()}
        in_b = {d["_id"] for d in db.b.find() if d["n"] == 0}
        mirrors = {-d["_id"] - 1 for d in db.b.find() if d["n"] == 1}
        count = client.d.other.c.find_one({"_id": "count"})["n"]
    assert set(acked) <= in_a
    assert in_a == in_b == mirrors  # each transaction whole or absent
    assert count == len(in_a)
