"""Time-series collections and multi-document transactions: mongod inserts into one only outside a
transaction (OperationNotSupportedInTransaction), and the refused insert aborts the transaction."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterator

import pymongo
import pytest
from pymongo.errors import OperationFailure

from tests.serverproc import ServerProcess


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[pymongo.MongoClient]:
    path = tmp_path_factory.mktemp("rs") / "rs.mdb"
    with ServerProcess(path, extra_args=["--replica-set", "rs0"]) as proc, proc.client() as c:
        yield c


def test_insert_into_a_timeseries_collection_in_a_transaction_is_refused(client) -> None:
    db = client[f"t_{uuid.uuid4().hex[:12]}"]
    db.create_collection("ts", timeseries={"timeField": "t"})
    db.plain.insert_one({"_id": 0})
    when = datetime.datetime(2026, 1, 1)
    with client.start_session() as session:
        session.start_transaction()
        db.plain.insert_one({"_id": 1}, session=session)
        with pytest.raises(OperationFailure) as exc:
            db.ts.insert_one({"t": when, "v": 1}, session=session)
        assert exc.value.code == 263
        assert exc.value.details["codeName"] == "OperationNotSupportedInTransaction"
        assert exc.value.details["errmsg"] == (
            f"Cannot insert into a time-series collection in a multi-document transaction: {db.name}.ts"
        )
        with pytest.raises(OperationFailure) as aborted:
            session.commit_transaction()
        assert aborted.value.code == 251  # NoSuchTransaction: the failed statement aborted it
    assert list(db.plain.find()) == [{"_id": 0}]
    assert db.ts.count_documents({}) == 0
    db.ts.insert_one({"t": when, "v": 1})  # outside a transaction it is taken
    assert db.ts.count_documents({}) == 1
