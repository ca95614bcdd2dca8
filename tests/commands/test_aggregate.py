"""aggregate through PyMongo: the manual's examples per stage family, cursors, options, $out/$merge."""

from __future__ import annotations

import datetime

from bson.decimal128 import Decimal128

D = datetime.datetime

SALES = [
    {"_id": 1, "item": "abc", "price": Decimal128("10"), "quantity": 2, "date": D(2014, 3, 1, 8)},
    {"_id": 2, "item": "jkl", "price": Decimal128("20"), "quantity": 1, "date": D(2014, 3, 1, 9)},
    {"_id": 3, "item": "xyz", "price": Decimal128("5"), "quantity": 10, "date": D(2014, 3, 15, 9)},
    {
        "_id": 4,
        "item": "xyz",
        "price": Decimal128("5"),
        "quantity": 20,
        "date": D(2014, 4, 4, 11, 21, 39, 736000),
    },
    {
        "_id": 5,
        "item": "abc",
        "price": Decimal128("10"),
        "quantity": 10,
        "date": D(2014, 4, 4, 21, 23, 13, 331000),
    },
    {"_id": 6, "item": "def", "price": Decimal128("7.5"), "quantity": 5, "date": D(2015, 6, 4, 5, 8, 13)},
    {"_id": 7, "item": "def", "price": Decimal128("7.5"), "quantity": 10, "date": D(2015, 9, 10, 8, 43)},
    {"_id": 8, "item": "abc", "price": Decimal128("10"), "quantity": 5, "date": D(2016, 2, 6, 20, 20, 13)},
]


def test_group_having(db):
    db.sales.insert_many(SALES)
    pipeline = [
        {"$group": {"_id": "$item", "totalSaleAmount": {"$sum": {"$multiply": ["$price", "$quantity"]}}}},
        {"$match": {"totalSaleAmount": {"$gte": 100}}},
        {"$sort": {"_id": 1}},
    ]
    assert list(db.sales.aggregate(pipeline)) == [
        {"_id": "abc", "totalSaleAmount": Decimal128("170")},
        {"_id": "def", "totalSaleAmount": Decimal128("112.5")},
        {"_id": "xyz", "totalSaleAmount": Decimal128("150")},
    ]


def test_group_by_day_of_year(db):
    db.sales.insert_many(SALES)
    pipeline = [
        {"$match": {"date": {"$gte": D(2014, 1, 1), "$lt": D(2015, 1, 1)}}},
        {
            "$group": {
                "_id": {"$dateToString": {"format": "%Y-%m-%d", "date": "$date"}},
                "totalSaleAmount": {"$sum": {"$multiply": ["$price", "$quantity"]}},
                "averageQuantity": {"$avg": "$quantity"},
                "count": {"$sum": 1},
            }
        },
        {"$sort": {"totalSaleAmount": -1}},
    ]
    assert list(db.sales.aggregate(pipeline)) == [
        {"_id": "2014-04-04", "totalSaleAmount": Decimal128("200"), "averageQuantity": 15.0, "count": 2},
        {"_id": "2014-03-15", "totalSaleAmount": Decimal128("50"), "averageQuantity": 10.0, "count": 1},
        {"_id": "2014-03-01", "totalSaleAmount": Decimal128("40"), "averageQuantity": 1.5, "count": 2},
    ]


def test_group_null_id_counts_everything(db):
    db.sales.insert_many(SALES)
    pipeline = [{"$group": {"_id": None, "count": {"$count": {}}, "avgQty": {"$avg": "$quantity"}}}]
    assert list(db.sales.aggregate(pipeline)) == [{"_id": None, "count": 8, "avgQty": 7.875}]


CLOTHING = [
    {"_id": 1, "item": "Shirt", "sizes": ["S", "M", "L"]},
    {"_id": 2, "item": "Shorts", "sizes": []},
    {"_id": 3, "item": "Hat", "sizes": "M"},
    {"_id": 4, "item": "Gloves"},
    {"_id": 5, "item": "Scarf", "sizes": None},
]


