"""MongoDB 7.0 compatibility of the handshake and admin commands: reply fields, their order and types,
and mongod's errors (IDL unknown fields 40415, wrong types 14)."""

from __future__ import annotations

import datetime

import pytest
from bson.int64 import Int64
from pymongo.errors import OperationFailure


def _error(client, command: dict) -> dict:
    with pytest.raises(OperationFailure) as exc:
        client.admin.command(command)
    return exc.value.details


# -- getParameter --------------------------------------------------------------------------------------


def test_get_parameter_replies_in_name_order_not_request_order(client):
    reply = client.admin.command({"getParameter": 1, "quiet": 1, "cursorTimeoutMillis": 1, "logLevel": 1})
    assert list(reply) == ["cursorTimeoutMillis", "logLevel", "quiet", "ok"]
    assert reply == {"cursorTimeoutMillis": Int64(600_000), "logLevel": 0, "quiet": False, "ok": 1.0}
    assert isinstance(reply["cursorTimeoutMillis"], Int64)


def test_get_parameter_show_details(client):
    reply = client.admin.command(
        {"getParameter": {"showDetails": True}, "featureCompatibilityVersion": 1, "quiet": 1}
    )
    assert reply == {
        "featureCompatibilityVersion": {
            "value": {"version": "7.0"},
            "settableAtRuntime": False,
            "settableAtStartup": False,
        },
        "quiet": {"value": False, "settableAtRuntime": True, "settableAtStartup": True},
        "ok": 1.0,
    }


def test_get_parameter_all_forms_agree(client):
    star = client.admin.command({"getParameter": "*"})
    assert client.admin.command({"getParameter": {"allParameters": True}}) == star
    assert list(star)[:-1] == sorted(list(star)[:-1])
    startup_only = client.admin.command({"getParameter": {"allParameters": True, "setAt": "startup"}})
    assert "authenticationMechanisms" in startup_only
    assert "featureCompatibilityVersion" not in startup_only
    runtime = client.admin.command({"getParameter": {"allParameters": True, "setAt": "runtime"}})
    assert "authenticationMechanisms" not in runtime


@pytest.mark.parametrize(
    ("command", "code", "code_name", "errmsg"),
    [
        pytest.param(
            {"getParameter": 1, "noSuchParameter": 1},
            72,
            "InvalidOptions",
            "no option found to get",
            id="unknown-parameter",
        ),
        pytest.param({"getParameter": 1}, 72, "InvalidOptions", "no option found to get", id="nothing-asked"),
        pytest.param(
            {"getParameter": {"showDetails": True, "bogus": 1}, "quiet": 1},
            40415,
            "Location40415",
            "BSON field 'getParameter.bogus' is an unknown field.",
            id="unknown-option",
        ),
        pytest.param(
            {"getParameter": {"showDetails": "yes"}, "quiet": 1},
            14,
            "TypeMismatch",
            "BSON field 'getParameter.showDetails' is the wrong type 'string', "
            "expected types '[bool, long, int, decimal, double]'",
            id="option-type",
        ),
        pytest.param(
            {"getParameter": {"allParameters": True, "setAt": "sometimes"}},
            2,
            "BadValue",
            "Enumeration value 'sometimes' for field 'getParameter.setAt' is not a valid value.",
            id="bad-set-at",
        ),
    ],
)
def test_get_parameter_errors(client, command, code, code_name, errmsg):
    assert _error(client, command) == {"ok": 0.0, "errmsg": errmsg, "code": code, "codeName": code_name}


# -- getLog, hostInfo, getCmdLineOpts, connectionStatus, lockInfo ---------------------------------------


def test_get_log_errors(client):
    assert _error(client, {"getLog": "nope"}) == {
        "ok": 0.0,
        "errmsg": "No log named 'nope'",
        "code": 96,
        "codeName": "OperationFailed",
    }
    assert _error(client, {"getLog": 1}) == {
        "ok": 0.0,
        "errmsg": "BSON field 'getLog.getLog' is the wrong type 'int', expected type 'string'",
        "code": 14,
        "codeName": "TypeMismatch",
    }


@pytest.mark.parametrize(
    "command",
    [
        pytest.param({"getLog": "global", "x": 1}, id="getLog"),
        pytest.param({"hostInfo": 1, "x": 1}, id="hostInfo"),
        pytest.param({"getCmdLineOpts": 1, "x": 1}, id="getCmdLineOpts"),
        pytest.param({"connectionStatus": 1, "x": 1}, id="connectionStatus"),
        pytest.param({"lockInfo": 1, "x": 1}, id="lockInfo"),
    ],
)
def test_idl_commands_refuse_unknown_fields(client, command):
    name = next(iter(command))
    assert _error(client, command) == {
        "ok": 0.0,
        "errmsg": f"BSON field '{name}.x' is an unknown field.",
        "code": 40415,
        "codeName": "Location40415",
    }


