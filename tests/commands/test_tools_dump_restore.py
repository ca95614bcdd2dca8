"""docdb dump / docdb restore against a real server: mongodump's directory layout and archive format,
round trips that keep data, indexes and options, and mongorestore's namespace options."""

from __future__ import annotations

import datetime
import gzip
import io
import os
import struct
from pathlib import Path

import bson
import pytest
from bson import Binary, Decimal128, Int64, MaxKey, MinKey, ObjectId, Regex, Timestamp
from bson.raw_bson import RawBSONDocument
from click.testing import CliRunner

from docdb.cli import tools_main
from tests.serverproc import ServerProcess


def run(*args: str, input: bytes | None = None) -> object:
    result = CliRunner().invoke(tools_main, list(args), input=input, catch_exceptions=False)
    return result


def ok(*args: str, input: bytes | None = None) -> object:
    result = run(*args, input=input)
    assert result.exit_code == 0, result.output
    return result


def _typed_docs() -> list[dict]:
    return [
        {
            "_id": ObjectId("650000000000000000000001"),
            "i32": 7,
            "i64": Int64(1 << 40),
            "dbl": 2.5,
            "dec": Decimal128("1.10"),
            "s": "héllo",
            "bin": Binary(b"\x00\x01", 0),
            "date": datetime.datetime(2024, 1, 2, 3, 4, 5, 678000),
            "ts": Timestamp(5, 6),
            "re": Regex("^a", "i"),
            "min": MinKey(),
            "max": MaxKey(),
            "arr": [1, {"x": None}],
        },
        {"_id": 2, "name": "b", "age": 30},
        {"_id": "three", "name": "c", "age": 40, "nested": {"deep": [1, 2, 3]}},
    ]


def _seed(db) -> None:
    db.people.insert_many(_typed_docs())
    db.people.create_index([("name", 1)], unique=True, sparse=True)
    db.people.create_index([("age", -1), ("name", 1)], name="age_name")
    db.people.create_index("created", expireAfterSeconds=3600)
    db.other.insert_many([{"_id": i, "v": i} for i in range(50)])


def _raw_docs(coll) -> list[bytes]:
    return [
        d.raw
        for d in coll.with_options(
            codec_options=coll.codec_options.with_options(document_class=RawBSONDocument)
        ).find()
    ]


def _state(db) -> dict:
    return {
        name: {
            "docs": _raw_docs(db[name]),
            "indexes": list(db[name].list_indexes()),
            "options": db[name].options(),
        }
        for name in sorted(db.list_collection_names())
    }


def test_directory_round_trip_keeps_data_indexes_and_options(server, client, db, tmp_path):
    _seed(db)
    out = tmp_path / "dump"
    ok("dump", "--uri", server.uri, "--db", db.name, "--out", str(out))
    assert sorted(os.listdir(out / db.name)) == [
        "other.bson",
        "other.metadata.json",
        "people.bson",
        "people.metadata.json",
        "prelude.json",
    ]
    assert (
        out / db.name / "prelude.json"
    ).read_text() == '{"ServerVersion":"7.0.0","ToolVersion":"docdb-0.1.0"}'
    target = client[db.name + "_r"]
    ok("restore", "--uri", server.uri, "--nsFrom", f"{db.name}.$c$", "--nsTo", f"{target.name}.$c$", str(out))
    assert _state(target) == _state(db)
    client.drop_database(target.name)


def test_bson_file_holds_the_stored_bytes(server, db, tmp_path):
    _seed(db)
    ok("dump", "--uri", server.uri, "--db", db.name, "--collection", "people", "--out", str(tmp_path))
    assert (tmp_path / db.name / "people.bson").read_bytes() == b"".join(_raw_docs(db.people))


def test_metadata_json_is_written_as_mongodump_writes_it(server, db, tmp_path):
    """The index specs as listIndexes gives them (mongod's order: v, unique, key, name)."""
    db.c.insert_one({"_id": 1})
    db.c.create_index([("a", 1), ("b", -1)], name="ab", unique=True)
    ok("dump", "--uri", server.uri, "--db", db.name, "--out", str(tmp_path))
    uuid = db.command("listCollections", filter={"name": "c"})["cursor"]["firstBatch"][0]["info"]["uuid"]
    assert (tmp_path / db.name / "c.metadata.json").read_text() == (
        '{"indexes":[{"v":{"$numberInt":"2"},"key":{"_id":{"$numberInt":"1"}},"name":"_id_"},'
        '{"v":{"$numberInt":"2"},"unique":true,"key":{"a":{"$numberInt":"1"},"b":{"$numberInt":"-1"}},'
        f'"name":"ab"}}],"uuid":"{bytes(uuid).hex()}","collectionName":"c","type":"collection"}}'
    )


