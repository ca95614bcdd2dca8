"""Generic command fields of any BSON type get a MongoError reply as mongod's parsers give it (TypeMismatch,
BadValue, FailedToParse, Location13111 …), never InternalError; ``comment`` takes any value."""

from __future__ import annotations

import datetime
import socket

import bson
import pytest
from bson.binary import Binary
from bson.code import Code
from bson.decimal128 import Decimal128
from bson.int64 import Int64
from bson.max_key import MaxKey
from bson.min_key import MinKey
from bson.objectid import ObjectId
from bson.regex import Regex
from bson.timestamp import Timestamp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.wire_client import op_msg_frame, raw_command, read_reply

GENERIC = [
    "$db",
    "lsid",
    "txnNumber",
    "readConcern",
    "writeConcern",
    "comment",
    "maxTimeMS",
    "$readPreference",
]

# One value of every BSON type PyMongo can encode, plus a few shapes of the object-typed fields.
EVERY_TYPE = [
    1.5,
    float("nan"),
    "text",
    "",
    {},
    {"a": 1},
    [],
    [1, "x"],
    Binary(b"\x00" * 16, 4),
    Binary(b"x", 0),
    ObjectId("650000000000000000000001"),
    True,
    False,
    datetime.datetime(2020, 1, 1),
    None,
    Regex("a", "i"),
    Code("x"),
    Code("x", {"a": 1}),
    7,
    -1,
    Timestamp(1, 1),
    Int64(5),
    Int64(2**40),
    Decimal128("1.5"),
    MinKey(),
    MaxKey(),
]


@pytest.mark.parametrize(
    "field,value,reply",
    [
        pytest.param(
            "$db",
            Code("function () {}"),
            {
                "ok": 0.0,
                "errmsg": "wrong type for field ($db) javascript != string",
                "code": 13111,
                "codeName": "Location13111",
            },
            id="db-javascript",
        ),
        pytest.param(
            "$db",
            5,
            {
                "ok": 0.0,
                "errmsg": "wrong type for field ($db) int != string",
                "code": 13111,
                "codeName": "Location13111",
            },
            id="db-int",
        ),
        pytest.param(
            "lsid",
            "abc",
            {
                "ok": 0.0,
                "errmsg": "BSON field 'OperationSessionInfo.lsid' is the wrong type 'string', "
                "expected type 'object'",
                "code": 14,
                "codeName": "TypeMismatch",
            },
            id="lsid-string",
        ),
        pytest.param(
            "lsid",
            {},
            {
                "ok": 0.0,
                "errmsg": "BSON field 'OperationSessionInfo.lsid.id' is missing but a required field",
                "code": 40414,
                "codeName": "Location40414",
            },
            id="lsid-empty",
        ),
        pytest.param(
            "lsid",
            {"id": Binary(b"", 1)},
            {
                "ok": 0.0,
                "errmsg": "BSON field 'OperationSessionInfo.lsid.id' is the wrong binData type 'function', "
                "expected type 'UUID'",
                "code": 14,
                "codeName": "TypeMismatch",
            },
            id="lsid-function-subtype",
        ),
        pytest.param(
            "lsid",
            {"id": Binary(b"", 4)},
            {
                "ok": 0.0,
                "errmsg": "uuid must be a 16-byte binary field with UUID (4) subtype",
                "code": 207,
                "codeName": "InvalidUUID",
            },
            id="lsid-empty-uuid",
        ),
        pytest.param(
            "txnNumber",
            1.5,
            {
                "ok": 0.0,
                "errmsg": "BSON field 'OperationSessionInfo.txnNumber' is the wrong type 'double', "
                "expected type 'long'",
                "code": 14,
                "codeName": "TypeMismatch",
            },
            id="txn-number-double",
        ),
        pytest.param(
            "readConcern",
            "majority",
            {
                "ok": 0.0,
                "errmsg": "readConcern field should be an object",
                "code": 9,
                "codeName": "FailedToParse",
            },
            id="read-concern-string",
        ),
        pytest.param(
            "readConcern",
            {"level": "nope"},
            {
                "ok": 0.0,
                "errmsg": "readConcern.level must be either 'local', 'majority', 'linearizable', "
                "'available', or 'snapshot'",
                "code": 9,
                "codeName": "FailedToParse",
            },
            id="read-concern-level",
        ),
        pytest.param(
            "writeConcern",
            1,
            {
                "ok": 0.0,
                "errmsg": '"writeConcern" had the wrong type. Expected object, found int',
                "code": 14,
                "codeName": "TypeMismatch",
            },
            id="write-concern-int",
        ),
        pytest.param(
            "maxTimeMS",
            "10",
            {"ok": 0.0, "errmsg": "maxTimeMS must be a number", "code": 2, "codeName": "BadValue"},
            id="max-time-string",
        ),
        pytest.param(
            "maxTimeMS",
            -1,
            {
                "ok": 0.0,
                "errmsg": "-1 value for maxTimeMS is out of range [0, 2147483647]",
                "code": 2,
                "codeName": "BadValue",
            },
            id="max-time-negative",
        ),
        pytest.param(
            "maxTimeMS",
            1.5,
            {"ok": 0.0, "errmsg": "maxTimeMS has non-integral value", "code": 2, "codeName": "BadValue"},
            id="max-time-fraction",
        ),
        pytest.param(
            "maxTimeMS",
            float("nan"),
            {"ok": 0.0, "errmsg": "maxTimeMS has non-integral value", "code": 2, "codeName": "BadValue"},
            id="max-time-nan",
        ),
        pytest.param(
            "$readPreference",
            "primary",
            {
                "ok": 0.0,
                "errmsg": "$readPreference has incorrect type: expected object but got string",
                "code": 14,
                "codeName": "TypeMismatch",
            },
            id="read-preference-string",
        ),
        pytest.param(
            "$readPreference",
            {"mode": "fastest"},
            {
                "ok": 0.0,
                "errmsg": "Could not parse $readPreference mode 'fastest'. Only the modes 'primary', "
                "'primaryPreferred', 'secondary', 'secondaryPreferred', and 'nearest' are supported. "
                ":: caused by :: Enumeration value 'fastest' for field 'mode' is not a valid value.",
                "code": 2,
                "codeName": "BadValue",
            },
            id="read-preference-mode",
        ),
        pytest.param(
            "$readPreference",
            {},
            {"ok": 0.0, "errmsg": 'Missing expected field "mode"', "code": 4, "codeName": "NoSuchKey"},
            id="read-preference-no-mode",
        ),
    ],
)
def test_wrong_type_replies(server, field, value, reply):
    assert raw_command(server.port, {"find": "c", "$db": "t", field: value}) == reply


