"""The one comparator: canonical type order, cross-type numbers, NaN, strings, documents, arrays, binData."""

import datetime
import math

import pytest
from bson.binary import Binary
from bson.datetime_ms import DatetimeMS
from bson.decimal128 import Decimal128
from bson.int64 import Int64
from bson.max_key import MaxKey
from bson.min_key import MinKey
from bson.objectid import ObjectId
from bson.regex import Regex
from bson.timestamp import Timestamp

from docdb.engine.bson_order import compare, hash_key, sort_key, type_rank, values_equal

NAN = float("nan")

# One value of each type, in MongoDB's documented ascending order.
ORDERED = [
    MinKey(),
    None,
    1,
    "a",
    {"a": 1},
    [1],
    b"\x00",
    ObjectId("000000000000000000000000"),
    False,
    datetime.datetime(2020, 1, 1),
    Timestamp(1, 1),
    Regex("a"),
    MaxKey(),
]


def test_canonical_type_order():
    assert sorted(reversed(ORDERED), key=sort_key) == ORDERED
    for low, high in zip(ORDERED, ORDERED[1:], strict=False):
        assert compare(low, high) == -1
        assert compare(high, low) == 1
        assert type_rank(low) < type_rank(high)


@pytest.mark.parametrize(
    "a,b,expected",
    [
        pytest.param(1, 1.0, 0, id="int-double"),
        pytest.param(Int64(1), Decimal128("1.0"), 0, id="long-decimal"),
        pytest.param(2**53 + 1, float(2**53), 1, id="long-beats-rounded-double"),
        pytest.param(-0.0, 0, 0, id="negative-zero"),
        pytest.param(NAN, NAN, 0, id="nan-equals-nan"),
        pytest.param(NAN, -math.inf, -1, id="nan-below-everything"),
        pytest.param(Decimal128("NaN"), NAN, 0, id="decimal-nan"),
        pytest.param(Decimal128("0.5"), 0.25, 1, id="decimal-vs-double"),
        pytest.param(True, 100, 1, id="bool-is-not-a-number"),
        pytest.param(False, True, -1, id="false-true"),
        pytest.param("B", "a", -1, id="string-bytes"),
        pytest.param("ab", "b", -1, id="string-lexicographic"),
        pytest.param("é", "z", 1, id="string-utf8"),
        pytest.param({"a": 1}, {"a": 1, "b": 0}, -1, id="doc-prefix"),
        pytest.param({"a": 2}, {"b": 1}, -1, id="doc-field-name"),
        pytest.param({"b": 1}, {"a": "x"}, -1, id="doc-value-type-first"),
        pytest.param([1, 2], [1, 3], -1, id="array-elementwise"),
        pytest.param([2], [1, 9], 1, id="array-first-element"),
        pytest.param(b"zz", b"aaa", -1, id="bindata-length-first"),
        pytest.param(Binary(b"a", 5), b"b", 1, id="bindata-subtype-second"),
        pytest.param(datetime.datetime(1970, 1, 1, 0, 0, 1), DatetimeMS(1000), 0, id="datetime-ms"),
        pytest.param(Timestamp(1, 2), Timestamp(2, 1), -1, id="timestamp"),
        pytest.param(MinKey(), MinKey(), 0, id="minkey"),
    ],
)
def test_compare(a, b, expected):
    assert compare(a, b) == expected
    assert compare(b, a) == -expected
    assert values_equal(a, b) is (expected == 0)
    assert (hash_key(a) == hash_key(b)) is (expected == 0)


def test_hash_key_groups_equal_numbers():
    keys = {hash_key(v) for v in (1, 1.0, Int64(1), Decimal128("1"), Decimal128("1.00"))}
    assert len(keys) == 1
    assert hash_key(True) != hash_key(1)
    assert hash_key(NAN) == hash_key(Decimal128("NaN"))
    assert hash_key({"a": [1, 2.0]}) == hash_key({"a": [1.0, Int64(2)]})
    assert hash_key({"a": 1, "b": 2}) != hash_key({"b": 2, "a": 1})
