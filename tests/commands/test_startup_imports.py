"""Start-up loads no heavy optional library: numpy (the column path), QuickJS, the Snowball stemmers,
cryptography (encrypted files), PyICU (collations) and prometheus_client (--metrics-port) are imported by
the first operation that needs them. Each costs start-up time (numpy alone ~0.1 s), and a container's
first ping waits for all of it. The server runs with ``PYTHONPROFILEIMPORTTIME``, which lists on stderr
every module it imports."""

from __future__ import annotations

import re
from pathlib import Path

from tests.serverproc import ServerProcess

LAZY = ("numpy", "quickjs", "_quickjs", "snowballstemmer", "cryptography", "icu", "prometheus_client")
IMPORTED = re.compile(r"^import time:\s+\d+ \|\s+\d+ \|\s*([\w.]+)$")


def imported_packages(output: list[str]) -> set[str]:
    found = set()
    for line in output:
        m = IMPORTED.match(line.rstrip("\n"))
        if m:
            found.add(m.group(1).split(".")[0])
    return found


def test_ping_find_and_insert_load_none_of_them(tmp_path: Path):
    with ServerProcess(tmp_path / "db.mdb", env={"PYTHONPROFILEIMPORTTIME": "1"}) as server:
        with server.client() as c:
            assert c.admin.command("ping") == {"ok": 1.0}
            c.shop.items.insert_one({"_id": 1, "name": "tea"})
            assert c.shop.items.find_one({"name": "tea"}) == {"_id": 1, "name": "tea"}
        server.stop()
        packages = imported_packages(server.output)
    assert "docdb" in packages  # the listing works
    assert sorted(packages & set(LAZY)) == []


def test_each_is_loaded_by_its_first_use(tmp_path: Path):
    with ServerProcess(tmp_path / "db.mdb", env={"PYTHONPROFILEIMPORTTIME": "1"}) as server:
        with server.client() as c:
            items = c.shop.items
            items.insert_many([{"_id": i, "s": f"word{i}", "t": "running dogs"} for i in range(1200)])
            assert items.count_documents({"s": "word7"}) == 1  # an unindexed scan of 1 200 documents
            assert items.find_one({"$where": "this._id === 3"})["s"] == "word3"
            items.create_index([("t", "text")])
            assert items.count_documents({"$text": {"$search": "run"}}) == 1200
            found = items.find({"s": "WORD7"}).collation({"locale": "en", "strength": 2})
            assert [d["_id"] for d in found] == [7]
        server.stop()
        packages = imported_packages(server.output)
    assert sorted(packages & set(LAZY)) == ["_quickjs", "icu", "numpy", "quickjs", "snowballstemmer"]
