"""$group accumulators, buckets, $lookup/$graphLookup/$unionWith/$facet, $out/$merge, windows, fill."""

import datetime

import pytest
from bson.decimal128 import Decimal128
from bson.int64 import Int64

from docdb.engine.aggregation import compile_pipeline
from docdb.errors import MongoError

from .test_agg_stages import FakeContext, run

SALES = [
    {
        "_id": 1,
        "item": "abc",
        "price": Decimal128("10"),
        "quantity": 2,
        "date": datetime.datetime(2014, 3, 1, 8),
    },
    {
        "_id": 2,
        "item": "jkl",
        "price": Decimal128("20"),
        "quantity": 1,
        "date": datetime.datetime(2014, 3, 1, 9),
    },
    {
        "_id": 3,
        "item": "xyz",
        "price": Decimal128("5"),
        "quantity": 10,
        "date": datetime.datetime(2014, 3, 15, 9),
    },
    {
        "_id": 4,
        "item": "xyz",
        "price": Decimal128("5"),
        "quantity": 20,
        "date": datetime.datetime(2014, 4, 4, 11),
    },
    {
        "_id": 5,
        "item": "abc",
        "price": Decimal128("10"),
        "quantity": 10,
        "date": datetime.datetime(2014, 4, 4, 21),
    },
]


def test_group_manual_example():
    pipeline = [
        {
            "$group": {
                "_id": "$item",
                "totalSaleAmount": {"$sum": {"$multiply": ["$price", "$quantity"]}},
                "count": {"$count": {}},
                "avgQty": {"$avg": "$quantity"},
            }
        },
        {"$match": {"totalSaleAmount": {"$gte": 100}}},
        {"$sort": {"_id": 1}},
    ]
    assert run(pipeline, SALES) == [
        {"_id": "abc", "totalSaleAmount": Decimal128("120"), "count": 2, "avgQty": 6.0},
        {"_id": "xyz", "totalSaleAmount": Decimal128("150"), "count": 2, "avgQty": 15.0},
    ]


def test_group_all_accumulators():
    docs = [{"_id": i, "g": i % 2, "v": i, "o": {"k": i}} for i in range(1, 6)] + [{"_id": 6, "g": 0}]
    pipeline = [
        {
            "$group": {
                "_id": {"g": "$g"},
                "sum": {"$sum": "$v"},
                "min": {"$min": "$v"},
                "max": {"$max": "$v"},
                "first": {"$first": "$v"},
                "last": {"$last": "$v"},
                "push": {"$push": "$v"},
                "set": {"$addToSet": {"$mod": ["$v", 2]}},
                "pop": {"$stdDevPop": "$v"},
                "samp": {"$stdDevSamp": "$v"},
                "merged": {"$mergeObjects": "$o"},
                "top": {"$top": {"sortBy": {"v": -1}, "output": "$v"}},
                "bottom2": {"$bottomN": {"n": 2, "sortBy": {"v": -1}, "output": "$v"}},
                "firstN": {"$firstN": {"n": 2, "input": "$v"}},
                "lastN": {"$lastN": {"n": 2, "input": "$v"}},
                "maxN": {"$maxN": {"n": 2, "input": "$v"}},
                "minN": {"$minN": {"n": 5, "input": "$v"}},
            }
        },
        {"$sort": {"_id.g": 1}},
    ]
    assert run(pipeline, docs) == [
        {
            "_id": {"g": 0},
            "sum": 6,
            "min": 2,
            "max": 4,
            "first": 2,
            "last": None,
            "push": [2, 4],
            "set": [0, None],
            "pop": 1.0,
            "samp": 1.4142135623730951,
            "merged": {"k": 4},
            "top": 4,
            "bottom2": [2, None],
            "firstN": [2, 4],
            "lastN": [4, None],
            "maxN": [4, 2],
            "minN": [2, 4],
        },
        {
            "_id": {"g": 1},
            "sum": 9,
            "min": 1,
            "max": 5,
            "first": 1,
            "last": 5,
            "push": [1, 3, 5],
            "set": [1],
            "pop": 1.632993161855452,
            "samp": 2.0,
            "merged": {"k": 5},
            "top": 5,
            "bottom2": [3, 1],
            "firstN": [1, 3],
            "lastN": [3, 5],
            "maxN": [5, 3],
            "minN": [1, 3, 5],
        },
    ]


