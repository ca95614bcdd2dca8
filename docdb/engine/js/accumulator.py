"""The ``$accumulator`` group operator: JavaScript ``init``/``accumulate``/``merge``/``finalize``.

Parse errors are mongod's (4544701-4544712). ``initArgs`` is evaluated once per group against the
group key (its fields when the key is a document), ``accumulateArgs`` per document; the state crosses
into and out of JavaScript as BSON at every call, as in mongod. One scope serves the whole stage. Every
group is built in one pass here, so ``merge`` (mongod calls it to combine partial states: spills,
shards) is validated but never needed. ``$setWindowFields`` does not accept ``$accumulator`` (as mongod).
"""

from __future__ import annotations

from typing import Any

from bson.code import Code

from docdb.engine.bson_order import MISSING
from docdb.engine.expressions.core import Evaluator, Scope, Variables, compile_node, show, type_name
from docdb.engine.js.scope import JsScope, require_enabled
from docdb.errors import MongoError

_FUNCTIONS = ("init", "accumulate", "merge", "finalize")


class _Program:
    """The stage's scope and compiled functions, made when the first group starts."""

    def __init__(self, sources: dict[str, Any], init_args: Evaluator) -> None:
        self.sources = sources
        self.init_args = init_args
        self.scope: JsScope | None = None
        self.fns: dict[str, Any] = {}

    def call(self, name: str, args: list) -> Any:
        if self.scope is None:
            require_enabled(31264)
            self.scope = JsScope()
            self.fns = {key: self.scope.compile(src) for key, src in self.sources.items()}
        return self.scope.call(self.fns[name], args)


class JsAccumulator:
    """One group's state; ``start_group`` runs ``init`` (lazily with no key, as in $bucketAuto)."""

    __slots__ = ("program", "state", "started")

    def __init__(self, program: _Program) -> None:
        self.program = program
        self.state: Any = None
        self.started = False

    def start_group(self, key: Any, v: Variables | None) -> None:
        root = key if isinstance(key, dict) else {}
        local = v.with_root(root) if v is not None else Variables(root)
        args = self.program.init_args(root, local)
        if not isinstance(args, list):
            raise MongoError(4544711, f"$accumulator initArgs must evaluate to an array: {show(args)}")
        self.state = self.program.call("init", [_or_null(a) for a in args])
        self.started = True

    def add(self, args: Any) -> None:
        if not self.started:
            self.start_group(MISSING, None)
        self.state = self.program.call("accumulate", [self.state, *args])

    def result(self) -> Any:
        if not self.started:
            self.start_group(MISSING, None)
        if "finalize" in self.program.sources:
            return self.program.call("finalize", [self.state])
        return self.state


def _or_null(value: Any) -> Any:
    return None if value is MISSING else value


def compile_js_accumulator(arg: Any, scope: Scope) -> tuple[Any, Evaluator]:
    """(factory, argument evaluator) for ``{$accumulator: arg}``."""
    if not isinstance(arg, dict):
        raise MongoError(4544703, f"$accumulator expects an object as an argument; found: {type_name(arg)}")
    sources: dict[str, Any] = {}
    init_args = None
    accumulate_args = None
    for name, value in arg.items():
        if name in _FUNCTIONS:
            if not isinstance(value, (str, Code)):
                raise MongoError(4544702, f"$accumulator '{name}' must be a String or Code")
            sources[name] = value
        elif name == "initArgs":
            init_args = compile_node(value, scope)
        elif name == "accumulateArgs":
            accumulate_args = compile_node(value, scope)
        elif name == "lang":
            if not isinstance(value, str):
                raise MongoError(4544704, f"$accumulator lang must be a string; found: {type_name(value)}")
            if value != "js":
                raise MongoError(4544705, "$accumulator only supports lang: 'js'")
        else:
            raise MongoError(4544706, f"$accumulator got an unexpected field: {name}")
    for name, code in (("init", 4544707), ("accumulate", 4544708), ("merge", 4544709)):
        if name not in sources:
            raise MongoError(code, f"$accumulator missing required argument '{name}'")
    if accumulate_args is None:
        raise MongoError(4544710, "$accumulator missing required argument 'accumulateArgs'")
    program = _Program(sources, init_args or (lambda doc, v: []))
    accumulate = accumulate_args

    def arguments(doc: Any, v: Variables) -> list:
        value = accumulate(doc, v)
        if not isinstance(value, list):
            raise MongoError(4544712, f"$accumulator accumulateArgs must evaluate to an array: {show(value)}")
        return [_or_null(x) for x in value]

    return (lambda: JsAccumulator(program)), arguments
