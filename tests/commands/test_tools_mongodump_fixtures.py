"""docdb restore loads dumps written by real mongodump (tests/fixtures/mongodump, see its NOTICE.md)."""

from __future__ import annotations

from pathlib import Path

import bson
from bson import ObjectId
from click.testing import CliRunner

from docdb.cli import tools_main
from docdb.tools.archive import ArchiveReader

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "mongodump"


def restore(*args: str):
    result = CliRunner().invoke(tools_main, ["restore", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


def test_archive_of_mongodump_3_4(server, client, db):
    result = restore(
        "--uri",
        server.uri,
        f"--archive={FIXTURES / 'test.bar.archive'}",
        "--nsFrom",
        "test.$c$",
        "--nsTo",
        f"{db.name}.$c$",
    )
    assert "1 document(s) restored successfully. 0 document(s) failed to restore." in result.output
    assert db.list_collection_names() == ["bar"]
    assert db.bar.count_documents({}) == 1
    assert "system.version" not in client.admin.list_collection_names()


def test_archive_with_an_oplog_restores_the_collections_and_leaves_the_oplog(server, db):
    with open(FIXTURES / "dump-w-oplog.archive", "rb") as f:
        reader = ArchiveReader(f)
        expected = next(list(docs) for d, c, docs in reader.namespaces() if (d, c) == ("test", "foo"))
    restore(
        "--uri",
        server.uri,
        f"--archive={FIXTURES / 'dump-w-oplog.archive'}",
        "--nsFrom",
        "test.$c$",
        "--nsTo",
        f"{db.name}.$c$",
    )
    assert b"".join(db.foo.find_raw_batches()) == b"".join(expected)
    assert len(expected) == 25


def test_directory_with_an_index(server, db):
    restore(
        "--uri",
        server.uri,
        "--nsInclude",
        "test.foo",
        "--nsFrom",
        "test.$c$",
        "--nsTo",
        f"{db.name}.$c$",
        str(FIXTURES / "coll_with_index"),
    )
    assert list(db.foo.find()) == [{"_id": ObjectId("605c74db479d533a6e39d860"), "f": 1.0}]
    assert [(i["name"], dict(i["key"])) for i in db.foo.list_indexes()] == [
        ("_id_", {"_id": 1}),
        ("f_1", {"f": 1.0}),
    ]
    assert bson.decode_all((FIXTURES / "coll_with_index" / "test" / "foo.bson").read_bytes()) == list(
        db.foo.find()
    )