@pytest.mark.parametrize(
    "values, expected",
    [
        pytest.param([1, 2], (int, 3), id="ints"),
        pytest.param([2**31 - 1, 1], (Int64, 2**31), id="int-overflow-long"),
        pytest.param([1, 2.5], (float, 3.5), id="double"),
        pytest.param([Int64(1), 1], (Int64, 2), id="long"),
        pytest.param([1, Decimal128("0.5")], (Decimal128, Decimal128("1.5")), id="decimal"),
        pytest.param(["a", None], (int, 0), id="non-numbers"),
    ],
)
def test_sum_typing(values, expected):
    out = run([{"$group": {"_id": None, "s": {"$sum": "$v"}}}], [{"v": v} for v in values])
    assert (type(out[0]["s"]), out[0]["s"]) == expected


def test_group_null_and_missing_keys_merge():
    out = run([{"$group": {"_id": "$k", "n": {"$sum": 1}}}], [{"k": None}, {}, {"k": 1}, {"k": 1.0}])
    assert out == [{"_id": None, "n": 2}, {"_id": 1, "n": 2}]


def test_bucket_and_default():
    docs = [{"p": 5}, {"p": 15}, {"p": 25}, {"p": 100}, {"p": "x"}]
    pipeline = [{"$bucket": {"groupBy": "$p", "boundaries": [0, 10, 30], "default": "Other"}}]
    assert run(pipeline, docs) == [
        {"_id": 0, "count": 1},
        {"_id": 10, "count": 2},
        {"_id": "Other", "count": 2},
    ]
    with pytest.raises(MongoError) as exc:
        run([{"$bucket": {"groupBy": "$p", "boundaries": [0, 10]}}], docs)
    assert exc.value.code == 40066


def test_bucket_auto():
    docs = [{"v": v} for v in [1, 2, 3, 4, 5, 6, 7, 8]]
    assert run([{"$bucketAuto": {"groupBy": "$v", "buckets": 3}}], docs) == [
        {"_id": {"min": 1, "max": 4}, "count": 3},
        {"_id": {"min": 4, "max": 7}, "count": 3},
        {"_id": {"min": 7, "max": 8}, "count": 2},
    ]


def test_sort_by_count():
    out = run([{"$unwind": "$t"}, {"$sortByCount": "$t"}], [{"t": ["a", "b"]}, {"t": ["b"]}])
    assert out == [{"_id": "b", "count": 2}, {"_id": "a", "count": 1}]


ORDERS = [{"_id": 1, "item": "almonds", "qty": 2}, {"_id": 2, "item": "pecans", "qty": 1}, {"_id": 3}]
INVENTORY = [
    {"_id": 1, "sku": "almonds", "instock": 120},
    {"_id": 2, "sku": "bread", "instock": 80},
    {"_id": 5, "sku": None},
    {"_id": 6},
]


def test_lookup_equality_manual_example():
    pipeline = [{"$lookup": {"from": "inventory", "localField": "item", "foreignField": "sku", "as": "inv"}}]
    out = run(pipeline, ORDERS, inventory=INVENTORY)
    assert [[d["_id"] for d in doc["inv"]] for doc in out] == [[1], [], [5, 6]]


def test_lookup_array_local_field():
    out = run(
        [{"$lookup": {"from": "inventory", "localField": "items", "foreignField": "sku", "as": "inv"}}],
        [{"_id": 1, "items": ["bread", "almonds"]}],
        inventory=INVENTORY,
    )
    assert [d["_id"] for d in out[0]["inv"]] == [1, 2]


def test_lookup_pipeline_with_let():
    pipeline = [
        {
            "$lookup": {
                "from": "inventory",
                "let": {"want": "$qty"},
                "pipeline": [
                    {"$match": {"$expr": {"$gte": ["$instock", {"$multiply": ["$$want", 50]}]}}},
                    {"$project": {"_id": 0, "sku": 1}},
                ],
                "as": "fits",
            }
        },
        {"$project": {"fits": 1}},
    ]
    assert run(pipeline, ORDERS[:2], inventory=INVENTORY) == [
        {"_id": 1, "fits": [{"sku": "almonds"}]},
        {"_id": 2, "fits": [{"sku": "almonds"}, {"sku": "bread"}]},
    ]


def test_lookup_concise_with_pipeline():
    pipeline = [
        {
            "$lookup": {
                "from": "inventory",
                "localField": "item",
                "foreignField": "sku",
                "pipeline": [{"$project": {"_id": 0, "instock": 1}}],
                "as": "inv",
            }
        }
    ]
    assert run(pipeline, ORDERS[:1], inventory=INVENTORY)[0]["inv"] == [{"instock": 120}]


