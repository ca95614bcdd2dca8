"""Logical sessions (both modes): records touched by every command, the session commands, the
session-listing stages, and cursors that belong to their session."""

from __future__ import annotations

import uuid

import pytest
from bson.binary import Binary
from pymongo.errors import CursorNotFound, OperationFailure

from tests.wire_client import raw_command


def _lsid() -> dict:
    return {"id": Binary(uuid.uuid4().bytes, 4)}


def _ids(client, spec: dict | None = None) -> set[bytes]:
    docs = client.admin.aggregate([{"$listLocalSessions": spec or {}}])
    return {bytes(d["_id"]["id"]) for d in docs}


def test_start_session_and_commands_with_an_lsid_are_recorded(client) -> None:
    started = client.admin.command("startSession")
    assert set(started) == {"id", "timeoutMinutes", "ok"}
    assert started["timeoutMinutes"] == 30
    sid = bytes(started["id"]["id"])
    lsid = _lsid()
    raw_command(client.address[1], {"ping": 1, "lsid": lsid, "$db": "admin"})
    assert {sid, bytes(lsid["id"])} <= _ids(client)
    record = next(
        d
        for d in client.admin.aggregate([{"$listLocalSessions": {"allUsers": True}}])
        if bytes(d["_id"]["id"]) == sid
    )
    assert set(record) == {"_id", "lastUse"}
    assert record["_id"]["uid"] == bytes.fromhex(
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    )


def test_end_sessions_forgets_them(client) -> None:
    sid = client.admin.command("startSession")["id"]
    assert bytes(sid["id"]) in _ids(client)
    assert client.admin.command({"endSessions": [sid]}) == {"ok": 1.0}
    assert bytes(sid["id"]) not in _ids(client)


def test_refresh_sessions_vivifies_them(client) -> None:
    lsid = _lsid()
    assert client.admin.command({"refreshSessions": [lsid]}) == {"ok": 1.0}
    assert bytes(lsid["id"]) in _ids(client)


def test_list_sessions_stage_namespaces_and_options(client) -> None:
    lsid = _lsid()
    client.admin.command({"refreshSessions": [lsid]})
    listed = client.config["system.sessions"].aggregate([{"$listSessions": {"allUsers": True}}])
    assert bytes(lsid["id"]) in {bytes(d["_id"]["id"]) for d in listed}
    with pytest.raises(OperationFailure) as exc:
        list(client.t.c.aggregate([{"$listSessions": {}}]))
    assert exc.value.code == 73
    with pytest.raises(OperationFailure) as exc:
        list(client.t.c.aggregate([{"$listLocalSessions": {}}]))
    assert (exc.value.code, exc.value.details["errmsg"]) == (
        73,
        "$listLocalSessions must be run against the database with {aggregate: 1}, not a collection",
    )
    with pytest.raises(OperationFailure) as exc:
        list(
            client.admin.aggregate(
                [{"$listLocalSessions": {"allUsers": True, "users": [{"user": "a", "db": "b"}]}}]
            )
        )
    assert exc.value.code == 12
    assert list(client.admin.aggregate([{"$listLocalSessions": {"users": [{"user": "a", "db": "b"}]}}])) == []


def _open_cursor(db, lsid: dict) -> int:
    reply = raw_command(db.client.address[1], {"find": "c", "batchSize": 1, "lsid": lsid, "$db": db.name})
    return reply["cursor"]["id"]


def test_get_more_from_another_session_is_refused(db) -> None:
    db.c.insert_many([{"_id": i} for i in range(3)])
    owner = _lsid()
    cursor_id = _open_cursor(db, owner)
    port = db.client.address[1]
    get_more = {"getMore": cursor_id, "collection": "c", "$db": db.name}
    other = _lsid()
    reply = raw_command(port, {**get_more, "lsid": other})
    assert reply["code"] == 50738
    assert reply["codeName"] == "Location50738"
    uid = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="  # SHA-256 of no user
    owner_uuid, other_uuid = uuid.UUID(bytes=bytes(owner["id"])), uuid.UUID(bytes=bytes(other["id"]))
    assert reply["errmsg"] == (
        f"Cannot run getMore on cursor {cursor_id}, which was created in session {owner_uuid} - {uid} -  - , "
        f"in session {other_uuid} - {uid} -  - "
    )
    assert raw_command(port, get_more)["code"] == 50737
    assert raw_command(port, {**get_more, "lsid": owner})["cursor"]["nextBatch"] == [{"_id": 1}, {"_id": 2}]


def test_killing_a_session_kills_its_cursors(client, db) -> None:
    db.c.insert_many([{"_id": i} for i in range(3)])
    lsid = _lsid()
    cursor_id = _open_cursor(db, lsid)
    assert client.admin.command({"killSessions": [lsid]}) == {"ok": 1.0}
    reply = raw_command(
        db.client.address[1], {"getMore": cursor_id, "collection": "c", "lsid": lsid, "$db": db.name}
    )
    assert reply["code"] == 43


@pytest.mark.parametrize(
    "command",
    [{"killAllSessions": []}, {"killAllSessionsByPattern": []}, {"endSessions": "lsid"}],
)
def test_kill_all_sessions_forms_kill_cursors(client, db, command) -> None:
    db.c.insert_many([{"_id": i} for i in range(3)])
    lsid = _lsid()
    cursor_id = _open_cursor(db, lsid)
    if command.get("endSessions") == "lsid":
        command = {"endSessions": [lsid]}
    client.admin.command(command)
    with pytest.raises(CursorNotFound):
        db.command({"getMore": cursor_id, "collection": "c"})


def test_kill_all_sessions_by_pattern_matches_the_lsid(client, db) -> None:
    db.c.insert_many([{"_id": i} for i in range(3)])
    kept, killed = _lsid(), _lsid()
    kept_cursor = _open_cursor(db, kept)
    killed_cursor = _open_cursor(db, killed)
    client.admin.command({"killAllSessionsByPattern": [{"lsid": killed}]})
    port = db.client.address[1]
    assert (
        raw_command(port, {"getMore": killed_cursor, "collection": "c", "lsid": killed, "$db": db.name})[
            "code"
        ]
        == 43
    )
    assert (
        raw_command(port, {"getMore": kept_cursor, "collection": "c", "lsid": kept, "$db": db.name})["ok"]
        == 1.0
    )


def test_session_commands_check_their_arguments(client) -> None:
    with pytest.raises(OperationFailure) as exc:
        client.admin.command({"endSessions": [{"id": 1}]})
    assert exc.value.code == 14
    with pytest.raises(OperationFailure) as exc:
        client.admin.command({"killAllSessionsByPattern": [{"bogus": 1}]})
    assert exc.value.code == 40415
