"""``$text`` queries: the MongoDB manual's examples with their documented results, scores computed by
hand from mongod's formula, several languages, phrases, negations, case and diacritic sensitivity,
``{$meta: "textScore"}`` in find and aggregation, explain, and mongod's errors."""

from __future__ import annotations

import pytest
from pymongo.errors import OperationFailure

ARTICLES = [
    {"_id": 1, "subject": "coffee", "author": "xyz", "views": 50},
    {"_id": 2, "subject": "Coffee Shopping", "author": "efg", "views": 5},
    {"_id": 3, "subject": "Baking a cake", "author": "abc", "views": 90},
    {"_id": 4, "subject": "baking", "author": "xyz", "views": 100},
    {"_id": 5, "subject": "Café Con Leche", "author": "abc", "views": 200},
    {"_id": 6, "subject": "Сырники", "author": "jkl", "views": 80},
    {"_id": 7, "subject": "coffee and cream", "author": "efg", "views": 10},
    {"_id": 8, "subject": "Cafe con Leche", "author": "xyz", "views": 10},
]
STORES = [
    {"_id": 1, "name": "Java Hut", "description": "Coffee and cakes"},
    {"_id": 2, "name": "Burger Buns", "description": "Gourmet hamburgers"},
    {"_id": 3, "name": "Coffee Shop", "description": "Just coffee"},
    {"_id": 4, "name": "Clothes Clothes Clothes", "description": "Discount clothing"},
    {"_id": 5, "name": "Java Shopping", "description": "Indonesian goods"},
]
SCORE = {"$meta": "textScore"}


@pytest.fixture
def articles(db):
    db.articles.insert_many(ARTICLES)
    db.articles.create_index([("subject", "text")])
    return db.articles


@pytest.fixture
def stores(db):
    db.stores.insert_many(STORES)
    db.stores.create_index([("name", "text"), ("description", "text")])
    return db.stores


def ids(coll, search: dict, **kwargs) -> list:
    return sorted(doc["_id"] for doc in coll.find({"$text": search}, **kwargs))


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ({"$search": "coffee"}, [1, 2, 7]),
        ({"$search": "bake coffee cake"}, [1, 2, 3, 4, 7]),
        ({"$search": '"coffee shop"'}, [2]),
        ({"$search": "coffee -shop"}, [1, 7]),
        ({"$search": "leche", "$language": "es"}, [5, 8]),
        ({"$search": "сы́рники CAFÉS"}, [5, 6, 8]),
        ({"$search": "Coffee", "$caseSensitive": True}, [2]),
        ({"$search": '"Café Con Leche"', "$caseSensitive": True}, [5]),
        ({"$search": "Coffee -shop", "$caseSensitive": True}, [2]),
        ({"$search": "CAFÉ", "$diacriticSensitive": True}, [5]),
        ({"$search": "leches -cafés", "$diacriticSensitive": True}, [8]),
    ],
    ids=lambda value: repr(value)[:40],
)
def test_manual_articles_examples(articles, search, expected):
    assert ids(articles, search) == expected


def test_manual_articles_scores_and_sorts(articles):
    assert list(articles.find({"$text": {"$search": "cake"}}, {"score": SCORE})) == [
        {"_id": 3, "subject": "Baking a cake", "author": "abc", "views": 90, "score": 0.75}
    ]
    found = articles.find({"$text": {"$search": "coffee"}}, {"subject": 1, "score": SCORE}).sort(
        [("score", SCORE)]
    )
    assert [(d["_id"], d["score"]) for d in found] == [(1, 1.0), (2, 0.75), (7, 0.75)]
    # Equal scores broken by another sort key.
    found = articles.find({"$text": {"$search": "CAFÉ"}}, {"score": SCORE}).sort(
        [("score", SCORE), ("views", -1)]
    )
    assert [(d["_id"], d["score"]) for d in found] == [(5, 0.5 / 3 + 0.5), (8, 0.5 / 3 + 0.5)]
    found = articles.find({"$text": {"$search": "CAFÉ"}}).sort([("score", SCORE), ("views", 1)])
    assert [d["_id"] for d in found] == [8, 5]


