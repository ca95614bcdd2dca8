"""String, array, set and object expressions (examples from the MongoDB manual plus edge cases)."""

import pytest
from bson.int64 import Int64
from bson.regex import Regex

from docdb.engine.expressions import MISSING, evaluate
from docdb.errors import MongoError

DOC = {
    "s": "hello world",
    "u": "café",
    "arr": [1, 2, 3, 4],
    "docs": [{"b": 1}, {"c": 2}, {"b": 3}],
    "n": None,
}


@pytest.mark.parametrize(
    "spec, expected",
    [
        pytest.param({"$concat": ["a", "-", "b"]}, "a-b", id="concat"),
        pytest.param({"$concat": ["a", "$n"]}, None, id="concat-null"),
        pytest.param({"$toUpper": "$u"}, "CAFé", id="toUpper-ascii-only"),
        pytest.param({"$toLower": "ABC"}, "abc", id="toLower"),
        pytest.param({"$toUpper": "$missing"}, "", id="toUpper-missing"),
        pytest.param({"$toLower": 1.5}, "1.5", id="toLower-number"),
        pytest.param({"$substrBytes": ["$u", 0, 3]}, "caf", id="substrBytes"),
        pytest.param({"$substrCP": ["$u", 3, 1]}, "é", id="substrCP"),
        pytest.param({"$substr": ["hello", 1, -1]}, "ello", id="substr-negative-length"),
        pytest.param({"$strLenBytes": "$u"}, 5, id="strLenBytes"),
        pytest.param({"$strLenCP": "$u"}, 4, id="strLenCP"),
        pytest.param({"$split": ["a,b,,c", ","]}, ["a", "b", "", "c"], id="split"),
        pytest.param({"$trim": {"input": "  x  "}}, "x", id="trim"),
        pytest.param({"$ltrim": {"input": "xxaxx", "chars": "x"}}, "axx", id="ltrim-chars"),
        pytest.param({"$rtrim": {"input": "xxaxx", "chars": "x"}}, "xxa", id="rtrim-chars"),
        pytest.param({"$indexOfBytes": ["$s", "o"]}, 4, id="indexOfBytes"),
        pytest.param({"$indexOfCP": ["$u", "é"]}, 3, id="indexOfCP"),
        pytest.param({"$indexOfCP": ["$s", "o", 5]}, 7, id="indexOfCP-start"),
        pytest.param({"$indexOfCP": ["$s", "z"]}, -1, id="indexOfCP-none"),
        pytest.param({"$indexOfCP": ["$n", "z"]}, None, id="indexOfCP-null"),
        pytest.param({"$strcasecmp": ["ABC", "abd"]}, -1, id="strcasecmp"),
        pytest.param({"$regexMatch": {"input": "$s", "regex": "^HE", "options": "i"}}, True, id="regexMatch"),
        pytest.param(
            {"$regexFind": {"input": "$s", "regex": Regex("(o)(x)?")}},
            {"match": "o", "idx": 4, "captures": ["o", None]},
            id="regexFind",
        ),
        pytest.param(
            {"$regexFindAll": {"input": "a1b22", "regex": "[0-9]+"}},
            [{"match": "1", "idx": 1, "captures": []}, {"match": "22", "idx": 3, "captures": []}],
            id="regexFindAll",
        ),
        pytest.param({"$regexFind": {"input": "$missing", "regex": "a"}}, None, id="regexFind-missing"),
        pytest.param(
            {"$replaceOne": {"input": "aXbX", "find": "X", "replacement": "-"}}, "a-bX", id="replaceOne"
        ),
        pytest.param(
            {"$replaceAll": {"input": "aXbX", "find": "X", "replacement": "-"}}, "a-b-", id="replaceAll"
        ),
        pytest.param(
            {"$replaceAll": {"input": "$n", "find": "X", "replacement": "-"}}, None, id="replaceAll-null"
        ),
    ],
)
def test_strings(spec, expected):
    assert evaluate(spec, DOC) == expected