def test_collection_names_are_url_escaped_in_file_names(server, db, tmp_path):
    db["a b/c"].insert_one({"_id": 1})
    ok("dump", "--uri", server.uri, "--db", db.name, "--out", str(tmp_path))
    assert sorted(os.listdir(tmp_path / db.name)) == ["a+b%2Fc.bson", "a+b%2Fc.metadata.json", "prelude.json"]


def _crc64_ecma_bitwise(data: bytes) -> int:
    """Go's crc64.ECMA checksum, written out bit by bit (independent of the tool's implementation)."""
    crc = (1 << 64) - 1
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0xC96C5795D7870F42 if crc & 1 else 0)
    return crc ^ ((1 << 64) - 1)


def test_archive_bytes_follow_the_format_spec(server, db, tmp_path):
    docs = [{"_id": 1, "a": "x"}, {"_id": 2, "a": "y"}]
    db.c.insert_many(docs)
    path = tmp_path / "a.archive"
    ok("dump", "--uri", server.uri, "--db", db.name, f"--archive={path}")
    uuid = bytes(db.command("listCollections")["cursor"]["firstBatch"][0]["info"]["uuid"]).hex()
    metadata = (
        '{"indexes":[{"v":{"$numberInt":"2"},"key":{"_id":{"$numberInt":"1"}},"name":"_id_"}],'
        f'"uuid":"{uuid}","collectionName":"c","type":"collection"}}'
    )
    body = b"".join(bson.encode(d) for d in docs)
    crc = _crc64_ecma_bitwise(body)
    signed_crc = crc - (1 << 64) if crc >= 1 << 63 else crc
    header = bson.encode(
        {
            "concurrent_collections": 1,
            "version": "0.1",
            "server_version": "7.0.0",
            "tool_version": "docdb-0.1.0",
        }
    )
    expected = (
        struct.pack("<I", 0x8199E26D)
        + header
        + bson.encode(
            {"db": db.name, "collection": "c", "metadata": metadata, "size": 0, "type": "collection"}
        )
        + b"\xff\xff\xff\xff"
        + bson.encode({"db": db.name, "collection": "c", "EOF": False, "CRC": Int64(0)})
        + body
        + b"\xff\xff\xff\xff"
        + bson.encode({"db": db.name, "collection": "c", "EOF": True, "CRC": Int64(signed_crc)})
        + b"\xff\xff\xff\xff"
    )
    assert path.read_bytes() == expected
    assert path.read_bytes()[:4] == b"\x6d\xe2\x99\x81"


def test_archive_through_stdout_and_stdin_gzipped(server, client, db):
    _seed(db)
    dumped = ok("dump", "--uri", server.uri, "--db", db.name, "--archive", "--gzip", "--quiet")
    raw = dumped.stdout_bytes
    assert raw[:2] == b"\x1f\x8b" and gzip.decompress(raw)[:4] == b"\x6d\xe2\x99\x81"
    target = client[db.name + "_z"]
    ok(
        "restore",
        "--uri",
        server.uri,
        "--archive",
        "--gzip",
        "--quiet",
        "--nsFrom",
        f"{db.name}.$c$",
        "--nsTo",
        f"{target.name}.$c$",
        input=raw,
    )
    assert _state(target) == _state(db)
    client.drop_database(target.name)


