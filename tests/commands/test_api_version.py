"""The Versioned (Stable) API: apiVersion / apiStrict / apiDeprecationErrors, checked as mongod 7.0 does."""

from __future__ import annotations

import pytest
from pymongo import MongoClient
from pymongo.errors import OperationFailure
from pymongo.server_api import ServerApi

STRICT_MESSAGE = (
    "Provided apiStrict:true, but the command {} is not in API Version 1. Information on supported commands "
    "and migrations in API Version 1 can be found at https://dochub.mongodb.org/core/manual-versioned-api."
)


def _failure(client: MongoClient, command: dict, db: str = "admin") -> dict:
    with pytest.raises(OperationFailure) as exc:
        client[db].command(command)
    return exc.value.details


def test_strict_refuses_commands_outside_api_v1(client):
    details = _failure(client, {"serverStatus": 1, "apiVersion": "1", "apiStrict": True})
    assert details == {
        "ok": 0.0,
        "errmsg": STRICT_MESSAGE.format("serverStatus"),
        "code": 323,
        "codeName": "APIStrictError",
    }
    assert _failure(client, {"isMaster": 1, "apiVersion": "1", "apiStrict": True})["code"] == 323


def test_strict_allows_api_v1_commands(client, db):
    assert client.admin.command({"ping": 1, "apiVersion": "1", "apiStrict": True}) == {"ok": 1.0}
    reply = db.command({"insert": "c", "documents": [{"_id": 1}], "apiVersion": "1", "apiStrict": True})
    assert reply["n"] == 1
    assert client.admin.command({"serverStatus": 1, "apiVersion": "1", "apiStrict": False})["ok"] == 1.0


def test_pymongo_server_api_strict(server, db):
    with MongoClient(server.uri, server_api=ServerApi("1", strict=True, deprecation_errors=True)) as c:
        coll = c[db.name].items
        coll.insert_one({"_id": 1, "v": 2})
        assert coll.find_one() == {"_id": 1, "v": 2}
        assert coll.count_documents({}) == 1
        with pytest.raises(OperationFailure) as exc:
            c[db.name].command("dbStats")
        assert exc.value.code == 323
        assert exc.value.details["errmsg"] == STRICT_MESSAGE.format("dbStats")


@pytest.mark.parametrize(
    "fields, code, errmsg",
    [
        ({"apiVersion": "2"}, 322, 'API version must be "1"'),
        ({"apiVersion": "1.0", "apiStrict": True}, 322, 'API version must be "1"'),
        (
            {"apiStrict": True},
            4886600,
            "Provided apiStrict and/or apiDeprecationErrors without passing apiVersion",
        ),
        (
            {"apiDeprecationErrors": False},
            4886600,
            "Provided apiStrict and/or apiDeprecationErrors without passing apiVersion",
        ),
        (
            {"apiVersion": 1},
            14,
            "BSON field 'APIParametersFromClient.apiVersion' is the wrong type 'int', expected type 'string'",
        ),
        (
            {"apiVersion": "1", "apiStrict": 1},
            14,
            "BSON field 'APIParametersFromClient.apiStrict' is the wrong type 'int', expected type 'bool'",
        ),
    ],
)
def test_bad_api_parameters(client, fields, code, errmsg):
    details = _failure(client, {"ping": 1, **fields})
    assert (details["code"], details["errmsg"]) == (code, errmsg)


def test_list_commands_names_api_versions(client):
    commands = client.admin.command("listCommands")["commands"]
    assert commands["find"]["apiVersions"] == ["1"]
    assert commands["serverStatus"]["apiVersions"] == []
    assert commands["find"]["deprecatedApiVersions"] == []
