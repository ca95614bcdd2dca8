"""createIndexes inside a multi-document transaction (replica-set mode), as mongod 7.0 allows it: on a
collection that does not exist yet or that the transaction created and is still empty in it."""

from __future__ import annotations

from pathlib import Path

import pytest
from pymongo.errors import DuplicateKeyError, OperationFailure

from tests.serverproc import REPLICA_SET, ServerProcess

SERVER_ARGS = REPLICA_SET


A_1 = {"key": {"a": 1}, "name": "a_1"}


def _create_indexes(db, name: str, specs: list, session) -> dict:
    reply = db.command({"createIndexes": name, "indexes": specs}, session=session)
    return {k: v for k, v in reply.items() if k not in ("$clusterTime", "operationTime")}


def _index_names(db, name: str) -> list[str]:
    return [i["name"] for i in db[name].list_indexes()]


def test_a_new_collection_is_created_with_the_index_and_seen_by_others_at_commit(client, db) -> None:
    with client.start_session() as s:
        s.start_transaction()
        reply = _create_indexes(db, "c", [A_1], s)
        assert reply == {
            "numIndexesBefore": 1,
            "numIndexesAfter": 2,
            "createdCollectionAutomatically": True,
            "commitQuorum": "votingMembers",
            "ok": 1.0,
        }
        db.c.insert_one({"_id": 1, "a": [1, 2, 3]}, session=s)
        assert list(db.c.find({"a": 1}, session=s)) == [{"_id": 1, "a": [1, 2, 3]}]
        assert db.list_collection_names() == []  # nobody else sees the collection yet
        s.commit_transaction()
    assert _index_names(db, "c") == ["_id_", "a_1"]
    assert list(db.c.find({"a": 2}).hint("a_1")) == [{"_id": 1, "a": [1, 2, 3]}]


def test_a_collection_created_earlier_in_the_transaction_takes_indexes_while_empty(client, db) -> None:
    with client.start_session() as s:
        s.start_transaction()
        db.command({"create": "c"}, session=s)
        reply = _create_indexes(db, "c", [A_1, {"key": {"b": 1}, "name": "b_1", "unique": True}], s)
        assert reply == {
            "numIndexesBefore": 1,
            "numIndexesAfter": 3,
            "createdCollectionAutomatically": True,
            "commitQuorum": "votingMembers",
            "ok": 1.0,
        }
        db.c.insert_one({"_id": 1, "b": 5}, session=s)
        with pytest.raises(DuplicateKeyError) as exc:  # the new unique index holds inside the transaction
            db.c.insert_one({"_id": 2, "b": 5}, session=s)
        assert exc.value.details["keyValue"] == {"b": 5}
    assert db.list_collection_names() == []  # the failed statement aborted the transaction


def test_indexes_that_all_exist_answer_as_outside_a_transaction(client, db) -> None:
    db.c.create_index("a", name="a_1")
    with client.start_session() as s:
        s.start_transaction()
        reply = _create_indexes(db, "c", [A_1], s)
        assert reply == {
            "numIndexesBefore": 2,
            "numIndexesAfter": 2,
            "note": "all indexes already exist",
            "ok": 1.0,
        }
        db.c.insert_one({"_id": 1}, session=s)
        s.commit_transaction()
    assert db.c.find_one() == {"_id": 1}


def test_an_existing_index_on_a_collection_created_in_the_transaction(client, db) -> None:
    with client.start_session() as s:
        s.start_transaction()
        _create_indexes(db, "c", [A_1], s)
        db.c.insert_one({"_id": 1, "a": 1}, session=s)  # not empty now, but nothing new is asked
        assert _create_indexes(db, "c", [A_1], s) == {
            "numIndexesBefore": 2,
            "numIndexesAfter": 2,
            "note": "all indexes already exist",
            "ok": 1.0,
        }
        s.commit_transaction()
    assert _index_names(db, "c") == ["_id_", "a_1"]


