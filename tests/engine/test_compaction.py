"""Compaction in-process: the new file holds exactly the live state plus what was written meanwhile."""

from __future__ import annotations

import asyncio
import os
import threading
from pathlib import Path

import bson
import pytest

import docdb.engine.compaction as compaction
from docdb.engine.bson_order import hash_key
from docdb.engine.catalog import Catalog, DocWrite
from docdb.engine.log import faults
from docdb.engine.log.compaction import compact_path
from docdb.engine.log.crypto import new_cipher
from docdb.errors import StorageError


def _put(catalog: Catalog, coll_name: str, doc: dict) -> None:
    coll = catalog.ensure_collection("db", coll_name)
    catalog.commit([DocWrite(coll, hash_key(doc["_id"]), doc["_id"], bson.encode(doc))])


def _delete(catalog: Catalog, coll_name: str, id_value: int) -> None:
    coll = catalog.ensure_collection("db", coll_name)
    catalog.commit([DocWrite(coll, hash_key(id_value), id_value, None)])


def _state(catalog: Catalog) -> dict:
    return {
        coll.ns: [bson.decode(raw) for raw in coll.docs.values()]
        for colls in catalog.databases.values()
        for coll in colls.values()
    }


@pytest.fixture
def churned(tmp_path):
    """A catalog whose file is mostly dead bytes: every document rewritten 5 times, a third deleted."""
    path = str(tmp_path / "c.mdb")
    catalog = Catalog.open(path)
    for rev in range(5):
        for i in range(300):
            _put(catalog, "a", {"_id": i, "rev": rev, "pad": "p" * 100})
    for i in range(0, 300, 3):
        _delete(catalog, "a", i)
    _put(catalog, "b", {"_id": "only"})
    yield path, catalog
    catalog.close()


def test_online_compaction_shrinks_and_keeps_the_live_state(churned):
    path, catalog = churned
    before = _state(catalog)
    old_size = os.path.getsize(path)
    assert compaction.dead_bytes(catalog) > old_size * 0.7
    result = asyncio.run(compaction.compact_online(catalog))
    assert result.old_size == old_size
    assert result.new_size == os.path.getsize(path) < old_size / 4
    assert result.documents == 201
    assert not os.path.exists(compact_path(path))
    _put(catalog, "b", {"_id": "after"})  # the swapped-in writer appends to the new file
    expected = _state(catalog)
    catalog.close()
    reopened = Catalog.open(path)
    assert _state(reopened) == expected
    assert expected["db.a"] == before["db.a"]
    reopened.close()


def test_writes_during_the_copy_are_caught_up(churned, monkeypatch):
    path, catalog = churned
    copying = threading.Event()
    written = threading.Event()
    real = compaction._write_and_catch_up

    def interleaved(*args):
        copying.set()
        written.wait(10)
        return real(*args)

    monkeypatch.setattr(compaction, "_write_and_catch_up", interleaved)

    async def main():
        task = asyncio.create_task(compaction.compact_online(catalog))
        await asyncio.to_thread(copying.wait, 10)
        for i in range(300, 320):
            _put(catalog, "a", {"_id": i, "rev": 9})
        _delete(catalog, "a", 1)
        catalog.drop_collection("db", "b")
        written.set()
        return await task

    asyncio.run(main())
    expected = _state(catalog)
    assert "db.b" not in expected and len(expected["db.a"]) == 219
    catalog.close()
    reopened = Catalog.open(path)
    assert _state(reopened) == expected
    reopened.close()


def test_durability_waiters_on_the_old_writer_are_resolved_by_the_swap(churned):
    path, catalog = churned
    old_writer = catalog.writer
    future = old_writer.wait_durable(old_writer.size + 10**9)  # nothing could cover this but the swap
    asyncio.run(compaction.compact_online(catalog))
    assert future.result(timeout=5) is None
    assert catalog.writer is not old_writer and catalog.last_lsn == catalog.writer.size


def test_encrypted_file_stays_encrypted(tmp_path):
    path = str(tmp_path / "e.mdb")
    key = b"a passphrase"
    catalog = Catalog.open(path, key=key)
    for rev in range(3):
        _put(catalog, "a", {"_id": 1, "secret": f"plaintext-{rev}"})
    asyncio.run(compaction.compact_online(catalog))
    catalog.close()
    assert b"plaintext" not in Path(path).read_bytes()
    reopened = Catalog.open(path, key=key)
    assert _state(reopened) == {"db.a": [{"_id": 1, "secret": "plaintext-2"}]}
    reopened.close()
    assert new_cipher(key).extra != b""  # a fresh cipher has its own salt; the file kept its own


def test_failed_copy_leaves_the_old_file_serving(churned, tmp_path, monkeypatch):
    path, catalog = churned
    fault = tmp_path / "fault"
    fault.write_text("ENOSPC")
    monkeypatch.setattr(faults, "FAULT_FILE", str(fault))
    old = Path(path).read_bytes()
    with pytest.raises(OSError) as exc:
        asyncio.run(compaction.compact_online(catalog))
    assert exc.value.strerror == "No space left on device"
    assert not os.path.exists(compact_path(path))
    assert Path(path).read_bytes() == old
    with pytest.raises(StorageError, match="No space left on device"):
        _put(catalog, "a", {"_id": "x"})
    fault.unlink()
    _put(catalog, "a", {"_id": "x"})  # the disk has room again: the same writer goes on
    expected = _state(catalog)
    catalog.close()
    reopened = Catalog.open(path)
    assert _state(reopened) == expected
    reopened.close()


def test_stale_compact_file_is_deleted_at_open(tmp_path):
    path = str(tmp_path / "s.mdb")
    with open(compact_path(path), "wb") as f:
        f.write(b"half a compaction")
    Catalog.open(path).close()
    assert not os.path.exists(compact_path(path))


def test_automatic_trigger_thresholds(churned):
    _, catalog = churned
    assert compaction.Compactor(catalog, min_bytes=1 << 10, dead_ratio=0.5).should_compact() is True
    assert compaction.Compactor(catalog, min_bytes=1 << 30, dead_ratio=0.5).should_compact() is False
    assert compaction.Compactor(catalog, min_bytes=1 << 10, dead_ratio=0.99).should_compact() is False
