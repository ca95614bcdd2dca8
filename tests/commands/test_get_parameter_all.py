"""getParameter ``"*"`` / ``{allParameters: true}``: every mongod 7.0 parameter docdb lists, with mongod's
BSON types and defaults, in mongod's (byte) order; setAt filters; test-only parameters only with test
commands; setParameter on a mongod parameter docdb has no behaviour for answers NotImplemented."""

from __future__ import annotations

import pytest
from bson.int64 import Int64
from pymongo.errors import OperationFailure

from docdb.server.mongod_parameters import MONGOD_PARAMETERS, TEST_ONLY_PARAMETERS
from tests.serverproc import ServerProcess, start_refused

_DOCDB_ONLY = {"authenticationMechanisms", "featureCompatibilityVersion", "sslMode", "tlsMode"}


def _names(reply: dict) -> list[str]:
    return [name for name in reply if name != "ok"]


def _failure(client, command: dict) -> tuple[int, str]:
    with pytest.raises(OperationFailure) as exc:
        client.admin.command(command)
    return exc.value.code, exc.value.details["errmsg"]


def test_star_lists_every_parameter_in_byte_order(client):
    star = client.admin.command({"getParameter": "*"})
    names = _names(star)
    assert names == sorted(names, key=lambda name: name.encode())
    assert names[:2] == ["KeysRotationIntervalSec", "ShardingTaskExecutorPoolHostTimeoutMS"]
    assert set(names) == set(MONGOD_PARAMETERS) | _DOCDB_ONLY
    assert len(names) >= 353
    assert client.admin.command({"getParameter": {"allParameters": True}}) == star


@pytest.mark.parametrize(
    ("name", "value", "bson_type"),
    [
        pytest.param("transactionLifetimeLimitSeconds", 60, int, id="int-docdb-kept"),
        pytest.param("cursorTimeoutMillis", Int64(600_000), Int64, id="long-docdb-kept"),
        pytest.param("authenticationMechanisms", ["SCRAM-SHA-1", "SCRAM-SHA-256"], list, id="array"),
        pytest.param("enableTestCommands", False, bool, id="bool-docdb-kept"),
        pytest.param("internalQueryPlanEvaluationWorks", 10000, int, id="int"),
        pytest.param(
            "internalQueryCacheMaxSizeBytesBeforeStripDebugInfo", Int64(512 * 1024 * 1024), Int64, id="long"
        ),
        pytest.param("internalQueryPlanEvaluationCollFraction", 0.3, float, id="double"),
        pytest.param("syncdelay", 60.0, float, id="double-whole"),
        pytest.param("internalQueryFrameworkControl", "trySbeRestricted", str, id="string"),
        pytest.param("planCacheSize", "5%", str, id="string-percent"),
        pytest.param("notablescan", False, bool, id="bool"),
        pytest.param("internalQueryCacheSize", 5000, int, id="deprecated-alias"),
        pytest.param("authSchemaVersion", 5, int, id="auth-schema"),
        pytest.param("maxAcceptableLogicalClockDriftSecs", Int64(31_536_000), Int64, id="long-expr"),
        pytest.param("diagnosticDataCollectionStatsNamespaces", [], list, id="empty-array"),
        pytest.param("tlsMode", "disabled", str, id="tls-mode"),
        pytest.param("sslMode", "disabled", str, id="ssl-mode"),
    ],
)
def test_values_and_bson_types(client, name, value, bson_type):
    star = client.admin.command({"getParameter": "*"})
    assert type(star[name]) is bson_type
    assert star[name] == value
    one = client.admin.command({"getParameter": 1, name: 1})
    assert one == {name: value, "ok": 1.0}
    assert type(one[name]) is bson_type


def test_feature_compatibility_version_by_name(client):
    assert client.admin.command({"getParameter": 1, "featureCompatibilityVersion": 1}) == {
        "featureCompatibilityVersion": {"version": "7.0"},
        "ok": 1.0,
    }


def test_docdb_kept_parameters_have_mongods_types(client):
    star = client.admin.command({"getParameter": "*"})
    for name in set(_names(star)) & set(MONGOD_PARAMETERS):
        assert type(star[name]) is type(MONGOD_PARAMETERS[name].default), name


def test_show_details_shape(client):
    reply = client.admin.command(
        {
            "getParameter": {"showDetails": True},
            "traceExceptions": 1,
            "maxBSONDepth": 1,
            "internalQueryCacheSize": 1,
            "authSchemaVersion": 1,
            "noSuchParameter": 1,
        }
    )
    assert reply == {
        "authSchemaVersion": {"value": 5, "settableAtRuntime": True, "settableAtStartup": True},
        "internalQueryCacheSize": {"value": 5000, "settableAtRuntime": True, "settableAtStartup": True},
        "maxBSONDepth": {"value": 200, "settableAtRuntime": False, "settableAtStartup": True},
        "traceExceptions": {"value": False, "settableAtRuntime": True, "settableAtStartup": False},
        "ok": 1.0,
    }
    assert _names(reply) == ["authSchemaVersion", "internalQueryCacheSize", "maxBSONDepth", "traceExceptions"]