def test_some_existing_specs_among_new_ones_are_noted(client, db) -> None:
    with client.start_session() as s:
        s.start_transaction()
        _create_indexes(db, "c", [A_1], s)
        assert _create_indexes(db, "c", [A_1, {"key": {"b": 1}, "name": "b_1"}], s) == {
            "numIndexesBefore": 2,
            "numIndexesAfter": 3,
            "createdCollectionAutomatically": True,
            "commitQuorum": "votingMembers",
            "note": "index already exists",
            "ok": 1.0,
        }
        s.commit_transaction()
    assert _index_names(db, "c") == ["_id_", "a_1", "b_1"]


def test_only_the_id_index_on_a_new_collection(client, db) -> None:
    with client.start_session() as s:
        s.start_transaction()
        assert _create_indexes(db, "c", [{"key": {"_id": 1}, "name": "_id_"}], s) == {
            "numIndexesBefore": 1,
            "numIndexesAfter": 1,
            "createdCollectionAutomatically": True,
            "commitQuorum": "votingMembers",
            "note": "all indexes already exist",
            "ok": 1.0,
        }
        s.commit_transaction()
    assert db.list_collection_names() == ["c"]


def _assert_aborted(s) -> None:
    with pytest.raises(OperationFailure) as exc:
        s.commit_transaction()
    assert exc.value.code == 251


def test_a_new_index_on_an_existing_collection_is_refused(client, db) -> None:
    db.c.insert_one({"_id": 1})
    with client.start_session() as s:
        s.start_transaction()
        db.c.insert_one({"_id": 2}, session=s)
        with pytest.raises(OperationFailure) as exc:
            _create_indexes(db, "c", [A_1], s)
        assert exc.value.code == 263
        assert exc.value.details["codeName"] == "OperationNotSupportedInTransaction"
        assert exc.value.details["errmsg"] == (
            f"Cannot create new indexes on existing collection {db.name}.c in a multi-document transaction."
        )
        _assert_aborted(s)
    assert list(db.c.find()) == [{"_id": 1}]
    assert _index_names(db, "c") == ["_id_"]


def test_an_empty_existing_collection_is_refused_too(client, db) -> None:
    db.create_collection("c")
    with client.start_session() as s:
        s.start_transaction()
        with pytest.raises(OperationFailure) as exc:
            _create_indexes(db, "c", [A_1], s)
        assert exc.value.code == 263
        _assert_aborted(s)


def test_a_non_empty_collection_created_in_the_transaction_is_refused(client, db) -> None:
    with client.start_session() as s:
        s.start_transaction()
        db.command({"create": "c"}, session=s)
        db.c.insert_one({"a": 1}, session=s)
        with pytest.raises(OperationFailure) as exc:
            _create_indexes(db, "c", [A_1], s)
        assert exc.value.code == 263
        assert exc.value.details["errmsg"] == (
            f"Cannot create new indexes on non-empty collection {db.name}.c in a multi-document transaction."
        )
        _assert_aborted(s)
    assert db.list_collection_names() == []


def test_a_conflicting_spec_fails_and_aborts(client, db) -> None:
    db.c.create_index("a", name="a_1")
    with client.start_session() as s:
        s.start_transaction()
        with pytest.raises(OperationFailure) as exc:
            _create_indexes(db, "c", [{"key": {"a": -1}, "name": "a_1"}], s)
        assert exc.value.code == 86
        assert exc.value.details["codeName"] == "IndexKeySpecsConflict"
        _assert_aborted(s)


def test_abort_keeps_neither_collection_nor_index(client, db) -> None:
    with client.start_session() as s:
        s.start_transaction()
        _create_indexes(db, "c", [A_1], s)
        _create_indexes(db, "d", [A_1], s)
        db.c.insert_one({"a": 1}, session=s)
        s.abort_transaction()
    assert db.list_collection_names() == []


