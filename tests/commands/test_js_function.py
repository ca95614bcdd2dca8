"""$function and $accumulator: the manual's examples with their documented results, parse errors, the
group key in initArgs, and where mongod refuses them."""

from __future__ import annotations

import pytest
from bson import Int64
from bson.code import Code
from pymongo.errors import OperationFailure

PLAYERS = [
    {"_id": 1, "name": "Miss Cheevous", "scores": [10, 5, 10]},
    {"_id": 2, "name": "Miss Ann Thrope", "scores": [10, 10, 10]},
    {"_id": 3, "name": "Mrs. Eppie Delta ", "scores": [9, 8, 8]},
]


def test_manual_function_example(db) -> None:
    db.players.insert_many(PLAYERS)
    found = Code('function(name) { return hex_md5(name) == "15b0a220baa16331e8d80e15367677ad" }')
    message = Code(
        "function(name, scores) { let total = Array.sum(scores); "
        "return `Hello ${name}.  Your total score is ${total}.` }"
    )
    pipeline = [
        {
            "$addFields": {
                "isFound": {"$function": {"body": found, "args": ["$name"], "lang": "js"}},
                "message": {"$function": {"body": message, "args": ["$name", "$scores"], "lang": "js"}},
            }
        }
    ]
    assert list(db.players.aggregate(pipeline)) == [
        {**PLAYERS[0], "isFound": False, "message": "Hello Miss Cheevous.  Your total score is 25."},
        {**PLAYERS[1], "isFound": True, "message": "Hello Miss Ann Thrope.  Your total score is 30."},
        {**PLAYERS[2], "isFound": False, "message": "Hello Mrs. Eppie Delta .  Your total score is 25."},
    ]


def test_function_value_types(db) -> None:
    db.c.insert_one({"_id": 1, "n": Int64(1) << 40, "i": 3})
    body = "function(n, i) { return [n, i, i + 1, NumberInt(7), NumberLong('12'), n + 1, undefined, null] }"
    out = list(
        db.c.aggregate(
            [{"$project": {"r": {"$function": {"body": body, "args": ["$n", "$i"], "lang": "js"}}}}]
        )
    )
    r = out[0]["r"]
    assert r == [1 << 40, 3.0, 4.0, 7, 12, float((1 << 40) + 1), None, None]
    assert [type(x).__name__ for x in r[:6]] == ["Int64", "float", "float", "int", "Int64", "float"]


@pytest.mark.parametrize(
    "spec,code,message",
    [
        (5, 31260, "$function requires an object as an argument, found: int"),
        ({"args": [], "lang": "js"}, 31261, "The body function must be specified."),
        (
            {"body": 1, "args": [], "lang": "js"},
            31262,
            "The body function must evaluate to type string or code",
        ),
        ({"body": "function(){}", "lang": "js"}, 31263, "The args field must be specified."),
        ({"body": "function(){}", "args": 1, "lang": "js"}, 31266, "The args field must be of type array"),
        ({"body": "function(){}", "args": []}, 31418, "The lang field must be specified."),
        (
            {"body": "function(){}", "args": [], "lang": "py"},
            31419,
            "Currently the only supported language specifier is 'js'.",
        ),
    ],
)
def test_function_parse_errors(db, spec, code, message) -> None:
    db.c.insert_one({"a": 1})
    with pytest.raises(OperationFailure) as exc:
        list(db.c.aggregate([{"$project": {"x": {"$function": spec}}}]))
    assert (exc.value.code, exc.value.details["errmsg"]) == (code, message)


def test_function_runtime_error(db) -> None:
    db.c.insert_one({"a": 1})
    spec = {"body": "function() { throw new Error('boom') }", "args": [], "lang": "js"}
    with pytest.raises(OperationFailure) as exc:
        list(db.c.aggregate([{"$project": {"x": {"$function": spec}}}]))
    assert exc.value.details["codeName"] == "JSInterpreterFailure"
    assert exc.value.details["errmsg"] == "PlanExecutor error during aggregation :: caused by :: Error: boom"


BOOKS = [
    {"_id": 8751, "title": "The Banquet", "author": "Dante", "copies": 2},
    {"_id": 8752, "title": "Divine Comedy", "author": "Dante", "copies": 1},
    {"_id": 8645, "title": "Eclogues", "author": "Dante", "copies": 2},
    {"_id": 7000, "title": "The Odyssey", "author": "Homer", "copies": 10},
    {"_id": 7020, "title": "Iliad", "author": "Homer", "copies": 10},
]

AVG_COPIES = {
    "init": Code("function() { return { count: 0, sum: 0 } }"),
    "accumulate": Code(
        "function(state, numCopies) { return { count: state.count + 1, sum: state.sum + numCopies } }"
    ),
    "accumulateArgs": ["$copies"],
    "merge": Code(
        "function(state1, state2) { return { count: state1.count + state2.count, "
        "sum: state1.sum + state2.sum } }"
    ),
    "finalize": Code("function(state) { return (state.sum / state.count) }"),
    "lang": "js",
}


def test_manual_accumulator_average(db) -> None:
    db.books.insert_many(BOOKS)
    pipeline = [
        {"$group": {"_id": "$author", "avgCopies": {"$accumulator": AVG_COPIES}}},
        {"$sort": {"_id": 1}},
    ]
    assert list(db.books.aggregate(pipeline)) == [
        {"_id": "Dante", "avgCopies": 1.6666666666666667},
        {"_id": "Homer", "avgCopies": 10.0},
    ]


