"""The expression compiler: one pass over the spec builds a tree of closures ``fn(doc, variables)``.

Compile-time errors (unknown operator, wrong argument count, bad field path, undefined variable) are
raised once by :func:`compile_node`; evaluation errors (``$divide`` by zero, bad conversions) are raised
by the closures with MongoDB's codes. ``MISSING`` is the value of a field that does not exist: it is what
``$$REMOVE`` evaluates to, and object literals drop fields whose value is MISSING.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Callable
from typing import Any

from bson.timestamp import Timestamp

from docdb.engine.bson_order import MISSING
from docdb.engine.dbref import is_dollar_path_part
from docdb.errors import ErrorCode, MongoError

Evaluator = Callable[[Any, "Variables"], Any]
OperatorCompiler = Callable[[Any, "Scope"], Evaluator]

# Operator name -> compiler(args, scope) -> evaluator. Filled by the operator-family modules.
OPERATORS: dict[str, OperatorCompiler] = {}
REDACT_RESULTS = {"DESCEND": "descend", "PRUNE": "prune", "KEEP": "keep"}


class Variables:
    """Runtime variable bindings: ``$$ROOT``, user ``let`` values, and ``$$NOW`` fixed per command."""

    __slots__ = ("root", "values", "_now")

    def __init__(self, root: Any = None, values: dict[str, Any] | None = None) -> None:
        self.root = root
        self.values = values if values is not None else {}
        self._now: datetime.datetime | None = None

    def bind(self, extra: dict[str, Any]) -> Variables:
        """A child scope with ``extra`` bound on top (``$let``, ``$map``, ``$filter``, ``$reduce``)."""
        child = Variables(self.root, {**self.values, **extra})
        child._now = self.now
        return child

    def with_root(self, root: Any) -> Variables:
        """The same bindings for another document (so ``$$NOW`` stays the same for the whole command)."""
        child = Variables(root, self.values)
        child._now = self.now
        return child

    @property
    def now(self) -> datetime.datetime:
        if self._now is None:
            now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
            self._now = now.replace(microsecond=now.microsecond // 1000 * 1000)
        return self._now


class Scope:
    """Compile-time state: which user variables are defined (None: don't check)."""

    __slots__ = ("names",)

    def __init__(self, names: frozenset[str] | None) -> None:
        self.names = names

    def bind(self, *names: str) -> Scope:
        return Scope(None if self.names is None else self.names | frozenset(names))


def compile_node(spec: Any, scope: Scope) -> Evaluator:
    """Compile any expression value: field path, ``$$var``, operator object, object/array "
    "literal, constant."""
    if isinstance(spec, str):
        if spec.startswith("$"):
            return compile_path(spec, scope)
        return _constant(spec)
    if isinstance(spec, dict):
        return _compile_object(spec, scope)
    if isinstance(spec, list):
        items = [compile_node(item, scope) for item in spec]
        return lambda doc, v: [_or_null(item(doc, v)) for item in items]
    return _constant(spec)


def compile_args(args: Any, scope: Scope) -> list[Evaluator]:
    """Compile an operator's argument list; a non-array argument is one argument."""
    if isinstance(args, list):
        return [compile_node(arg, scope) for arg in args]
    return [compile_node(args, scope)]


def is_constant(evaluator: Evaluator) -> bool:
    """True for a compiled constant (its value is ``evaluator.constant``)."""
    return hasattr(evaluator, "constant")


def _or_null(value: Any) -> Any:
    return None if value is MISSING else value


def _constant(value: Any) -> Evaluator:
    def constant(doc: Any, v: Variables) -> Any:
        return value

    constant.constant = value  # type: ignore[attr-defined]
    return constant


def _compile_object(spec: dict, scope: Scope) -> Evaluator:
    keys = list(spec)
    if keys and keys[0].startswith("$"):
        if len(keys) != 1:
            raise MongoError(
                15983,
                f"An object representing an expression must have exactly one field: {_show(spec)}",
            )
        name = keys[0]
        if name == "$literal":
            return _constant(spec[name])
        compiler = OPERATORS.get(name)
        if compiler is None:
            raise MongoError(ErrorCode.InvalidPipelineOperator, f"Unrecognized expression '{name}'")
        return compiler(spec[name], scope)
    fields: list[tuple[str, Evaluator]] = []
    for key, value in spec.items():
        check_field_name(key)
        if "." in key:
            raise MongoError(
                16412, "FieldPath field names may not contain '.'. Consider using $getField or $setField."
            )
        fields.append((key, compile_node(value, scope)))

    def build(doc: Any, v: Variables) -> dict:
        out = {}
        for key, fn in fields:
            value = fn(doc, v)
            if value is not MISSING:
                out[key] = value
        return out

    return build


def check_field_name(name: str) -> None:
    if name == "":
        raise MongoError(16410, "FieldPath field names may not be empty strings.")
    if is_dollar_path_part(name):
        raise MongoError(
            16410, "FieldPath field names may not start with '$'. Consider using $getField or $setField."
        )


def parse_field_path(path: str) -> list[str]:
    """Split a field path (without its leading ``$``) into components, validating each like MongoDB."""
    if path == "":
        raise MongoError(40352, "FieldPath cannot be constructed with empty string")
    parts = path.split(".")
    for part in parts:
        if part == "":
            raise MongoError(15998, "FieldPath field names may not be empty strings.")
        if is_dollar_path_part(part):
            raise MongoError(
                16410, "FieldPath field names may not start with '$'. Consider using $getField or $setField."
            )
    return parts


def compile_path(spec: str, scope: Scope) -> Evaluator:
    """``$a.b`` (a field of $$CURRENT) or ``$$name.a.b`` (a variable, then a path inside it)."""
    if spec.startswith("$$"):
        name, _, rest = spec[2:].partition(".")
        var = _compile_variable(name, scope)
        if not rest:
            return var
        parts = parse_field_path(rest)
        return lambda doc, v: walk(var(doc, v), parts)
    if spec == "$":
        raise MongoError(16872, "'$' by itself is not a valid FieldPath")
    parts = parse_field_path(spec[1:])
    if len(parts) == 1:
        first = parts[0]
        return lambda doc, v: doc.get(first, MISSING) if isinstance(doc, dict) else MISSING
    return lambda doc, v: walk(doc, parts)


def walk(value: Any, parts: list[str], start: int = 0) -> Any:
    """Follow ``parts`` like an expression field path: arrays map over their elements, dropping misses.

    >>> walk({"a": [{"b": 1}, {"c": 2}, {"b": 3}]}, ["a", "b"])
    [1, 3]
    """
    for i in range(start, len(parts)):
        if isinstance(value, dict):
            value = value.get(parts[i], MISSING)
        elif isinstance(value, list):
            return _walk_array(value, parts, i)
        else:
            return MISSING
    return value


def _walk_array(values: list, parts: list[str], start: int) -> list:
    out = []
    for elem in values:
        if isinstance(elem, dict):
            got = walk(elem, parts, start)
            if got is not MISSING:
                out.append(got)
        elif isinstance(elem, list):
            out.append(_walk_array(elem, parts, start))
    return out


def _compile_variable(name: str, scope: Scope) -> Evaluator:
    if name == "CURRENT":
        return lambda doc, v: doc
    if name == "ROOT":
        return lambda doc, v: v.root
    if name == "REMOVE":
        return lambda doc, v: MISSING
    if name == "NOW":
        return lambda doc, v: v.now
    if name == "CLUSTER_TIME":
        return lambda doc, v: Timestamp(v.now.replace(tzinfo=datetime.timezone.utc), 1)
    if name in REDACT_RESULTS:
        return _constant(REDACT_RESULTS[name])
    check_variable_name(name)
    if scope.names is not None and name not in scope.names:
        raise MongoError(17276, f"Use of undefined variable: {name}")

    def variable(doc: Any, v: Variables) -> Any:
        try:
            return v.values[name]
        except KeyError:
            raise MongoError(17276, f"Use of undefined variable: {name}") from None

    return variable


def check_variable_name(name: str) -> None:
    """User variable names start with a lowercase letter (or non-ASCII) and hold only [A-Za-z0-9_]."""
    if not name:
        raise MongoError(16869, "empty variable names are not allowed")
    first = name[0]
    if not (first.islower() or ord(first) > 127):
        raise MongoError(16870, f"'{name}' starts with an invalid character for a user variable name")
    for ch in name:
        if not (ch.isalnum() or ch == "_" or ord(ch) > 127):
            raise MongoError(16871, f"'{name}' contains an invalid character for a variable name: '{ch}'")


def _show(value: Any) -> str:
    """A short extended-JSON-ish rendering for error messages."""
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k}: {_show(v)}" for k, v in value.items()) + " }" if value else "{}"
    if isinstance(value, list):
        return "[ " + ", ".join(_show(v) for v in value) + " ]" if value else "[]"
    if isinstance(value, str):
        return f'"{value}"'
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


