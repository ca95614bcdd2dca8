"""Collation through PyMongo: collection defaults, listCollections/listIndexes, collated (unique) indexes
and the planner, explain, views and restarts."""

from __future__ import annotations

import pytest
from pymongo import ASCENDING
from pymongo.collation import Collation
from pymongo.errors import DuplicateKeyError, OperationFailure

from tests.commands.collation_cases import EN_1, EN_2, insert_words
from tests.commands.collation_cases import failure as _failure
from tests.commands.collation_cases import full_collation as _full


@pytest.fixture
def words(db):
    return insert_words(db)


# -- the collection's default collation ---------------------------------------------------------------


def test_collection_default_collation_applies_unless_the_operation_names_one(db):
    db.create_collection("k", collation=Collation("en", strength=2))
    db.k.insert_many([{"_id": 1, "v": "abc"}, {"_id": 2, "v": "ABC"}])
    assert db.k.count_documents({"v": "Abc"}) == 2
    assert db.k.count_documents({"v": "Abc"}, collation={"locale": "simple"}) == 0
    assert db.k.count_documents({"v": "Abc"}, collation={"locale": "en", "strength": 3}) == 0
    assert db.k.find_one({"v": "aBC"}, {"_id": 1}) == {"_id": 1}


def test_list_collections_and_indexes_show_the_normalized_collation(db):
    db.create_collection("k", collation={"locale": "fr_CA"})
    info = next(db.list_collections(filter={"name": "k"}))
    assert info["options"] == {"collation": _full("fr_CA", backwards=True)}
    assert info["idIndex"] == {
        "v": 2,
        "key": {"_id": 1},
        "name": "_id_",
        "collation": _full("fr_CA", backwards=True),
    }
    db.k.create_index("a")
    db.k.create_index("b", collation={"locale": "simple"})
    db.k.create_index("c", collation={"locale": "en", "strength": 2})
    indexes = {i["name"]: i.to_dict() for i in db.k.list_indexes()}
    assert indexes["a_1"] == {
        "v": 2,
        "key": {"a": 1},
        "name": "a_1",
        "collation": _full("fr_CA", backwards=True),
    }
    assert indexes["b_1"] == {"v": 2, "key": {"b": 1}, "name": "b_1"}
    assert indexes["c_1"]["collation"] == _full("en", strength=2)


def test_simple_locale_is_binary_and_stores_nothing(db):
    db.create_collection("s", collation={"locale": "simple"})
    assert next(db.list_collections(filter={"name": "s"}))["options"] == {}
    db.s.insert_many([{"v": "a"}, {"v": "A"}])
    assert db.s.count_documents({"v": "a"}, collation={"locale": "simple"}) == 1


# -- indexes ------------------------------------------------------------------------------------------


def test_unique_index_with_strength_2_refuses_a_case_variant(db):
    db.u.create_index([("name", ASCENDING)], unique=True, collation=EN_2)
    db.u.insert_one({"_id": 1, "name": "abc"})
    with pytest.raises(DuplicateKeyError) as exc:
        db.u.insert_one({"_id": 2, "name": "ABC"})
    assert exc.value.code == 11000
    assert exc.value.details["keyValue"] == {"name": "ABC"}
    db.u.insert_one({"_id": 3, "name": "abd"})
    db.u.insert_one({"_id": 4, "name": "ábc"})  # strength 2 tells accents apart


def test_index_builds_over_existing_documents_refuse_collation_duplicates(db):
    db.u.insert_many([{"name": "abc"}, {"name": "ABC"}])
    with pytest.raises(OperationFailure) as exc:
        db.u.create_index("name", unique=True, collation=EN_2)
    assert exc.value.code == 11000


def test_planner_uses_an_index_only_when_its_collation_matches(words):
    words.create_index("w", collation=EN_2, name="w_en2")
    planner = words.find({"w": "CAFE"}, collation=EN_2).explain()["queryPlanner"]
    assert list(planner)[2:4] == ["parsedQuery", "collation"]
    assert planner["collation"] == _full("en", strength=2)
    assert "collation" not in words.find({"w": "CAFE"}).explain()["queryPlanner"]
    plan = planner["winningPlan"]
    assert plan["stage"] == "FETCH"
    scan = plan["inputStage"]
    assert (scan["stage"], scan["indexName"], scan["collation"]) == (
        "IXSCAN",
        "w_en2",
        _full("en", strength=2),
    )
    assert [d["_id"] for d in words.find({"w": "CAFE"}, collation=EN_2).sort("_id", 1)] == [1, 4]
    plain = words.find({"w": "CAFE"}).explain()["queryPlanner"]["winningPlan"]
    assert plain["stage"] == "COLLSCAN"
    assert [d["_id"] for d in words.find({"w": "CAFE"})] == [4]
    other = words.find({"w": "CAFE"}, collation=EN_1).explain()["queryPlanner"]["winningPlan"]
    assert other["stage"] == "COLLSCAN"


