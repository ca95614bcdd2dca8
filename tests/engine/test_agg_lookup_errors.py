"""$lookup shape errors: FailedToParse (9) with mongod's messages."""

import pytest

from docdb.errors import MongoError

from .test_agg_stages import run


@pytest.mark.parametrize(
    "spec, errmsg",
    [
        pytest.param(1, "the $lookup stage specification must be an object, but found int", id="not-object"),
        pytest.param(
            {"as": "x", "localField": "a", "foreignField": "b"},
            "must specify 'pipeline' when 'from' is empty",
            id="no-from",
        ),
        pytest.param(
            {"as": "x", "pipeline": [{"$match": {}}]},
            "$lookup stage without explicit collection must have a pipeline with $documents as first stage",
            id="no-from-no-documents",
        ),
        pytest.param(
            {"from": "c", "as": "x", "localField": "a", "foreignField": "b", "let": {"v": 1}},
            "$lookup with a 'let' argument must also specify 'pipeline'",
            id="let-without-pipeline",
        ),
        pytest.param(
            {"from": "c", "as": "x", "localField": "a", "pipeline": []},
            "$lookup requires both or neither of 'localField' and 'foreignField' to be specified",
            id="local-without-foreign",
        ),
        pytest.param({"from": "c", "pipeline": []}, "must specify 'as' field for a $lookup", id="no-as"),
    ],
)
def test_lookup_shape_errors(spec, errmsg):
    with pytest.raises(MongoError) as exc:
        run([{"$lookup": spec}], [])
    assert (exc.value.code, exc.value.code_name, exc.value.errmsg) == (9, "FailedToParse", errmsg)
