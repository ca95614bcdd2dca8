"""Time-series collections through PyMongo: create options as listCollections shows them, measurements
as reads return them, 7.0's update rules and refusals, deletes, TTL and restarts."""

from __future__ import annotations

import datetime
import time

import pytest
from bson.objectid import ObjectId
from pymongo.errors import BulkWriteError, OperationFailure, WriteError

T0 = datetime.datetime(2021, 5, 18)


def _at(hours: int) -> datetime.datetime:
    return T0 + datetime.timedelta(hours=hours)


def _wait_for(predicate, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def _failure(exc: pytest.ExceptionInfo) -> tuple[int, str, str]:
    return exc.value.code, exc.value.details["codeName"], exc.value.details["errmsg"]


@pytest.fixture
def weather(db):
    db.create_collection("weather", timeseries={"timeField": "timestamp", "metaField": "metadata"})
    db.weather.insert_many(
        [
            {
                "_id": i,
                "metadata": {"sensorId": 5578 + i % 2, "type": "temperature"},
                "timestamp": _at(i),
                "temp": t,
            }
            for i, t in enumerate([12, 11, 15, 16])
        ]
    )
    return db.weather


def _info(db, name: str) -> dict:
    return next(db.list_collections(filter={"name": name}))


# -- create and listCollections -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("timeseries", "shown"),
    [
        (
            {"timeField": "t"},
            {
                "timeField": "t",
                "granularity": "seconds",
                "bucketMaxSpanSeconds": 3600,
                "bucketRoundingSeconds": 60,
            },
        ),
        (
            {"timeField": "t", "metaField": "m", "granularity": "minutes"},
            {
                "timeField": "t",
                "metaField": "m",
                "granularity": "minutes",
                "bucketMaxSpanSeconds": 86400,
                "bucketRoundingSeconds": 3600,
            },
        ),
        (
            {"timeField": "t", "granularity": "hours"},
            {
                "timeField": "t",
                "granularity": "hours",
                "bucketMaxSpanSeconds": 2592000,
                "bucketRoundingSeconds": 86400,
            },
        ),
        (
            {"timeField": "t", "bucketMaxSpanSeconds": 500, "bucketRoundingSeconds": 500},
            {"timeField": "t", "bucketMaxSpanSeconds": 500, "bucketRoundingSeconds": 500},
        ),
    ],
)
def test_list_collections_shows_the_normalized_options(db, timeseries, shown):
    db.create_collection("ts", timeseries=timeseries)
    assert _info(db, "ts") == {
        "name": "ts",
        "type": "timeseries",
        "options": {"timeseries": shown},
        "info": {"readOnly": False},
    }
    assert db.list_collection_names(filter={"type": "timeseries"}) == ["ts"]
    names = db.command({"listCollections": 1, "nameOnly": True, "filter": {"type": "timeseries"}})
    assert names["cursor"]["firstBatch"] == [{"name": "ts", "type": "timeseries"}]


def test_expire_after_seconds_is_an_option_of_the_collection(db):
    db.create_collection("ts", timeseries={"timeField": "t"}, expireAfterSeconds=100)
    assert _info(db, "ts")["options"] == {
        "timeseries": {
            "timeField": "t",
            "granularity": "seconds",
            "bucketMaxSpanSeconds": 3600,
            "bucketRoundingSeconds": 60,
        },
        "expireAfterSeconds": 100,
    }
    same = {"create": "ts", "timeseries": {"timeField": "t"}, "expireAfterSeconds": 100}
    assert db.command(same) == {"ok": 1.0}  # the same options again: a no-op
    with pytest.raises(OperationFailure) as exc:
        db.command({"create": "ts", "timeseries": {"timeField": "t"}})
    assert exc.value.code == 48


@pytest.mark.parametrize(
    ("options", "code", "message"),
    [
        (
            {"timeseries": {}},
            40414,
            "BSON field 'create.timeseries.timeField' is missing but a required field",
        ),
        (
            {"timeseries": {"timeField": "t", "x": 1}},
            40415,
            "BSON field 'create.timeseries.x' is an unknown field.",
        ),
        (
            {"timeseries": 5},
            14,
            "BSON field 'create.timeseries' is the wrong type 'int', expected type 'object'",
        ),
        (
            {"timeseries": {"timeField": "t", "granularity": "days"}},
            2,
            "Enumeration value 'days' for field 'create.timeseries.granularity' is not a valid value.",
        ),
        (
            {"timeseries": {"timeField": "t", "metaField": "t"}},
            72,
            "The 'metaField' field name cannot be the same as the 'timeField' field name",
        ),
        (
            {"timeseries": {"timeField": "t", "metaField": "_id"}},
            72,
            "The 'metaField' field name cannot be '_id'",
        ),
        ({"expireAfterSeconds": 5}, 72, "'expireAfterSeconds' is only supported on time-series collections"),
    ],
)
def test_bad_options_are_refused(db, options, code, message):
    with pytest.raises(OperationFailure) as exc:
        db.command({"create": "ts", **options})
    assert (exc.value.code, exc.value.details["errmsg"]) == (code, message)