def test_unwind_preserve_null_and_empty(db):
    db.clothing.insert_many(CLOTHING)
    out = db.clothing.aggregate([{"$unwind": {"path": "$sizes", "preserveNullAndEmptyArrays": True}}])
    assert list(out) == [
        {"_id": 1, "item": "Shirt", "sizes": "S"},
        {"_id": 1, "item": "Shirt", "sizes": "M"},
        {"_id": 1, "item": "Shirt", "sizes": "L"},
        {"_id": 2, "item": "Shorts"},
        {"_id": 3, "item": "Hat", "sizes": "M"},
        {"_id": 4, "item": "Gloves"},
        {"_id": 5, "item": "Scarf", "sizes": None},
    ]


def test_unwind_include_array_index(db):
    db.clothing.insert_many(CLOTHING)
    out = list(db.clothing.aggregate([{"$unwind": {"path": "$sizes", "includeArrayIndex": "arrayIndex"}}]))
    assert out == [
        {"_id": 1, "item": "Shirt", "sizes": "S", "arrayIndex": 0},
        {"_id": 1, "item": "Shirt", "sizes": "M", "arrayIndex": 1},
        {"_id": 1, "item": "Shirt", "sizes": "L", "arrayIndex": 2},
        {"_id": 3, "item": "Hat", "sizes": "M", "arrayIndex": None},
    ]
    assert type(out[0]["arrayIndex"]).__name__ == "Int64"


ORDERS = [
    {"_id": 1, "item": "almonds", "price": 12, "quantity": 2},
    {"_id": 2, "item": "pecans", "price": 20, "quantity": 1},
    {"_id": 3},
]
INVENTORY = [
    {"_id": 1, "sku": "almonds", "description": "product 1", "instock": 120},
    {"_id": 2, "sku": "bread", "description": "product 2", "instock": 80},
    {"_id": 3, "sku": "cashews", "description": "product 3", "instock": 60},
    {"_id": 4, "sku": "pecans", "description": "product 4", "instock": 70},
    {"_id": 5, "sku": None, "description": "Incomplete"},
    {"_id": 6},
]


def test_lookup_equality(db):
    db.orders.insert_many(ORDERS)
    db.inventory.insert_many(INVENTORY)
    spec = {"from": "inventory", "localField": "item", "foreignField": "sku", "as": "inventory_docs"}
    assert list(db.orders.aggregate([{"$lookup": spec}])) == [
        {**ORDERS[0], "inventory_docs": [INVENTORY[0]]},
        {**ORDERS[1], "inventory_docs": [INVENTORY[3]]},
        {"_id": 3, "inventory_docs": [INVENTORY[4], INVENTORY[5]]},
    ]


def test_lookup_pipeline_with_let_and_local_field(db):
    db.orders.insert_many(ORDERS)
    db.inventory.insert_many(INVENTORY)
    spec = {
        "from": "inventory",
        "localField": "item",
        "foreignField": "sku",
        "let": {"qty": "$quantity"},
        "pipeline": [
            {"$match": {"$expr": {"$gt": ["$instock", {"$multiply": ["$$qty", 50]}]}}},
            {"$project": {"_id": 0, "instock": 1}},
        ],
        "as": "stock",
    }
    out = db.orders.aggregate([{"$match": {"_id": {"$lte": 2}}}, {"$lookup": spec}])
    assert [d["stock"] for d in out] == [[{"instock": 120}], [{"instock": 70}]]


ARTISTS = [
    ("Bernard", "Emil", 1868),
    ("Rippl-Ronai", "Joszef", 1861),
    ("Ostroumova", "Anna", 1871),
    ("Van Gogh", "Vincent", 1853),
    ("Maurer", "Alfred", 1868),
    ("Munch", "Edvard", 1863),
    ("Redon", "Odilon", 1840),
    ("Diriks", "Edvard", 1855),
]


def _artists(db):
    db.artists.insert_many(
        {"_id": i, "last_name": last, "first_name": first, "year_born": born}
        for i, (last, first, born) in enumerate(ARTISTS, 1)
    )