def test_graph_lookup_manual_example():
    employees = [
        {"_id": 1, "name": "Dev"},
        {"_id": 2, "name": "Eliot", "reportsTo": "Dev"},
        {"_id": 3, "name": "Ron", "reportsTo": "Eliot"},
        {"_id": 4, "name": "Andrew", "reportsTo": "Eliot"},
        {"_id": 5, "name": "Asya", "reportsTo": "Ron"},
    ]
    pipeline = [
        {"$match": {"name": "Asya"}},
        {
            "$graphLookup": {
                "from": "employees",
                "startWith": "$reportsTo",
                "connectFromField": "reportsTo",
                "connectToField": "name",
                "as": "chain",
                "depthField": "d",
            }
        },
    ]
    out = run(pipeline, employees, employees=employees)
    assert [(d["name"], d["d"]) for d in out[0]["chain"]] == [("Ron", 0), ("Eliot", 1), ("Dev", 2)]
    limited = dict(pipeline[1]["$graphLookup"], maxDepth=0)
    out = run([pipeline[0], {"$graphLookup": limited}], employees, employees=employees)
    assert [d["name"] for d in out[0]["chain"]] == ["Ron"]


def test_union_with_and_facet():
    out = run(
        [{"$unionWith": {"coll": "inventory", "pipeline": [{"$match": {"instock": {"$gt": 100}}}]}}],
        ORDERS[:1],
        inventory=INVENTORY,
    )
    assert [d["_id"] for d in out] == [1, 1]
    out = run(
        [
            {
                "$facet": {
                    "n": [{"$count": "n"}],
                    "items": [{"$match": {"item": {"$exists": True}}}, {"$project": {"item": 1, "_id": 0}}],
                }
            }
        ],
        ORDERS,
    )
    assert out == [{"n": [{"n": 3}], "items": [{"item": "almonds"}, {"item": "pecans"}]}]


def test_out_replaces_collection():
    ctx = FakeContext({"target": [{"_id": 99}]})
    assert (
        list(compile_pipeline([{"$match": {"qty": {"$gte": 1}}}, {"$out": "target"}], ctx).run(ORDERS)) == []
    )
    assert ctx.collections[("test", "target")] == ORDERS[:2]
    assert ctx.writes == [("test", "target", True)]


@pytest.mark.parametrize(
    "options, expected",
    [
        pytest.param({}, [{"_id": 1, "a": 1, "b": 2}, {"_id": 2, "b": 3}], id="merge-insert"),
        pytest.param({"whenMatched": "replace"}, [{"_id": 1, "b": 2}, {"_id": 2, "b": 3}], id="replace"),
        pytest.param(
            {"whenMatched": "keepExisting"}, [{"_id": 1, "a": 1}, {"_id": 2, "b": 3}], id="keepExisting"
        ),
        pytest.param({"whenNotMatched": "discard"}, [{"_id": 1, "a": 1, "b": 2}], id="discard"),
        pytest.param(
            {"whenMatched": [{"$set": {"a": {"$add": ["$a", "$$new.b"]}}}]},
            [{"_id": 1, "a": 3}, {"_id": 2, "b": 3}],
            id="pipeline",
        ),
    ],
)
def test_merge_modes(options, expected):
    ctx = FakeContext({"target": [{"_id": 1, "a": 1}]})
    spec = {"into": "target", **options}
    list(compile_pipeline([{"$merge": spec}], ctx).run([{"_id": 1, "b": 2}, {"_id": 2, "b": 3}]))
    assert ctx.collections[("test", "target")] == expected


@pytest.mark.parametrize(
    "options, code", [({"whenMatched": "fail"}, 11000), ({"whenNotMatched": "fail"}, 13113)]
)
def test_merge_fail_modes(options, code):
    ctx = FakeContext({"target": [{"_id": 1, "a": 1}]})
    with pytest.raises(MongoError) as exc:
        list(compile_pipeline([{"$merge": {"into": "target", **options}}], ctx).run([{"_id": 1}, {"_id": 2}]))
    assert exc.value.code == code


