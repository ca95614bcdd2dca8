"""DBRef field paths (``$id``, ``$ref``, ``$db``) as mongod 7.0 treats them: ordinary field names inside
a ``{$ref, $id[, $db]}`` document, reachable from queries, projections, sorts, updates, index keys and
aggregation paths; an index on ``link.$id`` is used by the planner."""

from __future__ import annotations

import pytest
from bson import ObjectId
from bson.dbref import DBRef
from bson.son import SON
from pymongo.errors import OperationFailure

A = ObjectId("650000000000000000000001")
B = ObjectId("650000000000000000000002")
DOCS = [
    {"_id": 1, "link": DBRef("authors", A), "links": [DBRef("authors", A, "lib"), DBRef("authors", B)]},
    {"_id": 2, "link": DBRef("authors", B, "lib"), "links": [DBRef("editors", B)]},
    {"_id": 3, "link": DBRef("editors", A)},
]


@pytest.fixture
def refs(db):
    db.c.insert_many(DOCS)
    db.authors.insert_many([{"_id": A, "name": "ann"}, {"_id": B, "name": "bob"}])
    return db


def _ids(cursor) -> list:
    return [doc["_id"] for doc in cursor]


@pytest.mark.parametrize(
    "query,expected",
    [
        pytest.param({"link.$id": A}, [1, 3], id="id"),
        pytest.param({"link.$ref": "editors"}, [3], id="ref"),
        pytest.param({"link.$db": "lib"}, [2], id="db"),
        pytest.param({"link.$db": None}, [1, 3], id="db-missing"),
        pytest.param({"links.$id": B}, [1, 2], id="array-of-dbrefs"),
        pytest.param({"links.$db": {"$exists": True}}, [1], id="array-exists"),
        pytest.param({"link.$id": {"$in": [B]}}, [2], id="in"),
        pytest.param({"link": DBRef("authors", A)}, [1], id="whole-dbref"),
        pytest.param({"links": {"$elemMatch": {"$ref": "editors", "$id": B}}}, [2], id="elem-match"),
    ],
)
def test_find_through_dbref_fields(refs, query, expected):
    assert _ids(refs.c.find(query).sort("_id", 1)) == expected


def test_projection_and_sort_on_dbref_fields(refs):
    assert list(refs.c.find({}, {"link.$id": 1, "link.$ref": 1}).sort([("link.$id", -1), ("_id", 1)])) == [
        {"_id": 2, "link": DBRef("authors", B)},
        {"_id": 1, "link": DBRef("authors", A)},
        {"_id": 3, "link": DBRef("editors", A)},
    ]
    assert list(refs.c.find({"_id": 2}, {"link.$db": 0, "links": 0})) == [
        {"_id": 2, "link": DBRef("authors", B)}
    ]
    assert list(refs.c.find({"_id": 2}, {"_id": 0, "link.$id": 1})) == [{"link": {"$id": B}}]


def test_update_through_dbref_field(refs):
    refs.c.update_one({"_id": 1}, {"$set": {"link.$id": B}})
    assert refs.c.find_one({"_id": 1})["link"] == DBRef("authors", B)
    refs.c.update_one({"_id": 3}, {"$set": {"link.$db": "other"}})
    assert refs.c.find_one({"_id": 3})["link"] == DBRef("editors", A, "other")


@pytest.mark.parametrize(
    "update,code,message",
    [
        pytest.param(
            {"$set": {"fresh.$id": 1}},
            55,
            "Found $id field without a $ref before it, which is invalid.",
            id="id-without-ref",
        ),
        pytest.param(
            {"$set": {"link.$ref": 5}}, 55, "The DBRef $ref field must be a String, not a int", id="ref-type"
        ),
        pytest.param(
            {"$set": {"link.$bad": 1}},
            52,
            "The dollar ($) prefixed field '$bad' in 'link.$bad' is not valid for storage.",
            id="other-dollar-name",
        ),
    ],
)
def test_update_keeps_dbrefs_well_formed(refs, update, code, message):
    with pytest.raises(OperationFailure) as exc:
        refs.c.update_one({"_id": 1}, update)
    assert (exc.value.code, exc.value.details["errmsg"]) == (code, message)
    assert refs.c.find_one({"_id": 1}) == DOCS[0]