def test_meta_and_time_index_is_created_and_no_id_index_listed(weather):
    assert [i.to_dict() for i in weather.list_indexes()] == [
        {"v": 2, "key": {"metadata": 1, "timestamp": 1}, "name": "metadata_1_timestamp_1"}
    ]
    weather.create_index("temp")
    assert [i["name"] for i in weather.list_indexes()] == ["metadata_1_timestamp_1", "temp_1"]
    with pytest.raises(OperationFailure) as exc:
        weather.create_index("temp", unique=True, name="u")
    assert _failure(exc) == (
        72,
        "InvalidOptions",
        "Unique indexes are not supported on time-series collections",
    )


# -- inserts and reads ----------------------------------------------------------------------------------


def test_measurements_come_back_time_meta_fields_then_id(db):
    db.create_collection("w", timeseries={"timeField": "timestamp", "metaField": "metadata"})
    oid = ObjectId()
    db.w.insert_one({"_id": oid, "temp": 12, "metadata": {"sensorId": 5578}, "timestamp": T0})
    assert list(db.w.find()) == [{"timestamp": T0, "metadata": {"sensorId": 5578}, "temp": 12, "_id": oid}]
    db.w.insert_one({"timestamp": _at(1), "temp": 3})
    second = db.w.find_one({"temp": 3})
    assert list(second) == ["timestamp", "temp", "_id"]
    assert list(db.w.find_one({"temp": 12})) == ["timestamp", "metadata", "temp", "_id"]
    assert isinstance(second["_id"], ObjectId)


def test_an_insert_without_a_date_in_the_time_field_fails_per_document(db):
    db.create_collection("w", timeseries={"timeField": "time"})
    with pytest.raises(BulkWriteError) as exc:
        db.w.insert_many([{"time": T0}, {"x": 1}, {"time": "2021-05-18"}, {"time": _at(1)}], ordered=False)
    errors = [(e["index"], e["code"], e["errmsg"]) for e in exc.value.details["writeErrors"]]
    message = "'time' must be present and contain a valid BSON UTC datetime value"
    assert errors == [(1, 2, message), (2, 2, message)]
    assert exc.value.details["nInserted"] == 2


def test_finds_and_aggregations_see_the_measurements(weather):
    hot = weather.find({"temp": {"$gte": 15}}, {"_id": 0, "temp": 1}).sort("timestamp", -1)
    assert list(hot) == [{"temp": 16}, {"temp": 15}]
    pipeline = [
        {"$group": {"_id": "$metadata.sensorId", "avg": {"$avg": "$temp"}}},
        {"$sort": {"_id": 1}},
    ]
    assert list(weather.aggregate(pipeline)) == [{"_id": 5578, "avg": 13.5}, {"_id": 5579, "avg": 13.5}]
    assert weather.count_documents({"metadata.sensorId": 5579}) == 2
    window = {"timestamp": {"$gte": _at(1), "$lt": _at(3)}}
    assert [d["_id"] for d in weather.find(window).sort("timestamp", 1)] == [1, 2]


# -- updates and deletes ------------------------------------------------------------------------------


def test_updates_of_the_meta_field_with_multi_work(weather):
    result = weather.update_many({"metadata.sensorId": 5578}, {"$set": {"metadata.type": "celsius"}})
    assert (result.matched_count, result.modified_count) == (2, 2)
    assert sorted(d["_id"] for d in weather.find({"metadata.type": "celsius"})) == [0, 2]
    assert list(weather.find_one({"_id": 0})) == ["timestamp", "metadata", "temp", "_id"]


@pytest.mark.parametrize(
    ("statement", "message"),
    [
        (
            {"q": {"metadata.sensorId": 5578}, "u": {"$set": {"metadata.x": 1}}},
            "Cannot perform a non-multi update on a time-series collection",
        ),
        (
            {"q": {"metadata.sensorId": 1}, "u": {"$set": {"metadata.x": 1}}, "multi": True, "upsert": True},
            "Cannot perform an upsert on a time-series collection",
        ),
        (
            {"q": {"temp": 12}, "u": {"$set": {"metadata.x": 1}}, "multi": True},
            "Cannot perform an update or delete on a time-series collection when querying on a field that is "
            "not the metaField 'metadata'",
        ),
        (
            {
                "q": {"$and": [{"metadata.a": 1}, {"temp": 1}]},
                "u": {"$set": {"metadata.x": 1}},
                "multi": True,
            },
            "Cannot perform an update or delete on a time-series collection when querying on a field that is "
            "not the metaField 'metadata'",
        ),
        (
            {"q": {}, "u": {"$set": {"temp": 1}}, "multi": True},
            "Cannot perform an update on a time-series collection which updates a field that is not the "
            "metaField 'metadata'",
        ),
        (
            {"q": {}, "u": {"$rename": {"metadata.a": "b"}}, "multi": True},
            "Cannot perform an update on a time-series collection which updates a field that is not the "
            "metaField 'metadata'",
        ),
        (
            {"q": {}, "u": [{"$set": {"metadata.x": 1}}], "multi": True},
            "Cannot perform an update on a time-series collection using a pipeline update",
        ),
        (
            {"q": {"$expr": {"$eq": ["$metadata", 1]}}, "u": {"$set": {"metadata.x": 1}}, "multi": True},
            "Cannot use $expr when performing an update or delete on a time-series collection",
        ),
    ],
)
def test_updates_7_0_refuses(weather, statement, message):
    reply = weather.database.command({"update": "weather", "updates": [statement]})
    assert reply["writeErrors"] == [{"index": 0, "code": 72, "errmsg": message}]
    assert reply["n"] == 0


