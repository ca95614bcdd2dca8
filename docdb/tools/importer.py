"""``docdb import``: documents in as mongoimport reads them: Extended JSON (relaxed or canonical) one per
line or as one ``--jsonArray``, or CSV/TSV rows named by ``--headerline`` / ``--fields``; written under
``--mode insert|upsert|merge|delete``. A line that cannot be parsed is reported with its number and the
rest is imported, unless ``--stopOnError``, which stops there (nothing after it is written).
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any

import pymongo
from bson import json_util
from bson.errors import BSONError
from bson.json_util import JSONOptions
from pymongo import DeleteOne, ReplaceOne, UpdateOne
from pymongo.errors import BulkWriteError

from docdb.tools.progress import NoProgress, Progress

_JSON_OPTIONS: JSONOptions = json_util.RELAXED_JSON_OPTIONS.with_options(document_class=dict)
_INT = re.compile(r"[-+]?\d+\Z")
_FLOAT = re.compile(r"[-+]?(\d+\.\d*|\.\d+|\d+)([eE][-+]?\d+)?\Z")
_INT32_MAX = (1 << 31) - 1


class ImportStopped(Exception):
    """``--stopOnError`` and a bad line or a failed write; ``result`` counts what was written before."""

    def __init__(self, message: str, result: ImportResult) -> None:
        super().__init__(message)
        self.result = result


@dataclass(slots=True)
class ImportOptions:
    """mongoimport's options, by their mongoimport names."""

    db: str
    collection: str
    type: str = "json"
    json_array: bool = False
    header_line: bool = False
    fields: list[str] = field(default_factory=list)
    ignore_blanks: bool = False
    mode: str = "insert"
    upsert_fields: list[str] = field(default_factory=list)
    drop: bool = False
    stop_on_error: bool = False
    batch_size: int = 1000


@dataclass(slots=True)
class ImportResult:
    imported: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """mongoimport's closing line."""
        return (
            f"{self.imported} document(s) imported successfully. {self.failed} document(s) failed to import."
        )


def _extended(obj: dict[str, Any]) -> Any:
    """Only an object whose first key starts with ``$`` can be an Extended JSON value: the others stay
    as the C decoder made them (which is what ``json_util`` would make of them too)."""
    if obj and next(iter(obj)).startswith("$"):
        return json_util.object_hook(obj, _JSON_OPTIONS)
    return obj


_DECODER = json.JSONDecoder(object_hook=_extended)


def csv_scalar(text: str) -> Any:
    """A CSV/TSV cell as mongoimport types it: integers, then doubles, else the string itself."""
    if _INT.match(text):
        value = int(text)
        if -(1 << 63) <= value < 1 << 63:
            return value
    if _FLOAT.match(text):
        return float(text)
    return text


def _nested(fields: list[str], cells: list[str], ignore_blanks: bool) -> dict[str, Any]:
    doc: dict[str, Any] = {}
    for name, cell in zip(fields, cells, strict=False):
        if ignore_blanks and cell == "":
            continue
        target = doc
        parts = name.split(".")
        for part in parts[:-1]:
            target = target.setdefault(part, {})
        target[parts[-1]] = csv_scalar(cell)
    return doc


def parse_documents(source: IO[str], options: ImportOptions) -> Iterator[tuple[int, dict[str, Any] | str]]:
    """``(line number, document)`` per input record, or ``(line number, error text)`` for a bad one."""
    if options.type in ("csv", "tsv"):
        reader = csv.reader(source, delimiter="\t" if options.type == "tsv" else ",")
        fields = list(options.fields)
        for row in reader:
            if options.header_line and not fields:
                fields = row
                continue
            if not row:
                continue
            if len(row) > len(fields):
                line = reader.line_num
                yield line, f"line {line}: {len(row)} fields where {len(fields)} are named"
                continue
            yield reader.line_num, _nested(fields, row, options.ignore_blanks)
        return
    if options.json_array:
        try:
            docs = _DECODER.decode(source.read())
        except ValueError as error:
            yield 1, f"error reading JSON array: {error}"
            return
        if not isinstance(docs, list):
            yield 1, "the input is not a JSON array"
            return
        for number, doc in enumerate(docs, 1):
            yield number, doc if isinstance(doc, dict) else f"array element {number} is not a document"
        return
    yield from _json_documents(source)


