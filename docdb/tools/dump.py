"""``docdb dump``: write collections from a source (server or ``.mdb`` file) in mongodump's formats:
a directory (``--out``, default ``dump``), one collection's BSON on stdout (``--out -``), or an archive
stream (``--archive[=FILE]``, stdout without FILE); ``--gzip`` compresses each file or the whole archive.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from docdb import __version__
from docdb.tools.archive import ArchiveEntry, encode_prelude, write_namespace
from docdb.tools.dump_layout import (
    BSON_SUFFIX,
    METADATA_SUFFIX,
    ROLES_FILE_COLLECTION,
    USERS_FILE_COLLECTION,
    encode_metadata,
    file_stem,
)
from docdb.tools.dump_source import FileSource, SourceCollection, WireSource
from docdb.tools.progress import NoProgress, Progress

TOOL_VERSION = f"docdb-{__version__}"
_GZIP_LEVEL = 6  # Go's gzip.DefaultCompression, what mongodump uses


@dataclass(slots=True)
class DumpOptions:
    """mongodump's options that select what is dumped and where it goes."""

    db: str | None = None
    collection: str | None = None
    query: dict[str, Any] | None = None
    out: str | None = None
    archive: str | None = None
    gzip: bool = False
    users_and_roles: bool = False
    exclude_collections: list[str] = field(default_factory=list)
    exclude_prefixes: list[str] = field(default_factory=list)
    views_as_collections: bool = False


@dataclass(slots=True)
class DumpResult:
    collections: list[tuple[str, int]] = field(default_factory=list)  # (namespace, documents)

    @property
    def documents(self) -> int:
        return sum(n for _, n in self.collections)


def _done(result: DumpResult, progress: Progress, ns: str, count: int) -> None:
    """mongodump's line as each namespace is finished."""
    result.collections.append((ns, count))
    progress.note(f"done dumping {ns} ({count} document{'s' if count != 1 else ''})")


def _count_docs(chunk: bytes) -> int:
    """Documents in a chunk of concatenated BSON (walks the length prefixes only)."""
    n, pos, end = 0, 0, len(chunk)
    while pos < end:
        pos += int.from_bytes(chunk[pos : pos + 4], "little")
        n += 1
    return n


def _counted(chunks: Iterator[bytes], progress: Progress, tally: list[int]) -> Iterator[bytes]:
    for chunk in chunks:
        n = _count_docs(chunk)
        tally[0] += n
        progress.update(n)
        yield chunk


def dump(
    source: WireSource | FileSource, options: DumpOptions, progress: Progress | None = None
) -> DumpResult:
    """Dump what ``options`` select from ``source``; raises ValueError for options mongodump refuses."""
    if options.query is not None and options.collection is None:
        raise ValueError("cannot dump using a query without a specified collection")
    if options.collection is not None and options.db is None:
        raise ValueError("cannot dump a collection without a specified database")
    if options.users_and_roles and options.db is None:
        raise ValueError("must specify a database when running with dumpDbUsersAndRoles")
    if options.out is not None and options.archive is not None:
        raise ValueError("--out not allowed when --archive is specified")
    if options.out == "-" and options.collection is None:
        raise ValueError("can only dump a single collection to stdout")
    if (options.exclude_collections or options.exclude_prefixes) and (
        options.db is None or options.collection is not None
    ):
        raise ValueError("--db is required and --collection is not allowed when excluding collections")
    progress = progress or NoProgress("dump")
    colls = [
        c
        for c in source.collections(
            options.db, options.collection, options.query, options.views_as_collections
        )
        if c.name not in options.exclude_collections
        and not any(c.name.startswith(p) for p in options.exclude_prefixes)
    ]
    progress.add_total(sum(c.count for c in colls))
    extras = list(source.users_and_roles(options.db)) if options.users_and_roles and options.db else []
    result = DumpResult()
    if options.archive is not None:
        _dump_archive(source.server_version, colls, extras, options, progress, result)
    elif options.out == "-":
        _dump_stdout(colls, progress, result)
    else:
        _dump_directory(colls, extras, options, progress, result)
        _write_prelude_json(source.server_version, options)
    return result


