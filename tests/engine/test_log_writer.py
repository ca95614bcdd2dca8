"""LogWriter: appends reach the OS before returning, fsyncs are shared, failures leave a valid file."""

from __future__ import annotations

import asyncio
import errno
import os
import threading

import pytest

from docdb.bson_codec import encode_document
from docdb.engine.log import writer as log_writer
from docdb.engine.log.record import HEADER_SIZE, RecordType, encode_file_header, encode_record
from docdb.engine.log.recovery import read_log
from docdb.engine.log.writer import LogWriter
from docdb.errors import StorageError
from docdb.server.write_concern import durable_future

WAIT = 10  # seconds: a bound so a bug hangs no test, never a timing assertion


def _payload(i: int) -> bytes:
    return encode_document({"ops": [{"ns": "db.c", "put": {"_id": i, "v": "x" * (i % 7)}}]})


def _records(path) -> list:
    reader = read_log(str(path))
    records = list(reader)
    assert reader.torn_bytes == 0
    return records


@pytest.fixture
def writer_factory(tmp_path):
    writers: list[LogWriter] = []

    def make(name: str = "w.mdb", **kwargs) -> LogWriter:
        writer = LogWriter(str(tmp_path / name), **kwargs)
        writers.append(writer)
        return writer

    yield make
    for writer in writers:
        writer.close()


@pytest.fixture
def fsync_calls(monkeypatch):
    """Count the data syncs (the writer's thread and the caller's) while still really syncing."""
    calls: list[int] = []
    real = log_writer.sync_data

    def counting(fd: int) -> None:
        calls.append(fd)
        real(fd)

    monkeypatch.setattr(log_writer, "sync_data", counting)
    return calls


def test_new_file_gets_a_header(tmp_path, writer_factory):
    writer = writer_factory()
    assert writer.size == HEADER_SIZE
    assert (tmp_path / "w.mdb").read_bytes() == encode_file_header()


def test_append_returns_the_offset_after_the_record(tmp_path, writer_factory):
    writer = writer_factory()
    expected = HEADER_SIZE
    for i in range(5):
        expected += len(encode_record(RecordType.WRITE_BATCH, _payload(i)))
        assert writer.append(RecordType.WRITE_BATCH, _payload(i)) == expected
    assert writer.size == expected == os.path.getsize(tmp_path / "w.mdb")
    assert (writer.records_appended, writer.bytes_appended) == (5, expected - HEADER_SIZE)
    assert _records(tmp_path / "w.mdb") == [(RecordType.WRITE_BATCH, _payload(i)) for i in range(5)]


def test_appended_record_is_readable_before_any_fsync(tmp_path, writer_factory, fsync_calls):
    writer = writer_factory(sync_interval_ms=600_000)
    fsync_calls.clear()
    writer.append(RecordType.DROP_DATABASE, encode_document({"db": "x"}))
    assert _records(tmp_path / "w.mdb") == [(RecordType.DROP_DATABASE, encode_document({"db": "x"}))]
    assert fsync_calls == []


def test_reopen_without_valid_end_appends_at_the_end(tmp_path, writer_factory):
    first = writer_factory()
    first.append(1, _payload(1))
    first.close()
    second = writer_factory()
    second.append(1, _payload(2))
    second.close()
    assert _records(tmp_path / "w.mdb") == [(1, _payload(1)), (1, _payload(2))]


def test_reopen_truncates_to_valid_end(tmp_path, writer_factory):
    path = tmp_path / "w.mdb"
    first = writer_factory()
    keep = first.append(1, _payload(1))
    first.close()
    with open(path, "ab") as f:
        f.write(b"torn garbage")
    second = writer_factory(valid_end=keep)
    assert os.path.getsize(path) == keep == second.size
    second.append(1, _payload(2))
    second.close()
    assert _records(path) == [(1, _payload(1)), (1, _payload(2))]


def test_valid_end_past_the_file_is_refused(tmp_path, writer_factory):
    writer_factory().close()
    with pytest.raises(StorageError) as exc:
        writer_factory(valid_end=HEADER_SIZE + 10)
    assert str(exc.value).endswith(
        f"is {HEADER_SIZE} bytes, shorter than its recovered end {HEADER_SIZE + 10}"
    )


def test_existing_file_with_a_bad_header_is_refused(tmp_path, writer_factory):
    (tmp_path / "w.mdb").write_bytes(b"x" * 100)
    with pytest.raises(StorageError):
        writer_factory()
    assert (tmp_path / "w.mdb").read_bytes() == b"x" * 100