def test_bucket(db):
    _artists(db)
    pipeline = [
        {
            "$bucket": {
                "groupBy": "$year_born",
                "boundaries": [1840, 1850, 1860, 1870, 1880],
                "default": "Other",
                "output": {
                    "count": {"$sum": 1},
                    "artists": {
                        "$push": {
                            "name": {"$concat": ["$first_name", " ", "$last_name"]},
                            "year_born": "$year_born",
                        }
                    },
                },
            }
        },
        {"$match": {"count": {"$gt": 3}}},
    ]
    assert list(db.artists.aggregate(pipeline)) == [
        {
            "_id": 1860,
            "count": 4,
            "artists": [
                {"name": "Emil Bernard", "year_born": 1868},
                {"name": "Joszef Rippl-Ronai", "year_born": 1861},
                {"name": "Alfred Maurer", "year_born": 1868},
                {"name": "Edvard Munch", "year_born": 1863},
            ],
        }
    ]


def test_facet_with_bucket_auto_and_sort_by_count(db):
    _artists(db)
    pipeline = [
        {
            "$facet": {
                "byFirstName": [{"$sortByCount": "$first_name"}, {"$limit": 1}],
                "byYear": [{"$bucketAuto": {"groupBy": "$year_born", "buckets": 2}}],
                "total": [{"$count": "n"}],
            }
        }
    ]
    assert list(db.artists.aggregate(pipeline)) == [
        {
            "byFirstName": [{"_id": "Edvard", "count": 2}],
            "byYear": [
                {"_id": {"min": 1840, "max": 1863}, "count": 4},
                {"_id": {"min": 1863, "max": 1871}, "count": 4},
            ],
            "total": [{"n": 8}],
        }
    ]


CAKE_SALES = [
    {"_id": 0, "orderDate": D(2020, 5, 18, 14, 10, 30), "state": "CA", "quantity": 120},
    {"_id": 1, "orderDate": D(2021, 3, 20, 11, 30, 5), "state": "WA", "quantity": 140},
    {"_id": 2, "orderDate": D(2021, 1, 11, 6, 31, 15), "state": "CA", "quantity": 145},
    {"_id": 3, "orderDate": D(2020, 2, 8, 13, 13, 23), "state": "WA", "quantity": 104},
    {"_id": 4, "orderDate": D(2019, 5, 18, 16, 9, 1), "state": "CA", "quantity": 162},
    {"_id": 5, "orderDate": D(2019, 1, 8, 6, 12, 3), "state": "WA", "quantity": 134},
]


def test_set_window_fields_cumulative_sum(db):
    db.cakeSales.insert_many(CAKE_SALES)
    window = {"$sum": "$quantity", "window": {"documents": ["unbounded", "current"]}}
    pipeline = [
        {
            "$setWindowFields": {
                "partitionBy": "$state",
                "sortBy": {"orderDate": 1},
                "output": {"cumulativeQuantityForState": window},
            }
        },
        {"$project": {"state": 1, "cumulativeQuantityForState": 1}},
    ]
    assert list(db.cakeSales.aggregate(pipeline)) == [
        {"_id": 4, "state": "CA", "cumulativeQuantityForState": 162},
        {"_id": 0, "state": "CA", "cumulativeQuantityForState": 282},
        {"_id": 2, "state": "CA", "cumulativeQuantityForState": 427},
        {"_id": 5, "state": "WA", "cumulativeQuantityForState": 134},
        {"_id": 3, "state": "WA", "cumulativeQuantityForState": 238},
        {"_id": 1, "state": "WA", "cumulativeQuantityForState": 378},
    ]


def test_reshaping_stages(db):
    db.c.insert_many([{"_id": 1, "name": {"first": "Ada", "last": "L"}, "tags": ["x", "y"]}, {"_id": 2}])
    pipeline = [
        {"$match": {"name": {"$exists": True}}},
        {"$addFields": {"n": {"$size": "$tags"}}},
        {"$set": {"name.full": {"$concat": ["$name.first", " ", "$name.last"]}}},
        {"$unset": "tags"},
        {"$replaceWith": {"$mergeObjects": ["$name", {"n": "$n"}]}},
        {"$project": {"first": 0}},
    ]
    assert list(db.c.aggregate(pipeline)) == [{"last": "L", "full": "Ada L", "n": 2}]


