"""Text indexes: the spec mongod stores and lists, one text index per collection, mongod's errors for a
bad spec or a document the index cannot hold, and the index surviving a restart and compaction."""

from __future__ import annotations

import pytest
from pymongo.errors import OperationFailure

from tests.serverproc import ServerProcess

SUBJECT_SPEC = {
    "v": 2,
    "key": {"_fts": "text", "_ftsx": 1},
    "name": "subject_text",
    "weights": {"subject": 1},
    "default_language": "english",
    "language_override": "language",
    "textIndexVersion": 3,
}


def _text_specs(coll) -> list[dict]:
    return [dict(spec) for spec in coll.list_indexes() if spec["name"] != "_id_"]


def _error(exc) -> tuple[int, str, str]:
    return exc.value.code, exc.value.details["codeName"], exc.value.details["errmsg"]


def _write_error(exc) -> tuple[int, str]:
    return exc.value.code, exc.value.details["errmsg"]


def test_an_odm_style_create_index_lists_mongods_spec(db):
    assert db.articles.create_index([("subject", "text")]) == "subject_text"
    assert _text_specs(db.articles) == [SUBJECT_SPEC]
    # Declared again at the next start-up: a no-op, as with mongod.
    assert db.articles.create_index([("subject", "text")]) == "subject_text"
    index = {"key": {"subject": "text"}, "name": "subject_text"}
    reply = db.command("createIndexes", "articles", indexes=[index])
    assert reply["note"] == "all indexes already exist"


def test_several_fields_weights_language_and_option_order(db):
    db.c.create_index(
        [("title", "text"), ("body", "text")],
        name="search",
        default_language="spanish",
        weights={"title": 10, "extra.notes": 2.9},
        language_override="idioma",
    )
    (spec,) = _text_specs(db.c)
    assert spec == {
        "v": 2,
        "key": {"_fts": "text", "_ftsx": 1},
        "name": "search",
        "default_language": "spanish",
        "weights": {"body": 1, "extra.notes": 2, "title": 10},
        "language_override": "idioma",
        "textIndexVersion": 3,
    }
    assert list(spec) == list(spec)  # the order pymongo sent: options in place, then textIndexVersion


def test_wildcard_and_compound_keys(db):
    db.w.create_index([("$**", "text")])
    assert _text_specs(db.w)[0]["weights"] == {"$**": 1}
    assert _text_specs(db.w)[0]["name"] == "$**_text"
    db.k.create_index([("store", 1), ("description", "text"), ("rank", -1)])
    (spec,) = _text_specs(db.k)
    assert spec["key"] == {"store": 1, "_fts": "text", "_ftsx": 1, "rank": -1}
    assert spec["name"] == "store_1_description_text_rank_-1"


def test_the_stored_form_is_accepted_back(db):
    indexes = [{k: v for k, v in SUBJECT_SPEC.items() if k != "v"}]
    db.command("createIndexes", "c", indexes=indexes)
    assert _text_specs(db.c) == [SUBJECT_SPEC]


def test_one_text_index_per_collection(db):
    db.games.create_index([("title", "text")])
    with pytest.raises(OperationFailure) as exc:
        db.games.create_index([("platform", "text")])
    assert _error(exc) == (
        85,
        "IndexOptionsConflict",
        "An equivalent index already exists with a different name and options. Requested index: { v: 2, "
        'key: { _fts: "text", _ftsx: 1 }, name: "platform_text", weights: { platform: 1 }, '
        'default_language: "english", language_override: "language", textIndexVersion: 3 }, existing '
        'index: { v: 2, key: { _fts: "text", _ftsx: 1 }, name: "title_text", weights: { title: 1 }, '
        'default_language: "english", language_override: "language", textIndexVersion: 3 }',
    )
    with pytest.raises(OperationFailure) as exc:
        db.games.create_index([("title", "text")], name="other")
    assert _error(exc)[2] == "Index already exists with a different name: title_text"
    with pytest.raises(OperationFailure) as exc:
        db.games.create_index([("genre", 1), ("title", "text")])
    assert _error(exc) == (
        67,
        "CannotCreateIndex",
        'only one text index per collection allowed, found existing text index "title_text"',
    )
    with pytest.raises(OperationFailure) as exc:
        db.games.create_index([("title", "text")], weights={"title": 5})
    assert exc.value.code == 85
    assert exc.value.details["errmsg"].startswith(
        "An equivalent index already exists with the same name but different options."
    )


def test_drop_by_name_or_stored_key_then_create_another(db):
    db.c.create_index([("a", "text")])
    db.command("dropIndexes", "c", index={"_fts": "text", "_ftsx": 1})
    db.c.create_index([("b", "text")])
    db.c.drop_index("b_text")
    assert _text_specs(db.c) == []


