"""A concurrent insert/update/delete workload, the server kill -9'd at random moments, repeated: after
every restart each acknowledged write is there and no multi-document write is half applied."""

from __future__ import annotations

import random
import threading
import time

import pytest
from pymongo.errors import PyMongoError
from pymongo.write_concern import WriteConcern

from tests.serverproc import ServerProcess

ABSENT, V0, V1 = "absent", "v0", "v1"
GROUP_SIZE = 3
WORKERS = 4


class Ledger:
    """What clients were told: per group, the acknowledged state and any in-doubt one (no reply)."""

    def __init__(self) -> None:
        self.allowed: dict[str, set[str]] = {}
        self.lock = threading.Lock()

    def attempt(self, group: str, new: str) -> None:
        with self.lock:
            self.allowed.setdefault(group, {ABSENT}).add(new)

    def acknowledge(self, group: str, new: str) -> None:
        with self.lock:
            self.allowed[group] = {new}


def _worker(client, wc: WriteConcern, prefix: str, ledger: Ledger, stop: threading.Event) -> None:
    coll = client.d.get_collection("c", write_concern=wc)
    live: list[str] = []
    n = 0
    while not stop.is_set():
        group = f"{prefix}:{n}"
        n += 1
        steps = [
            (
                group,
                V0,
                lambda g=group: coll.insert_many(
                    [{"_id": f"{g}:{k}", "g": g, "v": 0} for k in range(GROUP_SIZE)]
                ),
            )
        ]
        if live:
            old = live[-1]
            steps.append((old, V1, lambda g=old: coll.update_many({"g": g}, {"$set": {"v": 1}})))
        if len(live) > 2 and n % 2:
            gone = live.pop(0)
            steps.append((gone, ABSENT, lambda g=gone: coll.delete_many({"g": g})))
        for target, new, op in steps:
            ledger.attempt(target, new)
            try:
                op()
            except PyMongoError:
                return  # the server died: this write is in doubt, both states stay allowed
            ledger.acknowledge(target, new)
        live.append(group)


def _observed(client) -> dict[str, str]:
    groups: dict[str, list[int]] = {}
    for doc in client.d.c.find():
        groups.setdefault(doc["g"], []).append(doc["v"])
    states = {}
    for group, values in groups.items():
        assert len(values) == GROUP_SIZE, f"half-applied insert of {group}: {values}"
        assert len(set(values)) == 1, f"half-applied update of {group}: {values}"
        states[group] = V0 if values[0] == 0 else V1
    return states


def _run(data_file, wc: WriteConcern, iterations: int, seed: int) -> None:
    rng = random.Random(seed)
    ledger = Ledger()
    for it in range(iterations):
        server = ServerProcess(data_file).start()
        clients = [server.client(retryWrites=False, serverSelectionTimeoutMS=2000) for _ in range(WORKERS)]
        observed = _observed(clients[0])
        for group, allowed in ledger.allowed.items():
            assert observed.get(group, ABSENT) in allowed, (it, group, allowed, observed.get(group))
        for group, state in observed.items():
            ledger.allowed[group] = {state}  # settle in-doubt outcomes before the next round
        for group in [g for g in ledger.allowed if g not in observed]:
            ledger.allowed[group] = {ABSENT}
        stop = threading.Event()
        threads = [
            threading.Thread(target=_worker, args=(c, wc, f"{it}.{w}", ledger, stop))
            for w, c in enumerate(clients)
        ]
        for t in threads:
            t.start()
        time.sleep(rng.uniform(0.2, 0.6))
        server.kill9()
        stop.set()
        for t in threads:
            t.join(30)
        for c in clients:
            c.close()
    with ServerProcess(data_file) as server, server.client() as client:
        observed = _observed(client)
        for group, allowed in ledger.allowed.items():
            assert observed.get(group, ABSENT) in allowed, (group, allowed, observed.get(group))
        assert any(state != ABSENT for state in observed.values())


@pytest.mark.parametrize("wc", [WriteConcern(j=True), WriteConcern(w=1)], ids=["j-true", "w1"])
def test_kill9_during_concurrent_writes(data_file, wc):
    _run(data_file, wc, iterations=3, seed=1)


@pytest.mark.slow
def test_kill9_soak(data_file):
    _run(data_file, WriteConcern(j=True), iterations=40, seed=2)