def test_collated_index_serves_ranges_sorts_and_in(words):
    words.create_index("w", collation=EN_2, name="w_en2")
    found = words.find({"w": {"$in": ["CAFÉ", "CAFES"]}}, collation=EN_2).sort("w", 1)
    assert [d["_id"] for d in found] in ([2, 3, 5], [3, 2, 5])
    assert (
        words.find({}, collation=EN_2).sort("w", 1).explain()["queryPlanner"]["winningPlan"]["stage"]
        == "FETCH"
    )
    ordered = [d["w"].lower() for d in words.find({"w": {"$gte": "CAFE"}}, collation=EN_2).sort("w", -1)]
    assert ordered == ["cafes", "café", "café", "cafe", "cafe"]


def test_explain_of_a_delete_uses_its_statement_collation(words):
    words.create_index("w", collation=EN_2, name="w_en2")
    explained = words.database.command(
        "explain", {"delete": "words", "deletes": [{"q": {"w": "CAFE"}, "limit": 0, "collation": EN_2}]}
    )
    assert explained["queryPlanner"]["winningPlan"]["inputStage"]["inputStage"]["indexName"] == "w_en2"


# -- views ----------------------------------------------------------------------------------------------


def test_a_view_reads_under_its_own_collation(words):
    db = words.database
    db.create_collection("ci", viewOn="words", pipeline=[{"$match": {"w": "CAFE"}}], collation=EN_1)
    info = next(db.list_collections(filter={"name": "ci"}))
    assert info["options"] == {
        "viewOn": "words",
        "pipeline": [{"$match": {"w": "CAFE"}}],
        "collation": _full("en", strength=1),
    }
    assert sorted(d["_id"] for d in db.ci.find()) == [1, 2, 3, 4]
    assert db.ci.count_documents({"w": "café"}) == 4
    assert db.ci.distinct("w") == ["cafe"]
    assert [d["_id"] for d in db.ci.aggregate([{"$sort": {"_id": 1}}, {"$limit": 1}])] == [1]
    assert sorted(d["_id"] for d in db.ci.find({}, collation=EN_1)) == [1, 2, 3, 4]


def test_a_view_refuses_another_collation(words):
    db = words.database
    db.create_collection("ci", viewOn="words", pipeline=[], collation=EN_1)
    db.create_collection("plain_view", viewOn="words", pipeline=[])
    for command in (
        {"find": "ci", "filter": {}, "collation": EN_2},
        {"aggregate": "ci", "pipeline": [], "cursor": {}, "collation": {"locale": "simple"}},
        {"count": "ci", "collation": EN_2},
        {"distinct": "ci", "key": "w", "collation": EN_2},
        {"find": "plain_view", "filter": {}, "collation": EN_2},
    ):
        with pytest.raises(OperationFailure) as exc:
            db.command(command)
        assert _failure(exc) == (
            167,
            "OptionNotSupportedOnView",
            "Cannot override a view's default collation",
        )
    assert db.command({"count": "plain_view", "collation": {"locale": "simple"}})["n"] == 5


# -- durability -----------------------------------------------------------------------------------------


def test_collations_survive_a_restart(tmp_path):
    from tests.serverproc import ServerProcess

    path = tmp_path / "c.mdb"
    with ServerProcess(path) as server, server.client() as client:
        client.d.create_collection("k", collation=EN_2)
        client.d.k.create_index("v", unique=True)
        client.d.k.insert_one({"v": "abc"})
        client.d.create_collection("view", viewOn="k", pipeline=[], collation=EN_1)
    with ServerProcess(path) as server, server.client() as client:
        assert next(client.d.list_collections(filter={"name": "k"}))["options"] == {
            "collation": _full("en", strength=2)
        }
        with pytest.raises(DuplicateKeyError):
            client.d.k.insert_one({"v": "ABC"})
        assert client.d.k.count_documents({"v": "ABC"}) == 1
        assert client.d.view.count_documents({"v": "ábc"}) == 1