def test_gzip_directory_files(server, client, db, tmp_path):
    _seed(db)
    ok("dump", "--uri", server.uri, "--db", db.name, "--gzip", "--out", str(tmp_path))
    files = sorted(os.listdir(tmp_path / db.name))
    assert files == [
        "other.bson.gz",
        "other.metadata.json.gz",
        "people.bson.gz",
        "people.metadata.json.gz",
        "prelude.json.gz",
    ]
    assert gzip.decompress((tmp_path / db.name / "people.bson.gz").read_bytes()) == b"".join(
        _raw_docs(db.people)
    )
    target = client[db.name + "_g"]
    ok(
        "restore",
        "--uri",
        server.uri,
        "--gzip",
        "--nsFrom",
        f"{db.name}.$c$",
        "--nsTo",
        f"{target.name}.$c$",
        str(tmp_path),
    )
    assert _state(target) == _state(db)
    client.drop_database(target.name)


def test_archive_crc_mismatch_is_refused(server, db, tmp_path):
    db.c.insert_many([{"_id": 1, "a": "x"}])
    path = tmp_path / "a.archive"
    ok("dump", "--uri", server.uri, "--db", db.name, f"--archive={path}")
    data = bytearray(path.read_bytes())
    data[data.rindex(b"x\x00")] = ord("z")
    path.write_bytes(bytes(data))
    result = run(
        "restore",
        "--uri",
        server.uri,
        f"--archive={path}",
        "--nsFrom",
        f"{db.name}.$c$",
        "--nsTo",
        f"{db.name}_crc.$c$",
    )
    assert result.exit_code == 2
    assert f"CRC mismatch for namespace {db.name}.c" in result.output


def test_query_and_collection_filters(server, db, tmp_path):
    db.c.insert_many([{"_id": i, "n": i} for i in range(10)])
    db.d.insert_one({"_id": 1})
    ok(
        "dump",
        "--uri",
        server.uri,
        "--db",
        db.name,
        "-c",
        "c",
        "--query",
        '{"n": {"$gte": 7}}',
        "--out",
        str(tmp_path),
    )
    assert sorted(os.listdir(tmp_path / db.name)) == ["c.bson", "c.metadata.json", "prelude.json"]
    data = (tmp_path / db.name / "c.bson").read_bytes()
    assert [d["_id"] for d in bson.decode_all(data)] == [7, 8, 9]


def test_query_needs_a_collection(server, db):
    result = run("dump", "--uri", server.uri, "--db", db.name, "--query", "{}")
    assert result.exit_code == 2
    assert "cannot dump using a query without a specified collection" in result.output


def test_out_dash_writes_one_collection_to_stdout(server, db):
    db.c.insert_many([{"_id": 1}, {"_id": 2}])
    dumped = ok("dump", "--uri", server.uri, "--db", db.name, "-c", "c", "--out", "-", "--quiet")
    assert dumped.stdout_bytes == b"".join(_raw_docs(db.c))


def test_restore_include_exclude_drop_and_no_index_restore(server, client, db, tmp_path):
    _seed(db)
    ok("dump", "--uri", server.uri, "--db", db.name, "--out", str(tmp_path))
    target = client[db.name + "_f"]
    rename = ["--nsFrom", f"{db.name}.$c$", "--nsTo", f"{target.name}.$c$"]
    ok(
        "restore",
        "--uri",
        server.uri,
        "--nsInclude",
        f"{db.name}.p*",
        "--noIndexRestore",
        *rename,
        str(tmp_path),
    )
    assert target.list_collection_names() == ["people"]
    assert [i["name"] for i in target.people.list_indexes()] == ["_id_"]
    ok("restore", "--uri", server.uri, "--nsExclude", f"{db.name}.people", *rename, str(tmp_path))
    assert sorted(target.list_collection_names()) == ["other", "people"]
    target.other.insert_one({"_id": "extra"})
    ok("restore", "--uri", server.uri, "--drop", "--nsInclude", f"{db.name}.other", *rename, str(tmp_path))
    assert target.other.count_documents({}) == 50
    client.drop_database(target.name)


def test_restore_counts_duplicates_and_goes_on(server, db, tmp_path):
    db.c.insert_many([{"_id": i} for i in range(5)])
    ok("dump", "--uri", server.uri, "--db", db.name, "--out", str(tmp_path))
    db.c.delete_many({"_id": {"$gte": 3}})
    result = ok("restore", "--uri", server.uri, str(tmp_path))
    assert f"finished restoring {db.name}.c (2 documents, 3 failures)" in result.output
    assert "continuing through error: E11000 duplicate key error" in result.output
    assert "2 document(s) restored successfully. 3 document(s) failed to restore." in result.output
    assert db.c.count_documents({}) == 5


