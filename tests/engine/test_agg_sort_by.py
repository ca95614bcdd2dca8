"""sortBy of $top/$bottom/$topN/$bottomN and $setWindowFields: $sort's order, mongod's errors."""

import pytest

from docdb.errors import MongoError

from .test_agg_stages import run

DOCS = [
    {"_id": 1, "g": 1, "v": [5, 9]},
    {"_id": 2, "g": 1, "v": 7},
    {"_id": 3, "g": 1},
    {"_id": 4, "g": 1, "v": [1, 20]},
    {"_id": 5, "g": 1, "v": []},
]


def group(accumulator):
    return run([{"$group": {"_id": "$g", "out": accumulator}}], DOCS)[0]["out"]


@pytest.mark.parametrize(
    "accumulator, expected",
    [
        # Ascending: an array by its smallest element, [] below null (missing).
        pytest.param(
            {"$topN": {"n": 5, "sortBy": {"v": 1}, "output": "$_id"}}, [5, 3, 4, 1, 2], id="top-asc"
        ),
        # Descending: an array by its largest element.
        pytest.param(
            {"$topN": {"n": 5, "sortBy": {"v": -1}, "output": "$_id"}}, [4, 1, 2, 3, 5], id="top-desc"
        ),
        pytest.param({"$top": {"sortBy": {"v": -1}, "output": "$_id"}}, 4, id="top-single"),
        pytest.param({"$bottom": {"sortBy": {"v": 1}, "output": "$_id"}}, 2, id="bottom-single"),
        pytest.param({"$bottomN": {"n": 2, "sortBy": {"v": 1}, "output": "$_id"}}, [1, 2], id="bottom-n"),
        pytest.param(
            {"$topN": {"n": 2, "sortBy": {"g": 1, "_id": -1}, "output": "$_id"}}, [5, 4], id="compound"
        ),
    ],
)
def test_sort_by_uses_the_sort_order(accumulator, expected):
    assert group(accumulator) == expected


def test_top_n_matches_sort_stage():
    by_sort = [d["_id"] for d in run([{"$sort": {"v": 1}}], DOCS)]
    assert group({"$topN": {"n": 5, "sortBy": {"v": 1}, "output": "$_id"}}) == by_sort


@pytest.mark.parametrize(
    "sort_by, code",
    [
        pytest.param(1, 10065, id="not-object"),
        pytest.param({}, 9657900, id="empty"),
        pytest.param({"v": 2}, 15975, id="bad-direction"),
        pytest.param({"v": "up"}, 15974, id="direction-type"),
    ],
)
def test_sort_by_errors(sort_by, code):
    with pytest.raises(MongoError) as exc:
        group({"$top": {"sortBy": sort_by, "output": "$_id"}})
    assert exc.value.code == code


def test_rank_compares_values_not_sort_keys():
    docs = [{"_id": 1, "v": [1, 5]}, {"_id": 2, "v": [1, 7]}, {"_id": 3, "v": 1.0}, {"_id": 4, "v": 1}]
    out = run(
        [{"$setWindowFields": {"sortBy": {"v": 1}, "output": {"r": {"$rank": {}}, "d": {"$denseRank": {}}}}}],
        docs,
    )
    assert [(d["_id"], d["r"], d["d"]) for d in out] == [(1, 1, 1), (2, 2, 2), (3, 3, 3), (4, 3, 3)]