def test_replacement_and_no_meta_field_updates_are_refused(db):
    db.create_collection("plain", timeseries={"timeField": "t"})
    db.plain.insert_one({"t": T0, "v": 1})
    with pytest.raises(WriteError) as exc:
        db.plain.update_many({}, {"$set": {"v": 2}})
    assert (
        exc.value.details["errmsg"]
        == "Cannot perform an update on a time-series collection that does not have a metaField"
    )
    db.create_collection("m", timeseries={"timeField": "t", "metaField": "k"})
    reply = db.command({"update": "m", "updates": [{"q": {}, "u": {"k": 1}, "multi": True}]})
    assert reply["writeErrors"][0]["errmsg"] == (
        "Cannot perform an update on a time-series collection using a replacement document"
    )
    reply = db.command({"update": "m", "updates": [{"q": {}, "u": {"k": 1}, "multi": False}]})
    assert (
        reply["writeErrors"][0]["errmsg"] == "Cannot perform a non-multi update on a time-series collection"
    )


def test_deletes_take_any_filter_and_limit(weather):
    assert weather.delete_one({"temp": {"$gt": 11}}).deleted_count == 1
    assert weather.delete_many({"timestamp": {"$gte": _at(3)}}).deleted_count == 1
    assert sorted(d["_id"] for d in weather.find()) == [1, 2]


def test_find_and_modify_is_refused(weather):
    with pytest.raises(OperationFailure) as exc:
        weather.find_one_and_delete({"temp": 12})
    assert exc.value.code == 238


# -- TTL and restart ------------------------------------------------------------------------------------


def test_measurements_expire_and_options_survive_a_restart(tmp_path):
    from tests.serverproc import ServerProcess

    path = tmp_path / "ts.mdb"
    now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
    with ServerProcess(path, ["--ttl-monitor-interval-s", "0.1"]) as server, server.client() as client:
        db = client.d
        db.create_collection("ts", timeseries={"timeField": "t", "metaField": "m"}, expireAfterSeconds=3600)
        db.ts.insert_many([{"t": now - datetime.timedelta(hours=2), "m": 1}, {"t": now, "m": 2}])
        assert _wait_for(lambda: db.ts.count_documents({}) == 1)
        assert [d["m"] for d in db.ts.find()] == [2]
    with ServerProcess(path) as server, server.client() as client:
        info = next(client.d.list_collections(filter={"name": "ts"}))
        assert info["type"] == "timeseries"
        assert info["options"]["expireAfterSeconds"] == 3600
        with pytest.raises(BulkWriteError):
            client.d.ts.insert_many([{"m": 3}])


def test_merge_into_a_time_series_collection_is_refused(weather):
    db = weather.database
    db.src.insert_one({"timestamp": T0, "metadata": {}, "temp": 1})
    with pytest.raises(OperationFailure) as exc:
        list(db.src.aggregate([{"$project": {"_id": 0}}, {"$merge": {"into": "weather"}}]))
    assert exc.value.code == 238
    assert weather.count_documents({}) == 4


def test_coll_mod_changes_or_removes_the_expiry(tmp_path):
    from tests.serverproc import ServerProcess

    path = tmp_path / "mod.mdb"
    with ServerProcess(path) as server, server.client() as client:
        db = client.d
        db.create_collection("ts", timeseries={"timeField": "t"}, expireAfterSeconds=100)
        assert db.command({"collMod": "ts", "expireAfterSeconds": 50}) == {"ok": 1.0}
        assert _info(db, "ts")["options"]["expireAfterSeconds"] == 50
        db.create_collection("ts2", timeseries={"timeField": "t"}, expireAfterSeconds=100)
        db.command({"collMod": "ts2", "expireAfterSeconds": "off"})
        assert "expireAfterSeconds" not in _info(db, "ts2")["options"]
        with pytest.raises(OperationFailure) as exc:
            db.command({"collMod": "ts", "timeseries": {"granularity": "hours"}})
        assert exc.value.code == 238
    with ServerProcess(path) as server, server.client() as client:
        assert _info(client.d, "ts")["options"]["expireAfterSeconds"] == 50
        assert "expireAfterSeconds" not in _info(client.d, "ts2")["options"]
