"""getParameter for mongod parameters whose value mongod 7.0 appends in C++ (``cpp_class``) rather than
from an IDL default: ``mirrorReads`` (its ``MirroredReadsParameters`` struct, serialized) and
``clusterAuthMode`` (``ClusterAuthMode::toString()``: ``"undefined"`` without ``--keyFile``), with their
BSON types, settability and setParameter answers."""

from __future__ import annotations

import pytest
from bson.int64 import Int64
from pymongo.errors import OperationFailure

from docdb.server.commands.parameter_cmds import ALL_PARAMETERS

_MIRROR_READS = {"samplingRate": 0.01, "maxTimeMS": 1000}


def _failure(client, command: dict) -> tuple[int, str]:
    with pytest.raises(OperationFailure) as exc:
        client.admin.command(command)
    return exc.value.code, exc.value.details["errmsg"]


def test_mirror_reads_is_its_struct_with_a_double_and_an_int32(client):
    for reply in (
        client.admin.command({"getParameter": 1, "mirrorReads": 1}),
        client.admin.command({"getParameter": "*"}),
    ):
        value = reply["mirrorReads"]
        assert value == _MIRROR_READS
        assert list(value) == ["samplingRate", "maxTimeMS"]  # the IDL struct's field order
        assert type(value["samplingRate"]) is float
        assert type(value["maxTimeMS"]) is int  # int32: pymongo decodes int64 as Int64
        assert not isinstance(value["maxTimeMS"], Int64)


def test_cluster_auth_mode_is_undefined_without_a_key_file(client):
    assert client.admin.command({"getParameter": 1, "clusterAuthMode": 1}) == {
        "clusterAuthMode": "undefined",
        "ok": 1.0,
    }
    assert client.admin.command({"getParameter": "*"})["clusterAuthMode"] == "undefined"


def test_show_details_settability(client):
    reply = client.admin.command(
        {"getParameter": {"showDetails": True}, "mirrorReads": 1, "clusterAuthMode": 1}
    )
    assert reply == {
        "clusterAuthMode": {"value": "undefined", "settableAtRuntime": True, "settableAtStartup": False},
        "mirrorReads": {"value": _MIRROR_READS, "settableAtRuntime": True, "settableAtStartup": True},
        "ok": 1.0,
    }
    assert list(reply)[:2] == ["clusterAuthMode", "mirrorReads"]


def test_set_at_filters(client):
    def names(set_at: str) -> set[str]:
        reply = client.admin.command({"getParameter": {"allParameters": True, "setAt": set_at}})
        return set(reply) - {"ok"}

    runtime, startup = names("runtime"), names("startup")
    assert {"clusterAuthMode", "mirrorReads"} <= runtime
    assert "mirrorReads" in startup
    assert "clusterAuthMode" not in startup


def test_each_reply_gets_its_own_copy_of_a_document_default():
    param = ALL_PARAMETERS["mirrorReads"]
    first, second = param.value(None), param.value(None)  # a declared default does not read ctx
    assert first == second == _MIRROR_READS
    assert first is not second  # a reply that changes its document cannot change the next one


@pytest.mark.parametrize(
    ("command", "code", "errmsg"),
    [
        pytest.param(
            {"setParameter": 1, "mirrorReads": {"samplingRate": 0.0}},
            238,
            "setParameter mirrorReads is not supported by docdb",
            id="mirror-reads",
        ),
        pytest.param(
            {"setParameter": 1, "clusterAuthMode": "sendKeyFile"},
            238,
            "setParameter clusterAuthMode is not supported by docdb",
            id="cluster-auth-mode",
        ),
    ],
)
def test_set_parameter_is_not_implemented(client, command, code, errmsg):
    assert _failure(client, command) == (code, errmsg)
    assert client.admin.command({"getParameter": 1, "mirrorReads": 1, "clusterAuthMode": 1}) == {
        "clusterAuthMode": "undefined",
        "mirrorReads": _MIRROR_READS,
        "ok": 1.0,
    }
