"""The aggregation pipeline: ``compile_pipeline(pipeline, ctx)`` -> ``Pipeline.run(docs)``."""

from docdb.engine.aggregation.pipeline import Pipeline, PipelineContext, compile_pipeline

__all__ = ["Pipeline", "PipelineContext", "compile_pipeline"]
