"""Pipeline stages over in-memory collections: examples from the MongoDB manual plus edge cases."""

import datetime

import pytest

from docdb.engine.aggregation import compile_pipeline
from docdb.errors import MongoError


class FakeContext:
    """PipelineContext over dicts of lists; records writes."""

    def __init__(self, collections=None, variables=None):
        self.db = "test"
        self.collection = "c"
        self.host = "h:1"
        self.variables = variables or {}
        self.collections = {("test", name): docs for name, docs in (collections or {}).items()}
        self.writes = []

    def scan(self, db, coll):
        return list(self.collections.get((db, coll), []))

    def write_documents(self, db, coll, docs, *, replace_all):
        self.writes.append((db, coll, replace_all))
        if replace_all:
            self.collections[(db, coll)] = list(docs)
            return
        current = {d["_id"]: d for d in self.collections.get((db, coll), [])}
        for doc in docs:
            current[doc["_id"]] = doc
        self.collections[(db, coll)] = list(current.values())

    def storage_stats(self, db, coll, scale):
        docs = self.collections.get((db, coll))
        return None if docs is None else {"count": len(docs), "scaleFactor": scale}

    def index_stats(self, db, coll):
        spec = {"v": 2, "key": {"_id": 1}, "name": "_id_"}
        return [{"name": "_id_", "key": {"_id": 1}, "accesses": {"ops": 0, "since": None}, "spec": spec}]


def run(pipeline, docs, **collections):
    ctx = FakeContext(collections)
    return list(compile_pipeline(pipeline, ctx).run(docs))


ORDERS = [
    {"_id": 1, "item": "abc", "price": 10, "quantity": 2, "tags": ["a", "b"]},
    {"_id": 2, "item": "jkl", "price": 20, "quantity": 1, "tags": []},
    {"_id": 3, "item": "xyz", "price": 5, "quantity": 10},
    {"_id": 4, "item": "abc", "price": 10, "quantity": 5, "tags": "c"},
]


def test_count_documents_pipeline():
    pipeline = [
        {"$match": {"price": {"$gte": 10}}},
        {"$skip": 1},
        {"$limit": 5},
        {"$group": {"_id": 1, "n": {"$sum": 1}}},
    ]
    assert run(pipeline, ORDERS) == [{"_id": 1, "n": 2}]


def test_count_documents_empty():
    assert run([{"$match": {}}, {"$group": {"_id": 1, "n": {"$sum": 1}}}], []) == []


def test_match_sort_project():
    pipeline = [
        {"$match": {"item": "abc"}},
        {"$sort": {"quantity": -1}},
        {"$project": {"_id": 0, "item": 1, "total": {"$multiply": ["$price", "$quantity"]}}},
    ]
    assert run(pipeline, ORDERS) == [{"item": "abc", "total": 50}, {"item": "abc", "total": 20}]


def test_match_expr():
    assert run(
        [{"$match": {"$expr": {"$gt": ["$quantity", "$price"]}}}, {"$project": {"_id": 1}}], ORDERS
    ) == [{"_id": 3}]


def test_project_nested_and_exclusion():
    docs = [{"_id": 1, "a": {"b": 1, "c": 2}, "d": [{"b": 3, "c": 4}, 5]}]
    assert run([{"$project": {"a.b": 1, "d.b": 1}}], docs) == [{"_id": 1, "a": {"b": 1}, "d": [{"b": 3}]}]
    assert run([{"$project": {"a": {"c": 0}, "_id": 0}}], docs) == [
        {"a": {"b": 1}, "d": [{"b": 3, "c": 4}, 5]}
    ]
    assert run([{"$unset": ["a.b", "d"]}], docs) == [{"_id": 1, "a": {"c": 2}}]


def test_project_computed_fields_order():
    docs = [{"_id": 1, "a": 5, "b": 6}]
    assert run([{"$project": {"b": 1, "a": {"$add": [1, 1]}}}], docs) == [{"_id": 1, "b": 6, "a": 2}]
    assert run([{"$project": {"x": "$$REMOVE", "a": 1}}], docs) == [{"_id": 1, "a": 5}]


def test_add_fields_keeps_position_and_sets_in_arrays():
    docs = [{"_id": 1, "a": 1, "arr": [{"x": 1}, {"x": 2}]}]
    out = run([{"$addFields": {"a": "new", "z": 1, "arr.y": 0}}], docs)
    assert out == [{"_id": 1, "a": "new", "arr": [{"x": 1, "y": 0}, {"x": 2, "y": 0}], "z": 1}]
    assert docs[0] == {"_id": 1, "a": 1, "arr": [{"x": 1}, {"x": 2}]}
    assert run([{"$set": {"a": {"b": 2}}}], [{"_id": 1, "a": {"c": 1}}]) == [
        {"_id": 1, "a": {"c": 1, "b": 2}}
    ]


