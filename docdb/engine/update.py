"""The update API the collection code calls: ``compile_update``, ``CompiledUpdate``, ``upsert_seed``.

The implementation is in ``docdb.engine.updates`` (operators, positional paths, arithmetic).
"""

from __future__ import annotations

from docdb.engine.updates.compile import (
    CompiledUpdate,
    compile_simple_update,
    compile_update,
    same_value,
    upsert_seed,
)

__all__ = ["CompiledUpdate", "compile_simple_update", "compile_update", "same_value", "upsert_seed"]