def test_wait_durable_resolves(writer_factory):
    writer = writer_factory(sync_interval_ms=600_000)
    lsn = writer.append(1, _payload(1))
    assert writer.durable_lsn < lsn
    assert writer.wait_durable(lsn).result(WAIT) is None
    assert writer.durable_lsn >= lsn


def test_wait_durable_for_an_already_durable_lsn_needs_no_fsync(writer_factory, fsync_calls):
    writer = writer_factory()
    fsync_calls.clear()
    future = writer.wait_durable(writer.size)
    assert future.done() and future.result() is None
    assert fsync_calls == []


def test_wait_durable_from_asyncio(writer_factory):
    writer = writer_factory(sync_interval_ms=600_000)

    async def write_j_true() -> int:
        lsn = writer.append(1, _payload(1))
        await asyncio.wrap_future(writer.wait_durable(lsn))
        return lsn

    lsn = asyncio.run(write_j_true())
    assert writer.durable_lsn >= lsn


def test_concurrent_waiters_share_fsyncs(monkeypatch, writer_factory):
    writer = writer_factory(sync_interval_ms=600_000)
    calls: list[int] = []
    entered, release = threading.Event(), threading.Event()
    real = log_writer.sync_data

    def gated(fd: int) -> None:
        calls.append(fd)
        if len(calls) == 1:
            entered.set()
            release.wait(WAIT)
        real(fd)

    monkeypatch.setattr(log_writer, "sync_data", gated)
    first = writer.wait_durable(writer.append(1, _payload(0)))
    assert entered.wait(WAIT)  # the sync thread is inside the fsync covering record 0 only
    later = [writer.wait_durable(writer.append(1, _payload(i))) for i in range(1, 10)]
    assert not any(f.done() for f in later)
    release.set()
    for future in [first, *later]:
        assert future.result(WAIT) is None
    assert len(calls) == 2  # one for the first waiter, one shared by the nine that queued meanwhile
    assert writer.fsyncs == 2
    assert writer.durable_lsn == writer.size


def test_background_fsync_without_waiters(monkeypatch, writer_factory):
    synced = threading.Event()
    real = log_writer.sync_data

    def noticing(fd: int) -> None:
        real(fd)
        synced.set()

    writer = writer_factory(sync_interval_ms=5)
    monkeypatch.setattr(log_writer, "sync_data", noticing)
    lsn = writer.append(1, _payload(1))
    assert synced.wait(WAIT)
    assert writer.wait_durable(lsn).result(WAIT) is None


def test_sync_always_fsyncs_inside_append(writer_factory, fsync_calls):
    writer = writer_factory(sync_always=True)
    fsync_calls.clear()
    for i in range(3):
        lsn = writer.append(1, _payload(i))
        assert writer.durable_lsn == lsn
        assert len(fsync_calls) == i + 1
    assert writer.wait_durable(lsn).done()


def test_sync_is_immediate(writer_factory, fsync_calls):
    writer = writer_factory(sync_interval_ms=600_000)
    fsync_calls.clear()
    lsn = writer.append(1, _payload(1))
    writer.sync()
    assert writer.durable_lsn == lsn
    assert len(fsync_calls) == 1


def test_close_is_final_and_idempotent(tmp_path, writer_factory, fsync_calls):
    writer = writer_factory(sync_interval_ms=600_000)
    fsync_calls.clear()
    lsn = writer.append(1, _payload(1))
    writer.close()
    writer.close()
    assert len(fsync_calls) == 1
    assert writer.durable_lsn == lsn
    assert writer.wait_durable(lsn).result() is None
    with pytest.raises(StorageError):
        writer.wait_durable(lsn + 1).result()
    with pytest.raises(StorageError):
        writer.append(1, _payload(2))
    with pytest.raises(StorageError):
        writer.sync()
    assert _records(tmp_path / "w.mdb") == [(1, _payload(1))]