RESTAURANTS = [
    {"_id": 1, "name": "Food Fury", "city": "Bettles", "cuisine": "American"},
    {"_id": 2, "name": "Meal Macro", "city": "Bettles", "cuisine": "Chinese"},
    {"_id": 3, "name": "Big Crisp", "city": "Bettles", "cuisine": "Latin"},
    {"_id": 4, "name": "The Wrap", "city": "Onida", "cuisine": "American"},
    {"_id": 5, "name": "Spice Attack", "city": "Onida", "cuisine": "Latin"},
    {"_id": 6, "name": "Soup City", "city": "Onida", "cuisine": "Chinese"},
    {"_id": 7, "name": "Crave", "city": "Pyote", "cuisine": "American"},
    {"_id": 8, "name": "The Gala", "city": "Pyote", "cuisine": "Chinese"},
]


def test_manual_accumulator_init_args_from_group_key(db) -> None:
    db.restaurants.insert_many(RESTAURANTS)
    accumulator = {
        "init": "function(city, userProfileCity) { "
        "return { max: city === userProfileCity ? 3 : 1, restaurants: [] } }",
        "initArgs": ["$city", "Bettles"],
        "accumulate": "function(state, restaurantName) { if (state.restaurants.length < state.max) "
        "{ state.restaurants.push(restaurantName); } return state; }",
        "accumulateArgs": ["$name"],
        "merge": "function(state1, state2) { return { max: state1.max, "
        "restaurants: state1.restaurants.concat(state2.restaurants).slice(0, state1.max) } }",
        "finalize": "function(state) { return state.restaurants }",
        "lang": "js",
    }
    pipeline = [
        {"$group": {"_id": {"city": "$city"}, "restaurants": {"$accumulator": accumulator}}},
        {"$sort": {"_id.city": 1}},
    ]
    assert list(db.restaurants.aggregate(pipeline)) == [
        {"_id": {"city": "Bettles"}, "restaurants": ["Food Fury", "Meal Macro", "Big Crisp"]},
        {"_id": {"city": "Onida"}, "restaurants": ["The Wrap"]},
        {"_id": {"city": "Pyote"}, "restaurants": ["Crave"]},
    ]


def test_accumulator_in_bucket_and_without_finalize(db) -> None:
    db.books.insert_many(BOOKS)
    spec = {k: v for k, v in AVG_COPIES.items() if k != "finalize"}
    out = list(
        db.books.aggregate(
            [
                {
                    "$bucket": {
                        "groupBy": "$copies",
                        "boundaries": [0, 5, 20],
                        "output": {"s": {"$accumulator": spec}},
                    }
                }
            ]
        )
    )
    assert out == [{"_id": 0, "s": {"count": 3.0, "sum": 5.0}}, {"_id": 5, "s": {"count": 2.0, "sum": 20.0}}]


@pytest.mark.parametrize(
    "change,code,message",
    [
        ({"init": None}, 4544707, "$accumulator missing required argument 'init'"),
        ({"accumulate": None}, 4544708, "$accumulator missing required argument 'accumulate'"),
        ({"merge": None}, 4544709, "$accumulator missing required argument 'merge'"),
        ({"accumulateArgs": None}, 4544710, "$accumulator missing required argument 'accumulateArgs'"),
        ({"init": 5}, 4544702, "$accumulator 'init' must be a String or Code"),
        ({"lang": 1}, 4544704, "$accumulator lang must be a string; found: int"),
        ({"lang": "py"}, 4544705, "$accumulator only supports lang: 'js'"),
        ({"extra": 1}, 4544706, "$accumulator got an unexpected field: extra"),
        ({"accumulateArgs": "$copies"}, 4544712, "$accumulator accumulateArgs must evaluate to an array: 2"),
        ({"initArgs": 3}, 4544711, "$accumulator initArgs must evaluate to an array: 3"),
    ],
)
def test_accumulator_errors(db, change, code, message) -> None:
    db.books.insert_many(BOOKS)
    spec = {**AVG_COPIES, **change}
    spec = {k: v for k, v in spec.items() if v is not None}
    with pytest.raises(OperationFailure) as exc:
        list(db.books.aggregate([{"$group": {"_id": "$author", "a": {"$accumulator": spec}}}]))
    errmsg = exc.value.details["errmsg"]
    assert (exc.value.code, errmsg.rpartition(" :: caused by :: ")[2]) == (code, message)


def test_accumulator_not_a_window_function(db) -> None:
    db.books.insert_many(BOOKS)
    with pytest.raises(OperationFailure) as exc:
        list(
            db.books.aggregate(
                [{"$setWindowFields": {"sortBy": {"_id": 1}, "output": {"a": {"$accumulator": AVG_COPIES}}}}]
            )
        )
    assert (exc.value.code, exc.value.details["errmsg"]) == (9, "Unrecognized window function, $accumulator")


def test_function_refused_in_validator(db) -> None:
    spec = {"$expr": {"$function": {"body": "function() { return true; }", "args": [], "lang": "js"}}}
    with pytest.raises(OperationFailure) as exc:
        db.create_collection("v", validator=spec)
    message = "$function cannot be used inside a validator."
    assert (exc.value.code, exc.value.details["errmsg"]) == (4660800, message)


def test_accumulator_in_bucket_auto_and_constant_group_key(db) -> None:
    db.books.insert_many(BOOKS)
    count = {
        "init": "function(start) { return start; }",
        "initArgs": [100],
        "accumulate": "function(state, c) { return state + c; }",
        "accumulateArgs": ["$copies"],
        "merge": "function(a, b) { return a + b; }",
        "lang": "js",
    }
    auto = list(
        db.books.aggregate(
            [{"$bucketAuto": {"groupBy": "$copies", "buckets": 2, "output": {"s": {"$accumulator": count}}}}]
        )
    )
    assert [b["s"] for b in auto] == [105.0, 120.0]
    total = list(db.books.aggregate([{"$group": {"_id": None, "s": {"$accumulator": count}}}]))
    assert total == [{"_id": None, "s": 125.0}]
