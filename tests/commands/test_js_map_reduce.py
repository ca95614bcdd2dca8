"""The mapReduce command: the manual's examples with their documented results, emit/reduce/finalize
semantics, scope, query/sort/limit, every output mode and mongod 7.0's reply shapes."""

from __future__ import annotations

import datetime

import pytest
from bson.code import Code
from bson.son import SON
from pymongo.errors import OperationFailure


def _d(day: int) -> datetime.datetime:
    return datetime.datetime(2020, 3, day)


def _items(*triples: tuple) -> list[dict]:
    return [{"sku": s, "qty": q, "price": p} for s, q, p in triples]


ORDERS = [
    {"_id": 1, "cust_id": "Ant O. Knee", "ord_date": _d(1), "price": 25,
     "items": _items(("oranges", 5, 2.5), ("apples", 5, 2.5)), "status": "A"},
    {"_id": 2, "cust_id": "Ant O. Knee", "ord_date": _d(8), "price": 70,
     "items": _items(("oranges", 8, 2.5), ("chocolates", 5, 10)), "status": "A"},
    {"_id": 3, "cust_id": "Busby Bee", "ord_date": _d(8), "price": 50,
     "items": _items(("oranges", 10, 2.5), ("pears", 10, 2.5)), "status": "A"},
    {"_id": 4, "cust_id": "Busby Bee", "ord_date": _d(18), "price": 25,
     "items": _items(("oranges", 10, 2.5)), "status": "A"},
    {"_id": 5, "cust_id": "Busby Bee", "ord_date": _d(19), "price": 50,
     "items": _items(("chocolates", 5, 10)), "status": "A"},
    {"_id": 6, "cust_id": "Cam Elot", "ord_date": _d(19), "price": 35,
     "items": _items(("carrots", 10, 1.0), ("apples", 10, 2.5)), "status": "A"},
    {"_id": 7, "cust_id": "Cam Elot", "ord_date": _d(20), "price": 25,
     "items": _items(("oranges", 10, 2.5)), "status": "A"},
    {"_id": 8, "cust_id": "Don Quis", "ord_date": _d(20), "price": 75,
     "items": _items(("chocolates", 5, 10), ("apples", 10, 2.5)), "status": "A"},
    {"_id": 9, "cust_id": "Don Quis", "ord_date": _d(20), "price": 55,
     "items": _items(("carrots", 5, 1.0), ("apples", 10, 2.5), ("oranges", 10, 2.5)), "status": "A"},
    {"_id": 10, "cust_id": "Don Quis", "ord_date": _d(23), "price": 25,
     "items": _items(("oranges", 10, 2.5)), "status": "A"},
]  # fmt: skip

MAP1 = Code("function() { emit(this.cust_id, this.price); }")
REDUCE1 = Code("function(keyCustId, valuesPrices) { return Array.sum(valuesPrices); }")
MAP2 = Code(
    "function() { for (var idx = 0; idx < this.items.length; idx++) { var key = this.items[idx].sku; "
    "var value = { count: 1, qty: this.items[idx].qty }; emit(key, value); } }"
)
REDUCE2 = Code(
    "function(keySKU, countObjVals) { reducedVal = { count: 0, qty: 0 }; "
    "for (var idx = 0; idx < countObjVals.length; idx++) { reducedVal.count += countObjVals[idx].count; "
    "reducedVal.qty += countObjVals[idx].qty; } return reducedVal; }"
)
FINALIZE2 = Code(
    "function (key, reducedVal) { reducedVal.avg = reducedVal.qty/reducedVal.count; return reducedVal; }"
)

TOTALS = [
    {"_id": "Ant O. Knee", "value": 95.0},
    {"_id": "Busby Bee", "value": 125.0},
    {"_id": "Cam Elot", "value": 60.0},
    {"_id": "Don Quis", "value": 155.0},
]


def _mr(db, **fields):
    return db.command(SON([("mapReduce", "orders"), *fields.items()]))


def test_manual_total_price_per_customer(db) -> None:
    db.orders.insert_many(ORDERS)
    reply = _mr(db, map=MAP1, reduce=REDUCE1, out="map_reduce_example")
    assert reply == {"result": "map_reduce_example", "ok": 1.0}
    assert list(db.map_reduce_example.find().sort("_id", 1)) == TOTALS
    assert all(type(doc["value"]) is float for doc in db.map_reduce_example.find())


def test_manual_average_quantity_with_finalize_and_merge(db) -> None:
    db.orders.insert_many(ORDERS)
    reply = _mr(
        db,
        map=MAP2,
        reduce=REDUCE2,
        out={"merge": "map_reduce_example2"},
        query={"ord_date": {"$gte": datetime.datetime(2020, 3, 1)}},
        finalize=FINALIZE2,
    )
    assert reply == {"result": "map_reduce_example2", "ok": 1.0}
    assert list(db.map_reduce_example2.find().sort("_id", 1)) == [
        {"_id": "apples", "value": {"count": 4, "qty": 35, "avg": 8.75}},
        {"_id": "carrots", "value": {"count": 2, "qty": 15, "avg": 7.5}},
        {"_id": "chocolates", "value": {"count": 3, "qty": 15, "avg": 5}},
        {"_id": "oranges", "value": {"count": 7, "qty": 63, "avg": 9}},
        {"_id": "pears", "value": {"count": 1, "qty": 10, "avg": 10}},
    ]


