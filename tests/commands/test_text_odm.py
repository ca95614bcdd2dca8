"""The point of text indexes here: an ODM that declares a text index starts against docdb and searches.

MongoEngine creates a document class's declared indexes on first use (``ensure_indexes``), as
applications do at start-up, and its ``search_text`` sends ``$text`` with ``{$meta: "textScore"}``."""

from __future__ import annotations

import uuid

import pytest

mongoengine = pytest.importorskip("mongoengine")


def test_mongoengine_text_index_and_search(server):
    alias = f"a{uuid.uuid4().hex[:8]}"
    mongoengine.connect(db=f"odm_{alias}", host=server.uri, alias=alias, uuidRepresentation="standard")
    try:

        class Article(mongoengine.Document):
            title = mongoengine.StringField()
            body = mongoengine.StringField()
            meta = {
                "db_alias": alias,
                "indexes": [
                    {"fields": ["$title", "$body"], "default_language": "english", "weights": {"title": 10}}
                ],
            }

        Article.ensure_indexes()
        Article(title="Coffee and cakes", body="A guide to baking").save()
        Article(title="Tea", body="coffee is mentioned once here").save()
        Article(title="Gardening", body="roses").save()
        Article.ensure_indexes()  # the next start-up declares it again: a no-op
        found = Article.objects.search_text("coffee").order_by("$text_score")
        assert [(a.title, a.get_text_score()) for a in found] == [
            ("Coffee and cakes", 10 * (0.5 / 2 + 0.5)),
            ("Tea", 1 * (0.5 / 2 + 0.5)),  # "is", "once", "here" are stop words
        ]
        info = Article._get_collection().index_information()
        assert info["title_text_body_text"]["weights"] == {"body": 1, "title": 10}
    finally:
        mongoengine.disconnect(alias=alias)
