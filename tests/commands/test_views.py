"""Read-only views through PyMongo: reads composed with the view's pipeline, refusals, DDL, restarts."""

from __future__ import annotations

import pytest
from pymongo.errors import OperationFailure

from tests.serverproc import ServerProcess


@pytest.fixture
def orders(db):
    db.orders.insert_many(
        [
            {"_id": 1, "item": "a", "qty": 5, "cust": 1},
            {"_id": 2, "item": "b", "qty": 0, "cust": 2},
            {"_id": 3, "item": "c", "qty": 8, "cust": 1},
            {"_id": 4, "item": "d", "qty": 2, "cust": 3},
        ]
    )
    db.customers.insert_many([{"_id": 1, "name": "ann"}, {"_id": 2, "name": "bob"}, {"_id": 3, "name": "cy"}])
    db.create_collection("in_stock", viewOn="orders", pipeline=[{"$match": {"qty": {"$gt": 0}}}])
    return db


def _failure(exc: pytest.ExceptionInfo) -> tuple[int, str, str]:
    return exc.value.code, exc.value.details["codeName"], exc.value.details["errmsg"]


def test_find_composes_filter_sort_projection_skip_limit(orders):
    view = orders.in_stock
    assert list(view.find()) == [
        {"_id": 1, "item": "a", "qty": 5, "cust": 1},
        {"_id": 3, "item": "c", "qty": 8, "cust": 1},
        {"_id": 4, "item": "d", "qty": 2, "cust": 3},
    ]
    found = view.find({"cust": 1}, {"item": 1, "_id": 0}).sort("qty", -1)
    assert list(found) == [{"item": "c"}, {"item": "a"}]
    assert list(view.find({}, {"qty": 1}).sort("qty", 1).skip(1).limit(1)) == [{"_id": 1, "qty": 5}]
    assert view.find_one({"_id": 2}) is None


def test_views_on_views_and_aggregate(orders):
    orders.create_collection("big", viewOn="in_stock", pipeline=[{"$match": {"qty": {"$gte": 5}}}])
    assert list(orders.big.find({}, {"_id": 1})) == [{"_id": 1}, {"_id": 3}]
    assert list(orders.big.aggregate([{"$group": {"_id": None, "total": {"$sum": "$qty"}}}])) == [
        {"_id": None, "total": 13}
    ]


def test_count_distinct_and_estimated_count(orders):
    assert orders.in_stock.count_documents({}) == 3
    assert orders.in_stock.count_documents({"cust": 1}) == 2
    assert orders.in_stock.estimated_document_count() == 3
    assert orders.in_stock.distinct("cust") == [1, 3]
    assert orders.in_stock.distinct("item", {"qty": {"$lt": 6}}) == ["a", "d"]


def test_lookup_graph_lookup_and_union_with_from_a_view(orders):
    orders.create_collection("named", viewOn="customers", pipeline=[{"$project": {"name": 1}}])
    joined = orders.in_stock.aggregate(
        [
            {"$lookup": {"from": "named", "localField": "cust", "foreignField": "_id", "as": "c"}},
            {"$project": {"item": 1, "who": "$c.name"}},
        ]
    )
    assert list(joined) == [
        {"_id": 1, "item": "a", "who": ["ann"]},
        {"_id": 3, "item": "c", "who": ["ann"]},
        {"_id": 4, "item": "d", "who": ["cy"]},
    ]
    union = orders.customers.aggregate(
        [{"$match": {"_id": 2}}, {"$unionWith": "in_stock"}, {"$project": {"_id": 1}}]
    )
    assert list(union) == [{"_id": 2}, {"_id": 1}, {"_id": 3}, {"_id": 4}]
    graph = orders.customers.aggregate(
        [
            {"$match": {"_id": 1}},
            {
                "$graphLookup": {
                    "from": "in_stock",
                    "startWith": "$_id",
                    "connectFromField": "cust",
                    "connectToField": "cust",
                    "as": "o",
                }
            },
            {"$project": {"n": {"$size": "$o"}}},
        ]
    )
    assert list(graph) == [{"_id": 1, "n": 2}]


