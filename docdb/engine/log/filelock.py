"""One process per ``.mdb`` file: an exclusive, non-blocking ``flock`` on a sidecar ``<path>.lock``.

Why a sidecar and not the ``.mdb`` itself: compaction renames ``<path>.compact`` over the data file, and a
lock held on the old inode would not cover the new one. The sidecar never moves. It holds the owner's pid
(for the error message only: the lock, not the file's presence, is what counts). It is left in place on
release, because deleting it would race with a process that has just opened it. The kernel drops the lock
when the process dies, so ``kill -9`` never leaves a stale lock.
"""

from __future__ import annotations

import fcntl
import os

from docdb.errors import StorageError


class LockHandle:
    """A held lock; ``release()`` (idempotent) gives it up and closes the sidecar."""

    def __init__(self, path: str, fd: int) -> None:
        self.path = path
        self._fd: int | None = fd

    @property
    def held(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        try:
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)


def lock_path(path: str) -> str:
    """The sidecar that guards ``path``."""
    return f"{path}.lock"


def lock_file(path: str) -> LockHandle:
    """Take the exclusive lock for ``path`` before anything touches the data file.

    Raises StorageError naming the holder's pid when another process (or another handle in this one)
    holds it.
    """
    sidecar = lock_path(path)
    try:
        fd = os.open(sidecar, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o644)
    except OSError as exc:
        raise StorageError(f"cannot open lock file {sidecar}: {exc.strerror}") from exc
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = _read_pid(fd)
        os.close(fd)
        raise StorageError(f"{path} is in use by another docdb-server (pid {holder})") from None
    except OSError as exc:
        os.close(fd)
        raise StorageError(f"cannot lock {sidecar}: {exc.strerror}") from exc
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    except OSError as exc:
        os.close(fd)
        raise StorageError(f"cannot write lock file {sidecar}: {exc.strerror}") from exc
    return LockHandle(path, fd)


def _read_pid(fd: int) -> str:
    """The pid the holder wrote, or "unknown" if it has not written it yet."""
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return "unknown"
    return text if text.isdigit() else "unknown"
