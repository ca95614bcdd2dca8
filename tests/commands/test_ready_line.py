"""The ready line that container wait strategies look for: testcontainers' ``MongoDbContainer`` waits until
the container's log matches ``waiting for connections`` (case-insensitive), as mongod's id-23016 line does."""

from __future__ import annotations

import json
import re

from tests.serverproc import ServerProcess

TESTCONTAINERS_WAIT = re.compile(r"waiting for connections", re.MULTILINE | re.IGNORECASE)


def test_text_log_has_the_line_testcontainers_waits_for(server):
    [line] = [line for line in server.output if TESTCONTAINERS_WAIT.search(line)]
    assert line.rstrip().endswith(f'Waiting for connections {{"port":{server.port},"ssl":"off"}}')


def test_json_log_line_is_mongods():
    with ServerProcess(None, ["--log-format", "json"]) as proc:
        ready = [json.loads(line) for line in proc.output if TESTCONTAINERS_WAIT.search(line)]
        port = proc.port
    assert [(r["s"], r["c"], r["id"], r["ctx"], r["msg"], r["attr"]) for r in ready] == [
        ("I", "NETWORK", 23016, "listener", "Waiting for connections", {"port": port, "ssl": "off"})
    ]
