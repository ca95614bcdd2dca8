"""createIndexes replies as mongod 7.0 gives them: the ``commitQuorum`` of a replica set's two-phase
builds, the note when some of the asked indexes exist, and a standalone's refusal of ``commitQuorum``."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pymongo
import pytest
from pymongo.errors import OperationFailure

from tests.serverproc import ServerProcess


@pytest.fixture(scope="module")
def rs_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[pymongo.MongoClient]:
    path = tmp_path_factory.mktemp("rs") / "rs.mdb"
    with ServerProcess(path, extra_args=["--replica-set", "rs0"]) as proc, proc.client() as c:
        yield c


@pytest.fixture
def rs_db(rs_client: pymongo.MongoClient) -> pymongo.database.Database:
    return rs_client[f"t_{uuid.uuid4().hex[:12]}"]


def _create(db, specs: list, **extra) -> dict:
    reply = db.command({"createIndexes": "c", "indexes": specs, **extra})
    return {k: v for k, v in reply.items() if k not in ("$clusterTime", "operationTime")}


A_1 = {"key": {"a": 1}, "name": "a_1"}
B_1 = {"key": {"b": 1}, "name": "b_1"}


def test_a_replica_set_reports_the_commit_quorum_of_a_build(rs_db) -> None:
    assert _create(rs_db, [A_1]) == {
        "numIndexesBefore": 1,
        "numIndexesAfter": 2,
        "createdCollectionAutomatically": True,
        "commitQuorum": "votingMembers",
        "ok": 1.0,
    }
    assert _create(rs_db, [A_1, B_1], commitQuorum="majority") == {
        "numIndexesBefore": 2,
        "numIndexesAfter": 3,
        "createdCollectionAutomatically": False,
        "commitQuorum": "majority",
        "note": "index already exists",
        "ok": 1.0,
    }
    assert _create(rs_db, [B_1]) == {  # nothing to build: no build, no quorum
        "numIndexesBefore": 3,
        "numIndexesAfter": 3,
        "note": "all indexes already exist",
        "ok": 1.0,
    }


def test_a_standalone_notes_specs_that_exist_among_new_ones(db) -> None:
    _create(db, [A_1])
    assert _create(db, [A_1, B_1]) == {
        "numIndexesBefore": 2,
        "numIndexesAfter": 3,
        "createdCollectionAutomatically": False,
        "note": "index already exists",
        "ok": 1.0,
    }


def test_a_standalone_refuses_commit_quorum(db) -> None:
    with pytest.raises(OperationFailure) as exc:
        _create(db, [A_1], commitQuorum="majority")
    assert exc.value.code == 2
    assert exc.value.details["errmsg"] == "Standalones can't specify commitQuorum"
    assert db.list_collection_names() == []
