"""PyMongo's asyncio client (the API Motor users move to) against the server."""

from __future__ import annotations

import asyncio

from pymongo import AsyncMongoClient


def test_async_client_crud_round_trip(server):
    async def scenario() -> list[dict]:
        client = AsyncMongoClient(server.uri)
        try:
            coll = client.asyncdb.items
            await coll.drop()
            await coll.insert_many([{"_id": i, "even": i % 2 == 0} for i in range(5)])
            await coll.update_many({"even": True}, {"$set": {"tag": "e"}})
            await coll.delete_one({"_id": 4})
            docs = await coll.find({"even": True}).sort("_id", -1).to_list()
            assert await coll.count_documents({}) == 4
            return docs
        finally:
            await client.close()

    assert asyncio.run(scenario()) == [
        {"_id": 2, "even": True, "tag": "e"},
        {"_id": 0, "even": True, "tag": "e"},
    ]
