"""One JavaScript scope (a QuickJS context) per operation, with mongod's limits and errors.

Like mongod's per-operation scope: each call runs under a time limit (mongod's
``internalQueryJavaScriptFnTimeoutMillis``, 60 s) and the scope under a heap limit (mongod's
``internalQueryJavaScriptHeapSizeLimitMB``, 100 MB). A JS exception is JSInterpreterFailure with the
exception's text, as mongod reports it; running out of time is Interrupted; out of memory is
JSInterpreterFailure "Out of memory". ``configure`` is called once by the server from its config;
with JavaScript disabled every entry point answers mongod's "no script engine" error instead.
"""

from __future__ import annotations

from typing import Any

from docdb.engine.js import convert
from docdb.engine.js.prelude import PRELUDE
from docdb.errors import ErrorCode, MongoError


class _Settings:
    enabled = True
    time_limit_ms = 60_000
    memory_limit_mb = 100


SETTINGS = _Settings()


def configure(enabled: bool, time_limit_ms: int, memory_limit_mb: int) -> None:
    """Set the process-wide switches (``--no-javascript``, the per-call time and per-scope heap limits)."""
    SETTINGS.enabled = enabled
    SETTINGS.time_limit_ms = time_limit_ms
    SETTINGS.memory_limit_mb = memory_limit_mb


_DISABLED = "Cannot run server-side javascript without the javascript engine enabled"


def require_enabled(code: int, message: str = "") -> None:
    """Raise mongod's error for a disabled script engine (each entry point has its own code)."""
    if not SETTINGS.enabled:
        raise MongoError(code, message or _DISABLED)


def _error(exc: Exception) -> MongoError:
    text = str(exc)
    first = text.partition("\n")[0]
    if "interrupted" in first:
        return MongoError(ErrorCode.Interrupted, "Interrupted by the host")
    if "out of memory" in first or first in ("", "null"):
        return MongoError(ErrorCode.JSInterpreterFailure, "Out of memory")
    return MongoError(ErrorCode.JSInterpreterFailure, first)


def function_source(code: Any) -> str:
    """The text of a string or Code, without the trailing semicolons a statement would carry."""
    return str(code).strip().rstrip(";").rstrip()


class JsScope:
    """A fresh QuickJS context with the prelude loaded; functions compile once and are called often."""

    def __init__(self) -> None:
        import quickjs  # on the first scope only: a server that runs no JavaScript never loads it

        self._quickjs = quickjs
        self._ctx = quickjs.Context()
        self._ctx.set_memory_limit(SETTINGS.memory_limit_mb << 20)
        self._ctx.set_max_stack_size(4 << 20)
        self._run(PRELUDE)
        self._call = self._ctx.get("__call")
        self._pred = self._ctx.get("__pred")

    def _run(self, source: str) -> Any:
        self._ctx.set_time_limit(SETTINGS.time_limit_ms / 1000)
        try:
            return self._ctx.eval(source)
        except self._quickjs.JSException as exc:
            raise _error(exc) from None
        finally:
            self._ctx.set_time_limit(-1)

    def compile(self, code: Any, expression_ok: bool = False) -> Any:
        """A JS function object from a function's source; with ``expression_ok`` (``$where``) a body or an
        expression such as ``this.a > 1`` is accepted too, as mongod wraps it."""
        source = function_source(code)
        if not source.startswith("function") and expression_ok:
            try:
                return self._run(f"(function() {{ return ({source}); }})")
            except MongoError:
                return self._run(f"(function() {{ {source} }})")
        fn = self._run(f"({source})")
        if not isinstance(fn, self._quickjs.Object):
            raise MongoError(ErrorCode.JSInterpreterFailure, f"SyntaxError: not a function: {source[:100]}")
        return fn

    def set_globals(self, values: dict[str, Any]) -> None:
        """Bind ``scope`` variables (mapReduce's ``scope``) as globals."""
        for name, value in values.items():
            self._ctx.set("__tmp", convert.dumps(value))
            self._run(f"globalThis[{convert.dumps(name)}] = __in(__tmp);")

    def bind_function(self, name: str, code: Any) -> None:
        """A global function ``name`` from a Code value (mapReduce ``scope``)."""
        self._ctx.set("__tmp", self.compile(code))
        self._run(f"globalThis[{convert.dumps(name)}] = __tmp;")

    def call(self, fn: Any, args: list, this: Any = None) -> Any:
        """``fn.apply(this, args)`` with BSON in and out."""
        this_text = None if this is None else convert.dumps(this)
        return convert.loads(self._invoke(self._call, fn, this_text, convert.dumps(args)))

    def call_raw(self, fn: Any, *args: Any) -> Any:
        """Call ``fn`` with native values (strings, numbers) under the time limit."""
        return self._invoke(fn, *args)

    def predicate(self, fn: Any, doc: dict) -> bool:
        """``$where``: the truthiness of ``fn`` called with ``this`` and ``obj`` the document."""
        return bool(self._invoke(self._pred, fn, convert.dumps(doc)))

    def _invoke(self, fn: Any, *args: Any) -> Any:
        self._ctx.set_time_limit(SETTINGS.time_limit_ms / 1000)
        try:
            return fn(*args)
        except self._quickjs.JSException as exc:
            raise _error(exc) from None
        finally:
            self._ctx.set_time_limit(-1)

    def eval(self, source: str) -> Any:
        return self._run(source)