def test_union_with_and_skip_limit(db):
    db.a.insert_many([{"_id": 1}, {"_id": 2}])
    db.b.insert_many([{"_id": 3}, {"_id": 4}])
    pipeline = [
        {"$unionWith": {"coll": "b", "pipeline": [{"$set": {"from": "b"}}]}},
        {"$skip": 1},
        {"$limit": 2},
    ]
    assert list(db.a.aggregate(pipeline)) == [{"_id": 2}, {"_id": 3, "from": "b"}]


def test_sample_returns_distinct_documents(db):
    db.c.insert_many([{"_id": i} for i in range(20)])
    out = [d["_id"] for d in db.c.aggregate([{"$sample": {"size": 5}}])]
    assert len(out) == 5 and len(set(out)) == 5 and set(out) <= set(range(20))


def test_expressions_through_the_server(db):
    db.c.insert_one({"_id": 1, "a": 2147483647, "s": " Hi ", "d": D(2020, 1, 31)})
    pipeline = [
        {
            "$project": {
                "_id": 0,
                "overflow": {"$add": ["$a", 1]},
                "trim": {"$toUpper": {"$trim": {"input": "$s"}}},
                "month": {"$dateAdd": {"startDate": "$d", "unit": "month", "amount": 1}},
                "str": {"$toString": 2.5},
                "ny": {"$hour": {"date": "$d", "timezone": "America/New_York"}},
            }
        }
    ]
    out = list(db.c.aggregate(pipeline))
    assert out == [{"overflow": 2147483648, "trim": "HI", "month": D(2020, 2, 29), "str": "2.5", "ny": 19}]
    assert type(out[0]["overflow"]).__name__ == "Int64"


# -- the command: cursors, options ----------------------------------------------------------------


def test_cursor_batches_through_get_more(db):
    db.c.insert_many([{"_id": i} for i in range(250)])
    reply = db.command("aggregate", "c", pipeline=[], cursor={"batchSize": 100})
    cursor = reply["cursor"]
    assert (len(cursor["firstBatch"]), cursor["ns"]) == (100, f"{db.name}.c")
    assert cursor["id"] != 0
    more = db.command("getMore", cursor["id"], collection="c", batchSize=100)["cursor"]
    assert [d["_id"] for d in more["nextBatch"]] == list(range(100, 200))
    last = db.command("getMore", cursor["id"], collection="c", batchSize=100)["cursor"]
    assert ([d["_id"] for d in last["nextBatch"]], last["id"]) == (list(range(200, 250)), 0)


def test_batch_size_zero_and_default(db):
    db.c.insert_many([{"_id": i} for i in range(150)])
    reply = db.command("aggregate", "c", pipeline=[], cursor={"batchSize": 0})
    assert reply["cursor"]["firstBatch"] == [] and reply["cursor"]["id"] != 0
    assert len(db.command("aggregate", "c", pipeline=[], cursor={})["cursor"]["firstBatch"]) == 101
    assert [d["_id"] for d in db.c.aggregate([], batchSize=7)] == list(range(150))


def test_documents_on_the_database(db):
    out = db.aggregate([{"$documents": [{"x": 10}, {"x": 2}, {"x": 5}]}, {"$match": {"x": {"$gte": 5}}}])
    assert list(out) == [{"x": 10}, {"x": 5}]
    reply = db.command("aggregate", 1, pipeline=[{"$documents": [{"a": 1}]}], cursor={})
    assert reply == {
        "cursor": {"firstBatch": [{"a": 1}], "id": 0, "ns": f"{db.name}.$cmd.aggregate"},
        "ok": 1.0,
    }


def test_let_variables(db):
    db.c.insert_many([{"_id": i, "v": i} for i in range(5)])
    pipeline = [{"$match": {"$expr": {"$gte": ["$v", "$$low"]}}}, {"$project": {"v": 1, "k": "$$tag"}}]
    out = db.c.aggregate(pipeline, let={"low": 3, "tag": {"$concat": ["t", "x"]}})
    assert list(out) == [{"_id": 3, "v": 3, "k": "tx"}, {"_id": 4, "v": 4, "k": "tx"}]


