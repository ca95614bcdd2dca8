"""Bad updates: compile-time and document-dependent errors with mongod's codes and messages."""

import pytest

from docdb.engine.update import compile_update, upsert_seed
from docdb.errors import MongoError


@pytest.mark.parametrize(
    "spec,kwargs,code,code_name,message",
    [
        (
            {"$foo": {"a": 1}},
            {},
            9,
            "FailedToParse",
            "Unknown modifier: $foo. Expected a valid update modifier or pipeline-style "
            "update specified as an array",
        ),
        (
            {"$set": {"a": 1}, "b": 1},
            {},
            9,
            "FailedToParse",
            "Unknown modifier: b. Expected a valid update modifier or pipeline-style update "
            "specified as an array",
        ),
        (
            {"$set": 1},
            {},
            9,
            "FailedToParse",
            "Modifiers operate on fields but we found type int instead. For example: {$mod: "
            "{<field>: ...}} not "
            "{$set: 1}",
        ),
        (
            {"a": 1, "$set": {"b": 1}},
            {},
            52,
            "DollarPrefixedFieldName",
            "The dollar ($) prefixed field '$set' in '$set' is not allowed in the context of "
            "an update's replacement "
            "document. Consider using an aggregation pipeline with $replaceWith.",
        ),
        (
            {"$set": {"a": 1}, "$inc": {"a.b": 1}},
            {},
            40,
            "ConflictingUpdateOperators",
            "Updating the path 'a.b' would create a conflict at 'a'",
        ),
        (
            {"$set": {"a.b": 1}, "$unset": {"a": 1}},
            {},
            40,
            "ConflictingUpdateOperators",
            "Updating the path 'a' would create a conflict at 'a'",
        ),
        (
            {"$rename": {"a": "b"}, "$set": {"b": 1}},
            {},
            40,
            "ConflictingUpdateOperators",
            "Updating the path 'b' would create a conflict at 'b'",
        ),
        (
            {"$inc": {"a": "x"}},
            {},
            14,
            "TypeMismatch",
            'Cannot increment with non-numeric argument: {a: "x"}',
        ),
        (
            {"$mul": {"a": None}},
            {},
            14,
            "TypeMismatch",
            "Cannot multiply with non-numeric argument: {a: null}",
        ),
        ({"$set": {"": 1}}, {}, 56, "EmptyFieldName", "An empty update path is not valid."),
        (
            {"$set": {"a..b": 1}},
            {},
            56,
            "EmptyFieldName",
            "The update path 'a..b' contains an empty field name, which is not allowed.",
        ),
        (
            {"$set": {"a.$.b.$": 1}},
            {},
            2,
            "BadValue",
            "Too many positional (i.e. '$') elements found in path 'a.$.b.$'",
        ),
        (
            {"$set": {"a.$[x]": 1}},
            {},
            2,
            "BadValue",
            "No array filter found for identifier 'x' in path 'a.$[x]'",
        ),
        (
            {"$set": {"a": 1}},
            {"array_filters": [{"x": 1}]},
            9,
            "FailedToParse",
            "The array filter for identifier 'x' was not used in the update { $set: { a: 1 } }",
        ),
        (
            {"$set": {"a.$[X]": 1}},
            {"array_filters": [{"X": 1}]},
            2,
            "BadValue",
            "Error parsing array filter :: caused by :: The top-level field name must be an "
            "alphanumeric string "
            "beginning with a lowercase letter, found 'X'",
        ),
        ({"$pop": {"a": 2}}, {}, 9, "FailedToParse", "$pop expects 1 or -1, found: 2"),
        (
            {"$push": {"a": {"$each": 1}}},
            {},
            2,
            "BadValue",
            "The argument to $each in $push must be an array but it was of type: int",
        ),
        ({"$push": {"a": {"$each": [], "$foo": 1}}}, {}, 2, "BadValue", "Unrecognized clause in $push: $foo"),
        (
            {"$pullAll": {"a": 1}},
            {},
            2,
            "BadValue",
            "$pullAll requires an array argument but was given a int",
        ),
        ({"$rename": {"a": 1}}, {}, 2, "BadValue", "The 'to' field for $rename must be a string: a: 1"),
        (
            {"$rename": {"a": "a.b"}},
            {},
            2,
            "BadValue",
            'The source and target field for $rename must not be on the same path: a: "a.b"',
        ),
        (
            {"$bit": {"a": {"not": 1}}},
            {},
            2,
            "BadValue",
            "The $bit modifier only supports 'and', 'or', and 'xor', not 'not' which is an "
            "unknown operator: {not: 1}",
        ),
        (
            [{"$match": {"a": 1}}],
            {},
            72,
            "InvalidOptions",
            "$match is not allowed to be used within an update",
        ),
        (
            [{"$set": {"a": 1}}],
            {"array_filters": [{"x": 1}]},
            9,
            "FailedToParse",
            "arrayFilters may not be specified for pipeline-style updates",
        ),
        (
            {"$set": {"a": 1}},
            {"constants": {"x": 1}},
            51198,
            "Location51198",
            "Constant values may only be specified for pipeline updates",
        ),
    ],
)
def test_compile_errors(spec, kwargs, code, code_name, message):
    with pytest.raises(MongoError) as exc:
        compile_update(spec, **kwargs)
    assert (exc.value.code, exc.value.code_name, exc.value.errmsg) == (code, code_name, message)


