"""``bypassDocumentValidation`` on ``delete``: mongod's write-command IDL accepts it (a safeBool) on every
write command, deletes included."""

from __future__ import annotations

import pytest
from pymongo.errors import OperationFailure


@pytest.mark.parametrize("value", [True, False, 1, 0.0])
def test_delete_accepts_bypass_document_validation(db, value):
    db.c.insert_many([{"_id": 1}, {"_id": 2}])
    reply = db.command("delete", "c", deletes=[{"q": {"_id": 1}, "limit": 1}], bypassDocumentValidation=value)
    assert reply == {"n": 1, "ok": 1.0}
    assert list(db.c.find()) == [{"_id": 2}]


def test_delete_many_through_pymongo_with_bypass(db):
    db.c.insert_many([{"_id": i} for i in range(3)])
    # PyMongo sends bypassDocumentValidation only with insert/update, so this runs the raw command
    reply = db.command(
        "delete", "c", deletes=[{"q": {}, "limit": 0}], bypassDocumentValidation=True, ordered=False
    )
    assert reply == {"n": 3, "ok": 1.0}


def test_delete_bypass_document_validation_wrong_type(db):
    with pytest.raises(OperationFailure) as exc:
        db.command("delete", "c", deletes=[{"q": {}, "limit": 0}], bypassDocumentValidation="yes")
    assert (exc.value.code, exc.value.details["codeName"], exc.value.details["errmsg"]) == (
        14,
        "TypeMismatch",
        "BSON field 'delete.bypassDocumentValidation' is the wrong type 'string', "
        "expected types '[bool, long, int, decimal, double]'",
    )
