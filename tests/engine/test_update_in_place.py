"""``updates/in_place.py`` gives the bytes the general path gives, or steps aside.

For generated documents (numbers of each BSON type and edge value, strings, nested documents, arrays,
binaries, regexes …) and generated ``$inc``/``$set`` updates, whenever ``patch`` answers it must equal
``CompiledUpdate.apply`` followed by ``encode_stored``, byte for byte, and "unchanged" exactly when the
general path says the update modified nothing. The cases where it must step aside are checked too.
"""

from __future__ import annotations

import math

import bson
from bson.binary import Binary
from bson.int64 import Int64
from bson.objectid import ObjectId
from bson.regex import Regex
from hypothesis import given, settings
from hypothesis import strategies as st

from docdb.bson_codec import decode_document
from docdb.engine.update import compile_update
from docdb.engine.updates.in_place import MAX_WALK, patch
from docdb.engine.writes import encode_stored, with_id_first

INT32 = st.integers(-(2**31), 2**31 - 1)
EDGE_INTS = st.sampled_from([0, 1, -1, 2**31 - 1, -(2**31), 2**31 - 2])
DOUBLES = st.floats(allow_nan=True, allow_infinity=True) | st.sampled_from([0.0, -0.0, math.nan, 1e308])
NUMBERS = INT32 | EDGE_INTS | DOUBLES | st.builds(Int64, st.integers(-(2**63), 2**63 - 1))
OTHERS = st.one_of(
    st.text(max_size=5),
    st.none(),
    st.booleans(),
    st.lists(INT32, max_size=3),
    st.dictionaries(st.sampled_from(["x", "y"]), INT32, max_size=2),
    st.builds(Binary, st.binary(max_size=4), st.sampled_from([0, 5])),
    st.just(Regex("a+", "i")),
)
NAMES = st.sampled_from(["a", "b", "n", "cc", "z"])
# the plain path's stored _id types: int32, string and ObjectId
IDS = INT32 | st.text(max_size=8) | st.binary(min_size=12, max_size=12).map(ObjectId)


def general(raw: bytes, spec: dict) -> tuple[bytes, bool] | None:
    """What the general path stores (and whether it modified), or None where it refuses."""
    try:
        new, modified = compile_update(spec).apply(decode_document(raw))
        return encode_stored(with_id_first(new)), modified
    except Exception:
        return None


@settings(max_examples=400, deadline=None)
@given(
    fields=st.dictionaries(NAMES, NUMBERS | OTHERS, max_size=5),
    updates=st.dictionaries(NAMES, INT32 | EDGE_INTS | DOUBLES, min_size=1, max_size=3),
    op=st.sampled_from(["$inc", "$set"]),
    id_value=IDS,
)
def test_patch_equals_the_general_path(
    fields: dict, updates: dict, op: str, id_value: int | str | ObjectId
) -> None:
    raw = bson.encode({"_id": id_value, **fields})
    compiled = compile_update({op: updates})
    if compiled.in_place is None:
        return
    patched = patch(raw, compiled.in_place)
    if patched is None:
        return
    expected = general(raw, {op: updates})
    assert expected is not None
    new, modified = expected
    if modified:
        assert patched == new
    else:
        assert patched is raw


def test_common_cases_are_patched() -> None:
    raw = bson.encode({"_id": 1, "s": "abc", "d": {"x": [1, 2]}, "b": Binary(b"\x00\x01", 5), "n": 41})
    steps = compile_update({"$inc": {"n": 1}}).in_place
    assert decode_document(patch(raw, steps)) == {**decode_document(raw), "n": 42}
    double = bson.encode({"_id": 1, "f": 1.5})
    assert decode_document(patch(double, compile_update({"$inc": {"f": 1}}).in_place)) == {"_id": 1, "f": 2.5}
    long = bson.encode({"_id": 1, "l": Int64(5)})
    assert bson.decode(patch(long, compile_update({"$inc": {"l": 2}}).in_place))["l"].__class__ is Int64
    assert patch(raw, compile_update({"$set": {"n": 41}}).in_place) is raw  # nothing changes
    for id_value in ("", "a string _id", 2**31 - 1, ObjectId(b"\x01" * 12)):  # right after _id, or later
        for doc in ({"_id": id_value, "n": 1, "s": "x"}, {"_id": id_value, "s": "x", "n": 1}):
            assert decode_document(patch(bson.encode(doc), steps)) == {**doc, "n": 2}


def test_steps_aside_where_the_size_or_type_would_change() -> None:
    raw = bson.encode({"_id": 1, "n": 2**31 - 1, "f": 1.5, "l": Int64(2**63 - 1), "s": "x"})
    for spec in (
        {"$inc": {"n": 1}},  # int32 overflow: the general path makes an int64
        {"$inc": {"l": 1}},  # int64 overflow: the general path reports it
        {"$inc": {"s": 1}},  # not a number: the general path reports it
        {"$inc": {"missing": 1}},  # a new field
        {"$set": {"n": 1.5}},  # int32 to double
        {"$set": {"f": 2}},  # double to int32
        {"$set": {"l": 2}},  # int64 to int32
        {"$inc": {"n": 0.5}},  # int32 + double is a double
    ):
        steps = compile_update(spec).in_place
        assert steps is None or patch(raw, steps) is None, spec


def test_updates_it_cannot_plan() -> None:
    for spec in (
        {"$inc": {"a.b": 1}},
        {"$inc": {"_id": 1}},
        {"$inc": {"n": Int64(1)}},
        {"$set": {"n": "text"}},
        {"$set": {"n": True}},
        {"$unset": {"n": ""}},
        {"$mul": {"n": 2}},
    ):
        assert compile_update(spec).in_place is None, spec


def test_a_field_past_the_walk_limit_takes_the_general_path() -> None:
    near = bson.encode({"_id": 1, **{f"f{i}": i for i in range(MAX_WALK - 2)}, "n": 1})
    far = bson.encode({"_id": 1, **{f"f{i}": i for i in range(MAX_WALK)}, "n": 1})
    steps = compile_update({"$inc": {"n": 1}}).in_place
    assert decode_document(patch(near, steps))["n"] == 2
    assert patch(far, steps) is None
