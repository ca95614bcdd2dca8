"""``docdb export``: one collection out as mongoexport writes it: Extended JSON v2 (relaxed unless
``--jsonFormat canonical``), one document per line or one ``--jsonArray``, or CSV with ``--fields``."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any

import pymongo
from bson import json_util
from bson.json_util import CANONICAL_JSON_OPTIONS, RELAXED_JSON_OPTIONS

from docdb.tools.progress import NoProgress, Progress


@dataclass(slots=True)
class ExportOptions:
    """mongoexport's options, by their mongoexport names."""

    db: str
    collection: str
    type: str = "json"
    json_format: str = "relaxed"
    json_array: bool = False
    pretty: bool = False
    fields: list[str] = field(default_factory=list)
    no_header_line: bool = False
    query: dict[str, Any] | None = None
    sort: dict[str, Any] | None = None
    skip: int = 0
    limit: int = 0


def _relaxed_value(value: Any) -> Any:
    return json_util.default(value, RELAXED_JSON_OPTIONS)


def _json_text(doc: Any, options: ExportOptions) -> str:
    """One document as Extended JSON. Relaxed JSON is plain JSON for strings, numbers, booleans, null,
    objects and arrays, so the C encoder writes those and only BSON types go through ``json_util``;
    a non-finite double (``{"$numberDouble": "NaN"}``) takes ``json_util``'s whole-document path."""
    if options.json_format == "canonical" or options.pretty:
        json_options = CANONICAL_JSON_OPTIONS if options.json_format == "canonical" else RELAXED_JSON_OPTIONS
        if options.pretty:
            return json_util.dumps(doc, json_options=json_options, indent="\t", ensure_ascii=False)
        return json_util.dumps(doc, json_options=json_options, separators=(",", ":"), ensure_ascii=False)
    try:
        return _RELAXED_ENCODER.encode(doc)
    except ValueError:
        return json_util.dumps(
            doc, json_options=RELAXED_JSON_OPTIONS, separators=(",", ":"), ensure_ascii=False
        )


_RELAXED_ENCODER = json.JSONEncoder(
    separators=(",", ":"), ensure_ascii=False, allow_nan=False, check_circular=False, default=_relaxed_value
)


def csv_value(value: Any) -> str:
    """A field as mongoexport writes it into CSV: plain scalars, Extended JSON for the rest."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return json.dumps(value)
    if type(value).__name__ == "ObjectId":
        return f"ObjectId({value})"
    if hasattr(value, "isoformat"):
        return json.loads(json_util.dumps(value, json_options=RELAXED_JSON_OPTIONS))["$date"]
    return json_util.dumps(
        value, json_options=RELAXED_JSON_OPTIONS, separators=(",", ":"), ensure_ascii=False
    )


def get_path(doc: Any, path: str) -> Any:
    """``a.b.0.c`` through sub-documents and array positions; None when missing."""
    value = doc
    for part in path.split("."):
        if isinstance(value, dict):
            value = value.get(part)
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return value


def _cursor(client: pymongo.MongoClient, options: ExportOptions) -> Iterator[dict[str, Any]]:
    coll = client[options.db][options.collection]
    projection = None
    if options.fields:
        projection = {f: 1 for f in options.fields}
        if "_id" not in projection and options.type == "csv":
            projection["_id"] = 0
    cursor = coll.find(options.query or {}, projection, skip=options.skip, limit=options.limit)
    if options.sort:
        cursor = cursor.sort(list(options.sort.items()))
    return cursor


def export(
    client: pymongo.MongoClient, options: ExportOptions, out: IO[str], progress: Progress | None = None
) -> int:
    """Write the selected documents to ``out``; returns how many."""
    if options.type == "csv" and not options.fields:
        raise ValueError("CSV mode requires a field list")
    progress = progress or NoProgress("export")
    if not options.query and not options.skip and not options.limit:
        progress.add_total(client[options.db][options.collection].estimated_document_count())
    count = 0
    if options.type == "csv":
        writer = csv.writer(out, lineterminator="\n")
        if not options.no_header_line:
            writer.writerow(options.fields)
        for doc in _cursor(client, options):
            writer.writerow([csv_value(get_path(doc, f)) for f in options.fields])
            count += 1
            if count % 1000 == 0:
                progress.update(1000)
    else:
        out.write("[" if options.json_array else "")
        for doc in _cursor(client, options):
            if options.json_array and count:
                out.write(",")
            out.write(_json_text(doc, options))
            if not options.json_array:
                out.write("\n")
            count += 1
            if count % 1000 == 0:
                progress.update(1000)
        out.write("]\n" if options.json_array else "")
    progress.update(count % 1000)
    return count