show = _show


def register(name: str) -> Callable[[OperatorCompiler], OperatorCompiler]:
    """Decorator: add a compiler to :data:`OPERATORS` under ``name``."""

    def deco(fn: OperatorCompiler) -> OperatorCompiler:
        OPERATORS[name] = fn
        return fn

    return deco


def arity_error(name: str, count: int, low: int, high: int | None) -> MongoError:
    if high == low:
        return MongoError(16020, f"Expression {name} takes exactly {low} arguments. {count} were passed in.")
    if high is None:
        return MongoError(16021, f"Expression {name} takes at least {low} arguments. {count} were passed in.")
    return MongoError(
        28667,
        f"Expression {name} takes at least {low} arguments, and at most {high}, but {count} were passed in.",
    )


def simple(name: str, fn: Callable[..., Any], low: int, high: int | None = -1) -> None:
    """Register an operator taking ``low``..``high`` evaluated positional arguments (high=-1: exactly low)."""
    OPERATORS[name] = _positional(name, lambda: fn, low, low if high == -1 else high)


def collated(name: str, make: Callable[[Any], Callable[..., Any]], low: int, high: int | None = -1) -> None:
    """``simple`` for an operator that compares values: ``make(collator)`` gives its function, built when
    the expression compiles, under the operation's collator (``collation.active()``)."""
    from docdb.engine.collation import active

    OPERATORS[name] = _positional(name, lambda: make(active()), low, low if high == -1 else high)


