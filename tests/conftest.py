"""Shared fixtures: a real docdb-server subprocess per test module, and a clean database per test."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pymongo
import pytest

from tests.serverproc import ServerProcess


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Long soak tests (marked ``slow``) run only with DOCDB_SLOW=1; CI runs their short versions."""
    if os.environ.get("DOCDB_SLOW") == "1":
        return
    skip = pytest.mark.skip(reason="slow soak test: set DOCDB_SLOW=1 to run it")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="module")
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    """A server over a fresh .mdb file, shared by the tests of one module; a module's ``SERVER_ARGS``
    (e.g. ``serverproc.REPLICA_SET``) are its flags."""
    path = tmp_path_factory.mktemp("docdb") / "test.mdb"
    with ServerProcess(path, extra_args=list(getattr(request.module, "SERVER_ARGS", ()))) as proc:
        yield proc


@pytest.fixture(scope="module")
def rs_server(server: ServerProcess) -> ServerProcess:
    """The module's server, by the name the replica-set tests use for it."""
    return server


@pytest.fixture(scope="module")
def client(server: ServerProcess) -> Iterator[pymongo.MongoClient]:
    with server.client() as c:
        yield c


@pytest.fixture
def db(client: pymongo.MongoClient) -> pymongo.database.Database:
    """A database of its own for each test, so tests never see each other's data."""
    return client[f"t_{uuid.uuid4().hex[:12]}"]


@pytest.fixture
def data_file(tmp_path: Path) -> Path:
    return tmp_path / "data.mdb"