def test_system_collections_are_refused(client, db) -> None:
    with client.start_session() as s:
        s.start_transaction()
        with pytest.raises(OperationFailure) as exc:
            _create_indexes(db, "system.js", [A_1], s)
        assert exc.value.code == 263
        assert exc.value.details["errmsg"] == (
            f"Cannot write to system collection {db.name}.system.js within a transaction."
        )


def test_collections_indexes_and_options_survive_kill9(tmp_path: Path) -> None:
    """The commit record holds the created collections with their indexes and options."""
    path = tmp_path / "rs.mdb"
    with ServerProcess(path, extra_args=["--replica-set", "rs0"]) as proc:
        with proc.client() as c:
            with c.start_session() as s:
                s.start_transaction()
                c.d.command({"create": "v", "validator": {"x": {"$type": "int"}}}, session=s)
                c.d.command(
                    {"createIndexes": "u", "indexes": [{"key": {"k": 1}, "name": "k_1", "unique": True}]},
                    session=s,
                )
                c.d.u.insert_one({"_id": 1, "k": 1}, session=s)
                c.d.v.insert_one({"_id": 1, "x": 1}, session=s)
                s.commit_transaction()
        proc.kill9()
    with ServerProcess(path, extra_args=["--replica-set", "rs0"]) as proc, proc.client() as c:
        assert [i["name"] for i in c.d.u.list_indexes()] == ["_id_", "k_1"]
        with pytest.raises(DuplicateKeyError):
            c.d.u.insert_one({"_id": 2, "k": 1})
        assert c.d.v.options() == {"validator": {"x": {"$type": "int"}}}
        assert list(c.d.u.find()) == [{"_id": 1, "k": 1}]


def test_a_unique_key_the_transaction_wrote_earlier_is_taken(client, db) -> None:
    """The transaction's own writes hold their unique keys from statement to statement."""
    db.c.create_index("k", unique=True)
    with client.start_session() as s:
        s.start_transaction()
        db.c.insert_one({"_id": 1, "k": 1}, session=s)
        with pytest.raises(DuplicateKeyError) as exc:
            db.c.insert_one({"_id": 2, "k": 1}, session=s)
        assert exc.value.details["keyValue"] == {"k": 1}
    with client.start_session() as s:
        s.start_transaction()
        db.c.insert_one({"_id": 1, "k": 1}, session=s)
        db.c.delete_one({"_id": 1}, session=s)  # a deleted document gives its key back
        db.c.insert_one({"_id": 2, "k": 1}, session=s)
        s.commit_transaction()
    assert list(db.c.find()) == [{"_id": 2, "k": 1}]


def test_a_collection_created_after_the_snapshot_is_not_there_for_the_transaction(client, db) -> None:
    """As in mongod 7.0: the transaction creates its own (with the index), and its commit conflicts."""
    db.other.insert_one({"_id": 0})
    with client.start_session() as s:
        s.start_transaction()
        db.other.insert_one({"_id": 1}, session=s)  # the snapshot is taken here
        db.c.create_index("a", name="a_1")
        db.c.insert_one({"_id": 1})
        assert list(db.c.find({}, session=s)) == []
        reply = _create_indexes(db, "c", [{"key": {"a": -1}, "name": "a_1"}], s)
        assert reply["createdCollectionAutomatically"] is True
        _assert_write_conflict(s)
    assert list(db.c.find()) == [{"_id": 1}]
    assert list(db.other.find()) == [{"_id": 0}]


def test_a_write_to_a_collection_dropped_after_the_snapshot_conflicts(client, db) -> None:
    db.c.insert_one({"_id": 0})
    with client.start_session() as s:
        s.start_transaction()
        db.other.insert_one({"_id": 1}, session=s)
        db.c.drop()
        with pytest.raises(OperationFailure) as exc:
            db.c.insert_one({"_id": 2}, session=s)
        assert exc.value.code == 112
        assert exc.value.details["errorLabels"] == ["TransientTransactionError"]
    assert db.list_collection_names() == []


def _assert_write_conflict(s) -> None:
    with pytest.raises(OperationFailure) as exc:
        s.commit_transaction()
    assert exc.value.code == 112