def test_merge_on_other_field():
    ctx = FakeContext({"target": [{"_id": 7, "k": "a", "v": 0}]})
    list(
        compile_pipeline([{"$merge": {"into": "target", "on": "k"}}], ctx).run([{"_id": 1, "k": "a", "v": 1}])
    )
    assert ctx.collections[("test", "target")] == [{"_id": 7, "k": "a", "v": 1}]


CAKES = [
    {"_id": 0, "state": "CA", "date": datetime.datetime(2020, 5, 18), "qty": 162},
    {"_id": 1, "state": "WA", "date": datetime.datetime(2021, 3, 20), "qty": 142},
    {"_id": 2, "state": "CA", "date": datetime.datetime(2021, 1, 11), "qty": 134},
    {"_id": 3, "state": "WA", "date": datetime.datetime(2020, 2, 8), "qty": 104},
    {"_id": 4, "state": "CA", "date": datetime.datetime(2019, 5, 18), "qty": 140},
    {"_id": 5, "state": "WA", "date": datetime.datetime(2019, 6, 5), "qty": 155},
]


def test_set_window_fields_cumulative_sum_manual_example():
    pipeline = [
        {
            "$setWindowFields": {
                "partitionBy": "$state",
                "sortBy": {"date": 1},
                "output": {
                    "cum": {"$sum": "$qty", "window": {"documents": ["unbounded", "current"]}},
                    "rank": {"$rank": {}},
                    "prev": {"$shift": {"output": "$qty", "by": -1, "default": 0}},
                },
            }
        }
    ]
    out = run(pipeline, CAKES)
    assert [(d["_id"], d["cum"], d["rank"], d["prev"]) for d in out] == [
        (4, 140, 1, 0),
        (0, 302, 2, 140),
        (2, 436, 3, 162),
        (5, 155, 1, 0),
        (3, 259, 2, 155),
        (1, 401, 3, 104),
    ]


def test_set_window_fields_range_and_moving_average():
    docs = [{"_id": i, "t": i, "v": float(i * 10)} for i in range(5)]
    pipeline = [
        {
            "$setWindowFields": {
                "sortBy": {"t": 1},
                "output": {
                    "avg": {"$avg": "$v", "window": {"range": [-1, 1]}},
                    "dense": {"$denseRank": {}},
                    "ema": {"$expMovingAvg": {"input": "$v", "N": 3}},
                    "deriv": {"$derivative": {"input": "$v"}, "window": {"documents": [-1, 0]}},
                    "integral": {
                        "$integral": {"input": "$v"},
                        "window": {"documents": ["unbounded", "current"]},
                    },
                    "cov": {"$covariancePop": ["$t", "$v"]},
                },
            }
        }
    ]
    out = run(pipeline, docs)
    assert [d["avg"] for d in out] == [5.0, 10.0, 20.0, 30.0, 35.0]
    assert [d["dense"] for d in out] == [1, 2, 3, 4, 5]
    assert [d["ema"] for d in out] == [0.0, 5.0, 12.5, 21.25, 30.625]
    assert [d["deriv"] for d in out] == [None, 10.0, 10.0, 10.0, 10.0]
    assert [d["integral"] for d in out] == [0.0, 5.0, 20.0, 45.0, 80.0]
    assert out[0]["cov"] == 20.0


def test_fill_and_densify():
    docs = [{"t": 1, "v": 1.0}, {"t": 2}, {"t": 3, "v": 3.0}, {"t": 4}]
    out = run([{"$fill": {"sortBy": {"t": 1}, "output": {"v": {"method": "linear"}}}}], docs)
    assert [d.get("v") for d in out] == [1.0, 2.0, 3.0, None]
    out = run([{"$fill": {"sortBy": {"t": 1}, "output": {"v": {"method": "locf"}}}}], docs)
    assert [d.get("v") for d in out] == [1.0, 1.0, 3.0, 3.0]
    out = run([{"$fill": {"output": {"v": {"value": 0}}}}], docs)
    assert [d.get("v") for d in out] == [1.0, 0, 3.0, 0]
    out = run([{"$densify": {"field": "t", "range": {"step": 2, "bounds": [0, 7]}}}], [{"t": 1}, {"t": 4}])
    assert [d["t"] for d in out] == [0, 1, 2, 4, 6]
    out = run(
        [{"$densify": {"field": "d", "range": {"step": 1, "unit": "day", "bounds": "full"}}}],
        [{"d": datetime.datetime(2021, 1, 1)}, {"d": datetime.datetime(2021, 1, 3)}],
    )
    assert [d["d"].day for d in out] == [1, 2, 3]