def test_restore_a_database_folder_into_another_db(server, client, db, tmp_path):
    db.c.insert_many([{"_id": 1}, {"_id": 2}])
    ok("dump", "--uri", server.uri, "--db", db.name, "--out", str(tmp_path))
    target = client[db.name + "_d"]
    ok("restore", "--uri", server.uri, "--db", target.name, str(tmp_path / db.name))
    assert _raw_docs(target.c) == _raw_docs(db.c)
    client.drop_database(target.name)


def test_users_and_roles_of_one_database(server, client, db, tmp_path):
    users = client.admin["system.users"]
    users.insert_many(
        [
            {"_id": f"{db.name}.ann", "user": "ann", "db": db.name},
            {"_id": "elsewhere.bob", "user": "bob", "db": "elsewhere"},
        ]
    )
    try:
        db.c.insert_one({"_id": 1})
        ok("dump", "--uri", server.uri, "--db", db.name, "--dumpDbUsersAndRoles", "--out", str(tmp_path))
        folder = tmp_path / db.name
        assert sorted(os.listdir(folder)) == [
            "$admin.system.roles.bson",
            "$admin.system.users.bson",
            "c.bson",
            "c.metadata.json",
            "prelude.json",
        ]
        assert bson.decode_all((folder / "$admin.system.users.bson").read_bytes()) == [
            {"_id": f"{db.name}.ann", "user": "ann", "db": db.name}
        ]
        users.delete_many({"db": db.name})
        ok(
            "restore",
            "--uri",
            server.uri,
            "--restoreDbUsersAndRoles",
            "--nsInclude",
            "nothing.*",
            str(tmp_path),
        )
        assert users.find_one({"db": db.name}) == {"_id": f"{db.name}.ann", "user": "ann", "db": db.name}
    finally:
        users.delete_many({})


def test_offline_dump_of_an_mdb_file_matches_the_wire_dump(tmp_path):
    path = tmp_path / "data.mdb"
    with ServerProcess(path) as proc, proc.client() as c:
        _seed(c.shop)
        c.shop.other.delete_one({"_id": 3})
        c.shop.other.update_one({"_id": 4}, {"$set": {"v": "changed"}})
        ok("dump", "--uri", proc.uri, "--out", str(tmp_path / "wire"))
    ok("dump", "--file", str(path), "--out", str(tmp_path / "file"))
    for name in ("people.bson", "people.metadata.json", "other.bson", "other.metadata.json"):
        assert (tmp_path / "file" / "shop" / name).read_bytes() == (
            tmp_path / "wire" / "shop" / name
        ).read_bytes()
    archive = ok("dump", "--file", str(path), "--archive", "--quiet").stdout_bytes
    assert archive[:4] == b"\x6d\xe2\x99\x81"


@pytest.mark.parametrize("gz", [False, True])
def test_reading_an_archive_with_several_segments_per_namespace(gz, tmp_path):
    """mongodump interleaves collections when it dumps them in parallel; a reader must follow."""
    from docdb.tools.archive import (
        ArchiveEntry,
        ArchiveReader,
        crc64,
        encode_namespace_header,
        encode_prelude,
    )

    a = [bson.encode({"_id": i}) for i in range(3)]
    b = [bson.encode({"_id": i, "b": 1}) for i in range(2)]
    out = io.BytesIO()
    out.write(encode_prelude([ArchiveEntry("d", "a", ""), ArchiveEntry("d", "b", "")], "7.0.0", "t"))
    for name, docs in (("a", a[:2]), ("b", b), ("a", a[2:])):
        out.write(encode_namespace_header("d", name) + b"".join(docs) + b"\xff\xff\xff\xff")
    for name, docs in (("b", b), ("a", a)):
        out.write(encode_namespace_header("d", name, True, crc64(b"".join(docs))) + b"\xff\xff\xff\xff")
    reader = ArchiveReader(io.BytesIO(out.getvalue()))
    assert [(e.db, e.collection) for e in reader.entries] == [("d", "a"), ("d", "b")]
    seen = [(c, list(docs)) for _, c, docs in reader.namespaces()]
    assert seen == [("a", a[:2]), ("b", b), ("a", a[2:])]


