"""A standalone refuses transactions as mongod does: the first statement is refused and nothing is applied."""

from __future__ import annotations

import pymongo
import pytest
from bson.int64 import Int64
from pymongo.errors import OperationFailure


def test_first_statement_of_a_transaction_is_refused_and_not_applied(client: pymongo.MongoClient, db) -> None:
    with client.start_session() as session:
        session.start_transaction()
        with pytest.raises(OperationFailure) as exc:
            db.c.insert_one({"_id": 1}, session=session)
        session.abort_transaction()
    assert exc.value.code == 20
    assert exc.value.details["codeName"] == "IllegalOperation"
    assert exc.value.details["errmsg"] == (
        "Transaction numbers are only allowed on a replica set member or mongos"
    )
    assert db.c.count_documents({}) == 0


def test_with_transaction_applies_nothing(client: pymongo.MongoClient, db) -> None:
    def callback(session) -> None:
        db.c.insert_one({"_id": 1}, session=session)
        db.d.insert_one({"_id": 2}, session=session)

    with client.start_session() as session, pytest.raises(OperationFailure) as exc:
        session.with_transaction(callback)
    assert exc.value.code == 20
    assert db.c.count_documents({}) == 0
    assert db.d.count_documents({}) == 0


def test_txn_number_without_a_transaction_is_refused(db) -> None:
    with pytest.raises(OperationFailure) as exc:
        db.command({"insert": "c", "documents": [{"_id": 1}], "txnNumber": Int64(1)})
    assert exc.value.code == 20  # PyMongo adds the implicit session's lsid
    assert db.c.count_documents({}) == 0


def test_autocommit_without_txn_number(db) -> None:
    with pytest.raises(OperationFailure) as exc:
        db.command({"find": "c", "autocommit": False})
    assert (exc.value.code, exc.value.details["errmsg"]) == (
        72,
        "'autocommit' field requires a transaction number to also be specified",
    )
