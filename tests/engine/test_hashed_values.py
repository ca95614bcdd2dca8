"""mongod's hashed-index hash (``convertShardKeyToHashed``) against the test vectors of mongod's own
``hasher_test.cpp`` (values determined on mongod), one per BSON type and numeric edge case."""

from __future__ import annotations

import datetime

import pytest
from bson.binary import Binary
from bson.code import Code
from bson.int64 import Int64
from bson.max_key import MaxKey
from bson.min_key import MinKey
from bson.objectid import ObjectId
from bson.regex import Regex

from docdb.engine.indexing.hashed import hash64

VECTORS = [
    (42, -944302157085130861),
    (42.123, -944302157085130861),
    (Int64(42), -944302157085130861),
    (0, 4854801880128277513),
    (0.456, 4854801880128277513),
    (float("nan"), 4854801880128277513),
    (1, 5902408780260971510),
    (1.987, 5902408780260971510),
    (-1, 1140205862565771219),
    (-1.789, 1140205862565771219),
    (-(2**31), 6165898260261354870),
    (float(-(2**31)), 6165898260261354870),
    (2**31 - 1, 1143184177162245883),
    (1.7976931348623157e308, 921523596458303250),
    (Int64(2**63 - 1), 921523596458303250),
    (-1.7976931348623157e308, 4532067210535695462),
    (Int64(-(2**63)), 4532067210535695462),
    (MinKey(), 7961148599568647290),
    (MaxKey(), 5504842513779440750),
    ("abc", 8478485326885698097),
    ("", 2049396243249673340),
    ({"a": "abc", "b": Int64(123)}, 4771603801758380216),
    ({}, 7980500913326740417),
    (["bar", "baz", "qux"], -2938911267422831539),
    ([], 8849948234993459283),
    (Binary(bytes([0, 1, 2, 3, 4, 6]), 0), 7252465090394235301),
    (Binary(bytes([0, 1, 2, 3, 4, 6]), 128), 5736670452907618262),
    (Binary(bytes(range(16)), 4), 6084661258071355978),
    (ObjectId("010203040506070809101112"), -5588663249627035708),
    (ObjectId("000000000000000000000000"), -4293118519463489418),
    (True, 6405873908747105701),
    (False, 6289544573401934092),
    (datetime.datetime(1970, 1, 1), -1178696894582842035),
    (Regex("mongodb"), -7275792090268217043),
    (Regex(".*", "i"), 7095855029187981886),
    (Code("func f() { return 1; }"), 6861638109178014270),
    (Code("func f() { return 1; }", {"c": True}), 501342939894575968),
]


@pytest.mark.parametrize(("value", "expected"), VECTORS, ids=[repr(v)[:30] for v, _ in VECTORS])
def test_hash_matches_mongod(value, expected):
    assert hash64(value) == expected