def test_manual_stores_examples(stores):
    assert ids(stores, {"$search": "java coffee shop"}) == [1, 3, 5]
    assert ids(stores, {"$search": '"coffee shop"'}) == [3]
    assert ids(stores, {"$search": "java shop -coffee"}) == [5]
    found = stores.find({"$text": {"$search": "java coffee shop"}}, {"score": SCORE}).sort([("score", SCORE)])
    assert list(found)[:1] == [{"_id": 3, "name": "Coffee Shop", "description": "Just coffee", "score": 2.25}]
    scores = {
        d["_id"]: d["score"]
        for d in stores.find({"$text": {"$search": "java coffee shop"}}, {"score": SCORE})
    }
    assert scores == {3: 2.25, 1: 1.5, 5: 1.5}


def test_scores_by_hand_from_mongods_formula(db):
    """weight * freq * (0.5 * count / tokens + 0.5) per string (freq 1 + 1/2 + 1/4 ... over repeats),
    times 1.1 when the string is the term itself, summed over strings and over the search's terms."""
    db.c.create_index(
        [("title", "text"), ("body", "text"), ("tags", "text")], weights={"title": 10, "body": 2}
    )
    db.c.insert_many(
        [
            {"_id": 1, "title": "Coffee", "body": "coffee coffee tea", "tags": ["coffee", "morning drinks"]},
            {"_id": 2, "title": "the coffee of the day", "body": "tea and more tea, then tea again"},
            {"_id": 3, "title": "tea", "body": "Tea"},
        ]
    )
    scores = {d["_id"]: d["s"] for d in db.c.find({"$text": {"$search": "coffee tea"}}, {"s": SCORE})}
    # title "Coffee" (not the term "coffe": no boost), body "coffee coffee tea", tags "coffee" (weight 1)
    coffee_1 = 10 * 1 * 1.0 + 2 * 1.5 * (0.5 * 2 / 3 + 0.5) + 1 * 1 * 1.0
    tea_1 = 2 * 1 * (0.5 * 1 / 3 + 0.5)
    # "the", "of", "and", "more", "then", "again" are stop words: "coffee day" and "tea tea tea"
    coffee_2 = 10 * 1 * (0.5 * 1 / 2 + 0.5)
    tea_2 = 2 * 1.75 * (0.5 * 3 / 3 + 0.5)
    # each string is the term itself: the 1.1 boost
    tea_3 = 10 * 1 * 1.0 * 1.1 + 2 * 1 * 1.0 * 1.1
    assert scores == {1: coffee_1 + tea_1, 2: coffee_2 + tea_2, 3: tea_3}
    assert (coffee_2 + tea_2, tea_3) == (11.0, 13.2)


def test_languages_per_document_and_per_query(db):
    db.quotes.create_index([("quote", "text")], default_language="english", language_override="idioma")
    db.quotes.insert_many(
        [
            {"_id": 1, "idioma": "portuguese", "quote": "A sorte protege os audazes"},
            {"_id": 2, "idioma": "spanish", "quote": "Nada hay más surrealista que la realidad."},
            {"_id": 3, "idioma": "en", "quote": "is this a dagger which I see before me"},
            {"_id": 4, "idioma": "french", "quote": "Les chanteuses chantaient"},
            {"_id": 5, "idioma": "none", "quote": "running the runner"},
            {"_id": 6, "quote": "running the runner"},
            {"_id": 7, "idioma": "de", "quote": "Die Katzen spielten im Garten"},
        ]
    )
    assert ids(db.quotes, {"$search": "dagger"}) == [3]
    assert ids(db.quotes, {"$search": "realidad", "$language": "es"}) == [2]
    assert ids(db.quotes, {"$search": "chanteuse", "$language": "french"}) == [4]
    assert ids(db.quotes, {"$search": "katze", "$language": "german"}) == [7]
    # English stems "running" to "run"; "none" keeps the words (and its stop words) as written.
    assert ids(db.quotes, {"$search": "run"}) == [6]
    assert ids(db.quotes, {"$search": "running", "$language": "none"}) == [5]
    assert ids(db.quotes, {"$search": "the", "$language": "none"}) == [5]
    # Stop words of the search's language are dropped from the search.
    assert ids(db.quotes, {"$search": "the"}) == []
    assert ids(db.quotes, {"$search": "os", "$language": "pt"}) == []


