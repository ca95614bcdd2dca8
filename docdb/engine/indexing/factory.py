"""The index object a stored spec calls for: a sorted key list (``Index``, hashed and wildcard keys
included), a geo index (2d/2dsphere: engine/geo) or a text index (engine/text)."""

from __future__ import annotations

from typing import Any

from docdb.engine.geo.index import GeoIndex
from docdb.engine.indexing.index import Index
from docdb.engine.text.index import TextIndex
from docdb.engine.text.spec import is_text_spec


def make_index(spec: dict[str, Any]) -> Index | TextIndex:
    """An empty, unbuilt index for ``spec`` (a normalized ``listIndexes`` document)."""
    if is_text_spec(spec):
        return TextIndex(spec)
    if any(value in ("2dsphere", "2d") for value in spec["key"].values()):
        return GeoIndex(spec)
    return Index(spec)
