"""Array operators and positional paths: $push $addToSet $pop $pull $pullAll, $, $[], $[<id>]."""

import pytest

from docdb.engine.update import compile_update


def apply(spec, doc, **kwargs):
    array_filters = kwargs.pop("array_filters", None)
    return compile_update(spec, array_filters=array_filters).apply(doc, **kwargs)[0]


@pytest.mark.parametrize(
    "spec,doc,expected",
    [
        pytest.param({"$push": {"a": 1}}, {}, {"a": [1]}, id="push-creates"),
        pytest.param({"$push": {"a": [1]}}, {"a": [0]}, {"a": [0, [1]]}, id="push-array-value"),
        pytest.param({"$push": {"a": {"$each": [1, 2]}}}, {"a": [0]}, {"a": [0, 1, 2]}, id="push-each"),
        pytest.param(
            {"$push": {"a": {"$each": [3], "$position": 0}}},
            {"a": [1, 2]},
            {"a": [3, 1, 2]},
            id="push-position",
        ),
        pytest.param(
            {"$push": {"a": {"$each": [3], "$position": -1}}},
            {"a": [1, 2]},
            {"a": [1, 3, 2]},
            id="position-neg",
        ),
        pytest.param(
            {"$push": {"a": {"$each": [80, 78, 86], "$slice": -5}}},
            {"a": [89, 90, 92, 85]},
            {"a": [92, 85, 80, 78, 86]},
            id="push-slice-last",
        ),
        pytest.param(
            {"$push": {"q": {"$each": [{"id": 3, "s": 8}, {"id": 4, "s": 7}], "$sort": {"s": 1}}}},
            {"q": [{"id": 1, "s": 9}]},
            {"q": [{"id": 4, "s": 7}, {"id": 3, "s": 8}, {"id": 1, "s": 9}]},
            id="push-sort-by-field",
        ),
        pytest.param(
            {"$push": {"a": {"$each": [40, 60], "$sort": -1, "$slice": 2}}},
            {"a": [50]},
            {"a": [60, 50]},
            id="push-sort-desc-slice",
        ),
        pytest.param(
            {"$push": {"a": {"$each": [], "$slice": 0}}}, {"a": [1]}, {"a": []}, id="push-slice-zero"
        ),
        pytest.param({"$addToSet": {"a": 2.0}}, {"a": [1, 2]}, {"a": [1, 2]}, id="add-to-set-equal-number"),
        pytest.param(
            {"$addToSet": {"a": {"$each": [3, 3, 4]}}}, {"a": [3]}, {"a": [3, 4]}, id="add-to-set-each"
        ),
        pytest.param({"$addToSet": {"a": [1]}}, {"a": [1]}, {"a": [1, [1]]}, id="add-to-set-array-value"),
        pytest.param({"$pop": {"a": 1}}, {"a": [1, 2, 3]}, {"a": [1, 2]}, id="pop-last"),
        pytest.param({"$pop": {"a": -1}}, {"a": [1, 2, 3]}, {"a": [2, 3]}, id="pop-first"),
        pytest.param({"$pop": {"a": 1}}, {}, {}, id="pop-missing"),
        pytest.param(
            {"$pull": {"a": {"$in": ["b", "c"]}}}, {"a": ["a", "b", "c"]}, {"a": ["a"]}, id="pull-in"
        ),
        pytest.param({"$pull": {"a": {"$gte": 6}}}, {"a": [3, 6, 9, 1]}, {"a": [3, 1]}, id="pull-condition"),
        pytest.param({"$pull": {"a": 1}}, {"a": [1, 1.0, 2]}, {"a": [2]}, id="pull-value"),
        pytest.param(
            {"$pull": {"r": {"score": 8, "item": "B"}}},
            {"r": [{"item": "A", "score": 5}, {"item": "B", "score": 8, "c": 1}]},
            {"r": [{"item": "A", "score": 5}]},
            id="pull-doc-condition",
        ),
        pytest.param({"$pullAll": {"a": [0, 5]}}, {"a": [0, 2, 5, 5, 1, 0]}, {"a": [2, 1]}, id="pull-all"),
        pytest.param(
            {"$set": {"a.$[].b": 0}}, {"a": [{"b": 1}, {"b": 2}]}, {"a": [{"b": 0}, {"b": 0}]}, id="all-pos"
        ),
        pytest.param({"$inc": {"a.$[]": 10}}, {"a": [1, 2]}, {"a": [11, 12]}, id="all-positional-scalars"),
        pytest.param(
            {"$set": {"m.$[].v.$[]": 0}},
            {"m": [{"v": [1, 2]}, {"v": [3]}]},
            {"m": [{"v": [0, 0]}, {"v": [0]}]},
            id="nested-all-positional",
        ),
    ],
)
def test_array_updates(spec, doc, expected):
    assert apply(spec, doc) == expected


def test_positional_from_query():
    doc = {"_id": 1, "grades": [85, 80, 80]}
    assert apply({"$set": {"grades.$": 82}}, doc, query={"_id": 1, "grades": 80}) == {
        "_id": 1,
        "grades": [85, 82, 80],
    }
    doc = {"_id": 4, "grades": [{"grade": 80, "mean": 75}, {"grade": 85, "mean": 90}]}
    new = apply({"$set": {"grades.$.std": 6}}, doc, query={"grades.grade": 85})
    assert new == {"_id": 4, "grades": [{"grade": 80, "mean": 75}, {"grade": 85, "mean": 90, "std": 6}]}
    new = apply(
        {"$inc": {"grades.$.mean": 1}}, doc, query={"grades": {"$elemMatch": {"grade": {"$lte": 90}}}}
    )
    assert new["grades"][0] == {"grade": 80, "mean": 76}


def test_array_filters():
    doc = {"_id": 1, "grades": [95, 92, 90], "items": [{"q": 1, "p": 5}, {"q": 7, "p": 1}]}
    new = apply(
        {"$set": {"grades.$[e]": 100, "items.$[i].p": 0}},
        doc,
        array_filters=[{"e": {"$gte": 92}}, {"i.q": {"$gt": 5}}],
    )
    assert new["grades"] == [100, 100, 90]
    assert new["items"] == [{"q": 1, "p": 5}, {"q": 7, "p": 0}]
