"""mongodump's directory layout: ``DB/COLL.bson`` (the documents, concatenated BSON) next to
``DB/COLL.metadata.json`` (options, indexes, uuid, name and type in canonical Extended JSON), both with
``.gz`` under ``--gzip``; what is fixed by mongo-tools is reproduced here so either tool reads the other's.

The metadata is written as the Go driver marshals mongodump's ``Metadata`` struct: keys in the order
``options`` (left out when empty), ``indexes``, ``uuid`` (32 hex digits, left out when unknown),
``collectionName``, ``type``; no spaces, non-ASCII written as UTF-8, numbers as ``$numberInt`` etc.
"""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote_plus, unquote_plus

from bson import json_util
from bson.json_util import CANONICAL_JSON_OPTIONS, JSONOptions

BSON_SUFFIX = ".bson"
METADATA_SUFFIX = ".metadata.json"
_MAX_ESCAPED_NAME = 238  # mongodump: the longest escaped name that still fits 255 bytes with suffixes
_TRUNCATED_PREFIX = 208
# The users and roles of one database, dumped by --dumpDbUsersAndRoles into that database's folder.
USERS_FILE_COLLECTION = "$admin.system.users"
ROLES_FILE_COLLECTION = "$admin.system.roles"

_READ_OPTIONS: JSONOptions = CANONICAL_JSON_OPTIONS.with_options(document_class=dict)


@dataclass(slots=True)
class CollectionMetadata:
    """What a ``.metadata.json`` holds (and what restore recreates a collection from)."""

    name: str
    options: dict[str, Any] = field(default_factory=dict)
    indexes: list[dict[str, Any]] = field(default_factory=list)
    uuid: str = ""
    type: str = "collection"


def encode_metadata(meta: CollectionMetadata) -> str:
    """The metadata JSON exactly as mongodump writes it."""
    doc: dict[str, Any] = {}
    if meta.options:
        doc["options"] = meta.options
    doc["indexes"] = meta.indexes
    if meta.uuid:
        doc["uuid"] = meta.uuid
    doc["collectionName"] = meta.name
    if meta.type:
        doc["type"] = meta.type
    return json_util.dumps(
        doc, json_options=CANONICAL_JSON_OPTIONS, separators=(",", ":"), ensure_ascii=False
    )


def decode_metadata(text: str, fallback_name: str) -> CollectionMetadata:
    """Read a metadata JSON (canonical or relaxed Extended JSON, as any mongodump version wrote it)."""
    doc = json_util.loads(text, json_options=_READ_OPTIONS) if text.strip() else {}
    return CollectionMetadata(
        name=doc.get("collectionName") or fallback_name,
        options=dict(doc.get("options") or {}),
        indexes=[dict(i) for i in doc.get("indexes") or []],
        uuid=doc.get("uuid") or "",
        type=doc.get("type") or "collection",
    )


def file_stem(collection: str) -> str:
    """The file name of a collection without suffix: URL query escaping, and a hash for long names."""
    escaped = quote_plus(collection, safe="")
    if len(escaped) > _MAX_ESCAPED_NAME:
        digest = base64.urlsafe_b64encode(hashlib.sha1(collection.encode()).digest()).rstrip(b"=").decode()
        escaped = f"{escaped[:_TRUNCATED_PREFIX]}%24{digest}"
    return escaped


def collection_from_stem(stem: str) -> str:
    return unquote_plus(stem)


def uuid_hex(uuid: Any) -> str:
    """A collection UUID (Binary subtype 4 or uuid.UUID) as the 32 hex digits mongodump writes."""
    if uuid is None:
        return ""
    raw = getattr(uuid, "bytes", None) or bytes(uuid)
    return raw.hex()


@dataclass(slots=True)
class DumpFile:
    """One collection found in a dump directory."""

    db: str
    collection: str
    bson_path: str | None
    metadata_path: str | None
    gzip: bool


def scan_dump_dir(root: str) -> Iterator[DumpFile]:
    """Every ``DB/COLL.bson[.gz]`` and ``DB/COLL.metadata.json[.gz]`` under ``root``, by database then
    collection name; a metadata file without data (a view, an empty dump) counts too."""
    for db in sorted(os.listdir(root)):
        db_dir = os.path.join(root, db)
        if not os.path.isdir(db_dir):
            continue
        found: dict[str, DumpFile] = {}
        for name in sorted(os.listdir(db_dir)):
            gz = name.endswith(".gz")
            base = name[:-3] if gz else name
            for suffix, attr in ((METADATA_SUFFIX, "metadata_path"), (BSON_SUFFIX, "bson_path")):
                if base.endswith(suffix):
                    stem = base[: -len(suffix)]
                    entry = found.setdefault(stem, DumpFile(db, collection_from_stem(stem), None, None, gz))
                    setattr(entry, attr, os.path.join(db_dir, name))
                    break
        yield from found.values()