def _json_documents(source: IO[str]) -> Iterator[tuple[int, dict[str, Any] | str]]:
    """One document per line, or spread over lines as ``mongoexport --pretty`` writes them: a document
    that opens without closing on its first line takes the following lines until it parses."""
    pending, first = "", 0
    for number, line in enumerate(source, 1):
        if not pending:
            if not line.strip():
                continue
            first = number
        pending += line
        try:
            doc = _DECODER.decode(pending)
        except json.JSONDecodeError as error:
            if error.pos >= len(pending.rstrip()) and not pending.lstrip().split("\n", 1)[
                0
            ].rstrip().endswith("}"):
                continue  # the document goes on in the next line
            yield first, f"line {first}: {error.msg} (column {error.colno})"
            pending = ""
            continue
        except (ValueError, TypeError, BSONError) as error:  # a malformed Extended JSON value
            yield first, f"line {first}: {error}"
            pending = ""
            continue
        pending = ""
        yield first, doc if isinstance(doc, dict) else f"line {first}: not a document"
    if pending:
        yield first, f"line {first}: the input ends inside a document"


def _operation(doc: dict[str, Any], options: ImportOptions) -> Any:
    keys = options.upsert_fields or ["_id"]
    selector = {k: _lookup(doc, k) for k in keys}
    if options.mode == "upsert":
        return ReplaceOne(selector, doc, upsert=True)
    if options.mode == "merge":
        return UpdateOne(selector, {"$set": doc}, upsert=True)
    return DeleteOne(selector)


def _lookup(doc: dict[str, Any], path: str) -> Any:
    value: Any = doc
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def import_documents(
    client: pymongo.MongoClient,
    source: IO[str],
    options: ImportOptions,
    progress: Progress | None = None,
) -> ImportResult:
    """Read ``source`` and write it into ``db.collection``; raises ImportStopped under --stopOnError."""
    if options.mode not in ("insert", "upsert", "merge", "delete"):
        raise ValueError(f"invalid --mode argument: {options.mode}")
    progress = progress or NoProgress("import")
    coll = client[options.db][options.collection]
    if options.drop:
        coll.drop()
    result = ImportResult()
    batch: list[Any] = []
    for _, item in parse_documents(source, options):
        if isinstance(item, str):
            result.failed += 1
            result.errors.append(item)
            if options.stop_on_error:
                if batch:  # what came before the bad line is imported; nothing after it
                    _write(coll, batch, options, result, progress)
                raise ImportStopped(item, result)
            continue
        batch.append(item)
        if len(batch) >= options.batch_size:
            _write(coll, batch, options, result, progress)
            batch = []
    if batch:
        _write(coll, batch, options, result, progress)
    return result


def _write(
    coll: Any, batch: list[Any], options: ImportOptions, result: ImportResult, progress: Progress
) -> None:
    try:
        if options.mode == "insert":
            coll.insert_many(batch, ordered=options.stop_on_error)
        else:
            coll.bulk_write([_operation(doc, options) for doc in batch], ordered=options.stop_on_error)
        result.imported += len(batch)
    except BulkWriteError as error:
        write_errors = error.details.get("writeErrors", [])
        result.failed += len(write_errors)
        done = len(batch) - len(write_errors)
        if options.stop_on_error:
            done = write_errors[0]["index"] if write_errors else done
        result.imported += done
        for e in write_errors:
            result.errors.append(e.get("errmsg", str(e)))
        if options.stop_on_error:
            progress.update(len(batch))
            message = write_errors[0]["errmsg"] if write_errors else str(error)
            raise ImportStopped(message, result) from None
    progress.update(len(batch))