def _positional(
    name: str, make: Callable[[], Callable[..., Any]], low: int, high: int | None
) -> OperatorCompiler:
    def compile_op(args: Any, scope: Scope) -> Evaluator:
        fn = make()
        evaluators = compile_args(args, scope)
        count = len(evaluators)
        if count < low or (high is not None and count > high):
            raise arity_error(name, count, low, high)
        if count == 1:
            (only,) = evaluators
            return lambda doc, v: fn(only(doc, v))
        if count == 2:
            first, second = evaluators
            return lambda doc, v: fn(first(doc, v), second(doc, v))
        return lambda doc, v: fn(*[e(doc, v) for e in evaluators])

    return compile_op


def named_args(name: str, args: Any, required: tuple[str, ...], optional: tuple[str, ...], code: int) -> dict:
    """Check an operator's object argument has the required keys and nothing unknown."""
    if not isinstance(args, dict):
        raise MongoError(code, f"{name} expects an object of named arguments but found: {type_name(args)}")
    for key in args:
        if key not in required and key not in optional:
            raise MongoError(code, f"{name} found an unknown argument: {key}")
    for key in required:
        if key not in args:
            raise MongoError(code, f"Missing '{key}' parameter to {name}")
    return args


def type_name(value: Any) -> str:
    from docdb.engine.bson_types import bson_type_alias

    return "missing" if value is MISSING else bson_type_alias(value)


def rand() -> float:
    return random.random()
