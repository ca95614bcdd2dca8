"""mapReduce's JavaScript phases: map with ``emit``, reduce per key, finalize; engine side of the command.

As mongod (4.4+, where mapReduce runs as an aggregation): ``this`` in ``map`` is the document; ``emit``
takes exactly a key and a value; ``reduce(key, values)`` is called only for keys that got more than one
value, once with all of them; ``finalize(key, value)`` runs for every key; ``scope`` fields are globals
(Code values become functions). Results are ``{_id: key, value}`` ordered by key. The emitted values are
drained from the engine every few documents so the heap limit bounds a batch, not the whole input.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any

from bson.code import Code

from docdb.engine.bson_order import compare, hash_key
from docdb.engine.js.scope import JsScope, require_enabled

_DRAIN_EVERY = 256
_EMIT = """
globalThis.__emits = [];
globalThis.emit = function (k, v) {
  if (arguments.length !== 2) throw new Error('emit takes 2 args');
  __emits.push([k === undefined ? null : k, v === undefined ? null : v]);
};
"""


class MapReduceJs:
    """One command's scope with its compiled map, reduce and finalize."""

    def __init__(self, map_code: Any, reduce_code: Any, finalize_code: Any, scope: dict | None) -> None:
        self.sources = (map_code, reduce_code, finalize_code)
        self.globals = scope or {}
        self.scope: JsScope | None = None

    def _start(self) -> JsScope:
        if self.scope is None:
            require_enabled(31246)
            scope = JsScope()
            scope.eval(_EMIT)
            functions = {k: v for k, v in self.globals.items() if isinstance(v, Code)}
            scope.set_globals({k: v for k, v in self.globals.items() if k not in functions})
            for name, code in functions.items():
                scope.bind_function(name, code)
            map_code, reduce_code, finalize_code = self.sources
            self.map_fn = scope.compile(map_code)
            self.reduce_fn = scope.compile(reduce_code)
            self.finalize_fn = scope.compile(finalize_code) if finalize_code is not None else None
            self.drain_fn = scope.eval("(function () { var e = __emits; __emits = []; return __out(e); })")
            self.scope = scope
        return self.scope

    def map_all(self, docs: Iterable[dict]) -> list[list]:
        """[key, [values]] per distinct emitted key, in first-emitted order."""
        groups: dict[Any, list] = {}
        pending = 0
        for doc in docs:
            scope = self._start()
            scope.call(self.map_fn, [], doc)
            pending += 1
            if pending >= _DRAIN_EVERY:
                self._drain(groups)
                pending = 0
        if pending and self.scope is not None:
            self._drain(groups)
        return list(groups.values())

    def _drain(self, groups: dict) -> None:
        from docdb.engine.js import convert

        assert self.scope is not None
        for key, value in convert.loads(self.scope.call_raw(self.drain_fn)):
            entry = groups.get(hash_key(key))
            if entry is None:
                groups[hash_key(key)] = [key, [value]]
            else:
                entry[1].append(value)

    def reduce(self, key: Any, values: list) -> Any:
        """One value for ``key``: the only one, or ``reduce(key, values)``."""
        if len(values) == 1:
            return values[0]
        return self._start().call(self.reduce_fn, [key, values])

    def finalize(self, key: Any, value: Any) -> Any:
        if self.finalize_fn is None:
            return value
        return self._start().call(self.finalize_fn, [key, value])

    def run(self, docs: Iterable[dict]) -> list[dict]:
        """The ``{_id, value}`` results of map, reduce and finalize, ordered by ``_id``."""
        out = [
            {"_id": key, "value": self.finalize(key, self.reduce(key, values))}
            for key, values in self.map_all(docs)
        ]
        out.sort(key=functools.cmp_to_key(lambda a, b: compare(a["_id"], b["_id"])))
        return out

    def rereduce(self, key: Any, existing: Any, new: Any) -> Any:
        """Output mode ``reduce``: the existing output value reduced with the new one."""
        return self._start().call(self.reduce_fn, [key, [existing, new]])
