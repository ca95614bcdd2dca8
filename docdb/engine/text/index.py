"""The text index: an inverted index ``term -> {document hash key: score}`` kept in step with writes.

It stands in ``Collection.indexes`` beside the B-tree indexes and offers their maintenance interface
(``keys`` to validate a write, ``add``/``replace``/``remove``, ``build``, ``clear``). A document's
entries are recomputed from the document itself on removal (the tokenizer's word cache makes that
cheap), so nothing per document is stored twice. The planner never picks it for other queries;
``$text`` reads it through ``docdb.engine.text.search``.
"""

from __future__ import annotations

import time
from collections.abc import Hashable, Iterable, Mapping
from itertools import islice
from typing import Any

import bson

from docdb.bson_codec import CODEC_OPTIONS
from docdb.engine.collation import SIMPLE
from docdb.engine.indexing.index import SpecOptions
from docdb.engine.indexing.spec import same_key
from docdb.engine.matcher import compile_filter
from docdb.engine.text.scoring import TextSpec, check_extras, document_scores, iter_strings

BUILD_CHUNK = 1_000
ENTRY_BYTES_ESTIMATE = 60  # one posting: a dict slot holding a shared key and a float


class TextIndex(SpecOptions):
    """The one text index of a collection. ``spec`` is the stored ``listIndexes`` document."""

    plannable = False  # the general planner leaves it alone: only $text uses it
    builds_itself = True  # build_indexes hands it the documents (it is no sorted key list)
    collator = SIMPLE  # mongod refuses a text index with a non-simple collation

    __slots__ = (
        "spec",
        "name",
        "fields",
        "text",
        "postings",
        "built",
        "multikey",
        "accesses",
        "since",
        "_size",
        "_partial",
    )

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self.name: str = spec["name"]
        self.fields = list(spec["key"])
        self.text = TextSpec.from_spec(spec)
        self.postings: dict[str, dict[Hashable, float]] = {}
        self.built = False
        self.multikey: dict[str, set[str]] = {}
        self.accesses = 0
        self.since = time.time()
        self._size = 0
        partial = spec.get("partialFilterExpression")
        self._partial = compile_filter(partial) if partial is not None else None

    @property
    def is_multikey(self) -> bool:
        return True  # mongod reports a text index as multikey: a document has one key per term

    def matches_pattern(self, pattern: dict[str, Any]) -> bool:
        return same_key(self.key_pattern, pattern)

    def __len__(self) -> int:
        return self._size

    # -- maintenance ---------------------------------------------------------------------------------

    def keys(self, doc: dict) -> list[tuple]:
        """Raise as mongod does for a document this index cannot hold; no unique keys to claim."""
        check_extras(self.text, doc)
        for _ in iter_strings(self.text, doc):  # a bad language override raises
            pass
        return []

    def add(self, hk: Hashable, doc: dict) -> None:
        if self._partial is not None and not self._partial(doc):
            return
        postings = self.postings
        for term, score in document_scores(self.text, doc).items():
            found = postings.get(term)
            if found is None:
                postings[term] = {hk: score}
            else:
                found[hk] = score
            self._size += 1

    def remove(self, hk: Hashable, doc: dict) -> None:
        postings = self.postings
        for term in document_scores(self.text, doc):
            found = postings.get(term)
            if found is not None and found.pop(hk, None) is not None:
                self._size -= 1
                if not found:
                    del postings[term]

    def replace(self, hk: Hashable, old: dict, new: dict) -> None:
        """``remove`` then ``add``, skipped when the indexed strings (and partial membership) did not
        change."""
        if self._indexed(old) == self._indexed(new):
            return
        self.remove(hk, old)
        self.add(hk, new)

    def _indexed(self, doc: dict) -> list | None:
        if self._partial is not None and not self._partial(doc):
            return None
        return list(iter_strings(self.text, doc))

    def build(self, docs: Mapping[Hashable, bytes] | Iterable[tuple[Hashable, bytes]]) -> None:
        """Fill the index from every document (hash key -> raw BSON), decoding in chunks."""
        pairs = docs.items() if isinstance(docs, Mapping) else docs
        self.clear()
        items = iter(pairs)
        while True:
            chunk = list(islice(items, BUILD_CHUNK))
            if not chunk:
                break
            decoded = bson.decode_all(b"".join(raw for _, raw in chunk), CODEC_OPTIONS)
            for (hk, _), doc in zip(chunk, decoded, strict=True):
                check_extras(self.text, doc)
                self.add(hk, doc)
        self.built = True

    def clear(self) -> None:
        self.postings = {}
        self._size = 0
        self.built = False

    def first_duplicate(self) -> None:
        return None

    def size_bytes(self) -> int:
        return self._size * ENTRY_BYTES_ESTIMATE
