"""``compile_projection``: a find projection becomes a function from a stored document to the reply.

MongoDB 4.4+ rules: a projection is either *inclusion* (``1``/``true``, literals, ``$elemMatch``,
positional ``a.$``) or *exclusion* (``0``/``false``); ``_id`` is included unless excluded and may be
excluded from either kind; ``$slice`` works in both. Nested paths project through arrays of documents
(inclusion drops scalars there). Included fields keep the document's order; computed fields,
``$elemMatch`` results and positional results follow them. Errors use mongod's location codes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bson.decimal128 import Decimal128

from docdb.engine.bson_order import MISSING
from docdb.engine.query.compile import compile_document, element_test, is_expression_document, parse_operators
from docdb.engine.text.meta import text_score
from docdb.engine.updates.positional import positional_index
from docdb.errors import ErrorCode, MongoError


@dataclass(slots=True)
class Slice:
    skip: int
    limit: int | None  # None: the single-number form (skip is then the signed count)


@dataclass(slots=True)
class ElemMatch:
    test: Callable[[Any], bool]


@dataclass(slots=True)
class Computed:
    evaluate: Callable[[dict], Any]


@dataclass(slots=True)
class Positional:
    prefix: list[str]


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, Decimal128))


def _truthy(value: Any) -> bool:
    if isinstance(value, Decimal128):
        return value.to_decimal() != 0
    return bool(value)


class _Parser:
    def __init__(self, query: dict | None, variables: dict | None = None) -> None:
        self.query = query
        self.variables = variables
        self.mode: str | None = None  # "include" / "exclude"
        self.id_mode: bool | None = None
        self.positional = False
        self.tree: dict = {}

    def set_mode(self, mode: str, path: str) -> None:
        if self.mode is None or self.mode == mode:
            self.mode = mode
            return
        if mode == "exclude":
            raise MongoError(31254, f"Cannot do exclusion on field {path} in inclusion projection")
        raise MongoError(31253, f"Cannot do inclusion on field {path} in exclusion projection")

    def insert(self, path: str, node: Any) -> None:
        parts = path.split(".")
        tree = self.tree
        for position, part in enumerate(parts[:-1]):
            child = tree.get(part)
            if child is None:
                child = tree[part] = {}
            elif not isinstance(child, dict):
                rest = ".".join(parts[position + 1 :])
                raise MongoError(31249, f"Path collision at {path} remaining portion {rest}")
            tree = child
        if parts[-1] in tree:
            raise MongoError(31250, f"Path collision at {path}")
        tree[parts[-1]] = node

    def field(self, path: str, value: Any) -> None:
        if path.endswith(".$") or path == "$":
            self.add_positional(path, value)
        elif isinstance(value, bool) or _is_number(value):
            include = _truthy(value)
            if path == "_id":
                self.id_mode = include
                self.tree["_id"] = include
                return
            self.set_mode("include" if include else "exclude", path)
            self.insert(path, include)
        elif isinstance(value, dict):
            self.object_field(path, value)
        else:
            self.computed(path, value)

    def object_field(self, path: str, value: dict) -> None:
        if not value:
            raise MongoError(
                51270, f"An empty sub-projection is not a valid value. Found empty object at path {path}"
            )
        first = next(iter(value))
        if first == "$slice":
            self.insert(path, _parse_slice(value["$slice"]))
        elif first == "$elemMatch":
            if "." in path:
                raise MongoError(ErrorCode.BadValue, "Cannot use $elemMatch projection on a nested field.")
            self.set_mode("include", path)
            self.insert(path, ElemMatch(_elem_match_test(value["$elemMatch"])))
        elif first == "$meta":
            if value != {"$meta": "textScore"}:
                raise MongoError(
                    ErrorCode.NotImplemented, f"$meta projection is not supported: {value['$meta']}"
                )
            self.insert(path, Computed(text_score))  # allowed in either kind of projection
        elif first.startswith("$"):
            self.computed(path, value)
        else:
            for key, sub in value.items():
                self.field(f"{path}.{key}", sub)

    def computed(self, path: str, value: Any) -> None:
        if self.mode == "exclude":
            raise MongoError(31252, "Cannot use expression other than $meta in exclusion projection")
        self.set_mode("include", path)
        self.insert(path, Computed(_compile_expression(value, self.variables)))

    def add_positional(self, path: str, value: Any) -> None:
        if self.positional:
            raise MongoError(31276, "Cannot specify more than one positional projection per query.")
        if path.count("$") > 1 or path == "$":
            raise MongoError(
                31394,
                "As of 4.4, it's illegal to specify positional operator in the middle of a path. "
                "Positional projection may only be used at the end, for example: a.b.$. If the query "
                "previously used a form like a.b.$.d, remove the parts following the '$' and the "
                "results will be equivalent.",
            )
        if not (isinstance(value, bool) or _is_number(value)) or not _truthy(value):
            raise MongoError(31395, "positional projection cannot be used with exclusion")
        self.positional = True
        self.set_mode("include", path)
        prefix = path[:-2]
        self.insert(prefix, Positional(prefix.split(".")))


def _parse_slice(arg: Any) -> Slice:
    if isinstance(arg, list):
        if len(arg) != 2:
            raise MongoError(28667, "$slice array wrong size")
        skip, limit = arg
        if not _is_number(skip) or not _is_number(limit) or isinstance(skip, bool) or isinstance(limit, bool):
            raise MongoError(28667, "$slice only supports numbers and [skip, limit] arrays")
        if int(limit) <= 0:
            raise MongoError(28667, "$slice limit must be positive")
        return Slice(int(skip), int(limit))
    if _is_number(arg) and not isinstance(arg, bool):
        return Slice(int(arg), None)
    raise MongoError(28667, "$slice only supports numbers and [skip, limit] arrays")


def _elem_match_test(arg: Any) -> Callable[[Any], bool]:
    if not isinstance(arg, dict):
        raise MongoError(ErrorCode.BadValue, "elemMatch: Invalid argument, object required.")
    if is_expression_document(arg, True) and not next(iter(arg)).startswith(("$and", "$or", "$nor")):
        tests = [element_test(node) for node in parse_operators("", arg)]
        return lambda value: all(test(value) for test in tests)
    matcher = compile_document(arg, top=False)
    return lambda value: isinstance(value, dict) and matcher(value)


def _compile_expression(spec: Any, variables: dict | None) -> Callable[[dict], Any]:
    """An aggregation expression over the document; ``variables`` (the command's ``let``) are the only
    user variables it may read, and ``$$NOW`` is one instant for the whole command."""
    if not _uses_expressions(spec):
        return lambda doc: spec
    if isinstance(spec, dict) and set(spec) == {"$literal"}:
        literal = spec["$literal"]
        return lambda doc: literal
    from docdb.engine.expressions import Variables, compile_expression

    evaluate = compile_expression(spec, allow_vars=frozenset(variables or {}))
    bound = Variables(None, dict(variables or {}))
    return lambda doc: evaluate(doc, bound.with_root(doc))


def _uses_expressions(spec: Any) -> bool:
    if isinstance(spec, str):
        return spec.startswith("$")
    if isinstance(spec, dict):
        return any(key.startswith("$") or _uses_expressions(value) for key, value in spec.items())
    if isinstance(spec, list):
        return any(_uses_expressions(item) for item in spec)
    return False


def _slice(value: Any, spec: Slice) -> Any:
    if not isinstance(value, list):
        return value
    if spec.limit is None:
        return value[: spec.skip] if spec.skip >= 0 else value[spec.skip :]
    start = spec.skip if spec.skip >= 0 else max(len(value) + spec.skip, 0)
    return value[start : start + spec.limit]


def _include(doc: dict, tree: dict, root: dict, query: dict | None, top: bool) -> dict:
    out: dict = {}
    tail: list[tuple[str, Any]] = []
    for key, value in doc.items():
        node = tree.get(key)
        if node is None or node is False:
            continue
        if node is True:
            out[key] = value
        elif isinstance(node, dict):
            if isinstance(value, dict):
                out[key] = _include(value, node, root, query, False)
            elif isinstance(value, list):
                out[key] = _include_array(value, node, root, query)
        elif isinstance(node, Slice):
            out[key] = _slice(value, node)
        elif isinstance(node, ElemMatch):
            if isinstance(value, list):
                for item in value:
                    if node.test(item):
                        tail.append((key, [item]))
                        break
        elif isinstance(node, Positional):
            tail.append((key, _positional(value, node, root, query)))
    _add_computed(out, tree, root)
    for key, value in tail:
        out[key] = value
    return out


def _add_computed(out: dict, tree: dict, root: dict) -> None:
    """Computed fields of ``tree``, in spec order; a computed field under a parent the document lacks
    (or holds as a scalar) gets a new sub-document, as mongod's ``{"a.b": <expr>}`` on ``{a: 5}``."""
    for key, node in tree.items():
        if isinstance(node, Computed):
            result = node.evaluate(root)
            if result is not MISSING:
                out[key] = result
        elif isinstance(node, dict) and key not in out and _has_computed(node):
            out[key] = {}
            _add_computed(out[key], node, root)


def _has_computed(tree: dict) -> bool:
    return any(
        isinstance(node, Computed) or (isinstance(node, dict) and _has_computed(node))
        for node in tree.values()
    )


def _include_array(items: list, tree: dict, root: dict, query: dict | None) -> list:
    out = []
    for item in items:
        if isinstance(item, dict):
            out.append(_include(item, tree, root, query, False))
        elif isinstance(item, list):
            out.append(_include_array(item, tree, root, query))
    return out


def _positional(value: Any, node: Positional, root: dict, query: dict | None) -> Any:
    if not isinstance(value, list):
        return value
    index = positional_index(query, node.prefix, root)
    if index is None:
        raise MongoError(51246, "positional operator '.$' couldn't find a matching element in the array")
    return [value[index]]


def _exclude(doc: dict, tree: dict) -> dict:
    out: dict = {}
    for key, value in doc.items():
        node = tree.get(key)
        if node is None or node is True:
            out[key] = value
        elif node is False:
            continue
        elif isinstance(node, dict):
            out[key] = _exclude_value(value, node)
        elif isinstance(node, Slice):
            out[key] = _slice(value, node)
    return out


def _exclude_value(value: Any, tree: dict) -> Any:
    if isinstance(value, dict):
        return _exclude(value, tree)
    if isinstance(value, list):
        return [_exclude_value(item, tree) for item in value]
    return value


def compile_projection(
    spec: dict | None, *, query: dict | None = None, variables: dict | None = None
) -> Callable[[dict], dict] | None:
    """Compile a find projection; None means "return documents whole". ``variables``: the command's
    evaluated ``let``, visible to projection expressions as ``$$name``.

    >>> project = compile_projection({"a.b": 1, "c": {"$slice": -1}})
    >>> project({"_id": 1, "a": [{"b": 1, "x": 2}, 3], "c": [1, 2, 3], "d": 4})
    {'_id': 1, 'a': [{'b': 1}], 'c': [3]}
    """
    if not spec:
        return None
    if not isinstance(spec, dict):
        raise MongoError(ErrorCode.TypeMismatch, "Expected projection to be of type object")
    parser = _Parser(query, variables)
    for path, value in spec.items():
        if not path or path.startswith("$") and path != "$":
            raise MongoError(
                ErrorCode.BadValue, f"FieldPath field names may not start with '$'. Given '{path}'"
            )
        parser.field(path, value)
    tree = parser.tree
    if parser.mode == "include" or (parser.mode is None and parser.id_mode is True):
        if parser.id_mode is None:
            tree = {"_id": True, **tree}
        return lambda doc: _include(doc, tree, doc, query, True)
    if _has_computed(tree):  # {$meta: "textScore"} fields follow the document's
        return lambda doc: _with_computed(_exclude(doc, tree), tree, doc)
    return lambda doc: _exclude(doc, tree)


def _with_computed(out: dict, tree: dict, root: dict) -> dict:
    _add_computed(out, tree, root)
    return out