@pytest.mark.parametrize("value", EVERY_TYPE, ids=repr)
def test_comment_takes_any_value(server, value):
    assert raw_command(server.port, {"find": "c", "$db": "t", "comment": value})["ok"] == 1.0


def test_well_typed_fields_pass(server):
    body = {
        "find": "c",
        "$db": "t",
        "lsid": {"id": Binary(b"\x01" * 16, 4)},
        "readConcern": {"level": "local"},
        "maxTimeMS": 1000,
        "$readPreference": {"mode": "primaryPreferred"},
    }
    assert raw_command(server.port, body)["ok"] == 1.0


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    command=st.sampled_from(["find", "insert", "ping", "listCollections", "delete"]),
    field=st.sampled_from(GENERIC),
    value=st.sampled_from(EVERY_TYPE),
)
def test_any_bson_type_in_any_generic_field_is_a_mongo_error(server, command, field, value):
    """The reply is ok, or a MongoError with a code: never InternalError, never a dropped connection."""
    body = {command: "c" if command != "ping" else 1, "$db": "t", field: value}
    if command == "insert":
        body["documents"] = [{"x": 1}]
    elif command == "delete":
        body["deletes"] = [{"q": {"x": 2}, "limit": 0}]
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(op_msg_frame(bson.encode(body)))
        reply = read_reply(sock)
    if reply["ok"] != 1.0:
        assert reply["code"] != 1 and reply["codeName"] != "InternalError", reply
        assert set(reply) == {"ok", "errmsg", "code", "codeName"}


def test_every_type_in_every_generic_field_of_every_sampled_command(server):
    """The property test's whole space, once each (1 040 commands on one connection)."""
    failures = []
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        for command in ["find", "insert", "ping", "listCollections", "delete"]:
            for field in GENERIC:
                for value in EVERY_TYPE:
                    body = {command: "c" if command != "ping" else 1, "$db": "t", field: value}
                    if command == "insert":
                        body["documents"] = [{"x": 1}]
                    elif command == "delete":
                        body["deletes"] = [{"q": {"x": 2}, "limit": 0}]
                    sock.sendall(op_msg_frame(bson.encode(body)))
                    reply = read_reply(sock)
                    if reply["ok"] != 1.0 and reply["code"] == 1:
                        failures.append((command, field, value, reply["errmsg"]))
    assert failures == []
