"""A filter is compiled once per command, never per document (the issue's "How good" check)."""

from __future__ import annotations

import pytest
from bson.binary import Binary

import docdb.engine.matcher as matcher
import docdb.engine.query.compile as query_compile
from docdb.bson_codec import encode_document
from docdb.engine.bson_order import hash_key
from docdb.engine.collection import Collection
from docdb.engine.reads import FindSpec, count_documents, find_documents


@pytest.fixture
def coll() -> Collection:
    coll = Collection("db", "c", Binary(b"\x00" * 16, 4), {})
    for i in range(1000):
        coll.put(hash_key(i), encode_document({"_id": i, "a": i % 100, "b": i % 7, "tags": [i % 3, i % 5]}))
    return coll


@pytest.fixture
def counts(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    counts = {"documents": 0, "fields": 0}
    compile_document, parse_field = matcher.compile_document, query_compile.parse_field

    def counting_document(*args, **kwargs):
        counts["documents"] += 1
        return compile_document(*args, **kwargs)

    def counting_field(*args, **kwargs):
        counts["fields"] += 1
        return parse_field(*args, **kwargs)

    monkeypatch.setattr(matcher, "compile_document", counting_document)
    monkeypatch.setattr(query_compile, "parse_field", counting_field)
    return counts


@pytest.mark.parametrize(
    "spec,found",
    [
        pytest.param({"a": 5, "b": {"$gt": 3}}, 4, id="two-fields"),
        pytest.param({"$or": [{"a": 1}, {"tags": {"$elemMatch": {"$gte": 4}}}]}, 210, id="or-elemmatch"),
        pytest.param({"$expr": {"$lt": ["$a", "$b"]}}, 29, id="expr"),
    ],
)
def test_find_compiles_the_filter_once(coll, counts, spec, found):
    docs = find_documents(coll, FindSpec(spec))
    assert len(docs) == found
    assert counts["documents"] == 1
    fields = counts["fields"]
    assert fields <= 3
    count_documents(coll, FindSpec(spec))
    assert (counts["documents"], counts["fields"]) == (2, 2 * fields)
