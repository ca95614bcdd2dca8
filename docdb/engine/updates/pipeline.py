"""Pipeline-style updates: ``u`` is an array of $set/$addFields, $unset, $project, $replaceRoot/$replaceWith.

The stages are the aggregation engine's own (``compile_pipeline``), validated once. Each matched document
goes through the pipeline alone; the output replaces it the way a replacement update does (mongod's
PipelineExecutor hands it to ObjectReplaceExecutor): an output without ``_id`` keeps the old ``_id``, an
output with a different ``_id`` fails with ImmutableField.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from docdb.errors import ErrorCode, MongoError

# sorted alphabetically
ALLOWED_STAGES = frozenset({"$addFields", "$project", "$replaceRoot", "$replaceWith", "$set", "$unset"})


class _NoCatalog:
    """The pipeline context of an update: none of the allowed stages reads or writes collections."""

    db = ""
    variables: dict = {}

    def scan(self, db: str, coll: str) -> Iterable[dict]:
        return []

    def write_documents(self, db: str, coll: str, docs: list[dict], *, replace_all: bool) -> None:
        raise MongoError(ErrorCode.InvalidOptions, "an update pipeline cannot write")


class UpdatePipeline:
    """A compiled update pipeline bound to the statement's variables (``let`` and ``c``)."""

    __slots__ = ("_pipeline", "_variables")

    def __init__(self, stages: list, variables: dict[str, Any]) -> None:
        from docdb.engine.aggregation.pipeline import STAGES, UNSUPPORTED, compile_pipeline
        from docdb.engine.expressions.core import Scope, Variables

        for stage in stages:
            if isinstance(stage, dict) and len(stage) == 1:
                name = next(iter(stage))
                if (name in STAGES or name in UNSUPPORTED) and name not in ALLOWED_STAGES:
                    raise MongoError(
                        ErrorCode.InvalidOptions, f"{name} is not allowed to be used within an update"
                    )
        scope = Scope(frozenset(variables))
        self._pipeline = compile_pipeline(stages, _NoCatalog(), scope=scope)
        self._variables = Variables(None, dict(variables))

    def run(self, doc: dict) -> dict:
        """The pipeline's output for ``doc`` (not mutated), before the ``_id`` rules."""
        outputs = list(self._pipeline.run([doc], self._variables.with_root(None)))
        return outputs[0] if outputs else {}