def _write_prelude_json(server_version: str, options: DumpOptions) -> None:
    """``prelude.json``: the server and tool versions, in the dump's root (or its --db folder), written
    as mongodump writes it; left out when nothing was dumped (no folder to put it in)."""
    folder = os.path.join(options.out or "dump", options.db or "")
    if not os.path.isdir(folder):
        return
    text = json.dumps({"ServerVersion": server_version, "ToolVersion": TOOL_VERSION}, separators=(",", ":"))
    name = os.path.join(folder, "prelude.json" + (".gz" if options.gzip else ""))
    with _open_out(name, options.gzip) as f:
        f.write(text.encode())


def _dump_stdout(colls: list[SourceCollection], progress: Progress, result: DumpResult) -> None:
    out = sys.stdout.buffer
    for c in colls:
        tally = [0]
        for chunk in _counted(c.chunks(), progress, tally):
            out.write(chunk)
        _done(result, progress, f"{c.db}.{c.name}", tally[0])
    out.flush()


@contextlib.contextmanager
def _open_out(path: str, gz: bool) -> Iterator[BinaryIO]:
    with open(path, "wb") as raw:
        if gz:
            with gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=_GZIP_LEVEL, mtime=0) as zipped:
                yield zipped  # type: ignore[misc]
        else:
            yield raw


def _dump_directory(
    colls: list[SourceCollection],
    extras: list[Any],
    options: DumpOptions,
    progress: Progress,
    result: DumpResult,
) -> None:
    root = options.out or "dump"
    suffix = ".gz" if options.gzip else ""
    if options.db is not None:
        os.makedirs(os.path.join(root, options.db), exist_ok=True)
    for c in colls:
        folder = os.path.join(root, c.db)
        os.makedirs(folder, exist_ok=True)
        stem = os.path.join(folder, file_stem(c.name))
        count = 0
        if c.metadata.type != "view":  # a view has its metadata file only
            count = _write_bson(stem + BSON_SUFFIX + suffix, options.gzip, c.chunks(), progress)
        with _open_out(stem + METADATA_SUFFIX + suffix, options.gzip) as f:
            f.write(encode_metadata(c.metadata).encode())
        _done(result, progress, f"{c.db}.{c.name}", count)
    for which, chunks in extras:
        name = USERS_FILE_COLLECTION if which == "users" else ROLES_FILE_COLLECTION
        path = os.path.join(root, str(options.db), name + BSON_SUFFIX + suffix)
        _done(result, progress, f"admin.system.{which}", _write_bson(path, options.gzip, chunks(), progress))


def _write_bson(path: str, gz: bool, chunks: Iterator[bytes], progress: Progress) -> int:
    """Write a ``.bson`` file of ``chunks``; how many documents they held."""
    tally = [0]
    with _open_out(path, gz) as f:
        for chunk in _counted(chunks, progress, tally):
            f.write(chunk)
    return tally[0]


def _dump_archive(
    server_version: str,
    colls: list[SourceCollection],
    extras: list[Any],
    options: DumpOptions,
    progress: Progress,
    result: DumpResult,
) -> None:
    entries = [ArchiveEntry(c.db, c.name, encode_metadata(c.metadata), c.metadata.type) for c in colls]
    extra_names = [USERS_FILE_COLLECTION if w == "users" else ROLES_FILE_COLLECTION for w, _ in extras]
    entries += [ArchiveEntry(str(options.db), name, "", "") for name in extra_names]
    to_stdout = options.archive in ("", "-")
    raw: BinaryIO = sys.stdout.buffer if to_stdout else open(str(options.archive), "wb")  # noqa: SIM115
    try:
        out: BinaryIO = (
            gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=_GZIP_LEVEL, mtime=0)  # type: ignore[assignment]
            if options.gzip
            else raw
        )
        out.write(encode_prelude(entries, server_version, TOOL_VERSION))
        for c in colls:
            tally = [0]
            write_namespace(out, c.db, c.name, _counted(c.chunks(), progress, tally))
            _done(result, progress, f"{c.db}.{c.name}", tally[0])
        for name, (which, chunks) in zip(extra_names, extras, strict=True):
            tally = [0]
            write_namespace(out, str(options.db), name, _counted(chunks(), progress, tally))
            _done(result, progress, f"admin.system.{which}", tally[0])
        if out is not raw:
            out.close()
    finally:
        if to_stdout:
            raw.flush()
        else:
            raw.close()
