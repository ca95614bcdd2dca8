"""Field operators: $set $unset $inc $mul $min $max $rename $currentDate $setOnInsert $bit, field order."""

import datetime

import pytest
from bson.decimal128 import Decimal128
from bson.int64 import Int64
from bson.timestamp import Timestamp

from docdb.engine.update import compile_update, upsert_seed


def apply(spec, doc, **kwargs):
    return compile_update(spec).apply(doc, **kwargs)


@pytest.mark.parametrize(
    "spec,doc,expected",
    [
        pytest.param(
            {"$set": {"b": 1, "a": 2}}, {"_id": 1}, {"_id": 1, "a": 2, "b": 1}, id="set-new-fields-sorted"
        ),
        pytest.param(
            {"$set": {"a.10": 1, "a.9": 2}},
            {"_id": 1},
            {"_id": 1, "a": {"9": 2, "10": 1}},
            id="numeric-order",
        ),
        pytest.param(
            {"$set": {"z": 1, "a": 1}}, {"_id": 1, "z": 0}, {"_id": 1, "z": 1, "a": 1}, id="existing-stays"
        ),
        pytest.param(
            {"$set": {"a.b.c": 1}}, {"_id": 1}, {"_id": 1, "a": {"b": {"c": 1}}}, id="set-creates-docs"
        ),
        pytest.param(
            {"$set": {"a.2": 1}}, {"_id": 1, "a": [0]}, {"_id": 1, "a": [0, None, 1]}, id="set-pads-array"
        ),
        pytest.param(
            {"$set": {"a.1.b": 1}}, {"_id": 1, "a": [{}, {}]}, {"_id": 1, "a": [{}, {"b": 1}]}, id="set-index"
        ),
        pytest.param({"$unset": {"a": ""}}, {"_id": 1, "a": 1, "b": 2}, {"_id": 1, "b": 2}, id="unset"),
        pytest.param(
            {"$unset": {"a.0": 1}}, {"_id": 1, "a": [1, 2]}, {"_id": 1, "a": [None, 2]}, id="unset-element"
        ),
        pytest.param({"$inc": {"a": 2}}, {"_id": 1, "a": 1}, {"_id": 1, "a": 3}, id="inc"),
        pytest.param({"$inc": {"a": -1}}, {"_id": 1}, {"_id": 1, "a": -1}, id="inc-missing"),
        pytest.param({"$inc": {"a": 0.5}}, {"_id": 1, "a": 1}, {"_id": 1, "a": 1.5}, id="inc-int-double"),
        pytest.param({"$mul": {"a": 2}}, {"_id": 1, "a": 1.25}, {"_id": 1, "a": 2.5}, id="mul"),
        pytest.param({"$mul": {"a": Int64(2)}}, {"_id": 1}, {"_id": 1, "a": Int64(0)}, id="mul-missing-zero"),
        pytest.param({"$min": {"a": 1}}, {"_id": 1, "a": 5}, {"_id": 1, "a": 1}, id="min"),
        pytest.param({"$min": {"a": "x"}}, {"_id": 1, "a": 5}, {"_id": 1, "a": 5}, id="min-bson-order"),
        pytest.param({"$max": {"a": "x"}}, {"_id": 1, "a": 5}, {"_id": 1, "a": "x"}, id="max-bson-order"),
        pytest.param({"$max": {"a": 1}}, {"_id": 1}, {"_id": 1, "a": 1}, id="max-missing"),
        pytest.param(
            {"$rename": {"a": "c"}}, {"_id": 1, "a": 1, "b": 2}, {"_id": 1, "b": 2, "c": 1}, id="rename"
        ),
        pytest.param(
            {"$rename": {"a.b": "c.d"}},
            {"_id": 1, "a": {"b": 1}},
            {"_id": 1, "a": {}, "c": {"d": 1}},
            id="rename-dotted",
        ),
        pytest.param(
            {"$rename": {"x": "c"}}, {"_id": 1, "c": 1}, {"_id": 1, "c": 1}, id="rename-missing-noop"
        ),
        pytest.param({"$bit": {"a": {"and": 10}}}, {"_id": 1, "a": 13}, {"_id": 1, "a": 8}, id="bit-and"),
        pytest.param(
            {"$bit": {"a": {"or": 5, "xor": 1}}}, {"_id": 1, "a": 8}, {"_id": 1, "a": 12}, id="bit-or-xor"
        ),
        pytest.param(
            {"$setOnInsert": {"a": 1}}, {"_id": 1}, {"_id": 1}, id="set-on-insert-ignored-on-update"
        ),
    ],
)
def test_operators(spec, doc, expected):
    new, modified = apply(spec, doc)
    assert new == expected
    assert [type(v) for v in new.values()] == [type(v) for v in expected.values()]
    assert list(new) == list(expected)
    assert modified is (new != doc or list(new) != list(doc))


@pytest.mark.parametrize(
    "start,inc,expected",
    [
        pytest.param(2**31 - 1, 1, Int64(2**31), id="int32-overflow-promotes"),
        pytest.param(Int64(5), 1, Int64(6), id="long-stays-long"),
        pytest.param(1, 1.0, 2.0, id="int-plus-double-is-double"),
        pytest.param(Decimal128("1.1"), 1, Decimal128("2.1"), id="decimal-stays-decimal"),
        pytest.param(1.5, Decimal128("1"), Decimal128("2.5"), id="double-plus-decimal"),
    ],
)
def test_inc_numeric_types(start, inc, expected):
    new, _ = apply({"$inc": {"a": inc}}, {"_id": 1, "a": start})
    assert new["a"] == expected and type(new["a"]) is type(expected)


def test_modified_is_false_for_identical_result():
    assert apply({"$set": {"a": 1}}, {"_id": 1, "a": 1}) == ({"_id": 1, "a": 1}, False)
    assert apply({"$set": {"a": 1.0}}, {"_id": 1, "a": 1})[1] is True
    assert apply({"$unset": {"x": 1}}, {"_id": 1}) == ({"_id": 1}, False)
    assert apply({"$set": {"_id": 1}}, {"_id": 1}) == ({"_id": 1}, False)


def test_input_is_not_mutated():
    doc = {"_id": 1, "a": {"b": [1, {"c": 2}]}}
    apply({"$set": {"a.b.1.c": 3}}, doc)
    apply({"$push": {"a.b": 4}}, doc)
    assert doc == {"_id": 1, "a": {"b": [1, {"c": 2}]}}


def test_current_date():
    new, _ = apply({"$currentDate": {"d": True, "t": {"$type": "timestamp"}}}, {"_id": 1})
    assert isinstance(new["d"], datetime.datetime) and new["d"].microsecond % 1000 == 0
    assert isinstance(new["t"], Timestamp)


def test_replacement_keeps_id():
    update = compile_update({"b": 2, "_id": 1})
    assert update.is_replacement
    assert update.apply({"_id": 1, "a": 1}) == ({"_id": 1, "b": 2}, True)
    assert compile_update({}).apply({"_id": 1, "a": 1}) == ({"_id": 1}, True)


def test_upsert_seed_and_insert():
    seed = upsert_seed({"a": 1, "b.c": {"$eq": 2}, "d": {"$gt": 1}, "_id": 7})
    assert seed == {"_id": 7, "a": 1, "b": {"c": 2}}
    new, _ = compile_update({"$setOnInsert": {"x": 1}, "$inc": {"n": 1}}).apply(seed, is_upsert_insert=True)
    assert new == {"_id": 7, "a": 1, "b": {"c": 2}, "n": 1, "x": 1}
