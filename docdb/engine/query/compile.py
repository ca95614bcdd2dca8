"""Filter compilation: a filter document becomes one predicate, validated up front.

The parse follows mongod's MatchExpressionParser: top-level ``$`` keys go to the pathless table
($and, $or, …), other keys are paths whose value is either an operator document (first key starts with
``$`` and it is not a DBRef), a regex, or a value to compare for equality. A path's operators compile to
*nodes*: ``Leaf`` (an element test plus whether a leaf array is traversed) or ``Not`` (negated AND). A
node becomes a document predicate by walking its path (``paths.iter_path``: any yielded value matching
is a match), or an element test inside ``$elemMatch`` values. Errors are raised here, never when a
predicate runs.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bson.decimal128 import Decimal128
from bson.int64 import Int64
from bson.regex import Regex

from docdb.engine.bson_order import (
    MISSING,
    is_finite_number,
    number_value,
    regex_flags_text,
    regex_pattern_text,
)
from docdb.engine.paths import iter_path
from docdb.engine.query import leaf
from docdb.engine.query.bson_text import format_element
from docdb.engine.query.regex import regex_test
from docdb.engine.query.types import parse_type_set
from docdb.errors import ErrorCode, MongoError

Predicate = Callable[[dict], bool]
Test = Callable[[Any], bool]


@dataclass(slots=True)
class Leaf:
    """An element test; ``traverse`` False means a leaf array is tested whole ($size, $elemMatch)."""

    test: Test
    traverse: bool = True


@dataclass(slots=True)
class Not:
    """The negation of the AND of ``children`` over the same path."""

    children: list


Node = Leaf | Not


class FilterScope:
    """The user variables a filter's ``$expr`` sees: ``names`` checked at compile time (None: no check),
    ``variables`` the bindings in force when a predicate runs (swapped by ``compile_filter_scoped``)."""

    __slots__ = ("names", "variables")

    def __init__(self, names: frozenset[str] | None = frozenset(), variables: Any = None) -> None:
        self.names = names
        self.variables = variables


PATHLESS_NAMES = frozenset(
    {"$alwaysFalse", "$alwaysTrue", "$and", "$comment", "$db", "$expr", "$id", "$jsonSchema", "$nor", "$or"}
    | {"$ref", "$sampleRate", "$text", "$where"}
)
_DBREF_FIELDS = ("$ref", "$id", "$db")


def _bad(message: str, code: int = ErrorCode.BadValue) -> MongoError:
    return MongoError(code, message)


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float, Decimal128)) and not isinstance(value, bool)


def true_value(value: Any) -> bool:
    """BSON truthiness (mongod's trueValue): null, false and zero are false; strings are true."""
    if value is None or value is MISSING or value is False:
        return False
    if is_number(value):
        number = number_value(value)
        return number != 0
    return True


def is_expression_document(value: Any, allow_incomplete_dbref: bool) -> bool:
    """A dict whose first key starts with ``$`` and that is not a DBRef (``{$ref, $id}``)."""
    if not isinstance(value, dict) or not value:
        return False
    if not next(iter(value)).startswith("$"):
        return False
    present = [name in value for name in _DBREF_FIELDS]
    is_dbref = any(present) if allow_incomplete_dbref else present[0] and present[1]
    return not is_dbref


# --- documents and paths -------------------------------------------------------------------------


def compile_document(spec: Any, top: bool = True, scope: FilterScope | None = None) -> Predicate:
    """Compile a filter document into a predicate over documents (``top``: not inside $elemMatch).

    ``scope`` carries the ``let`` variables for ``$expr``; without one, no user variable is defined."""
    if not isinstance(spec, dict):
        raise _bad("filter must be an object", ErrorCode.TypeMismatch)
    predicates: list[Predicate] = []
    for name, value in spec.items():
        if name.startswith("$"):
            handler = _PATHLESS.get(name)
            if handler is None:
                raise _bad(f"unknown top level operator: {name}")
            predicate = handler(name, value, top, scope)
            if predicate is not None:
                predicates.append(predicate)
            continue
        predicates.extend(path_predicate(name, node) for node in parse_field(name, value))
    return all_of(predicates)


def parse_field(name: str, value: Any) -> list[Node]:
    """The nodes for one ``path: value`` pair of a filter."""
    if is_expression_document(value, False):
        return parse_operators(name, value)
    if isinstance(value, (Regex, re.Pattern)):
        return [Leaf(regex_test(regex_pattern_text(value), regex_flags_text(value)))]
    return [Leaf(leaf.eq_test(value))]


def all_of(predicates: list[Predicate]) -> Predicate:
    if not predicates:
        return lambda doc: True
    if len(predicates) == 1:
        return predicates[0]
    if len(predicates) == 2:
        first, second = predicates
        return lambda doc: first(doc) and second(doc)

    def every(doc: dict) -> bool:
        for predicate in predicates:
            if not predicate(doc):
                return False
        return True

    return every


def path_predicate(path: str, node: Node) -> Predicate:
    """A document predicate: does any value at ``path`` pass the node (MongoDB's implicit OR)?"""
    if isinstance(node, Not):
        inner = all_of([path_predicate(path, child) for child in node.children])
        return lambda doc: not inner(doc)
    test = node.test
    parts = path.split(".")
    if len(parts) == 1:
        if not node.traverse:
            return lambda doc: test(doc.get(path, MISSING))

        def top_level(doc: dict) -> bool:
            value = doc.get(path, MISSING)
            if value.__class__ is list:
                for item in value:
                    if test(item):
                        return True
            return test(value)

        return top_level
    traverse = node.traverse

    def dotted(doc: dict) -> bool:
        for value in iter_path(doc, parts, traverse):
            if test(value):
                return True
        return False

    return dotted


def element_test(node: Node) -> Test:
    """The node applied to one value (inside ``$elemMatch`` values), no path walking."""
    if isinstance(node, Leaf):
        return node.test
    tests = [element_test(child) for child in node.children]
    return lambda value: not all(test(value) for test in tests)


# --- pathless (top-level) operators --------------------------------------------------------------


def _logical(name: str, value: Any, top: bool, scope: FilterScope | None) -> Predicate:
    if not isinstance(value, list):
        raise _bad(f"{name} must be an array")
    if not value:
        raise _bad("$and/$or/$nor must be a nonempty array")
    branches = []
    for item in value:
        if not isinstance(item, dict):
            raise _bad("$or/$and/$nor entries need to be full objects")
        branches.append(compile_document(item, top, scope))
    if name == "$and":
        return all_of(branches)
    if name == "$or":
        return lambda doc: any(branch(doc) for branch in branches)
    return lambda doc: not any(branch(doc) for branch in branches)


def _always(name: str, value: Any, top: bool, scope: FilterScope | None) -> Predicate:
    if not is_number(value) or number_value(value) != 1:
        raise _bad(f"{name} must be an integer value of 1", ErrorCode.FailedToParse)
    result = name == "$alwaysTrue"
    return lambda doc: result


def _comment(name: str, value: Any, top: bool, scope: FilterScope | None) -> None:
    return None


def _dbref_field(name: str, value: Any, top: bool, scope: FilterScope | None) -> Predicate:
    return path_predicate(name, Leaf(leaf.eq_test(value)))


def _expr(name: str, value: Any, top: bool, scope: FilterScope | None) -> Predicate:
    if not top:
        raise _bad("$expr can only be applied to the top-level document")
    from docdb.engine.expressions import Variables, compile_expression, truthy

    if scope is None:
        scope = FilterScope()
    evaluate = compile_expression(value, allow_vars=scope.names)
    if scope.variables is None:
        scope.variables = Variables(None, {})
    bound = scope

    def expr(doc: dict) -> bool:
        return truthy(evaluate(doc, bound.variables.with_root(doc)))

    return expr


def _json_schema(name: str, value: Any, top: bool, scope: FilterScope | None) -> Predicate:
    from docdb.engine.query.json_schema import compile_json_schema

    return compile_json_schema(value)


def _sample_rate(name: str, value: Any, top: bool, scope: FilterScope | None) -> Predicate:
    raise _bad("$sampleRate is not supported", ErrorCode.NotImplemented)


def _text(name: str, value: Any, top: bool, scope: FilterScope | None) -> Predicate:
    if not top:
        raise _bad("$text can only be applied to the top-level document")
    raise _bad("text index required for $text query", ErrorCode.IndexNotFound)


def _where(name: str, value: Any, top: bool, scope: FilterScope | None) -> Predicate:
    if not top:
        raise _bad("$elemMatch cannot contain $where expression")
    from docdb.engine.js.where import compile_where

    return compile_where(value)


# sorted alphabetically
_PATHLESS: dict[str, Callable[[str, Any, bool, FilterScope | None], Predicate | None]] = {
    "$alwaysFalse": _always,
    "$alwaysTrue": _always,
    "$and": _logical,
    "$comment": _comment,
    "$db": _dbref_field,
    "$expr": _expr,
    "$id": _dbref_field,
    "$jsonSchema": _json_schema,
    "$nor": _logical,
    "$or": _logical,
    "$ref": _dbref_field,
    "$sampleRate": _sample_rate,
    "$text": _text,
    "$where": _where,
}


# --- path operators ------------------------------------------------------------------------------


def parse_operators(name: str, spec: dict) -> list[Node]:
    """The nodes of an operator document such as ``{$gt: 1, $lt: 5}`` on path ``name``."""
    first = next(iter(spec))
    if first in _GEO_NEAR:  # a find plans $near before compiling the rest (engine/geo/plan.py)
        raise MongoError(5626500, _NEAR_NOT_ALLOWED)
    nodes: list[Node] = []
    for op, arg in spec.items():
        handler = _FIELD_OPS.get(op)
        if handler is None:
            if op == "$where":
                raise _bad("$where cannot be applied to a field")
            if op in _GEO_NEAR:
                raise _bad(f"near must be first in: {{ {format_element(op, arg)} }}")
            if op in _GEO:
                from docdb.engine.geo.match import geo_test  # the geo package builds on this module

                nodes.append(Leaf(geo_test("$geoWithin" if op == "$within" else op, arg)))
                continue
            raise _bad(f"unknown operator: {op}")
        nodes.extend(handler(name, op, arg, spec))
    return nodes


def _comparison(name: str, op: str, arg: Any, spec: dict) -> list[Node]:
    if isinstance(arg, (Regex, re.Pattern)):
        raise _bad(f"Can't have RegEx as arg to predicate over field '{name}'.")
    return [Leaf(leaf.compare_test(op, arg))]


def _eq(name: str, op: str, arg: Any, spec: dict) -> list[Node]:
    return [Leaf(leaf.eq_test(arg))]


def _ne(name: str, op: str, arg: Any, spec: dict) -> list[Node]:
    if isinstance(arg, (Regex, re.Pattern)):
        raise _bad("Can't have regex as arg to $ne.")
    return [Not([Leaf(leaf.eq_test(arg))])]


def _in_leaf(op: str, arg: Any) -> Leaf:
    if not isinstance(arg, list):
        raise _bad(f"{op} needs an array")
    equalities, regexes = [], []
    for item in arg:
        if is_expression_document(item, False):
            raise _bad("cannot nest $ under $in")
        if isinstance(item, (Regex, re.Pattern)):
            regexes.append(regex_test(regex_pattern_text(item), regex_flags_text(item)))
        else:
            equalities.append(item)
    return Leaf(leaf.in_test(equalities, regexes))


def _in(name: str, op: str, arg: Any, spec: dict) -> list[Node]:
    return [_in_leaf(op, arg)]


def _nin(name: str, op: str, arg: Any, spec: dict) -> list[Node]:
    return [Not([_in_leaf(op, arg)])]


def _exists(name: str, op: str, arg: Any, spec: dict) -> list[Node]:
    exists = Leaf(leaf.exists_test)
    return [exists] if true_value(arg) else [Not([exists])]


def _not(name: str, op: str, arg: Any, spec: dict) -> list[Node]:
    if isinstance(arg, (Regex, re.Pattern)):
        return [Not([Leaf(regex_test(regex_pattern_text(arg), regex_flags_text(arg)))])]
    if not isinstance(arg, dict):
        raise _bad("$not needs a regex or a document")
    if not arg:
        raise _bad("$not cannot be empty")
    return [Not(parse_operators(name, arg))]


def _regex(name: str, op: str, arg: Any, spec: dict) -> list[Node]:
    pattern, options = "", ""
    for key, value in spec.items():
        if key == "$regex":
            if isinstance(value, str):
                pattern = value
            elif isinstance(value, (Regex, re.Pattern)):
                pattern = regex_pattern_text(value)
                flags = regex_flags_text(value)
                if flags:
                    if options:
                        raise MongoError(51074, "options set in both $regex and $options")
                    options = flags
            else:
                raise _bad("$regex has to be a string")
        elif key == "$options":
            if not isinstance(value, str):
                raise _bad("$options has to be a string")
            if options:
                raise MongoError(51075, "options set in both $regex and $options")
            options = value
    return [Leaf(regex_test(pattern, options))]


def _options(name: str, op: str, arg: Any, spec: dict) -> list[Node]:
    if "$regex" not in spec:
        raise _bad("$options needs a $regex")
    return []


def _size(name: str, op: str, arg: Any, spec: dict) -> list[Node]:
    if isinstance(arg, bool) or not isinstance(arg, (int, float)):
        raise _bad("$size needs a number")
    if isinstance(arg, float) and not (math.isfinite(arg) and arg == int(arg)):
        raise _bad("$size must be a whole number")
    size = int(arg)
    if isinstance(arg, Int64) and not -(2**31) <= size < 2**31:
        raise _bad("$size must be representable as a 32-bit integer")
    if size < 0:
        raise _bad("$size may not be negative")
    return [Leaf(leaf.size_test(size), traverse=False)]


def _type(name: str, op: str, arg: Any, spec: dict) -> list[Node]:
    return [Leaf(leaf.type_test(parse_type_set(arg, op)))]


def _mod_operand(value: Any, what: str) -> int:
    if not is_number(value):
        raise _bad(f"malformed mod, {what} not a number")
    if not is_finite_number(value):
        reason = "Unable to coerce NaN/Inf to integral type"
        raise _bad(f"malformed mod, {what} value is invalid :: caused by :: {reason}")
    return int(number_value(value))


def _mod(name: str, op: str, arg: Any, spec: dict) -> list[Node]:
    if not isinstance(arg, list):
        raise _bad("malformed mod, needs to be an array")
    if len(arg) < 2:
        raise _bad("malformed mod, not enough elements")
    if len(arg) > 2:
        raise _bad("malformed mod, too many elements")
    divisor = _mod_operand(arg[0], "divisor")
    remainder = _mod_operand(arg[1], "remainder")
    if divisor == 0:
        raise _bad("divisor cannot be 0")
    return [Leaf(leaf.mod_test(divisor, remainder))]


def _bit_positions(op: str, arg: Any) -> list[int]:
    if isinstance(arg, list):
        positions = []
        for item in arg:
            shown = format_element(str(len(positions)), item)
            if not is_number(item) or (isinstance(item, float) and item != item):
                raise _bad(f"bit positions must be an integer but got: {shown}")
            number = number_value(item)
            if not -(2**31) <= number < 2**31:
                raise _bad(f"bit positions cannot be represented as a 32-bit signed integer: {shown}")
            if number != int(number):
                raise _bad(f"bit positions must be an integer but got: {shown}")
            if number < 0:
                raise _bad(f"bit positions must be >= 0 but got: {shown}")
            positions.append(int(number))
        return positions
    shown = format_element(op, arg)
    if is_number(arg):
        if not is_finite_number(arg):
            raise _bad(f"Expected an integer: {shown}", ErrorCode.FailedToParse)
        number = number_value(arg)
        if number != int(number):
            raise _bad(f"Expected an integer: {shown}", ErrorCode.FailedToParse)
        if number < 0:
            raise _bad(f"Expected a positive number in: {shown}", ErrorCode.FailedToParse)
        return leaf.mask_positions(int(number))
    if isinstance(arg, bytes):
        return leaf.mask_positions(arg)
    raise _bad(f"{op} takes an Array, a number, or a BinData but received: {shown}")


def _bits(name: str, op: str, arg: Any, spec: dict) -> list[Node]:
    return [Leaf(leaf.bits_test(op, _bit_positions(op, arg)))]


def _elem_match(name: str, op: str, arg: Any, spec: dict) -> list[Node]:
    if not isinstance(arg, dict):
        raise _bad("$elemMatch needs an Object")
    if is_expression_document(arg, True) and next(iter(arg)) not in PATHLESS_NAMES:
        tests = [element_test(node) for node in parse_operators("", arg)]

        def value_case(value: Any) -> bool:
            if value.__class__ is not list:
                return False
            for item in value:
                if all(test(item) for test in tests):
                    return True
            return False

        return [Leaf(value_case, traverse=False)]
    if "$where" in arg:
        raise _bad("$elemMatch cannot contain $where expression")
    sub = compile_document(arg, top=False)

    def object_case(value: Any) -> bool:
        if value.__class__ is not list:
            return False
        for item in value:
            if isinstance(item, dict):
                if sub(item):
                    return True
            elif isinstance(item, list) and sub({str(i): v for i, v in enumerate(item)}):
                return True
        return False

    return [Leaf(object_case, traverse=False)]


def _all(name: str, op: str, arg: Any, spec: dict) -> list[Node]:
    if not isinstance(arg, list):
        raise _bad("$all needs an array")
    if not arg:
        return [Leaf(leaf.always(False))]
    first = arg[0]
    if isinstance(first, dict) and first and next(iter(first)) == "$elemMatch":
        nodes: list[Node] = []
        for item in arg:
            if not isinstance(item, dict) or not item or next(iter(item)) != "$elemMatch":
                raise _bad("$all/$elemMatch has to be consistent")
            nodes.extend(_elem_match(name, "$elemMatch", item["$elemMatch"], item))
        return nodes
    nodes = []
    for item in arg:
        if isinstance(item, (Regex, re.Pattern)):
            nodes.append(Leaf(regex_test(regex_pattern_text(item), regex_flags_text(item))))
        elif isinstance(item, dict) and item and next(iter(item)) in _FIELD_OPS:
            raise _bad("no $ expressions in $all")
        else:
            nodes.append(Leaf(leaf.eq_test(item)))
    return nodes


_GEO_NEAR = frozenset({"$geoNear", "$near", "$nearSphere"})
_NEAR_NOT_ALLOWED = (
    "$geoNear, $near, and $nearSphere are not allowed in this context, as these operators require sorting "
    "geospatial data. If you do not need sort, consider using $geoWithin instead. Check out "
    "https://dochub.mongodb.org/core/near-sort-operation and "
    "https://dochub.mongodb.org/core/nearSphere-sort-operationfor more details."
)
_GEO = frozenset({"$geoIntersects", "$geoWithin", "$within"})

# sorted alphabetically
_FIELD_OPS: dict[str, Callable[[str, str, Any, dict], list[Node]]] = {
    "$all": _all,
    "$bitsAllClear": _bits,
    "$bitsAllSet": _bits,
    "$bitsAnyClear": _bits,
    "$bitsAnySet": _bits,
    "$elemMatch": _elem_match,
    "$eq": _eq,
    "$exists": _exists,
    "$gt": _comparison,
    "$gte": _comparison,
    "$in": _in,
    "$lt": _comparison,
    "$lte": _comparison,
    "$mod": _mod,
    "$ne": _ne,
    "$nin": _nin,
    "$not": _not,
    "$options": _options,
    "$regex": _regex,
    "$size": _size,
    "$type": _type,
}