def test_dbref_keeps_its_field_order(db):
    # mongod keeps a DBRef-shaped document as stored; extra fields follow in their own order.
    raw = SON([("_id", 1), ("link", SON([("$ref", "a"), ("$id", 7), ("$db", "d"), ("note", "x")]))])
    db.c.insert_one(raw)
    reply = db.command("find", "c", filter={"link.note": "x"}, projection={"_id": 0})
    assert reply["cursor"]["firstBatch"] == [{"link": DBRef("a", 7, "d", note="x")}]


def test_index_on_dbref_id_is_used(refs):
    refs.c.create_index("link.$id")
    plan = refs.c.find({"link.$id": A}).explain()
    assert plan["queryPlanner"]["winningPlan"]["stage"] == "FETCH"
    ixscan = plan["queryPlanner"]["winningPlan"]["inputStage"]
    assert (ixscan["stage"], ixscan["indexName"], ixscan["indexBounds"]) == (
        "IXSCAN",
        "link.$id_1",
        {"link.$id": [f"[ObjectId('{A}'), ObjectId('{A}')]"]},
    )
    assert plan["executionStats"]["nReturned"] == 2
    assert _ids(refs.c.find({"link.$id": A}).hint("link.$id_1").sort("_id", 1)) == [1, 3]


def test_multikey_index_through_array_of_dbrefs(refs):
    refs.c.create_index("links.$id")
    assert _ids(refs.c.find({"links.$id": B}).hint("links.$id_1").sort("_id", 1)) == [1, 2]


def test_aggregation_field_paths(refs):
    pipeline = [
        {"$match": {"_id": {"$lt": 3}}},
        {"$project": {"id": "$link.$id", "ref": "$link.$ref", "dbs": "$links.$db"}},
        {"$sort": {"_id": 1}},
    ]
    assert list(refs.c.aggregate(pipeline)) == [
        {"_id": 1, "id": A, "ref": "authors", "dbs": ["lib"]},
        {"_id": 2, "id": B, "ref": "authors", "dbs": []},
    ]


def test_get_field_on_a_dbref(refs):
    pipeline = [
        {"$match": {"_id": 2}},
        {"$project": {"_id": 0, "db": {"$getField": {"field": {"$literal": "$db"}, "input": "$link"}}}},
    ]
    assert list(refs.c.aggregate(pipeline)) == [{"db": "lib"}]


def test_other_dollar_names_stay_refused_in_field_paths(refs):
    with pytest.raises(OperationFailure) as exc:
        list(refs.c.aggregate([{"$project": {"x": "$link.$other"}}]))
    assert exc.value.code == 16410


def test_lookup_on_dbref_id(refs):
    pipeline = [
        {"$match": {"_id": {"$lt": 3}}},
        {"$lookup": {"from": "authors", "localField": "link.$id", "foreignField": "_id", "as": "author"}},
        {"$project": {"author": 1}},
        {"$sort": {"_id": 1}},
    ]
    assert list(refs.c.aggregate(pipeline)) == [
        {"_id": 1, "author": [{"_id": A, "name": "ann"}]},
        {"_id": 2, "author": [{"_id": B, "name": "bob"}]},
    ]


def test_lookup_with_dbref_foreign_field(refs):
    pipeline = [
        {"$lookup": {"from": "c", "localField": "_id", "foreignField": "links.$id", "as": "by"}},
        {"$project": {"by": "$by._id"}},
        {"$sort": {"_id": 1}},
    ]
    assert list(refs.authors.aggregate(pipeline)) == [{"_id": A, "by": [1]}, {"_id": B, "by": [1, 2]}]


def test_unwind_and_group_through_dbrefs(refs):
    pipeline = [
        {"$unwind": "$links"},
        {"$group": {"_id": "$links.$ref", "n": {"$sum": 1}}},
        {"$sort": {"_id": 1}},
    ]
    assert list(refs.c.aggregate(pipeline)) == [{"_id": "authors", "n": 2}, {"_id": "editors", "n": 1}]


def test_graph_lookup_through_dbref_fields(db):
    db.people.insert_many(
        [
            {"_id": 1, "boss": None},
            {"_id": 2, "boss": DBRef("people", 1)},
            {"_id": 3, "boss": DBRef("people", 2)},
        ]
    )
    pipeline = [
        {"$match": {"_id": 3}},
        {
            "$graphLookup": {
                "from": "people",
                "startWith": "$boss.$id",
                "connectFromField": "boss.$id",
                "connectToField": "_id",
                "as": "chain",
            }
        },
        {"$project": {"chain": {"$sortArray": {"input": "$chain._id", "sortBy": 1}}}},
    ]
    assert list(db.people.aggregate(pipeline)) == [{"_id": 3, "chain": [1, 2]}]