def test_metadata_written_by_mongodump_with_options_is_read(tmp_path: Path):
    from docdb.tools.dump_layout import decode_metadata, encode_metadata

    text = (
        '{"options":{"collation":{"locale":"simple"}},"indexes":[{"v":{"$numberInt":"2"},'
        '"key":{"_id":{"$numberInt":"1"}},"name":"_id_"}],"uuid":"0123456789abcdef0123456789abcdef",'
        '"collectionName":"c","type":"collection"}'
    )
    meta = decode_metadata(text, "fallback")
    assert (meta.name, meta.options, meta.uuid, meta.type) == (
        "c",
        {"collation": {"locale": "simple"}},
        "0123456789abcdef0123456789abcdef",
        "collection",
    )
    assert encode_metadata(meta) == text


def test_refused_option_combinations(server, db, tmp_path):
    result = run("dump", "--uri", server.uri, "--archive=x", "--out", str(tmp_path))
    assert (result.exit_code, "--out not allowed when --archive is specified" in result.output) == (2, True)
    result = run("restore", "--uri", server.uri, "--archive=x", str(tmp_path))
    assert (result.exit_code, "cannot use --archive together with a dump directory" in result.output) == (
        2,
        True,
    )
    result = run("restore", "--uri", server.uri, "--nsFrom", "a.$x$", str(tmp_path))
    assert (result.exit_code, "--nsFrom and --nsTo arguments must be paired" in result.output) == (2, True)


def test_offline_dump_of_an_encrypted_file(tmp_path):
    key = tmp_path / "key"
    key.write_bytes(b"k" * 32)
    path = tmp_path / "enc.mdb"
    with ServerProcess(path, ["--encryption-key-file", str(key)]) as proc, proc.client() as c:
        c.s.c.insert_many([{"_id": i} for i in range(3)])
        expected = b"".join(_raw_docs(c.s.c))
    assert run("dump", "--file", str(path), "--out", str(tmp_path / "no")).exit_code == 2
    ok("dump", "--file", str(path), "--encryption-key-file", str(key), "--out", str(tmp_path / "d"))
    assert (tmp_path / "d" / "s" / "c.bson").read_bytes() == expected


def test_exclude_collections(server, db, tmp_path):
    for name in ("keep", "skip", "tmp_a", "tmp_b"):
        db[name].insert_one({"_id": 1})
    ok(
        "dump",
        "--uri",
        server.uri,
        "--db",
        db.name,
        "--excludeCollection",
        "skip",
        "--excludeCollectionsWithPrefix",
        "tmp_",
        "--out",
        str(tmp_path),
    )
    assert sorted(os.listdir(tmp_path / db.name)) == ["keep.bson", "keep.metadata.json", "prelude.json"]
    result = run("dump", "--uri", server.uri, "--excludeCollection", "skip", "--out", str(tmp_path))
    assert result.exit_code == 2


def test_restore_stop_on_error(server, db, tmp_path):
    db.c.insert_many([{"_id": i} for i in range(5)])
    ok("dump", "--uri", server.uri, "--db", db.name, "--out", str(tmp_path))
    db.c.delete_many({"_id": {"$ne": 2}})
    result = run("restore", "--uri", server.uri, "--stopOnError", "--maintainInsertionOrder", str(tmp_path))
    assert result.exit_code == 1
    assert "E11000 duplicate key error" in result.output
    assert "2 document(s) restored successfully. 1 document(s) failed to restore." in result.output
    assert sorted(d["_id"] for d in db.c.find()) == [0, 1, 2]


def _make_view(db) -> None:
    """A view over ``db.c`` (the test is skipped on a server without views: they come with issue 14)."""
    from pymongo.errors import OperationFailure

    try:
        db.command("create", "v", viewOn="c", pipeline=[{"$match": {"n": {"$gte": 1}}}])
    except OperationFailure as error:
        pytest.skip(f"this server has no views: {error}")