def test_inline_reply_shape(db) -> None:
    db.orders.insert_many(ORDERS)
    reply = _mr(db, map=MAP1, reduce=REDUCE1, out={"inline": 1}, verbose=True, jsMode=False)
    assert reply == {"results": TOTALS, "ok": 1.0}
    assert list(reply) == ["results", "ok"]
    assert _mr(db, map=MAP1, reduce=REDUCE1, out={"inline": 1}, query={"price": {"$gt": 1000}}) == {
        "results": [],
        "ok": 1.0,
    }


def test_reduce_only_for_keys_with_several_values(db) -> None:
    db.orders.insert_many(ORDERS)
    reduce = "function(k, vals) { return 'reduced ' + vals.length; }"
    out = _mr(db, map=MAP1, reduce=reduce, out={"inline": 1}, query={"_id": {"$in": [1, 2, 3]}})["results"]
    assert out == [{"_id": "Ant O. Knee", "value": "reduced 2"}, {"_id": "Busby Bee", "value": 50.0}]


def test_scope_sort_limit_and_this(db) -> None:
    db.orders.insert_many(ORDERS)
    map_fn = "function() { emit(this._id % 2 == 0 ? 'even' : 'odd', this.price * factor + bonus(this._id)); }"
    out = _mr(
        db,
        map=map_fn,
        reduce=REDUCE1,
        out={"inline": 1},
        scope={"factor": 2, "bonus": Code("function(id) { return id; }")},
        sort={"_id": -1},
        limit=3,
    )["results"]
    # documents 10, 9, 8: even = 25*2+10 + 75*2+8, odd = 55*2+9
    assert out == [{"_id": "even", "value": 218.0}, {"_id": "odd", "value": 119.0}]


def test_emit_keys_of_any_type_and_finalize_without_reduce(db) -> None:
    db.c.insert_many([{"_id": 1, "k": {"a": 1}}, {"_id": 2, "k": {"a": 1}}, {"_id": 3}])
    reply = db.command(
        SON(
            [
                ("mapReduce", "c"),
                ("map", "function() { emit(this.k, 1); }"),
                ("reduce", "function(k, v) { return Array.sum(v); }"),
                ("finalize", "function(k, v) { return {k: k, v: v}; }"),
                ("out", {"inline": 1}),
            ]
        )
    )
    assert reply["results"] == [
        {"_id": None, "value": {"k": None, "v": 1.0}},
        {"_id": {"a": 1.0}, "value": {"k": {"a": 1.0}, "v": 2.0}},
    ]


def test_output_modes_replace_reduce_and_other_db(db, client) -> None:
    db.orders.insert_many(ORDERS)
    db.target.insert_many([{"_id": "Cam Elot", "value": 1000.0}, {"_id": "Nobody", "value": 1.0}])
    _mr(db, map=MAP1, reduce=REDUCE1, out={"reduce": "target"})
    assert list(db.target.find().sort("_id", 1)) == [
        TOTALS[0],
        TOTALS[1],
        {"_id": "Cam Elot", "value": 1060.0},
        TOTALS[3],
        {"_id": "Nobody", "value": 1.0},
    ]
    _mr(db, map=MAP1, reduce=REDUCE1, out={"replace": "target"})
    assert list(db.target.find().sort("_id", 1)) == TOTALS
    other = client[db.name + "_out"]
    reply = _mr(db, map=MAP1, reduce=REDUCE1, out={"replace": "t", "db": other.name})
    assert reply == {"result": {"db": other.name, "collection": "t"}, "ok": 1.0}
    assert list(other.t.find().sort("_id", 1)) == TOTALS
    client.drop_database(other.name)


_MISSING = "BSON field 'mapReduce.{}' is missing but a required field"


@pytest.mark.parametrize(
    "fields,code,message",
    [
        ({"reduce": REDUCE1, "out": {"inline": 1}}, 40414, _MISSING.format("map")),
        ({"map": MAP1, "out": {"inline": 1}}, 40414, _MISSING.format("reduce")),
        ({"map": MAP1, "reduce": REDUCE1}, 40414, _MISSING.format("out")),
        (
            {"map": 5, "reduce": REDUCE1, "out": {"inline": 1}},
            14,
            "BSON field 'mapReduce.map' is the wrong type 'int', expected types '[string, javascript]'",
        ),
        ({"map": MAP1, "reduce": REDUCE1, "out": {"inline": 1}, "bogus": 1}, 40415,
         "BSON field 'mapReduce.bogus' is an unknown field."),
    ],
)  # fmt: skip
def test_parse_errors(db, fields, code, message) -> None:
    with pytest.raises(OperationFailure) as exc:
        _mr(db, **fields)
    assert (exc.value.code, exc.value.details["errmsg"]) == (code, message)


def test_javascript_errors_in_map_and_emit(db) -> None:
    db.orders.insert_many(ORDERS)
    with pytest.raises(OperationFailure) as exc:
        _mr(db, map="function() { emit(this.cust_id); }", reduce=REDUCE1, out={"inline": 1})
    assert exc.value.details["codeName"] == "JSInterpreterFailure"
    assert (
        exc.value.details["errmsg"]
        == "PlanExecutor error during aggregation :: caused by :: Error: emit takes 2 args"
    )
    with pytest.raises(OperationFailure) as exc:
        _mr(db, map="function() { nope(); }", reduce=REDUCE1, out={"inline": 1})
    assert exc.value.details["codeName"] == "JSInterpreterFailure"
