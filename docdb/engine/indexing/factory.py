"""The index object a stored spec calls for: a B-tree ``Index``, or a special kind (text)."""

from __future__ import annotations

from typing import Any

from docdb.engine.indexing.index import Index
from docdb.engine.text.index import TextIndex
from docdb.engine.text.spec import is_text_spec


def new_index(spec: dict[str, Any]) -> Index | TextIndex:
    """An empty, unbuilt index for ``spec`` (a normalized ``listIndexes`` document)."""
    if is_text_spec(spec):
        return TextIndex(spec)
    return Index(spec)
