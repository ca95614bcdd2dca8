"""What the collation tests share: the manual's collations, the normalized document, a fixture."""

from __future__ import annotations

import pytest

FR = {"locale": "fr"}
EN_1 = {"locale": "en", "strength": 1}
EN_2 = {"locale": "en", "strength": 2}
NUMERIC = {"locale": "en", "numericOrdering": True}
UPPER = {"locale": "en", "caseFirst": "upper"}


def full_collation(locale: str, **changes: object) -> dict:
    """A collation document as mongod returns it: every field, defaults filled in."""
    spec = {
        "locale": locale,
        "caseLevel": False,
        "caseFirst": "off",
        "strength": 3,
        "numericOrdering": False,
        "alternate": "non-ignorable",
        "maxVariable": "punct",
        "normalization": False,
        "backwards": False,
        "version": "57.1",
    }
    spec.update(changes)
    return spec


def failure(exc: pytest.ExceptionInfo) -> tuple[int, str, str]:
    return exc.value.code, exc.value.details["codeName"], exc.value.details["errmsg"]


def insert_words(db) -> object:  # noqa: ANN001
    db.words.insert_many(
        [
            {"_id": 1, "w": "cafe"},
            {"_id": 2, "w": "Café"},
            {"_id": 3, "w": "café"},
            {"_id": 4, "w": "CAFE"},
            {"_id": 5, "w": "cafes"},
        ]
    )
    return db.words