def test_writes_and_index_commands_are_refused(orders):
    message = f"Namespace {orders.name}.in_stock is a view, not a collection"
    for run in (
        lambda: orders.command("insert", "in_stock", documents=[{"a": 1}]),
        lambda: orders.command("update", "in_stock", updates=[{"q": {}, "u": {"$set": {"a": 1}}}]),
        lambda: orders.command("delete", "in_stock", deletes=[{"q": {}, "limit": 0}]),
        lambda: orders.command("findAndModify", "in_stock", query={}, remove=True),
        lambda: orders.command("listIndexes", "in_stock"),
        lambda: orders.command("collStats", "in_stock"),
    ):
        with pytest.raises(OperationFailure) as exc:
            run()
        assert _failure(exc) == (166, "CommandNotSupportedOnView", message)
    with pytest.raises(OperationFailure) as exc:
        orders.in_stock.create_index("qty")
    assert _failure(exc) == (
        166,
        "CommandNotSupportedOnView",
        f"Cannot create indexes on a view: {orders.name}.in_stock",
    )
    with pytest.raises(OperationFailure) as exc:
        orders.orders.aggregate([{"$out": "in_stock"}])
    assert exc.value.code == 166


def test_list_collections_and_system_views(orders):
    infos = {info["name"]: info for info in orders.list_collections()}
    assert infos["in_stock"] == {
        "name": "in_stock",
        "type": "view",
        "options": {"viewOn": "orders", "pipeline": [{"$match": {"qty": {"$gt": 0}}}]},
        "info": {"readOnly": True},
    }
    assert infos["system.views"]["type"] == "collection"
    assert list(orders.list_collections(filter={"type": "view"}, nameOnly=True)) == [
        {"name": "in_stock", "type": "view"}
    ]
    assert list(orders.system.views.find()) == [
        {"_id": f"{orders.name}.in_stock", "viewOn": "orders", "pipeline": [{"$match": {"qty": {"$gt": 0}}}]}
    ]
    assert orders.command("dbStats")["views"] == 1


def test_coll_mod_drop_and_errors(orders):
    db = orders
    assert db.command("collMod", "in_stock", viewOn="orders", pipeline=[{"$match": {"qty": 0}}]) == {
        "ok": 1.0
    }
    assert list(db.in_stock.find({}, {"_id": 1})) == [{"_id": 2}]
    db.create_collection("v2", viewOn="in_stock", pipeline=[])
    with pytest.raises(OperationFailure) as exc:
        db.command("collMod", "in_stock", viewOn="v2", pipeline=[])
    assert _failure(exc) == (
        5,
        "GraphContainsCycle",
        f"View cycle detected: {db.name}.in_stock => {db.name}.v2 => {db.name}.in_stock",
    )
    with pytest.raises(OperationFailure) as exc:
        db.command("create", "in_stock")
    assert exc.value.code == 48
    db.in_stock.drop()
    assert "in_stock" not in db.list_collection_names()
    assert list(db.v2.find()) == []  # its source is gone: an empty view


def test_depth_limit(db):
    db.base.insert_one({"_id": 1})
    previous = "base"
    for i in range(20):
        db.create_collection(f"v{i}", viewOn=previous, pipeline=[])
        previous = f"v{i}"
    assert list(db.v19.find()) == [{"_id": 1}]
    with pytest.raises(OperationFailure) as exc:
        db.create_collection("v20", viewOn="v19", pipeline=[])
    assert _failure(exc) == (
        165,
        "ViewDepthLimitExceeded",
        "View depth too deep or view cycle detected. Maximum depth is 20",
    )


def test_views_persist_across_restart_and_compaction(tmp_path):
    path = tmp_path / "views.mdb"
    with ServerProcess(path) as server, server.client() as client:
        client.d.c.insert_many([{"_id": i, "n": i} for i in range(5)])
        client.d.create_collection("odd", viewOn="c", pipeline=[{"$match": {"n": {"$mod": [2, 1]}}}])
        client.d.c.delete_one({"_id": 0})
        client.d.command("compact", "c")
    with ServerProcess(path) as server, server.client() as client:
        assert list(client.d.odd.find()) == [{"_id": 1, "n": 1}, {"_id": 3, "n": 3}]
        client.d.odd.drop()
    with ServerProcess(path) as server, server.client() as client:
        assert client.d.list_collection_names(filter={"type": "view"}) == []
