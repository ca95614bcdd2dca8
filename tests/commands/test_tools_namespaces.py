"""mongorestore's --nsInclude/--nsExclude wildcards and --nsFrom/--nsTo renames."""

from __future__ import annotations

import pytest

from docdb.tools.namespaces import NamespaceRules


def test_include_and_exclude_wildcards():
    rules = NamespaceRules(include=["shop.*", "crm.users"], exclude=["shop.tmp*", r"shop.lit\*"])
    assert [ns for ns in ("shop.a", "shop.tmp1", "shop.lit*", "crm.users", "crm.x") if rules.wanted(ns)] == [
        "shop.a",
        "crm.users",
    ]


def test_renames_with_variables():
    rules = NamespaceRules(renames=[("$db$.old.$rest$", "$db$_v2.new.$rest$"), ("a.b", "c.d")])
    assert rules.target("shop.old.x.y") == "shop_v2.new.x.y"
    assert rules.target("a.b") == "c.d"
    assert rules.target("a.c") == "a.c"


def test_rename_variables_must_match():
    with pytest.raises(ValueError):
        NamespaceRules(renames=[("$db$.x", "$other$.x")])