def test_views_are_dumped_as_mongodump_dumps_them(server, client, db, tmp_path):
    db.c.insert_many([{"_id": i, "n": i} for i in range(3)])
    _make_view(db)
    ok("dump", "--uri", server.uri, "--db", db.name, "--out", str(tmp_path))
    assert sorted(os.listdir(tmp_path / db.name)) == [
        "c.bson",
        "c.metadata.json",
        "prelude.json",
        "v.metadata.json",
    ]
    assert (tmp_path / db.name / "v.metadata.json").read_text() == (
        '{"options":{"viewOn":"c","pipeline":[{"$match":{"n":{"$gte":{"$numberInt":"1"}}}}]},'
        '"indexes":[],"collectionName":"v","type":"view"}'
    )
    target = client[db.name + "_v"]
    ok(
        "restore",
        "--uri",
        server.uri,
        "--nsFrom",
        f"{db.name}.$c$",
        "--nsTo",
        f"{target.name}.$c$",
        str(tmp_path),
    )
    assert list(target.v.find()) == [{"_id": 1, "n": 1}, {"_id": 2, "n": 2}]
    assert target.command("listCollections", filter={"name": "v"})["cursor"]["firstBatch"][0]["options"] == {
        "viewOn": "c",
        "pipeline": [{"$match": {"n": {"$gte": 1}}}],
    }
    client.drop_database(target.name)
    archive = ok("dump", "--uri", server.uri, "--db", db.name, "--archive", "--quiet").stdout_bytes
    view_segment = (
        bson.encode({"db": db.name, "collection": "v", "EOF": False, "CRC": Int64(0)}) + b"\xff" * 4
    )
    assert view_segment in archive  # an empty segment: what tells mongorestore to create the view
    ok("dump", "--uri", server.uri, "--db", db.name, "--viewsAsCollections", "--out", str(tmp_path / "vc"))
    assert sorted(os.listdir(tmp_path / "vc" / db.name)) == ["prelude.json", "v.bson", "v.metadata.json"]
    assert [d["_id"] for d in bson.decode_all((tmp_path / "vc" / db.name / "v.bson").read_bytes())] == [1, 2]


def test_offline_dump_writes_views_and_options_like_the_wire_dump(tmp_path):
    path = tmp_path / "views.mdb"
    with ServerProcess(path) as proc, proc.client() as c:
        c.shop.c.insert_one({"_id": 1, "n": 1})
        _make_view(c.shop)
        c.shop.create_collection("checked", validator={"n": {"$type": "int"}}, validationAction="warn")
        ok("dump", "--uri", proc.uri, "--out", str(tmp_path / "wire"))
    ok("dump", "--file", str(path), "--out", str(tmp_path / "file"))
    for name in ("c.bson", "c.metadata.json", "v.metadata.json", "checked.metadata.json"):
        assert (tmp_path / "file" / "shop" / name).read_bytes() == (
            tmp_path / "wire" / "shop" / name
        ).read_bytes()
    assert not (tmp_path / "file" / "shop" / "v.bson").exists()


def test_collection_options_round_trip(server, client, db, tmp_path):
    from pymongo.errors import OperationFailure

    try:
        db.create_collection(
            "checked", validator={"$jsonSchema": {"required": ["n"]}}, validationLevel="moderate"
        )
    except OperationFailure as error:
        pytest.skip(f"this server has no validators: {error}")
    db.checked.insert_one({"_id": 1, "n": 1})
    ok("dump", "--uri", server.uri, "--db", db.name, "--archive=" + str(tmp_path / "a"))
    target = client[db.name + "_o"]
    ok(
        "restore",
        "--uri",
        server.uri,
        "--archive=" + str(tmp_path / "a"),
        "--nsFrom",
        f"{db.name}.$c$",
        "--nsTo",
        f"{target.name}.$c$",
    )
    assert _state(target) == _state(db)
    assert target.checked.options()["validationLevel"] == "moderate"
    client.drop_database(target.name)


def test_credentials_options_reach_the_server(server, db, tmp_path):
    """-u/-p/--authenticationDatabase are sent: an unknown user is refused where no user succeeds."""
    db.c.insert_one({"_id": 1})
    base = ["dump", "--host", "127.0.0.1", "--port", str(server.port), "--db", db.name, "--quiet"]
    ok(*base, "--out", str(tmp_path / "a"))
    refused = run(
        *base, "-u", "nobody", "-p", "pw", "--authenticationDatabase", "admin", "--out", str(tmp_path / "b")
    )
    assert refused.exit_code == 2 and refused.output.startswith("error: ")
