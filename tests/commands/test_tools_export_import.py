"""docdb export / docdb import against a real server, with mongoexport's and mongoimport's options."""

from __future__ import annotations

import datetime

from bson import Decimal128, Int64, ObjectId
from click.testing import CliRunner

from docdb.cli import tools_main

OID = ObjectId("650000000000000000000001")
DATE = datetime.datetime(2024, 1, 2, 3, 4, 5, 678000)


def run(*args: str, input: str | None = None):
    return CliRunner().invoke(tools_main, list(args), input=input, catch_exceptions=False)


def ok(*args: str, input: str | None = None):
    result = run(*args, input=input)
    assert result.exit_code == 0, result.output
    return result


def _seed(db) -> None:
    db.c.insert_many(
        [
            {"_id": OID, "n": 1, "big": Int64(5), "d": DATE, "dec": Decimal128("1.5"), "s": "é"},
            {"_id": 2, "n": 2, "sub": {"a": [1, 2]}},
            {"_id": 3, "n": 3, "x": 2.5},
        ]
    )


def test_export_relaxed_lines(server, db):
    _seed(db)
    out = ok("export", "--uri", server.uri, "-d", db.name, "-c", "c", "--quiet").stdout
    assert out == (
        '{"_id":{"$oid":"650000000000000000000001"},"n":1,"big":5,"d":{"$date":"2024-01-02T03:04:05.678Z"},'
        '"dec":{"$numberDecimal":"1.5"},"s":"é"}\n'
        '{"_id":2,"n":2,"sub":{"a":[1,2]}}\n'
        '{"_id":3,"n":3,"x":2.5}\n'
    )


def test_export_canonical_array_with_query_sort_skip_limit(server, db):
    _seed(db)
    out = ok(
        "export",
        "--uri",
        server.uri,
        "-d",
        db.name,
        "-c",
        "c",
        "--quiet",
        "--jsonFormat",
        "canonical",
        "--jsonArray",
        "--query",
        '{"n": {"$gte": 2}}',
        "--sort",
        '{"n": -1}',
        "--limit",
        "1",
        "--skip",
        "0",
    ).stdout
    assert out == '[{"_id":{"$numberInt":"3"},"n":{"$numberInt":"3"},"x":{"$numberDouble":"2.5"}}]\n'
    out = ok(
        "export",
        "--uri",
        server.uri,
        "-d",
        db.name,
        "-c",
        "c",
        "--quiet",
        "--sort",
        '{"n": 1}',
        "--skip",
        "1",
        "--fields",
        "n",
    ).stdout
    assert out == '{"_id":2,"n":2}\n{"_id":3,"n":3}\n'


def test_export_csv_with_fields(server, db):
    _seed(db)
    out = ok(
        "export",
        "--uri",
        server.uri,
        "-d",
        db.name,
        "-c",
        "c",
        "--quiet",
        "--type",
        "csv",
        "--fields",
        "_id,n,sub.a,d",
    ).stdout
    assert out == (
        '_id,n,sub.a,d\nObjectId(650000000000000000000001),1,,2024-01-02T03:04:05.678Z\n2,2,"[1,2]",\n3,3,,\n'
    )
    assert run("export", "--uri", server.uri, "-d", db.name, "-c", "c", "--type", "csv").exit_code == 2


def test_export_then_import_round_trip_keeps_types(server, client, db, tmp_path):
    _seed(db)
    path = tmp_path / "c.json"
    for fmt in ("relaxed", "canonical"):
        ok("export", "--uri", server.uri, "-d", db.name, "-c", "c", "--jsonFormat", fmt, "-o", str(path))
        ok("import", "--uri", server.uri, "-d", db.name, "-c", f"copy_{fmt}", "--file", str(path))
    assert list(db.copy_canonical.find()) == list(db.c.find())
    relaxed = list(db.copy_relaxed.find())
    assert relaxed[1:] == list(db.c.find())[1:]
    assert relaxed[0]["big"] == 5 and relaxed[0]["dec"] == Decimal128("1.5")


def test_import_reports_bad_lines_and_imports_the_rest(server, db):
    data = '{"_id": 1}\n{"_id": 2,,}\n\n{"_id": 3}\nnot json\n{"_id": 4}\n'
    result = ok("import", "--uri", server.uri, "-d", db.name, "-c", "c", input=data)
    assert "error: line 2:" in result.output and "error: line 5:" in result.output
    assert "3 document(s) imported successfully. 2 document(s) failed to import." in result.output
    assert [d["_id"] for d in db.c.find()] == [1, 3, 4]