def test_nested_documents_arrays_and_the_wildcard_index(db):
    db.c.create_index([("$**", "text")])
    db.c.insert_many(
        [
            {"_id": 1, "a": {"b": "deep coffee", "c": {"d": "running", "language": "none"}}},
            {"_id": 2, "list": ["tea", {"x": "coffee beans"}], "n": 5},
            {"_id": 3, "title": "nothing here", "language": "spanish"},
        ]
    )
    assert ids(db.c, {"$search": "coffee"}) == [1, 2]
    assert ids(db.c, {"$search": "beans"}) == [2]
    assert ids(db.c, {"$search": "spanish"}) == []  # the language field is not text to search
    assert ids(db.c, {"$search": "running", "$language": "none"}) == [1]  # a sub-document's language
    assert ids(db.c, {"$search": "running"}) == []


def test_phrases_and_negations(stores):
    assert ids(stores, {"$search": '"coffee shop" java'}) == [3]
    assert ids(stores, {"$search": '"coffee" -"just coffee"'}) == [1]
    assert ids(stores, {"$search": "-coffee"}) == []  # only negations: nothing to look for
    assert ids(stores, {"$search": "coffee - java"}) == [1, 3, 5]  # "- java" negates nothing
    assert ids(stores, {"$search": "shop -java-coffee"}) == []
    assert ids(stores, {"$search": '"COFFEé SHOP"'}) == [3]


def test_other_filters_counts_updates_and_deletes(stores):
    assert ids(stores, {"$search": "coffee java"}) == [1, 3, 5]
    found = stores.find({"$text": {"$search": "coffee java"}, "name": {"$regex": "^Java"}})
    assert sorted(d["_id"] for d in found) == [1, 5]
    found = stores.find({"$and": [{"_id": {"$gt": 1}}, {"$text": {"$search": "coffee java"}}]})
    assert sorted(d["_id"] for d in found) == [3, 5]
    assert stores.count_documents({"$text": {"$search": "coffee"}}) == 2
    assert stores.distinct("name", {"$text": {"$search": "java"}}) == ["Java Hut", "Java Shopping"]
    assert stores.update_many({"$text": {"$search": "java"}}, {"$set": {"java": True}}).modified_count == 2
    stores.update_one({"_id": 2}, {"$set": {"description": "Gourmet coffee"}})
    assert ids(stores, {"$search": "coffee"}) == [1, 2, 3]
    assert stores.delete_many({"$text": {"$search": "coffee -java"}}).deleted_count == 2
    assert ids(stores, {"$search": "coffee"}) == [1]


def test_meta_in_find_projections(stores):
    search = {"$text": {"$search": "java shop"}}
    assert list(
        stores.find(search, {"_id": 0, "name": 1, "score": SCORE}).sort([("score", SCORE), ("_id", 1)])
    ) == [
        {"name": "Java Shopping", "score": 1.5},
        {"name": "Java Hut", "score": 0.75},
        {"name": "Coffee Shop", "score": 0.75},
    ]
    assert stores.find_one({"$text": {"$search": "gourmet"}}, {"description": 0, "score": SCORE}) == {
        "_id": 2,
        "name": "Burger Buns",
        "score": 0.75,
    }


def test_aggregation_match_project_addfields_sort(stores):
    pipeline = [
        {"$match": {"$text": {"$search": "java coffee shop"}}},
        {"$sort": {"score": SCORE}},
        {"$project": {"name": 1, "score": SCORE}},
        {"$addFields": {"double": {"$multiply": [{"$meta": "textScore"}, 2]}}},
        {"$limit": 2},
    ]
    assert list(stores.aggregate(pipeline)) == [
        {"_id": 3, "name": "Coffee Shop", "score": 2.25, "double": 4.5},
        {"_id": 1, "name": "Java Hut", "score": 1.5, "double": 3.0},
    ]
    pipeline = [
        {"$match": {"$text": {"$search": "cake shop"}}},
        {"$set": {"x": 1}},
        {"$sort": {"s": SCORE, "_id": -1}},
        {"$project": {"_id": 1}},
    ]
    assert list(stores.aggregate(pipeline)) == [{"_id": 5}, {"_id": 3}, {"_id": 1}]
    grouped = stores.aggregate(
        [
            {"$match": {"$text": {"$search": "java coffee shop"}}},
            {"$group": {"_id": None, "total": {"$sum": {"$meta": "textScore"}}}},
        ]
    )
    assert list(grouped) == [{"_id": None, "total": 5.25}]