def test_unwind_forms():
    assert [d["tags"] for d in run([{"$unwind": "$tags"}], ORDERS)] == ["a", "b", "c"]
    out = run(
        [{"$unwind": {"path": "$tags", "includeArrayIndex": "i", "preserveNullAndEmptyArrays": True}}], ORDERS
    )
    assert [(d["_id"], d.get("tags"), d["i"]) for d in out] == [
        (1, "a", 0),
        (1, "b", 1),
        (2, None, None),
        (3, None, None),
        (4, "c", None),
    ]
    assert "tags" not in out[2] and "tags" not in out[3]


def test_count_skip_limit_sort_order():
    assert run([{"$count": "n"}], ORDERS) == [{"n": 4}]
    assert run([{"$count": "n"}], []) == []
    assert [
        d["_id"] for d in run([{"$sort": {"price": 1, "_id": -1}}, {"$skip": 1}, {"$limit": 2}], ORDERS)
    ] == [4, 1]


def test_sort_arrays_and_missing():
    docs = [
        {"_id": 1, "a": [3, 1]},
        {"_id": 2, "a": 2},
        {"_id": 3},
        {"_id": 4, "a": None},
        {"_id": 5, "a": []},
    ]
    assert [d["_id"] for d in run([{"$sort": {"a": 1, "_id": 1}}], docs)] == [5, 3, 4, 1, 2]
    assert [d["_id"] for d in run([{"$sort": {"a": -1, "_id": 1}}], docs)] == [1, 2, 3, 4, 5]


def test_sort_direction_truncates_like_number_int():
    docs = [{"_id": 1, "a": 1}, {"_id": 2, "a": 2}]
    assert [d["_id"] for d in run([{"$sort": {"a": -1.5}}], docs)] == [2, 1]
    assert [d["_id"] for d in run([{"$sort": {"a": 1.9}}], docs)] == [1, 2]


def test_sort_dotted_path_through_array_of_documents():
    docs = [
        {"_id": 1, "a": [{"b": 5}, {"b": 0}]},
        {"_id": 2, "a": {"b": 3}},
        {"_id": 3, "a": [{"c": 1}]},
        {"_id": 4, "a": [1, 2]},
    ]
    assert [d["_id"] for d in run([{"$sort": {"a.b": 1, "_id": 1}}], docs)] == [3, 4, 1, 2]
    assert [d["_id"] for d in run([{"$sort": {"a.b": -1, "_id": 1}}], docs)] == [1, 2, 3, 4]


def test_replace_root_and_with():
    docs = [{"_id": 1, "name": {"first": "a"}}]
    assert run([{"$replaceRoot": {"newRoot": "$name"}}], docs) == [{"first": "a"}]
    assert run([{"$replaceWith": {"$mergeObjects": [{"x": 0}, "$name"]}}], docs) == [{"x": 0, "first": "a"}]
    with pytest.raises(MongoError) as exc:
        run([{"$replaceRoot": {"newRoot": "$missing"}}], docs)
    assert exc.value.code == 40228


def test_redact():
    docs = [{"_id": 1, "level": 1, "sub": {"level": 5, "x": 1}, "subs": [{"level": 0}, {"level": 9}]}]
    pipeline = [{"$redact": {"$cond": [{"$gt": ["$level", 3]}, "$$PRUNE", "$$DESCEND"]}}]
    assert run(pipeline, docs) == [{"_id": 1, "level": 1, "subs": [{"level": 0}]}]


def test_sample_size():
    assert len(run([{"$sample": {"size": 2}}], ORDERS)) == 2
    assert len(run([{"$sample": {"size": 10}}], ORDERS)) == 4


def test_documents_collectionless():
    ctx = FakeContext()
    pipeline = compile_pipeline(
        [{"$documents": [{"x": 1}, {"x": 2}]}, {"$match": {"x": 2}}], ctx, is_collectionless=True
    )
    assert list(pipeline.run([])) == [{"x": 2}]


def test_let_variables_and_now():
    ctx = FakeContext(variables={"target": 10})
    out = list(
        compile_pipeline([{"$match": {"$expr": {"$eq": ["$price", "$$target"]}}}, {"$count": "n"}], ctx).run(
            ORDERS
        )
    )
    assert out == [{"n": 2}]
    now = list(compile_pipeline([{"$project": {"t": "$$NOW"}}], ctx).run(ORDERS))
    assert isinstance(now[0]["t"], datetime.datetime) and len({d["t"] for d in now}) == 1