def test_disk_full_midway_leaves_a_valid_file(tmp_path, monkeypatch, writer_factory):
    path = tmp_path / "w.mdb"
    writer = writer_factory()
    writer.append(1, _payload(1))
    real = os.pwrite
    calls = []

    def half_then_enospc(fd: int, data, offset: int) -> int:
        calls.append(len(data))
        if len(calls) == 1:
            return real(fd, bytes(data)[: len(data) // 2], offset)
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "pwrite", half_then_enospc)
    before = writer.size
    with pytest.raises(StorageError) as exc:
        writer.append(1, _payload(2))
    assert str(exc.value) == f"cannot append to {path}: No space left on device"
    assert len(calls) == 2
    assert writer.size == before == os.path.getsize(path)
    assert _records(path) == [(1, _payload(1))]

    monkeypatch.setattr(os, "pwrite", real)
    writer.append(1, _payload(3))
    assert _records(path) == [(1, _payload(1)), (1, _payload(3))]


def test_failed_cut_back_is_retried_before_the_next_append(tmp_path, monkeypatch, writer_factory):
    path = tmp_path / "w.mdb"
    writer = writer_factory()
    real_pwrite, real_ftruncate = os.pwrite, os.ftruncate

    def partial(fd: int, data, offset: int) -> int:
        real_pwrite(fd, bytes(data)[:-3], offset)
        raise OSError(errno.EIO, "Input/output error")

    def refuse(fd: int, length: int) -> None:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(os, "pwrite", partial)
    monkeypatch.setattr(os, "ftruncate", refuse)
    with pytest.raises(StorageError):
        writer.append(1, _payload(100))
    assert os.path.getsize(path) > writer.size  # the partial record is still there

    monkeypatch.setattr(os, "pwrite", real_pwrite)
    monkeypatch.setattr(os, "ftruncate", real_ftruncate)
    lsn = writer.append(1, encode_document({}))
    assert os.path.getsize(path) == lsn
    assert _records(path) == [(1, encode_document({}))]


def test_fsync_failure_fails_waiters_and_later_appends(monkeypatch, writer_factory):
    writer = writer_factory(sync_interval_ms=600_000)

    def broken(fd: int) -> None:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(log_writer, "sync_data", broken)
    future = writer.wait_durable(writer.append(1, _payload(1)))
    with pytest.raises(StorageError) as exc:
        future.result(WAIT)
    assert str(exc.value) == f"fsync of {writer.path} failed: Input/output error"
    with pytest.raises(StorageError):
        writer.append(1, _payload(2))
    with pytest.raises(StorageError):
        writer.wait_durable(writer.size + 1).result(WAIT)


def test_failed_sync_raises_and_stops_the_background_thread(monkeypatch, writer_factory):
    writer = writer_factory(sync_interval_ms=600_000)
    lsn = writer.append(1, _payload(1))

    def broken(fd: int) -> None:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(log_writer, "sync_data", broken)
    with pytest.raises(StorageError):
        writer.sync()
    monkeypatch.undo()
    writer.close()
    assert writer.durable_lsn < lsn  # a later successful fsync must not pretend the data is safe


def test_sync_always_append_reports_a_failed_fsync(monkeypatch, writer_factory):
    writer = writer_factory(sync_always=True)

    def broken(fd: int) -> None:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(log_writer, "sync_data", broken)
    with pytest.raises(StorageError):
        writer.append(1, _payload(1))


def test_waiters_registered_without_wake_share_the_fsync_wake_starts(writer_factory, fsync_calls):
    writer = writer_factory(sync_interval_ms=600_000)
    fsync_calls.clear()
    answers: list[StorageError | None] = []
    all_told = threading.Event()

    def waiter(failure: StorageError | None) -> None:
        answers.append(failure)
        if len(answers) == 5:
            all_told.set()

    for i in range(5):
        writer.on_durable(writer.append(1, _payload(i)), waiter, wake=False)
    writer.wake()
    assert all_told.wait(WAIT)
    assert answers == [None] * 5
    assert len(fsync_calls) == 1
    assert writer.durable_lsn == writer.size


def test_on_durable_answers_at_once_in_the_callers_thread_when_known(writer_factory, fsync_calls):
    writer = writer_factory(sync_interval_ms=600_000)
    fsync_calls.clear()
    told: list[tuple[int, StorageError | None]] = []

    def waiter(failure: StorageError | None) -> None:
        told.append((threading.get_ident(), failure))

    writer.on_durable(writer.size, waiter)
    assert told == [(threading.get_ident(), None)]
    assert fsync_calls == []
    lsn = writer.append(1, _payload(1))
    writer.close()
    writer.on_durable(lsn + 1, waiter)
    assert told[1][0] == threading.get_ident()
    assert str(told[1][1]) == f"{writer.path} is closed"


def test_wake_without_waiters_does_not_fsync(writer_factory, fsync_calls):
    writer = writer_factory(sync_interval_ms=600_000)
    fsync_calls.clear()
    writer.append(1, _payload(1))
    writer.wake()
    assert writer.wait_durable(writer.size).result(WAIT) is None
    assert len(fsync_calls) == 1  # the wait's own fsync; wake() did not start one


def test_a_raising_waiter_neither_stops_the_others_nor_the_sync_thread(writer_factory, caplog):
    writer = writer_factory(sync_interval_ms=600_000)
    told = threading.Event()

    def broken(failure: StorageError | None) -> None:
        raise RuntimeError("waiter bug")

    lsn = writer.append(1, _payload(1))
    writer.on_durable(lsn, broken, wake=False)
    writer.on_durable(lsn, lambda failure: told.set())
    assert told.wait(WAIT)
    assert writer.wait_durable(writer.append(1, _payload(2))).result(WAIT) is None
    assert "a durability waiter failed" in caplog.text


# -- the event loop's side: docdb.server.write_concern.durable_future ---------------------------------------


def test_durable_futures_of_one_loop_iteration_share_one_fsync(writer_factory, fsync_calls):
    writer = writer_factory(sync_interval_ms=600_000)
    fsync_calls.clear()

    async def eight_j_true_writes() -> None:
        futures = [durable_future(writer, writer.append(1, _payload(i))) for i in range(8)]
        await asyncio.wait_for(asyncio.gather(*futures), WAIT)
        assert [f.result() for f in futures] == [None] * 8

    asyncio.run(eight_j_true_writes())
    assert len(fsync_calls) == 1
    assert writer.durable_lsn == writer.size


def test_durable_futures_of_later_iterations_get_later_fsyncs(writer_factory, fsync_calls):
    writer = writer_factory(sync_interval_ms=600_000)
    fsync_calls.clear()

    async def writes_one_after_another() -> None:
        for i in range(3):
            lsn = writer.append(1, _payload(i))
            await asyncio.wait_for(durable_future(writer, lsn), WAIT)
            assert writer.durable_lsn >= lsn

    asyncio.run(writes_one_after_another())
    assert len(fsync_calls) == 3


def test_durable_future_of_a_durable_lsn_is_done_at_once(writer_factory, fsync_calls):
    writer = writer_factory(sync_always=True)
    fsync_calls.clear()

    async def check() -> None:
        future = durable_future(writer, writer.append(1, _payload(1)))
        assert future.done() and future.result() is None

    asyncio.run(check())
    assert len(fsync_calls) == 1  # append's own


def test_durable_future_carries_a_failed_fsync(monkeypatch, writer_factory):
    writer = writer_factory(sync_interval_ms=600_000)

    def broken(fd: int) -> None:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(log_writer, "sync_data", broken)

    async def write_j_true() -> None:
        await asyncio.wait_for(durable_future(writer, writer.append(1, _payload(1))), WAIT)

    with pytest.raises(StorageError) as exc:
        asyncio.run(write_j_true())
    assert str(exc.value) == f"fsync of {writer.path} failed: Input/output error"


def test_a_cancelled_durable_future_is_skipped(writer_factory):
    writer = writer_factory(sync_interval_ms=600_000)

    async def cancel_then_wait() -> None:
        gone = durable_future(writer, writer.append(1, _payload(1)))
        gone.cancel()
        await asyncio.wait_for(durable_future(writer, writer.append(1, _payload(2))), WAIT)
        assert gone.cancelled()

    asyncio.run(cancel_then_wait())
    assert writer.durable_lsn == writer.size


def test_durable_future_with_uvloop(writer_factory):
    uvloop = pytest.importorskip("uvloop")
    writer = writer_factory(sync_interval_ms=600_000)

    async def j_true_writes() -> int:
        futures = [durable_future(writer, writer.append(1, _payload(i))) for i in range(4)]
        await asyncio.wait_for(asyncio.gather(*futures), WAIT)
        return writer.fsyncs

    assert uvloop.run(j_true_writes()) == 1


def test_a_sync_interval_below_one_millisecond_is_refused(tmp_path):
    with pytest.raises(ValueError) as exc:
        LogWriter(str(tmp_path / "w.mdb"), sync_interval_ms=0)
    assert str(exc.value) == "sync_interval_ms must be >= 1, not 0"
    assert not (tmp_path / "w.mdb").exists()
