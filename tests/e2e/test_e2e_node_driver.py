"""The MongoDB Node.js driver against docdb-server: CRUD results, cursors across getMore, BSON types."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e


def test_insert_find_update_delete_round_trip(run_node):
    body = """
        const c = client.db('e2e_node_crud').collection('items');
        const inserted = await c.insertMany([
            {_id: 1, kind: 'a', n: 1}, {_id: 2, kind: 'b', n: 2}, {_id: 3, kind: 'a', n: 3},
        ]);
        const found = await c.find({kind: 'a'}).sort({n: -1}).project({_id: 1, n: 1}).toArray();
        const updated = await c.updateOne({_id: 2}, {$set: {kind: 'a'}, $inc: {n: 10}});
        const upserted = await c.updateOne({_id: 9}, {$set: {kind: 'z'}}, {upsert: true});
        const deleted = await c.deleteMany({kind: 'a'});
        const left = await c.find({}).toArray();
        return {inserted, found, updated, upserted, deleted, left};
    """
    assert run_node(body) == {
        "inserted": {"acknowledged": True, "insertedCount": 3, "insertedIds": {"0": 1, "1": 2, "2": 3}},
        "found": [{"_id": 3, "n": 3}, {"_id": 1, "n": 1}],
        "updated": {
            "acknowledged": True,
            "modifiedCount": 1,
            "upsertedId": None,
            "upsertedCount": 0,
            "matchedCount": 1,
        },
        "upserted": {
            "acknowledged": True,
            "modifiedCount": 0,
            "upsertedId": 9,
            "upsertedCount": 1,
            "matchedCount": 0,
        },
        "deleted": {"acknowledged": True, "deletedCount": 3},
        "left": [{"_id": 9, "kind": "z"}],
    }


def test_cursor_spans_get_more_batches(run_node):
    body = """
        const c = client.db('e2e_node_cursor').collection('items');
        await c.insertMany(Array.from({length: 250}, (_, i) => ({_id: i, sq: i * i})));
        const all = await c.find({}, {batchSize: 100}).sort({_id: 1}).toArray();
        const cursor = c.find({_id: {$gte: 10}}, {batchSize: 5}).sort({_id: 1});
        const firstTwo = [await cursor.next(), await cursor.next()];
        await cursor.close();
        return {
            count: all.length,
            ids: all.every((d, i) => d._id === i && d.sq === i * i),
            firstTwo,
        };
    """
    assert run_node(body) == {
        "count": 250,
        "ids": True,
        "firstTwo": [{"_id": 10, "sq": 100}, {"_id": 11, "sq": 121}],
    }


def test_bson_types_round_trip(run_node):
    body = """
        const {ObjectId, Long, Decimal128, Binary, Timestamp, Double, Int32, MinKey, MaxKey} = mongodb;
        const c = client.db('e2e_node_types').collection('items');
        await c.insertOne({
            _id: new ObjectId('65a1b2c3d4e5f60718293a4b'),
            int: new Int32(7),
            long: Long.fromString('9007199254740993'),
            double: new Double(2.5),
            decimal: Decimal128.fromString('1.10'),
            date: new Date('2024-01-02T03:04:05.678Z'),
            bin: new Binary(Buffer.from([1, 2, 3]), 0),
            ts: new Timestamp({t: 1700000000, i: 3}),
            regex: /ab+c/i,
            nested: {arr: [null, true, 'x', {deep: new MinKey()}], max: new MaxKey()},
        });
        return await c.findOne({}, {promoteValues: false});
    """
    assert run_node(body, relaxed=False) == {
        "_id": {"$oid": "65a1b2c3d4e5f60718293a4b"},
        "int": {"$numberInt": "7"},
        "long": {"$numberLong": "9007199254740993"},
        "double": {"$numberDouble": "2.5"},
        "decimal": {"$numberDecimal": "1.10"},
        "date": {"$date": {"$numberLong": "1704164645678"}},
        "bin": {"$binary": {"base64": "AQID", "subType": "00"}},
        "ts": {"$timestamp": {"t": 1700000000, "i": 3}},
        "regex": {"$regularExpression": {"pattern": "ab+c", "options": "i"}},
        "nested": {
            "arr": [None, True, "x", {"deep": {"$minKey": 1}}],
            "max": {"$maxKey": 1},
        },
    }