def test_accepted_options(db):
    db.c.insert_one({"_id": 1})
    reply = db.command(
        "aggregate", "c", pipeline=[], cursor={}, allowDiskUse=True, maxTimeMS=5000, comment={"why": "test"}
    )
    assert reply["cursor"]["firstBatch"] == [{"_id": 1}]
    assert list(db.c.aggregate([], allowDiskUse=False, maxTimeMS=100, comment="c")) == [{"_id": 1}]


def test_missing_collection_is_empty(db):
    assert list(db.nothing.aggregate([{"$match": {}}])) == []


def test_count_documents(db):
    db.c.insert_many([{"_id": i, "g": i % 3} for i in range(10)])
    assert db.c.count_documents({}) == 10
    assert db.c.count_documents({"g": 1}) == 3
    assert db.c.count_documents({}, skip=8) == 2
    assert db.c.count_documents({"g": {"$ne": 0}}, skip=1, limit=3) == 3
    assert db.nothing.count_documents({}) == 0


def test_coll_stats_and_index_stats(db):
    db.c.insert_many([{"_id": i} for i in range(3)])
    [stats] = db.c.aggregate([{"$collStats": {"count": {}, "storageStats": {}}}])
    assert list(stats) == ["ns", "host", "localTime", "storageStats", "count"]
    assert (stats["ns"], stats["count"]) == (f"{db.name}.c", 3)
    storage = stats["storageStats"]
    assert (storage["count"], storage["size"], storage["avgObjSize"], storage["scaleFactor"]) == (
        3,
        42,
        14,
        1,
    )
    assert storage["indexSizes"]["_id_"] == storage["totalIndexSize"] - sum(
        size for name, size in storage["indexSizes"].items() if name != "_id_"
    )
    [index] = [i for i in db.c.aggregate([{"$indexStats": {}}]) if i["name"] == "_id_"]
    assert list(index) == ["name", "key", "host", "accesses", "spec"]
    assert index["spec"] == {"v": 2, "key": {"_id": 1}, "name": "_id_"}
    assert index["host"] == stats["host"]


def test_let_variables_reach_expr_nested_in_match(db):
    db.c.insert_many([{"_id": 1, "a": 1}, {"_id": 2, "a": 2}, {"_id": 3, "a": 3}])
    pipeline = [{"$match": {"$or": [{"$expr": {"$eq": ["$a", "$$x"]}}, {"_id": 3}]}}]
    out = list(db.c.aggregate(pipeline, let={"x": {"$add": [1, 1]}}))
    assert out == [{"_id": 2, "a": 2}, {"_id": 3, "a": 3}]


def test_lookup_pipeline_let_reaches_nested_expr(db):
    db.orders.insert_many([{"_id": 1, "item": "tea", "qty": 5}, {"_id": 2, "item": "tea", "qty": 1}])
    db.stock.insert_many([{"_id": "s1", "item": "tea", "have": 3}])
    pipeline = [
        {
            "$lookup": {
                "from": "stock",
                "let": {"want": "$qty", "it": "$item"},
                "pipeline": [
                    {
                        "$match": {
                            "$and": [
                                {"$expr": {"$eq": ["$item", "$$it"]}},
                                {"$expr": {"$gte": ["$have", "$$want"]}},
                            ]
                        }
                    }
                ],
                "as": "enough",
            }
        },
        {"$project": {"n": {"$size": "$enough"}}},
    ]
    assert list(db.orders.aggregate(pipeline)) == [{"_id": 1, "n": 0}, {"_id": 2, "n": 1}]


def test_leading_match_and_sort_use_an_index(db):
    db.c.insert_many([{"_id": i, "a": i % 10, "b": i} for i in range(100)])
    db.c.create_index("a")
    pipeline = [{"$match": {"a": 3}}, {"$sort": {"b": -1}}, {"$limit": 2}, {"$project": {"_id": 0, "b": 1}}]
    assert list(db.c.aggregate(pipeline)) == [{"b": 93}, {"b": 83}]
    usage = {s["name"]: s["accesses"]["ops"] for s in db.c.aggregate([{"$indexStats": {}}])}
    assert usage["a_1"] == 1
    plan = db.command("aggregate", "c", pipeline=pipeline, explain=True)
    assert plan["stages"][0]["$cursor"]["queryPlanner"]["winningPlan"]["stage"] == "SORT"