@pytest.mark.parametrize(
    "spec, expected",
    [
        pytest.param("$docs.b", [1, 3], id="path-through-array"),
        pytest.param({"$size": "$arr"}, 4, id="size"),
        pytest.param({"$arrayElemAt": ["$arr", -1]}, 4, id="arrayElemAt-negative"),
        pytest.param({"$first": "$arr"}, 1, id="first"),
        pytest.param({"$last": "$arr"}, 4, id="last"),
        pytest.param({"$filter": {"input": "$arr", "cond": {"$gt": ["$$this", 2]}}}, [3, 4], id="filter"),
        pytest.param(
            {"$filter": {"input": "$arr", "as": "x", "cond": {"$gt": ["$$x", 1]}, "limit": 2}},
            [2, 3],
            id="filter-limit",
        ),
        pytest.param(
            {"$map": {"input": "$arr", "as": "x", "in": {"$multiply": ["$$x", 10]}}},
            [10, 20, 30, 40],
            id="map",
        ),
        pytest.param(
            {"$reduce": {"input": "$arr", "initialValue": 0, "in": {"$add": ["$$value", "$$this"]}}},
            10,
            id="reduce",
        ),
        pytest.param({"$in": [2, "$arr"]}, True, id="in"),
        pytest.param({"$slice": ["$arr", 2]}, [1, 2], id="slice-n"),
        pytest.param({"$slice": ["$arr", -2]}, [3, 4], id="slice-negative"),
        pytest.param({"$slice": ["$arr", 1, 2]}, [2, 3], id="slice-position"),
        pytest.param({"$concatArrays": [[1], ["$s"]]}, [1, "hello world"], id="concatArrays"),
        pytest.param({"$range": [0, 10, 3]}, [0, 3, 6, 9], id="range"),
        pytest.param({"$range": [5, 0, -2]}, [5, 3, 1], id="range-negative"),
        pytest.param({"$reverseArray": "$arr"}, [4, 3, 2, 1], id="reverseArray"),
        pytest.param({"$zip": {"inputs": [[1, 2], ["a"]]}}, [[1, "a"]], id="zip"),
        pytest.param(
            {"$zip": {"inputs": [[1, 2], ["a"]], "useLongestLength": True, "defaults": [0, "z"]}},
            [[1, "a"], [2, "z"]],
            id="zip-longest",
        ),
        pytest.param({"$indexOfArray": ["$arr", 3]}, 2, id="indexOfArray"),
        pytest.param({"$isArray": ["$arr"]}, True, id="isArray"),
        pytest.param({"$sortArray": {"input": [3, 1, 2], "sortBy": -1}}, [3, 2, 1], id="sortArray"),
        pytest.param(
            {"$sortArray": {"input": [{"a": 2}, {"a": 1}], "sortBy": {"a": 1}}},
            [{"a": 1}, {"a": 2}],
            id="sortArray-docs",
        ),
        pytest.param({"$arrayToObject": [[["a", 1], ["b", 2]]]}, {"a": 1, "b": 2}, id="arrayToObject-pairs"),
        pytest.param({"$arrayToObject": [[{"k": "a", "v": 1}]]}, {"a": 1}, id="arrayToObject-kv"),
        pytest.param({"$objectToArray": {"a": 1}}, [{"k": "a", "v": 1}], id="objectToArray"),
        pytest.param({"$setUnion": [[1, 2], [2, 3]]}, [1, 2, 3], id="setUnion"),
        pytest.param({"$setIntersection": [[1, 2, 2], [2.0, 3]]}, [2], id="setIntersection"),
        pytest.param({"$setDifference": [[1, 2, 3], [2]]}, [1, 3], id="setDifference"),
        pytest.param({"$setEquals": [[1, 2], [2, 1, 1]]}, True, id="setEquals"),
        pytest.param({"$setIsSubset": [[1], [1, 2]]}, True, id="setIsSubset"),
        pytest.param({"$anyElementTrue": [[0, None, 1]]}, True, id="anyElementTrue"),
        pytest.param({"$allElementsTrue": [[1, []]]}, True, id="allElementsTrue"),
        pytest.param(
            {"$mergeObjects": [{"a": 1}, None, {"a": 2, "b": 3}]}, {"a": 2, "b": 3}, id="mergeObjects"
        ),
        pytest.param({"$getField": "s"}, "hello world", id="getField"),
        pytest.param(
            {"$getField": {"field": "a.b", "input": {"$literal": {"a.b": 1}}}}, 1, id="getField-dotted-name"
        ),
        pytest.param(
            {"$setField": {"field": "x", "input": {"a": 1}, "value": 2}}, {"a": 1, "x": 2}, id="setField"
        ),
        pytest.param({"$unsetField": {"field": "a", "input": {"a": 1, "b": 2}}}, {"b": 2}, id="unsetField"),
        pytest.param({"$sum": "$arr"}, 10, id="sum-array"),
        pytest.param({"$sum": [1, Int64(2), "x"]}, Int64(3), id="sum-args"),
        pytest.param({"$avg": "$arr"}, 2.5, id="avg"),
        pytest.param({"$max": "$arr"}, 4, id="max"),
        pytest.param({"$min": [5, None, 2]}, 2, id="min-args"),
        pytest.param({"$maxN": {"n": 2, "input": "$arr"}}, [4, 3], id="maxN"),
        pytest.param({"$firstN": {"n": 2, "input": "$arr"}}, [1, 2], id="firstN"),
        pytest.param({"$stdDevPop": [1, 2, 3, 4]}, 1.118033988749895, id="stdDevPop"),
        pytest.param(
            {"a": "$arr", "b": "$missing", "c": {"$literal": "$x"}},
            {"a": [1, 2, 3, 4], "c": "$x"},
            id="object",
        ),
        pytest.param(["$missing", 1], [None, 1], id="array-literal-missing-null"),
    ],
)
def test_arrays_sets_objects(spec, expected):
    assert evaluate(spec, DOC) == expected


def test_array_elem_out_of_range_is_missing():
    assert evaluate({"$arrayElemAt": ["$arr", 10]}, DOC) is MISSING


@pytest.mark.parametrize(
    "spec, code",
    [
        pytest.param({"$concat": ["a", 1]}, 16702, id="concat-type"),
        pytest.param({"$size": "$missing"}, 17124, id="size-missing"),
        pytest.param({"$arrayElemAt": ["$s", 0]}, 28689, id="arrayElemAt-type"),
        pytest.param({"$in": [1, "$missing"]}, 40081, id="in-not-array"),
        pytest.param({"$split": ["a", ""]}, 40087, id="split-empty"),
        pytest.param({"$strLenCP": 1}, 34471, id="strLenCP-type"),
        pytest.param({"$range": [0, 1, 0]}, 34449, id="range-zero-step"),
        pytest.param({"$filter": {"input": "$s", "cond": True}}, 28651, id="filter-input"),
        pytest.param({"$map": {"input": "$s", "in": 1}}, 16883, id="map-input"),
        pytest.param({"$setUnion": [[1], 1]}, 17043, id="setUnion-type"),
        pytest.param({"$mergeObjects": [1]}, 40400, id="mergeObjects-type"),
        pytest.param({"$objectToArray": 1}, 40390, id="objectToArray-type"),
        pytest.param({"$regexMatch": {"input": 1, "regex": "a"}}, 51104, id="regex-input"),
    ],
)
def test_errors(spec, code):
    with pytest.raises(MongoError) as exc:
        evaluate(spec, DOC)
    assert exc.value.code == code
