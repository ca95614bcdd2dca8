"""The dotted-path walker: plain lookups, MongoDB's implicit array traversal, and writes."""

import pytest

from docdb.engine.paths import MISSING, get_path, lookup_values, set_path, unset_path
from docdb.errors import MongoError


@pytest.mark.parametrize(
    "doc,path,expected",
    [
        pytest.param({"a": {"b": 1}}, "a.b", 1, id="nested"),
        pytest.param({"a": [5, 6]}, "a.1", 6, id="index"),
        pytest.param({"a": [5]}, "a.3", MISSING, id="index-out-of-range"),
        pytest.param({"a": [{"b": 1}]}, "a.b", MISSING, id="no-expansion"),
        pytest.param({"a": 1}, "a.b", MISSING, id="through-scalar"),
        pytest.param({"a": None}, "a", None, id="null-is-not-missing"),
    ],
)
def test_get_path(doc, path, expected):
    assert get_path(doc, path) == expected if expected is not MISSING else get_path(doc, path) is MISSING


@pytest.mark.parametrize(
    "doc,path,expected",
    [
        pytest.param({"a": 1}, "a", [1], id="scalar"),
        pytest.param({}, "a", [MISSING], id="missing"),
        pytest.param({"a": 5}, "a.b", [MISSING], id="through-scalar-is-missing"),
        pytest.param({"a": [1, [2]]}, "a", [1, [2], [1, [2]]], id="leaf-array-elements-then-array"),
        pytest.param({"a": [{"b": 1}, {"c": 2}, 3]}, "a.b", [1, MISSING], id="array-of-docs"),
        pytest.param({"a": [1, 2]}, "a.b", [], id="array-of-scalars-yields-nothing"),
        pytest.param({"a": [{"b": [1, 2]}]}, "a.b", [1, 2, [1, 2]], id="nested-leaf-array"),
        pytest.param({"a": [[{"b": 1}]]}, "a.b", [], id="array-of-arrays-not-traversed"),
        pytest.param({"a": [[{"b": 1}]]}, "a.0.b", [1], id="index-into-nested-array"),
        # mongod also walks "1.b" inside each element document, which yields missing there.
        pytest.param({"a": [{"b": 1}, {"b": 2}]}, "a.1.b", [MISSING, MISSING, 2], id="index-then-field"),
        pytest.param({"a": [7, 8]}, "a.1", [8], id="index-leaf"),
    ],
)
def test_lookup_values(doc, path, expected):
    assert lookup_values(doc, path) == expected


def test_set_path_creates_and_pads():
    doc = {"a": [1]}
    set_path(doc, "a.3", 9)
    set_path(doc, "b.c.d", 1)
    set_path(doc, "e.0", 1)
    assert doc == {"a": [1, None, None, 9], "b": {"c": {"d": 1}}, "e": {"0": 1}}


@pytest.mark.parametrize(
    "doc,path,message",
    [
        pytest.param({"a": 1}, "a.b", "Cannot create field 'b' in element {a: 1}", id="scalar"),
        pytest.param({"a": [1, 2]}, "a.b", "Cannot create field 'b' in element {a: [ 1, 2 ]}", id="array"),
        pytest.param({"a": {"b": None}}, "a.b.c", "Cannot create field 'c' in element {b: null}", id="null"),
    ],
)
def test_set_path_not_viable(doc, path, message):
    with pytest.raises(MongoError) as exc:
        set_path(doc, path, 1)
    assert (exc.value.code, exc.value.code_name, exc.value.errmsg) == (28, "PathNotViable", message)


def test_unset_path():
    doc = {"a": {"b": 1}, "l": [1, 2]}
    assert unset_path(doc, "a.b") is True
    assert unset_path(doc, "l.1") is True
    assert unset_path(doc, "x.y") is False
    assert doc == {"a": {}, "l": [1, None]}
