"""The commands MongoDB Compass sends when it connects and opens a collection, sent by PyMongo.

From Compass's data-service (``instance-detail-helper.ts`` ``getInstance`` and ``data-service.ts``): on
connect ``connectionStatus {showPrivileges}``, ``hostInfo``, ``buildInfo``, ``getParameter
{featureCompatibilityVersion}``, ``atlasVersion`` (its failure means "not Atlas"), a count on
``admin.atlascli`` (the local-Atlas check), ``getCmdLineOpts``, ``listDatabases``, ``dbStats`` and
``listCollections`` per database; opening a collection: ``$collStats {storageStats}``, ``listIndexes`` and
``$indexStats``, ``count``/``aggregate`` counts, ``find`` with sort and limit, ``$sample`` for the schema
tab, ``explain`` (executionStats) for the explain plan tab, and ``serverStatus``/``currentOp`` for the
performance tab.
"""

from __future__ import annotations

import pytest
from pymongo.errors import OperationFailure


@pytest.fixture
def shop(db):
    db.items.insert_many([{"a": i, "s": str(i)} for i in range(50)])
    db.items.create_index("a")
    return db


def test_connect_instance_details(client):
    admin = client.admin
    status = admin.command({"connectionStatus": 1, "showPrivileges": True})
    assert status == {
        "authInfo": {
            "authenticatedUsers": [],
            "authenticatedUserRoles": [],
            "authenticatedUserPrivileges": [],
        },
        "ok": 1.0,
    }
    host = admin.command("hostInfo")
    assert {"os", "system", "extra"} <= host.keys() and host["system"]["numCores"] >= 1
    assert isinstance(host["system"]["memSizeMB"], int)
    build = admin.command("buildInfo")
    assert build["version"] == "7.0.0" and build["modules"] == []  # not enterprise
    fcv = admin.command({"getParameter": 1, "featureCompatibilityVersion": 1})
    assert fcv == {"featureCompatibilityVersion": {"version": "7.0"}, "ok": 1.0}
    with pytest.raises(OperationFailure) as exc:
        admin.command("atlasVersion")  # Compass reads the failure as "not Atlas"
    assert (exc.value.code, exc.value.details["codeName"]) == (59, "CommandNotFound")
    assert client.admin.atlascli.count_documents({"managedClusterType": "atlasCliLocalDevCluster"}) == 0
    opts = admin.command("getCmdLineOpts")
    assert isinstance(opts["argv"], list) and isinstance(opts["parsed"], dict)


def test_database_and_collection_lists(client, shop):
    names = client.admin.command({"listDatabases": 1, "nameOnly": True})["databases"]
    assert {"name": shop.name} in names
    full = client.admin.command("listDatabases")
    mine = next(d for d in full["databases"] if d["name"] == shop.name)
    assert mine["empty"] is False and mine["sizeOnDisk"] > 0
    stats = shop.command("dbStats")
    assert (stats["collections"], stats["objects"], stats["indexes"]) == (1, 50, 2)
    listed = shop.command({"listCollections": 1, "nameOnly": True, "authorizedCollections": True})
    assert listed["cursor"]["firstBatch"] == [{"name": "items", "type": "collection"}]


def test_open_collection(shop):
    [coll_stats] = shop.items.aggregate([{"$collStats": {"storageStats": {}}}])
    assert coll_stats["ns"] == f"{shop.name}.items"
    assert coll_stats["storageStats"]["count"] == 50 and coll_stats["storageStats"]["nindexes"] == 2
    assert [i["name"] for i in shop.items.list_indexes()] == ["_id_", "a_1"]
    index_stats = {s["name"]: s for s in shop.items.aggregate([{"$indexStats": {}}])}
    assert index_stats.keys() == {"_id_", "a_1"} and index_stats["a_1"]["key"] == {"a": 1}
    assert shop.command({"count": "items", "query": {}})["n"] == 50
    counted = list(
        shop.items.aggregate([{"$match": {}}, {"$skip": 0}, {"$group": {"_id": 1, "n": {"$sum": 1}}}])
    )
    assert counted == [{"_id": 1, "n": 50}]
    page = shop.command(
        {
            "find": "items",
            "filter": {},
            "sort": {"_id": -1},
            "limit": 20,
            "projection": {},
            "maxTimeMS": 60000,
        }
    )
    assert [d["a"] for d in page["cursor"]["firstBatch"]] == list(range(49, 29, -1))


def test_schema_sampling_and_explain(shop):
    sample = list(
        shop.items.aggregate(
            [{"$match": {}}, {"$sample": {"size": 1000}}, {"$project": {"_id": 0}}], maxTimeMS=60000
        )
    )
    assert sorted(d["a"] for d in sample) == list(range(50))
    explain = shop.command({"explain": {"find": "items", "filter": {"a": 3}}, "verbosity": "executionStats"})
    assert explain["executionStats"]["nReturned"] == 1
    assert explain["queryPlanner"]["winningPlan"]["inputStage"]["stage"] == "IXSCAN"


def test_performance_tab(client):
    status = client.admin.command("serverStatus")
    assert {"connections", "opcounters", "mem", "network"} <= status.keys()
    ops = client.admin.command({"currentOp": 1, "$all": True})["inprog"]
    assert [op["command"].get("currentOp") for op in ops if op["active"]] == [1]
    assert all(list(op)[:5] == ["type", "host", "desc", "connectionId", "client"] for op in ops)