def test_explain(stores):
    plan = stores.find({"$text": {"$search": "coffee -java"}, "_id": {"$gt": 0}}).explain()["queryPlanner"]
    assert plan["parsedQuery"] == {
        "$and": [
            {"_id": {"$gt": 0}},
            {
                "$text": {
                    "$search": "coffee -java",
                    "$language": "english",
                    "$caseSensitive": False,
                    "$diacriticSensitive": False,
                }
            },
        ]
    }
    ixscan = {
        "stage": "IXSCAN",
        "keyPattern": {"_fts": "text", "_ftsx": 1},
        "indexName": "name_text_description_text",
        "isMultiKey": True,
        "isUnique": False,
        "isSparse": False,
        "isPartial": False,
        "indexVersion": 2,
        "direction": "backward",
        "indexBounds": {},
    }
    assert plan["winningPlan"] == {
        "stage": "TEXT_MATCH",
        "indexPrefix": {},
        "indexName": "name_text_description_text",
        "parsedTextQuery": {
            "terms": ["coffe"],
            "negatedTerms": ["java"],
            "phrases": [],
            "negatedPhrases": [],
        },
        "textIndexVersion": 3,
        "inputStage": {"stage": "FETCH", "filter": {"_id": {"$gt": 0}}, "inputStage": ixscan},
    }
    explained = stores.find({"$text": {"$search": "coffee shop"}}, {"s": SCORE}).explain()
    text_or = explained["queryPlanner"]["winningPlan"]["inputStage"]["inputStage"]
    assert text_or == {"stage": "TEXT_OR", "inputStages": [ixscan, ixscan]}
    stats = explained["executionStats"]
    assert (stats["nReturned"], stats["totalDocsExamined"]) == (3, 3)


@pytest.mark.parametrize(
    ("operand", "code", "message"),
    [
        ("coffee", 2, "$text expects an object"),
        ({}, 4, 'Missing expected field "$search"'),
        ({"$search": 1}, 14, '"$search" had the wrong type. Expected string, found int'),
        ({"$search": "a", "$language": 1}, 14, '"$language" had the wrong type. Expected string, found int'),
        (
            {"$search": "a", "$caseSensitive": 1},
            14,
            '"$caseSensitive" had the wrong type. Expected bool, found int',
        ),
        ({"$search": "a", "$foo": 1}, 2, "extra fields in $text"),
        (
            {"$search": "a", "$language": "klingon"},
            2,
            'unsupported language: "klingon" for text index version 3',
        ),
    ],
)
def test_operand_errors(stores, operand, code, message):
    with pytest.raises(OperationFailure) as exc:
        list(stores.find({"$text": operand}))
    assert (exc.value.code, exc.value.details["errmsg"]) == (code, message)


def test_index_and_placement_errors(db, stores):
    db.plain.insert_one({"_id": 1})
    with pytest.raises(OperationFailure) as exc:
        db.plain.find_one({"$text": {"$search": "x"}})
    assert (exc.value.code, exc.value.details["codeName"], exc.value.details["errmsg"]) == (
        27,
        "IndexNotFound",
        "text index required for $text query",
    )
    with pytest.raises(OperationFailure) as exc:
        db.missing.find_one({"$text": {"$search": "x"}})
    assert (
        exc.value.details["errmsg"]
        == f"text index required for $text query (no such collection '{db.name}.missing')"
    )
    with pytest.raises(OperationFailure) as exc:
        list(stores.aggregate([{"$match": {"_id": 1}}, {"$match": {"$text": {"$search": "java"}}}]))
    assert (exc.value.code, exc.value.details["errmsg"]) == (
        17313,
        "$match with $text is only allowed as the first pipeline stage",
    )
    with pytest.raises(OperationFailure) as exc:
        list(stores.find({"$text": {"$search": "a"}, "$and": [{"$text": {"$search": "b"}}]}))
    assert (exc.value.code, exc.value.details["errmsg"]) == (2, "Too many text expressions")
    for find in (
        lambda: list(stores.find({}, {"s": SCORE})),
        lambda: list(stores.find({}).sort([("s", SCORE)])),
    ):
        with pytest.raises(OperationFailure) as exc:
            find()
        assert (exc.value.code, exc.value.details["errmsg"]) == (
            40218,
            "query requires text score metadata, but it is not available",
        )


