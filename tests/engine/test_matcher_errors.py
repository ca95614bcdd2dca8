"""Bad filters are rejected at compile time with mongod's code, codeName and message."""

import pytest
from bson.regex import Regex

from docdb.engine.matcher import compile_filter
from docdb.errors import MongoError


@pytest.mark.parametrize(
    "spec,code,code_name,message",
    [
        ({"a": {"$foo": 1}}, 2, "BadValue", "unknown operator: $foo"),
        ({"$foo": 1}, 2, "BadValue", "unknown top level operator: $foo"),
        ({"a": {"$gt": 1, "b": 1}}, 2, "BadValue", "unknown operator: b"),
        ({"a": {"$in": 1}}, 2, "BadValue", "$in needs an array"),
        ({"a": {"$nin": {}}}, 2, "BadValue", "$nin needs an array"),
        ({"a": {"$in": [{"$gt": 1}]}}, 2, "BadValue", "cannot nest $ under $in"),
        ({"$and": []}, 2, "BadValue", "$and/$or/$nor must be a nonempty array"),
        ({"$or": {}}, 2, "BadValue", "$or must be an array"),
        ({"$nor": [1]}, 2, "BadValue", "$or/$and/$nor entries need to be full objects"),
        ({"a": {"$not": 1}}, 2, "BadValue", "$not needs a regex or a document"),
        ({"a": {"$not": {}}}, 2, "BadValue", "$not cannot be empty"),
        ({"a": {"$ne": Regex("x")}}, 2, "BadValue", "Can't have regex as arg to $ne."),
        ({"a": {"$gt": Regex("x")}}, 2, "BadValue", "Can't have RegEx as arg to predicate over field 'a'."),
        ({"a": {"$size": "1"}}, 2, "BadValue", "$size needs a number"),
        ({"a": {"$size": -1}}, 2, "BadValue", "$size may not be negative"),
        ({"a": {"$size": 1.5}}, 2, "BadValue", "$size must be a whole number"),
        ({"a": {"$all": 1}}, 2, "BadValue", "$all needs an array"),
        ({"a": {"$all": [{"$gt": 1}]}}, 2, "BadValue", "no $ expressions in $all"),
        ({"a": {"$elemMatch": 1}}, 2, "BadValue", "$elemMatch needs an Object"),
        ({"a": {"$mod": 1}}, 2, "BadValue", "malformed mod, needs to be an array"),
        ({"a": {"$mod": [1]}}, 2, "BadValue", "malformed mod, not enough elements"),
        ({"a": {"$mod": [1, 2, 3]}}, 2, "BadValue", "malformed mod, too many elements"),
        ({"a": {"$mod": ["1", 2]}}, 2, "BadValue", "malformed mod, divisor not a number"),
        ({"a": {"$mod": [0, 1]}}, 2, "BadValue", "divisor cannot be 0"),
        ({"a": {"$regex": 1}}, 2, "BadValue", "$regex has to be a string"),
        ({"a": {"$options": "i"}}, 2, "BadValue", "$options needs a $regex"),
        ({"a": {"$regex": "x", "$options": "q"}}, 51108, "Location51108", "invalid flag in regex options: q"),
        (
            {"a": {"$regex": Regex("x", "i"), "$options": "m"}},
            51075,
            "Location51075",
            "options set in both $regex and $options",
        ),
        ({"a": {"$type": "foo"}}, 2, "BadValue", "Unknown type name alias: foo"),
        ({"a": {"$type": 100}}, 2, "BadValue", "Invalid numerical type code: 100"),
        ({"a": {"$type": {}}}, 14, "TypeMismatch", "type must be represented as a number or a string"),
        ({"a": {"$type": []}}, 9, "FailedToParse", "$type must match at least one type"),
        ({"a": {"$bitsAllSet": -1}}, 9, "FailedToParse", "Expected a positive number in: $bitsAllSet: -1"),
        (
            {"a": {"$bitsAnySet": "x"}},
            2,
            "BadValue",
            '$bitsAnySet takes an Array, a number, or a BinData but received: $bitsAnySet: "x"',
        ),
        ({"a": {"$bitsAllClear": [-1]}}, 2, "BadValue", "bit positions must be >= 0 but got: 0: -1"),
        ({"$alwaysTrue": 2}, 9, "FailedToParse", "$alwaysTrue must be an integer value of 1"),
        ({"a": {"$where": "x"}}, 2, "BadValue", "$where cannot be applied to a field"),
        ({"$text": {"$search": "x"}}, 27, "IndexNotFound", "text index required for $text query"),
        (
            {"a": {"$elemMatch": {"$text": {"$search": "x"}}}},
            2,
            "BadValue",
            "$text can only be applied to the top-level document",
        ),
        (
            {"a": {"$near": [0, 0]}},
            5626500,
            "Location5626500",
            "$geoNear, $near, and $nearSphere are not allowed in this context, as these operators require "
            "sorting geospatial data. If you do not need sort, consider using $geoWithin instead. Check out "
            "https://dochub.mongodb.org/core/near-sort-operation and "
            "https://dochub.mongodb.org/core/nearSphere-sort-operationfor more details.",
        ),
        ({"a": {"$geoWithin": {}}}, 2, "BadValue", "geo query doesn't have any geometry"),
        ({"$jsonSchema": 1}, 14, "TypeMismatch", "$jsonSchema must be an object"),
    ],
)
def test_bad_filter(spec, code, code_name, message):
    with pytest.raises(MongoError) as exc:
        compile_filter(spec)
    assert (exc.value.code, exc.value.code_name, exc.value.errmsg) == (code, code_name, message)
