"""The ``$function`` aggregation expression: a JavaScript body called with evaluated ``args``.

Parse errors are mongod's (31260-31266, 31418/31419); the scope is made at the first evaluation, one
per compiled expression (per operation, as mongod's), so a disabled engine answers 31264 only when a
``$function`` actually runs, as in mongod.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

from bson.code import Code

from docdb.engine.bson_order import MISSING
from docdb.engine.expressions.core import Evaluator, Scope, Variables, compile_node, register, type_name
from docdb.engine.js.scope import JsScope, require_enabled
from docdb.errors import MongoError

_IN_VALIDATOR: ContextVar[bool] = ContextVar("parsing_validator", default=False)


@contextlib.contextmanager
def parsing_validator() -> Iterator[None]:
    """Compile a collection validator: mongod refuses ``$function`` there (4660800)."""
    token = _IN_VALIDATOR.set(True)
    try:
        yield
    finally:
        _IN_VALIDATOR.reset(token)


class LazyFunction:
    """A JS function compiled in its own scope on first use."""

    __slots__ = ("source", "scope", "fn")

    def __init__(self, source: Any) -> None:
        self.source = source
        self.scope: JsScope | None = None
        self.fn: Any = None

    def call(self, args: list, this: Any = None) -> Any:
        if self.scope is None:
            require_enabled(31264)
            self.scope = JsScope()
            self.fn = self.scope.compile(self.source)
        return self.scope.call(self.fn, args, this)


@register("$function")
def compile_function(args: Any, scope: Scope) -> Evaluator:
    if _IN_VALIDATOR.get():
        raise MongoError(4660800, "$function cannot be used inside a validator.")
    if not isinstance(args, dict):
        raise MongoError(31260, f"$function requires an object as an argument, found: {type_name(args)}")
    if "body" not in args:
        raise MongoError(31261, "The body function must be specified.")
    body = args["body"]
    if not isinstance(body, (str, Code)):
        raise MongoError(31262, "The body function must evaluate to type string or code")
    if "args" not in args:
        raise MongoError(31263, "The args field must be specified.")
    if not isinstance(args["args"], list):
        raise MongoError(31266, "The args field must be of type array")
    if "lang" not in args:
        raise MongoError(31418, "The lang field must be specified.")
    if args["lang"] != "js":
        raise MongoError(31419, "Currently the only supported language specifier is 'js'.")
    evaluators = [compile_node(arg, scope) for arg in args["args"]]
    function = LazyFunction(body)

    def evaluate(doc: Any, v: Variables) -> Any:
        values = [e(doc, v) for e in evaluators]
        return function.call([None if x is MISSING else x for x in values])

    return evaluate