def test_host_info_types(client):
    info = client.admin.command("hostInfo")
    assert list(info) == ["system", "os", "extra", "ok"]
    system = info["system"]
    assert list(system) == [
        "currentTime",
        "hostname",
        "cpuAddrSize",
        "memSizeMB",
        "memLimitMB",
        "numCores",
        "cpuArch",
        "numaEnabled",
    ]
    assert isinstance(system["currentTime"], datetime.datetime)
    assert isinstance(system["memSizeMB"], Int64) and isinstance(system["memLimitMB"], Int64)
    assert type(system["cpuAddrSize"]) is int and type(system["numCores"]) is int


def test_connection_status_show_privileges(client):
    assert client.admin.command({"connectionStatus": 1, "showPrivileges": True}) == {
        "authInfo": {
            "authenticatedUsers": [],
            "authenticatedUserRoles": [],
            "authenticatedUserPrivileges": [],
        },
        "ok": 1.0,
    }


def test_lock_info_holds_nothing(client):
    assert client.admin.command("lockInfo") == {"lockInfo": [], "ok": 1.0}
    assert client.admin.command({"lockInfo": 1, "includeStorageEngineDump": True}) == {
        "lockInfo": [],
        "ok": 1.0,
    }


def test_lock_info_is_admin_only(client):
    with pytest.raises(OperationFailure) as exc:
        client.test.command("lockInfo")
    assert exc.value.code == 13


# -- killOp, currentOp ----------------------------------------------------------------------------------


def test_kill_op(client):
    assert client.admin.command({"killOp": 1, "op": 12345}) == {"info": "attempting to kill op", "ok": 1.0}
    assert _error(client, {"killOp": 1}) == {
        "ok": 0.0,
        "errmsg": 'Missing expected field "op"',
        "code": 4,
        "codeName": "NoSuchKey",
    }
    assert _error(client, {"killOp": 1, "op": "x"}) == {
        "ok": 0.0,
        "errmsg": 'Expected field "op" to have numeric type, but found string',
        "code": 14,
        "codeName": "TypeMismatch",
    }


# -- serverStatus, listCommands -------------------------------------------------------------------------


def test_server_status_layout_and_types(client):
    status = client.admin.command("serverStatus")
    assert list(status) == [
        "host",
        "version",
        "process",
        "pid",
        "uptime",
        "uptimeMillis",
        "uptimeEstimate",
        "localTime",
        "asserts",
        "connections",
        "docdb",
        "extra_info",
        "globalLock",
        "locks",
        "mem",
        "metrics",
        "network",
        "opLatencies",
        "opcounters",
        "storageEngine",
        "ok",
    ]
    assert type(status["uptime"]) is float
    assert isinstance(status["uptimeMillis"], Int64) and isinstance(status["uptimeEstimate"], Int64)
    assert list(status["connections"]) == [
        "current",
        "available",
        "totalCreated",
        "rejected",
        "active",
        "threaded",
        "exhaustIsMaster",
        "exhaustHello",
        "awaitingTopologyChanges",
    ]
    assert all(type(v) is int for v in status["connections"].values())
    assert list(status["opcounters"]) == ["insert", "query", "update", "delete", "getmore", "command"]
    assert all(isinstance(v, Int64) for v in status["opcounters"].values())


def test_server_status_sections_can_be_turned_off(client):
    status = client.admin.command({"serverStatus": 1, "metrics": 0, "docdb": False, "mem": 1})
    assert "metrics" not in status and "docdb" not in status
    assert status["mem"]["bits"] == 64


def test_list_commands_entry_fields(client):
    commands = client.admin.command("listCommands")["commands"]
    assert list(commands["renameCollection"]) == [
        "help",
        "requiresAuth",
        "secondaryOk",
        "adminOnly",
        "apiVersions",
        "deprecatedApiVersions",
    ]
    assert commands["renameCollection"]["adminOnly"] is True
    assert commands["find"]["adminOnly"] is False
    for name in ("validate", "lockInfo", "killOp"):
        assert name in commands


# -- sessions -------------------------------------------------------------------------------------------


def test_session_commands_take_an_array(client):
    assert client.admin.command({"refreshSessions": []}) == {"ok": 1.0}
    assert _error(client, {"endSessions": 1}) == {
        "ok": 0.0,
        "errmsg": "BSON field 'endSessions.endSessions' is the wrong type 'int', expected type 'array'",
        "code": 14,
        "codeName": "TypeMismatch",
    }
    assert _error(client, {"endSessions": [], "x": 1})["code"] == 40415
