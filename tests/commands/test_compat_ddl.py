"""MongoDB 7.0 compatibility of create, drop, dropDatabase, renameCollection and collMod: idempotency rules,
error codes and messages, IDL field checks."""

from __future__ import annotations

import pytest
from pymongo.errors import OperationFailure


def _error(db, command: dict) -> dict:
    with pytest.raises(OperationFailure) as exc:
        db.command(command)
    return exc.value.details


# -- create ---------------------------------------------------------------------------------------------


def test_create_again_with_the_same_options_is_a_no_op(db):
    assert db.command({"create": "a"}) == {"ok": 1.0}
    assert db.command({"create": "a"}) == {"ok": 1.0}
    assert db.command({"create": "a", "collation": {"locale": "simple"}}) == {"ok": 1.0}


def test_create_again_with_other_options_is_namespace_exists(db):
    db.command({"create": "a"})
    assert _error(db, {"create": "a", "capped": True, "size": 4096}) == {
        "ok": 0.0,
        "errmsg": f"Collection {db.name}.a already exists.",
        "code": 48,
        "codeName": "NamespaceExists",
    }


def test_create_unsupported_option_on_a_new_collection(db):
    assert _error(db, {"create": "b", "clusteredIndex": {"key": {"_id": 1}, "unique": True}}) == {
        "ok": 0.0,
        "errmsg": "create option 'clusteredIndex' is not supported by docdb",
        "code": 238,
        "codeName": "NotImplemented",
    }
    assert db.list_collection_names() == []


def test_create_unknown_field(db):
    assert _error(db, {"create": "a", "bogus": 1}) == {
        "ok": 0.0,
        "errmsg": "BSON field 'create.bogus' is an unknown field.",
        "code": 40415,
        "codeName": "Location40415",
    }


# -- drop / dropDatabase --------------------------------------------------------------------------------


def test_drop_unknown_field_and_missing_collection(db):
    assert _error(db, {"drop": "a", "bogus": 1})["code"] == 40415
    assert db.command({"drop": "never_existed"}) == {"ok": 1.0}


def test_drop_database_that_does_not_exist(client):
    assert client["never_existed_db"].command("dropDatabase") == {"ok": 1.0}


# -- renameCollection -----------------------------------------------------------------------------------


def _rename(client, source: str, target: object, **extra) -> dict:
    return client.admin.command({"renameCollection": source, "to": target, **extra})


def _rename_error(client, source: object, target: object, **extra) -> dict:
    with pytest.raises(OperationFailure) as exc:
        client.admin.command({"renameCollection": source, "to": target, **extra})
    return exc.value.details


def test_rename_collection_errors(client, db):
    db.a.insert_one({"_id": 1})
    db.b.insert_one({"_id": 2})
    a, b = f"{db.name}.a", f"{db.name}.b"
    cases = [
        (a, b, {}, 48, "NamespaceExists", "target namespace exists"),
        (
            f"{db.name}.zz",
            f"{db.name}.yy",
            {},
            26,
            "NamespaceNotFound",
            f"Source collection {db.name}.zz does not exist",
        ),
        (a, a, {}, 20, "IllegalOperation", "Can't rename a collection to itself"),
        (f"{db.name}.zz", f"{db.name}.zz", {}, 20, "IllegalOperation", "Can't rename a collection to itself"),
        ("nodot", b, {}, 73, "InvalidNamespace", "Invalid source namespace: nodot"),
        (a, "nodot", {}, 73, "InvalidNamespace", "Invalid target namespace: nodot"),
        (
            a,
            5,
            {},
            14,
            "TypeMismatch",
            "BSON field 'renameCollection.to' is the wrong type 'int', expected type 'string'",
        ),
        (
            5,
            b,
            {},
            14,
            "TypeMismatch",
            "BSON field 'renameCollection.renameCollection' is the wrong type 'int', expected type 'string'",
        ),
        (
            a,
            f"{db.name}.c",
            {"dropTarget": 1},
            14,
            "TypeMismatch",
            "BSON field 'renameCollection.dropTarget' is the wrong type 'int', expected type 'bool'",
        ),
        (
            a,
            f"{db.name}.c",
            {"bogus": 1},
            40415,
            "Location40415",
            "BSON field 'renameCollection.bogus' is an unknown field.",
        ),
    ]
    for source, target, extra, code, code_name, errmsg in cases:
        assert _rename_error(client, source, target, **extra) == {
            "ok": 0.0,
            "errmsg": errmsg,
            "code": code,
            "codeName": code_name,
        }, (source, target, extra)
    assert sorted(db.list_collection_names()) == ["a", "b"]


def test_rename_collection_missing_to(client, db):
    with pytest.raises(OperationFailure) as exc:
        client.admin.command({"renameCollection": f"{db.name}.a"})
    assert exc.value.details == {
        "ok": 0.0,
        "errmsg": "BSON field 'renameCollection.to' is missing but a required field",
        "code": 40414,
        "codeName": "Location40414",
    }


def test_rename_collection_across_databases_with_drop_target(client, db):
    other = client[f"{db.name}_x"]
    db.a.insert_one({"_id": 1})
    other.t.insert_one({"_id": 9})
    reply = _rename(client, f"{db.name}.a", f"{other.name}.t", dropTarget=True, stayTemp=False)
    assert reply == {"ok": 1.0}
    assert list(other.t.find()) == [{"_id": 1}]
    assert db.list_collection_names() == []
    client.drop_database(other.name)


# -- collMod --------------------------------------------------------------------------------------------


def test_coll_mod_errors(db):
    assert _error(db, {"collMod": "missing"}) == {
        "ok": 0.0,
        "errmsg": f"ns does not exist: {db.name}.missing",
        "code": 26,
        "codeName": "NamespaceNotFound",
    }
    db.a.insert_one({})
    assert _error(db, {"collMod": "a", "bogus": 1}) == {
        "ok": 0.0,
        "errmsg": "BSON field 'collMod.bogus' is an unknown field.",
        "code": 40415,
        "codeName": "Location40415",
    }
    assert db.command({"collMod": "a"}) == {"ok": 1.0}