def test_set_at_filters(client):
    details = client.admin.command({"getParameter": {"allParameters": True, "showDetails": True}})
    runtime = client.admin.command(
        {"getParameter": {"allParameters": True, "showDetails": True, "setAt": "runtime"}}
    )
    startup = client.admin.command(
        {"getParameter": {"allParameters": True, "showDetails": True, "setAt": "startup"}}
    )
    assert _names(runtime) == [n for n in _names(details) if details[n]["settableAtRuntime"]]
    assert _names(startup) == [n for n in _names(details) if details[n]["settableAtStartup"]]
    assert {"traceExceptions", "wiredTigerEngineRuntimeConfig", "tlsMode"} <= set(runtime) - set(startup)
    assert {"maxBSONDepth", "enableTestCommands", "KeysRotationIntervalSec"} <= set(startup) - set(runtime)
    assert "featureCompatibilityVersion" not in set(runtime) | set(startup)
    assert runtime["notablescan"] == {"value": False, "settableAtRuntime": True, "settableAtStartup": True}


@pytest.mark.parametrize(
    ("command", "code", "errmsg"),
    [
        pytest.param(
            {"setParameter": 1, "notablescan": True},
            238,
            "setParameter notablescan is not supported by docdb",
            id="mongod-runtime-param",
        ),
        pytest.param(
            {"setParameter": 1, "internalQueryJavaScriptFnTimeoutMillis": 100},
            238,
            "setParameter internalQueryJavaScriptFnTimeoutMillis is not supported by docdb",
            id="docdb-startup-only",
        ),
        pytest.param(
            {"setParameter": 1, "maxBSONDepth": 100},
            20,
            "not allowed to change [maxBSONDepth] at runtime",
            id="mongod-startup-param",
        ),
        pytest.param(
            {"setParameter": 1, "requireApiVersion": True},
            72,
            "attempted to set unrecognized parameter [requireApiVersion], use help:true to see options ",
            id="test-only-without-test-commands",
        ),
    ],
)
def test_set_parameter_on_mongod_parameters(client, command, code, errmsg):
    assert _failure(client, command) == (code, errmsg)


def test_a_batch_with_an_unsupported_parameter_changes_nothing(client):
    command = {"setParameter": 1, "transactionLifetimeLimitSeconds": 5, "internalQueryExecYieldIterations": 1}
    assert _failure(client, command)[0] == 238
    got = client.admin.command({"getParameter": 1, "transactionLifetimeLimitSeconds": 1})
    assert got == {"transactionLifetimeLimitSeconds": 60, "ok": 1.0}


def test_unknown_names(client):
    assert _failure(client, {"getParameter": 1, "noSuchParameter": 1}) == (72, "no option found to get")
    assert _failure(client, {"getParameter": 1, "acceptApiVersion2": 1}) == (72, "no option found to get")
    reply = client.admin.command({"getParameter": 1, "noSuchParameter": 1, "maxBSONDepth": 1})
    assert reply == {"maxBSONDepth": 200, "ok": 1.0}


def test_test_only_parameters_need_test_commands(client, tmp_path):
    plain = set(_names(client.admin.command({"getParameter": "*"})))
    assert not plain & set(TEST_ONLY_PARAMETERS)
    with ServerProcess(tmp_path / "t.mdb", ["--enable-test-commands"]) as server, server.client() as c:
        star = c.admin.command({"getParameter": "*"})
        assert set(_names(star)) == plain | set(TEST_ONLY_PARAMETERS)
        assert (star["requireApiVersion"], star["acceptApiVersion2"], star["internalQueryDefaultDOP"]) == (
            False,
            False,
            1,
        )
        assert star["enableTestCommands"] is True
        assert _names(star) == sorted(_names(star), key=lambda name: name.encode())


def test_startup_set_parameter_of_a_mongod_parameter_is_refused(tmp_path):
    refused = start_refused(tmp_path / "s.mdb", "--set-parameter", "notablescan=true")
    assert refused.returncode == 2
    assert "docdb does not support --setParameter 'notablescan'" in refused.stderr
    refused = start_refused(tmp_path / "u.mdb", "--set-parameter", "noSuchParameter=1")
    assert "Unknown --setParameter 'noSuchParameter'" in refused.stderr
