"""getParameter / setParameter for the parameters docdb keeps, and --set-parameter at start-up."""

from __future__ import annotations

import datetime
import time

import pytest
from bson.int64 import Int64
from pymongo.errors import OperationFailure

from tests.serverproc import ServerProcess, start_refused


def _failure(client, command: dict) -> dict:
    with pytest.raises(OperationFailure) as exc:
        client.admin.command(command)
    return exc.value.details


def test_star_lists_the_parameters_with_their_types(client):
    everything = client.admin.command({"getParameter": "*"})
    assert everything["enableTestCommands"] is False
    assert everything["transactionLifetimeLimitSeconds"] == 60
    assert everything["featureCompatibilityVersion"] == {"version": "7.0"}
    assert isinstance(everything["cursorTimeoutMillis"], Int64)
    assert client.admin.command({"getParameter": 1, "featureCompatibilityVersion": 1}) == {
        "featureCompatibilityVersion": {"version": "7.0"},
        "ok": 1.0,
    }


def test_set_parameter_reports_was_and_takes_effect(client):
    try:
        assert client.admin.command({"setParameter": 1, "transactionLifetimeLimitSeconds": 30}) == {
            "was": 60,
            "ok": 1.0,
        }
        got = client.admin.command({"getParameter": 1, "transactionLifetimeLimitSeconds": 1})
        assert got["transactionLifetimeLimitSeconds"] == 30
        reply = client.admin.command({"setParameter": 1, "cursorTimeoutMillis": 5000})
        assert reply == {"was": Int64(600_000), "ok": 1.0}
        got = client.admin.command({"getParameter": 1, "cursorTimeoutMillis": 1})
        assert got["cursorTimeoutMillis"] == Int64(5000)
    finally:
        client.admin.command({"setParameter": 1, "transactionLifetimeLimitSeconds": 60})
        client.admin.command({"setParameter": 1, "cursorTimeoutMillis": Int64(600_000)})


@pytest.mark.parametrize(
    "command, code, errmsg",
    [
        ({"setParameter": 1}, 72, "no option found to set, use help:true to see options "),
        (
            {"setParameter": 1, "noSuchParameter": 1},
            72,
            "attempted to set unrecognized parameter [noSuchParameter], use help:true to see options ",
        ),
        (
            {"setParameter": 1, "enableTestCommands": True},
            20,
            "not allowed to change [enableTestCommands] at runtime",
        ),
        (
            {"setParameter": 1, "featureCompatibilityVersion": "7.0"},
            20,
            "not allowed to change [featureCompatibilityVersion] at runtime",
        ),
        (
            {"setParameter": 1, "transactionLifetimeLimitSeconds": 0},
            2,
            "Invalid value for parameter transactionLifetimeLimitSeconds: 0 is not greater than or equal "
            "to 1",
        ),
        ({"setParameter": 1, "logLevel": 1}, 238, "setParameter logLevel is not supported by docdb"),
    ],
)
def test_set_parameter_errors(client, command, code, errmsg):
    details = _failure(client, command)
    assert (details["code"], details["errmsg"]) == (code, errmsg)


def test_a_refused_batch_changes_nothing(client):
    _failure(client, {"setParameter": 1, "transactionLifetimeLimitSeconds": 5, "noSuchParameter": 1})
    got = client.admin.command({"getParameter": 1, "transactionLifetimeLimitSeconds": 1})
    assert got["transactionLifetimeLimitSeconds"] == 60


def test_startup_parameters(tmp_path):
    args = [
        "--set-parameter",
        "transactionLifetimeLimitSeconds=15",
        "--setParameter",
        "cursorTimeoutMillis=2000",
    ]
    with ServerProcess(tmp_path / "p.mdb", args) as server, server.client() as c:
        got = c.admin.command(
            {"getParameter": 1, "transactionLifetimeLimitSeconds": 1, "cursorTimeoutMillis": 1}
        )
        assert got == {"cursorTimeoutMillis": Int64(2000), "transactionLifetimeLimitSeconds": 15, "ok": 1.0}
    refused = start_refused(tmp_path / "q.mdb", "--set-parameter", "transactionLifetimeLimitSeconds=0")
    assert refused.returncode == 2
    assert 'Bad value for parameter "transactionLifetimeLimitSeconds"' in refused.stderr
    refused = start_refused(tmp_path / "r.mdb", "--set-parameter", "logLevel=2")
    assert "docdb does not support --setParameter 'logLevel'" in refused.stderr


def test_require_api_version(tmp_path):
    # test-only in mongod: the parameter exists only with test commands enabled
    with ServerProcess(tmp_path / "api.mdb", ["--enable-test-commands"]) as server, server.client() as c:
        c.admin.command({"setParameter": 1, "requireApiVersion": True})
        try:
            details = _failure(c, {"ping": 1})
            assert (details["code"], details["errmsg"]) == (
                498870,
                "The apiVersion parameter is required, please configure your MongoClient's API version",
            )
            assert c.admin.command({"ping": 1, "apiVersion": "1"}) == {"ok": 1.0}
        finally:
            c.admin.command({"setParameter": 1, "requireApiVersion": False, "apiVersion": "1"})
        assert c.admin.command("ping") == {"ok": 1.0}


def test_ttl_monitor_parameters(tmp_path):
    args = ["--set-parameter", "ttlMonitorSleepSecs=7", "--set-parameter", "ttlMonitorEnabled=false"]
    with ServerProcess(tmp_path / "ttl.mdb", args) as server, server.client() as c:
        got = c.admin.command({"getParameter": 1, "ttlMonitorSleepSecs": 1, "ttlMonitorEnabled": 1})
        assert got == {"ttlMonitorEnabled": False, "ttlMonitorSleepSecs": 7, "ok": 1.0}
        assert c.admin.command({"setParameter": 1, "ttlMonitorEnabled": True}) == {"was": False, "ok": 1.0}
        assert c.admin.command({"setParameter": 1, "ttlMonitorSleepSecs": 5}) == {"was": 7, "ok": 1.0}
        assert c.admin.command({"getParameter": 1, "ttlMonitorSleepSecs": 1})["ttlMonitorSleepSecs"] == 5
        details = _failure(c, {"setParameter": 1, "ttlMonitorSleepSecs": 0})
        assert (details["code"], details["errmsg"]) == (
            2,
            "Invalid value for parameter ttlMonitorSleepSecs: 0 is not greater than or equal to 1",
        )


def test_a_shorter_ttl_monitor_sleep_set_at_runtime_takes_effect_at_once(tmp_path):
    """Apps set ttlMonitorSleepSecs to 1 in their tests; the monitor's current hour-long sleep ends then."""
    args = ["--set-parameter", "ttlMonitorSleepSecs=3600"]
    with ServerProcess(tmp_path / "ttl.mdb", args) as server, server.client() as c:
        c.t.c.create_index("at", expireAfterSeconds=0)
        c.t.c.insert_one({"_id": 1, "at": datetime.datetime(2000, 1, 1)})
        c.admin.command({"setParameter": 1, "ttlMonitorSleepSecs": 1})
        deadline = time.monotonic() + 60
        while c.t.c.count_documents({}) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert c.t.c.count_documents({}) == 0