@pytest.mark.parametrize(
    "pipeline, code",
    [
        pytest.param([{"$foo": {}}], 40324, id="unknown-stage"),
        pytest.param([{"$search": {}}], 238, id="unsupported-stage"),
        pytest.param([{"$collStats": {"latencyStats": {}}}], 238, id="collStats-latency"),
        pytest.param([{"$collStats": None}], 5447000, id="collStats-not-object"),
        pytest.param([{"$collStats": {"nope": {}}}], 40415, id="collStats-unknown-field"),
        pytest.param([{"$collStats": {"storageStats": {"scale": 0}}}], 51024, id="collStats-scale-zero"),
        pytest.param([{"$collStats": {"storageStats": {"scale": "x"}}}], 14, id="collStats-scale-type"),
        pytest.param([{"$match": {}}, {"$collStats": {}}], 40602, id="collStats-not-first"),
        pytest.param([{"$indexStats": {"a": 1}}], 28803, id="indexStats-not-empty"),
        pytest.param([{"$facet": {"a": [{"$indexStats": {}}]}}], 40600, id="indexStats-in-facet"),
        pytest.param([{"$match": {}, "$sort": {"a": 1}}], 40323, id="two-fields"),
        pytest.param([1], 14, id="not-object"),
        pytest.param([{"$group": {"n": {"$sum": 1}}}], 15955, id="group-no-id"),
        pytest.param([{"$group": {"_id": 1, "n": {"$bad": 1}}}], 15952, id="group-bad-accumulator"),
        pytest.param([{"$group": {"_id": 1, "n": 1}}], 40234, id="group-not-accumulator"),
        pytest.param([{"$unwind": "tags"}], 28818, id="unwind-no-dollar"),
        pytest.param([{"$limit": 0}], 15958, id="limit-zero"),
        pytest.param([{"$skip": -1}], 15956, id="skip-negative"),
        pytest.param([{"$sort": {"a": 2}}], 15975, id="sort-bad-direction"),
        pytest.param([{"$sort": {}}], 15976, id="sort-empty"),
        pytest.param([{"$sort": {"a": "asc"}}], 15974, id="sort-direction-not-number"),
        pytest.param([{"$sort": {"a": {"$slice": 1}}}], 17312, id="sort-direction-object"),
        pytest.param([{"$sort": {"$a": 1}}], 16410, id="sort-dollar-field"),
        pytest.param([{"$count": "$n"}], 40158, id="count-dollar"),
        pytest.param([{"$project": {}}], 51272, id="project-empty"),
        pytest.param([{"$project": {"a": 1, "b": 0}}], 31254, id="project-mixed"),
        pytest.param([{"$project": {"a": 1, "a.b": 1}}], 31250, id="project-collision"),
        pytest.param([{"$project": {"a": {"$nope": 1}}}], 168, id="project-bad-operator"),
        pytest.param([{"$out": "x"}, {"$match": {}}], 40601, id="out-not-last"),
        pytest.param([{"$match": {}}, {"$documents": []}], 40602, id="documents-not-first"),
        pytest.param([{"$facet": {"a": [{"$out": "x"}]}}], 40600, id="out-in-facet"),
        pytest.param([{"$lookup": {"from": "x", "localField": "a", "as": "b"}}], 9, id="lookup-half"),
        pytest.param([{"$match": {"$expr": "$$nope"}}], 17276, id="undefined-variable"),
    ],
)
def test_compile_errors(pipeline, code):
    with pytest.raises(MongoError) as exc:
        compile_pipeline(pipeline, FakeContext())
    assert exc.value.code == code


def test_unknown_stage_message():
    with pytest.raises(MongoError) as exc:
        compile_pipeline([{"$foo": 1}], FakeContext())
    assert (exc.value.errmsg, exc.value.code_name) == (
        "Unrecognized pipeline stage name: '$foo'",
        "Location40324",
    )


def test_coll_stats_reads_the_context():
    [out] = run([{"$collStats": {"count": {}, "storageStats": {"scale": 1024.5}}}], [], c=[{"_id": 1}])
    assert list(out) == ["ns", "host", "localTime", "storageStats", "count"]
    assert (out["ns"], out["host"], out["count"]) == ("test.c", "h:1", 1)
    assert out["storageStats"] == {"count": 1, "scaleFactor": 1024}


def test_coll_stats_missing_collection():
    with pytest.raises(MongoError) as exc:
        run([{"$collStats": {"count": {}}}], [])
    assert exc.value.code == 26
    assert exc.value.errmsg == (
        "Unable to retrieve count in $collStats stage :: caused by :: Collection [test.c] not found."
    )


def test_index_stats_adds_host():
    assert run([{"$indexStats": {}}], []) == [
        {
            "name": "_id_",
            "key": {"_id": 1},
            "host": "h:1",
            "accesses": {"ops": 0, "since": None},
            "spec": {"v": 2, "key": {"_id": 1}, "name": "_id_"},
        }
    ]


@pytest.mark.parametrize(
    "pipeline, errmsg",
    [
        pytest.param([], "{aggregate: 1} is not valid for an empty pipeline.", id="empty"),
        pytest.param(
            [{"$match": {}}],
            "{aggregate: 1} is not valid for '$match'; a collection is required.",
            id="match",
        ),
    ],
)
def test_collectionless_needs_a_source_stage(pipeline, errmsg):
    with pytest.raises(MongoError) as exc:
        compile_pipeline(pipeline, FakeContext(), is_collectionless=True)
    assert (exc.value.code, exc.value.errmsg) == (73, errmsg)