def test_import_stop_on_error_keeps_what_came_before(server, db):
    data = '{"_id": 1}\n{"_id": 2}\nbad\n{"_id": 3}\n'
    result = run("import", "--uri", server.uri, "-d", db.name, "-c", "c", "--stopOnError", input=data)
    assert result.exit_code == 1
    assert "error: line 3:" in result.output
    assert [d["_id"] for d in db.c.find()] == [1, 2]


def test_import_json_array_and_duplicates(server, db):
    db.c.insert_one({"_id": 2, "old": True})
    result = ok(
        "import",
        "--uri",
        server.uri,
        "-d",
        db.name,
        "-c",
        "c",
        "--jsonArray",
        input='[{"_id": 1}, {"_id": 2}, {"_id": {"$numberLong": "3"}}]',
    )
    assert "2 document(s) imported successfully. 1 document(s) failed to import." in result.output
    assert list(db.c.find()) == [{"_id": 2, "old": True}, {"_id": 1}, {"_id": 3}]


def test_import_csv_and_tsv(server, db, tmp_path):
    path = tmp_path / "people.csv"
    path.write_text("name,age,address.city,score\nann,31,Oslo,1.5\nbob,,Rome,x\n")
    ok(
        "import",
        "--uri",
        server.uri,
        "-d",
        db.name,
        "--type",
        "csv",
        "--headerline",
        "--ignoreBlanks",
        str(path),
    )
    assert list(db.people.find({}, {"_id": 0})) == [
        {"name": "ann", "age": 31, "address": {"city": "Oslo"}, "score": 1.5},
        {"name": "bob", "address": {"city": "Rome"}, "score": "x"},
    ]
    ok(
        "import",
        "--uri",
        server.uri,
        "-d",
        db.name,
        "-c",
        "t",
        "--type",
        "tsv",
        "--fields",
        "a,b",
        input="1\tx y\n2\t\n",
    )
    assert list(db.t.find({}, {"_id": 0})) == [{"a": 1, "b": "x y"}, {"a": 2, "b": ""}]
    assert (
        run("import", "--uri", server.uri, "-d", db.name, "-c", "u", "--type", "csv", input="a\n").exit_code
        == 2
    )


def test_import_modes(server, db):
    db.c.insert_many([{"_id": 1, "k": "a", "v": 1, "keep": True}, {"_id": 2, "k": "b", "v": 2}])
    base = ["import", "--uri", server.uri, "-d", db.name, "-c", "c", "--quiet"]
    ok(*base, "--mode", "upsert", "--upsertFields", "k", input='{"k": "a", "v": 10}\n{"_id": 3, "k": "c"}\n')
    assert list(db.c.find({}, {"_id": 0})) == [{"k": "a", "v": 10}, {"k": "b", "v": 2}, {"k": "c"}]
    ok(*base, "--mode", "merge", input='{"_id": 2, "w": 5}\n')
    assert db.c.find_one({"_id": 2}) == {"_id": 2, "k": "b", "v": 2, "w": 5}
    ok(*base, "--mode", "delete", "--upsertFields", "k", input='{"k": "b"}\n{"k": "zz"}\n')
    assert sorted(d["k"] for d in db.c.find()) == ["a", "c"]
    ok(*base, "--mode", "insert", "--drop", input='{"_id": 9}\n')
    assert list(db.c.find()) == [{"_id": 9}]


def test_import_reads_pretty_exports_and_reports_bad_extended_json(server, db, tmp_path):
    _seed(db)
    path = tmp_path / "p.json"
    ok("export", "--uri", server.uri, "-d", db.name, "-c", "c", "--pretty", "-o", str(path))
    assert path.read_text().startswith('{\n\t"_id": {\n\t\t"$oid": "650000000000000000000001"\n\t},')
    ok("import", "--uri", server.uri, "-d", db.name, "-c", "copy", str(path))
    assert list(db.copy.find()) == list(db.c.find())
    data = '{"_id": {"$oid": "zz"}}\n{"_id": 1}\n{"_id": 2,\n'
    result = ok("import", "--uri", server.uri, "-d", db.name, "-c", "bad", input=data)
    assert (
        "error: line 1:" in result.output
        and "error: line 3: the input ends inside a document" in result.output
    )
    assert list(db.bad.find()) == [{"_id": 1}]


def test_import_option_rules(server, db):
    base = ["import", "--uri", server.uri, "-d", db.name, "-c", "c"]
    assert run(*base, "--type", "csv", "--headerline", "--fields", "a", input="a\n1\n").exit_code == 2
    assert run(*base, "--type", "csv", "--jsonArray", "--fields", "a", input="1\n").exit_code == 2
    db.c.insert_one({"_id": 1, "k": "a", "v": 1})
    ok(*base, "--upsertFields", "k", input='{"k": "a", "v": 2}\n')  # --upsertFields alone means upsert
    assert list(db.c.find()) == [{"_id": 1, "k": "a", "v": 2}]