@pytest.mark.parametrize(
    "spec,doc,query,code,code_name,message",
    [
        (
            {"$inc": {"a": 1}},
            {"_id": 1, "a": "x"},
            None,
            14,
            "TypeMismatch",
            "Cannot apply $inc to a value of non-numeric type. {_id: 1} has the field 'a' of "
            "non-numeric type string",
        ),
        (
            {"$set": {"_id": 2}},
            {"_id": 1},
            None,
            66,
            "ImmutableField",
            "Performing an update on the path '_id' would modify the immutable field '_id'",
        ),
        (
            {"_id": 2, "a": 1},
            {"_id": 1},
            None,
            66,
            "ImmutableField",
            "After applying the update, the (immutable) field '_id' was found to have been altered to _id: 2",
        ),
        (
            {"$set": {"a.b": 1}},
            {"_id": 1, "a": 5},
            None,
            28,
            "PathNotViable",
            "Cannot create field 'b' in element {a: 5}",
        ),
        (
            {"$push": {"a": 1}},
            {"_id": 1, "a": 5},
            None,
            2,
            "BadValue",
            "The field 'a' must be an array but is of type int in document {_id: 1}",
        ),
        (
            {"$addToSet": {"a": 1}},
            {"_id": 1, "a": {}},
            None,
            2,
            "BadValue",
            "Cannot apply $addToSet to non-array field. Field named 'a' has non-array type object",
        ),
        (
            {"$pop": {"a": 1}},
            {"_id": 1, "a": 5},
            None,
            14,
            "TypeMismatch",
            "Path 'a' contains an element of non-array type 'int'",
        ),
        (
            {"$set": {"a.$": 1}},
            {"_id": 1, "a": [1]},
            {"b": 1},
            2,
            "BadValue",
            "The positional operator did not find the match needed from the query.",
        ),
        (
            {"$set": {"a.$[].b": 1}},
            {"_id": 1, "a": 5},
            None,
            2,
            "BadValue",
            "Cannot apply array updates to non-array element a: 5",
        ),
        (
            {"$inc": {"a": 1}},
            {"_id": 1, "a": 2**63 - 1},
            None,
            2,
            "BadValue",
            "Failed to apply $inc operations to current value (9223372036854775807) for document {_id: 1}",
        ),
    ],
)
def test_apply_errors(spec, doc, query, code, code_name, message):
    update = compile_update(spec)
    with pytest.raises(MongoError) as exc:
        update.apply(doc, query=query)
    assert (exc.value.code, exc.value.code_name, exc.value.errmsg) == (code, code_name, message)


def test_upsert_seed_conflicts():
    with pytest.raises(MongoError) as exc:
        upsert_seed({"a": 1, "$and": [{"a.b": 2}]})
    assert (exc.value.code, exc.value.code_name) == (54, "NotSingleValueField")
    assert exc.value.errmsg == "cannot infer query fields to set, both paths 'a.b' and 'a' are matched"