@pytest.mark.parametrize(
    ("index", "message"),
    [
        ({"key": {"a": "text"}, "weights": {"a": "x"}}, "weight for text index needs numeric type"),
        ({"key": {"a": "text"}, "weights": 3}, "text index option 'weights' must be an object"),
        (
            {"key": {"a": "text"}, "weights": {"a": 0.5}},
            "text index weight must be in the exclusive interval (0,100000) but found: 0",
        ),
        (
            {"key": {"a": "text"}, "weights": {"a": 100000}},
            "text index weight must be in the exclusive interval (0,100000) but found: 100000",
        ),
        ({"key": {"a": "text"}, "weights": {"b..c": 1}}, "weight cannot have empty path component"),
        ({"key": {"a": "text"}, "weights": {"b.$c": 1}}, "weight cannot have path component with $ prefix"),
        ({"key": {"a": "text"}, "default_language": 1}, "default_language needs a string type"),
        ({"key": {"a": "text"}, "default_language": "klingon"}, "default_language is not valid"),
        ({"key": {"a": "text"}, "language_override": 1}, "language_override must be a string"),
        ({"key": {"a": "text"}, "language_override": "$lang"}, "language_override is not valid"),
        ({"key": {"a": "text"}, "language_override": "a.b"}, "language_override is not valid"),
        ({"key": {"a": "text"}, "textIndexVersion": 4}, "bad textIndexVersion: 4"),
        (
            {"key": {"a": "text"}, "textIndexVersion": "3"},
            "text index option 'textIndexVersion' must be a number",
        ),
        ({"key": {"a": "text", "b": 1, "c": "text"}}, "'text' fields in index must all be adjacent"),
        ({"key": {"a": "text", "b": 2}}, "expected value 1 or -1 for non-text key in compound index"),
        ({"key": {"_fts": "text", "a": "text"}}, "expected _ftsx after _fts"),
        ({"key": {"_fts": "x", "_ftsx": 1}}, 'expecting _fts:"text"'),
        ({"key": {"_fts": "text", "_ftsx": 2}}, "expecting _ftsx:1"),
        ({"key": {"_ftsx": 1, "a": "text"}}, "text index with reserved fields _fts/_ftsx not allowed"),
    ],
)
def test_bad_specs(db, index, message):
    with pytest.raises(OperationFailure) as exc:
        db.command("createIndexes", "c", indexes=[{**index, "name": "x"}])
    assert _error(exc) == (67, "CannotCreateIndex", message)


def test_documents_the_index_cannot_hold(db):
    db.c.create_index([("kind", 1), ("body", "text")])
    db.c.insert_one({"_id": 1, "kind": "a", "body": "fine", "language": "spanish"})
    with pytest.raises(OperationFailure) as exc:
        db.c.insert_one({"_id": 2, "kind": "a", "body": "x", "language": "klingon"})
    assert _write_error(exc) == (17262, "language override unsupported: klingon")
    with pytest.raises(OperationFailure) as exc:
        db.c.insert_one({"_id": 3, "kind": "a", "body": "x", "language": 7})
    assert _write_error(exc) == (17261, "found language override field in document with non-string type")
    with pytest.raises(OperationFailure) as exc:
        db.c.insert_one({"_id": 4, "kind": ["a", "b"], "body": "x"})
    assert _write_error(exc) == (
        201,
        "Field 'kind' of text index contains an array in document: "
        '{ _id: 4, kind: [ "a", "b" ], body: "x" }',
    )
    assert [d["_id"] for d in db.c.find()] == [1]
    # Building over existing documents refuses the same way, and leaves no index behind.
    db.d.insert_one({"_id": 1, "t": "x", "language": "klingon"})
    with pytest.raises(OperationFailure) as exc:
        db.d.create_index([("t", "text")])
    assert exc.value.code == 17262
    assert _text_specs(db.d) == []


def test_the_index_is_rebuilt_on_restart_and_kept_through_compaction(tmp_path):
    path = tmp_path / "text.mdb"
    with ServerProcess(path) as server, server.client() as client:
        coll = client.t.articles
        coll.insert_many([{"_id": 1, "s": "coffee shop"}, {"_id": 2, "s": "tea"}])
        coll.create_index([("s", "text")])
        coll.insert_one({"_id": 3, "s": "more coffee"})
        coll.update_one({"_id": 2}, {"$set": {"s": "coffee and tea"}})
        coll.delete_one({"_id": 1})
    with ServerProcess(path) as server, server.client() as client:
        coll = client.t.articles
        assert _text_specs(coll) == [{**SUBJECT_SPEC, "name": "s_text", "weights": {"s": 1}}]
        assert sorted(d["_id"] for d in coll.find({"$text": {"$search": "coffee"}})) == [2, 3]
        client.t.command("compact", "articles", force=True)
    with ServerProcess(path) as server, server.client() as client:
        assert sorted(d["_id"] for d in client.t.articles.find({"$text": {"$search": "coffee"}})) == [2, 3]


def test_a_partial_text_index_holds_only_its_documents(db):
    db.c.create_index([("s", "text")], partialFilterExpression={"live": True})
    db.c.insert_many([{"_id": 1, "s": "coffee", "live": True}, {"_id": 2, "s": "coffee", "live": False}])
    assert [d["_id"] for d in db.c.find({"$text": {"$search": "coffee"}, "live": True})] == [1]
    db.c.update_one({"_id": 2}, {"$set": {"live": True}})
    assert sorted(d["_id"] for d in db.c.find({"$text": {"$search": "coffee"}, "live": True})) == [1, 2]