def test_compound_text_index_needs_its_prefix(db):
    db.c.create_index([("store", 1), ("description", "text")])
    db.c.insert_many(
        [{"_id": 1, "store": "a", "description": "coffee"}, {"_id": 2, "store": "b", "description": "coffee"}]
    )
    assert sorted(d["_id"] for d in db.c.find({"store": "b", "$text": {"$search": "coffee"}})) == [2]
    explained = db.c.find({"store": "b", "$text": {"$search": "coffee"}}).explain()
    assert explained["queryPlanner"]["winningPlan"]["indexPrefix"] == {"store": "b"}
    with pytest.raises(OperationFailure) as exc:
        list(db.c.find({"$text": {"$search": "coffee"}}))
    assert exc.value.code == 291


def test_hints_sorts_and_placements_mongod_refuses(stores):
    for find, message in (
        (
            lambda: stores.find({"$text": {"$search": "java"}}).hint("name_text_description_text"),
            "text and hint",
        ),
        (
            lambda: stores.find({"$text": {"$search": "java"}}).sort([("$natural", 1)]),
            "text and $natural sort",
        ),
        (lambda: stores.find({"$nor": [{"$text": {"$search": "java"}}]}), "text expression"),
    ):
        with pytest.raises(OperationFailure) as exc:
            list(find())
        assert exc.value.code == 2
        assert exc.value.details["errmsg"] == (
            f"{message} not allowed in same query"
            if "and" in message
            else "text expression not allowed in nor"
        )
    with pytest.raises(OperationFailure) as exc:
        list(stores.find({"a": {"$elemMatch": {"$text": {"$search": "java"}}}}))
    assert exc.value.details["errmsg"] == "$text can only be applied to the top-level document"


def test_score_without_text_in_a_pipeline(stores):
    with pytest.raises(OperationFailure) as exc:
        list(stores.find({"name": "Java Hut"}).hint("name_text_description_text"))
    assert (exc.value.code, exc.value.details["errmsg"]) == (
        2,
        "hint provided does not correspond to an existing index",
    )
    with pytest.raises(OperationFailure) as exc:
        list(stores.aggregate([{"$match": {"_id": 1}}, {"$project": {"s": {"$meta": "textScore"}}}]))
    assert (exc.value.code, exc.value.details["errmsg"]) == (
        40218,
        "query requires text score metadata, but it is not available",
    )


def test_find_and_modify_and_write_explains(stores):
    found = stores.find_one_and_update(
        {"$text": {"$search": "coffee shop"}}, {"$set": {"best": True}}, sort=[("s", SCORE)]
    )
    assert found == {"_id": 3, "name": "Coffee Shop", "description": "Just coffee"}
    explained = stores.database.command(
        "explain", {"delete": "stores", "deletes": [{"q": {"$text": {"$search": "java"}}, "limit": 0}]}
    )
    assert explained["queryPlanner"]["winningPlan"]["inputStage"]["stage"] == "TEXT_MATCH"
    explained = stores.database.command(
        "explain", {"count": "stores", "query": {"$text": {"$search": "java"}}}, verbosity="executionStats"
    )
    assert explained["executionStats"]["executionStages"]["nCounted"] == 2


def test_meta_in_an_exclusion_project_stage(stores):
    pipeline = [
        {"$match": {"$text": {"$search": "gourmet"}}},
        {"$project": {"description": 0, "score": {"$meta": "textScore"}}},
    ]
    assert list(stores.aggregate(pipeline)) == [{"_id": 2, "name": "Burger Buns", "score": 0.75}]
    pipeline[1] = {"$project": {"score": {"$meta": "textScore"}}}
    assert list(stores.aggregate(pipeline)) == [{"_id": 2, "score": 0.75}]
    pipeline[1] = {"$project": {"score": {"$meta": "textScore"}, "n": "$name", "_id": 0}}
    assert list(stores.aggregate(pipeline)) == [{"score": 0.75, "n": "Burger Buns"}]
