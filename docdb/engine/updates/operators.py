"""The update operators: each is a ``parse(path, arg)`` run at compile time and an
``apply(doc, parts, payload, ctx)`` run on a private copy of the document at one concrete path.

Parsers raise MongoDB's errors for bad arguments before any document is touched; appliers raise only
errors that depend on the document (a non-numeric field under $inc, a path through a scalar, …).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bson.regex import Regex
from bson.timestamp import Timestamp

from docdb.engine.bson_order import MISSING, regex_flags_text, regex_pattern_text
from docdb.engine.collation import SIMPLE, Collator
from docdb.engine.paths import get_path, set_path, unset_path
from docdb.engine.query.bson_text import format_element, format_value
from docdb.engine.query.compile import compile_document, element_test, is_expression_document, parse_operators
from docdb.engine.query.leaf import eq_test
from docdb.engine.query.regex import regex_test
from docdb.engine.query.types import type_name
from docdb.engine.updates.arith import arithmetic, bitwise, number_kind, zero_like
from docdb.errors import ErrorCode, MongoError


@dataclass(slots=True)
class ApplyContext:
    """Per-document facts the appliers need: the _id for messages, one clock reading, upsert-ness; and
    one fact an applier reports back: ``appended``, set by a $push that only appended to a non-empty
    array (mongod logs only the new elements of such an array, ``arr.N``, not the whole array)."""

    doc_id: Any
    now: datetime.datetime | None  # None when no action reads the clock (only $currentDate does)
    is_upsert_insert: bool
    collator: Collator = SIMPLE  # the operation's: how the array operators and $min/$max compare strings
    appended: bool = False

    def id_text(self) -> str:
        return "{" + format_element("_id", self.doc_id) + "}" if self.doc_id is not MISSING else "{}"


def copy_value(value: Any) -> Any:
    """A copy sharing nothing mutable with ``value`` (BSON scalars are immutable)."""
    if isinstance(value, dict):
        return {key: copy_value(item) for key, item in value.items()}
    if isinstance(value, list):
        return [copy_value(item) for item in value]
    return value


def _bad(message: str, code: int = ErrorCode.BadValue) -> MongoError:
    return MongoError(code, message)


def _is_int_like(value: Any) -> bool:
    kind = number_kind(value)
    return kind is not None and (kind <= 1 or float(value) == int(value))


# --- $set $unset $setOnInsert ----------------------------------------------------------------------


def parse_value(path: str, arg: Any) -> Any:
    return arg


def apply_set(doc: dict, parts: list[str], value: Any, ctx: ApplyContext) -> None:
    set_path(doc, parts, copy_value(value))


def apply_set_on_insert(doc: dict, parts: list[str], value: Any, ctx: ApplyContext) -> None:
    if ctx.is_upsert_insert:
        set_path(doc, parts, copy_value(value))


def apply_unset(doc: dict, parts: list[str], value: Any, ctx: ApplyContext) -> None:
    unset_path(doc, parts)


# --- $inc $mul $min $max ---------------------------------------------------------------------------


def _parse_arithmetic(verb: str) -> Callable[[str, Any], Any]:
    def parse(path: str, arg: Any) -> Any:
        if number_kind(arg) is None:
            raise _bad(f"Cannot {verb} with non-numeric argument: {{{format_element(path, arg)}}}", 14)
        return arg

    return parse


_INT32_MIN, _INT32_MAX = -(2**31), 2**31 - 1


def _apply_arithmetic(op: str, name: str) -> Callable[[dict, list[str], Any, ApplyContext], None]:
    def apply(doc: dict, parts: list[str], arg: Any, ctx: ApplyContext) -> None:
        top = len(parts) == 1
        current = doc.get(parts[0], MISSING) if top else get_path(doc, parts)
        if current is MISSING:
            set_path(doc, parts, arg if op == "add" else zero_like(arg))
            return
        if top and op == "add" and current.__class__ is int and arg.__class__ is int:
            result = current + arg  # (the usual $inc: int32 + int32 staying int32, as arithmetic() gives it)
            if (
                _INT32_MIN <= result <= _INT32_MAX
                and _INT32_MIN <= current <= _INT32_MAX
                and _INT32_MIN <= arg <= _INT32_MAX
            ):
                doc[parts[0]] = result
                return
        if number_kind(current) is None:
            raise _bad(
                f"Cannot apply {name} to a value of non-numeric type. {ctx.id_text()} has the field "
                f"'{parts[-1]}' of non-numeric type {type_name(current)}",
                ErrorCode.TypeMismatch,
            )
        try:
            result = arithmetic(op, current, arg)
        except OverflowError:
            raise _bad(
                f"Failed to apply {name} operations to current value ({format_value(current)}) for document "
                f"{ctx.id_text()}"
            ) from None
        set_path(doc, parts, result)

    return apply


def _apply_extreme(sign: int) -> Callable[[dict, list[str], Any, ApplyContext], None]:
    def apply(doc: dict, parts: list[str], arg: Any, ctx: ApplyContext) -> None:
        current = get_path(doc, parts)
        if current is MISSING or ctx.collator.compare(arg, current) == sign:
            set_path(doc, parts, copy_value(arg))

    return apply


# --- $currentDate $rename $bit ---------------------------------------------------------------------


def parse_current_date(path: str, arg: Any) -> str:
    if isinstance(arg, bool):
        return "date"
    if isinstance(arg, dict):
        if set(arg) == {"$type"} and arg["$type"] in ("date", "timestamp"):
            return arg["$type"]
        if "$type" in arg and len(arg) == 1:
            raise _bad(
                "The '$type' string field is required to be 'date' or 'timestamp': "
                "{$currentDate: {field : {$type: 'date'}}}"
            )
        raise _bad(f"Unrecognized $currentDate option: {next(iter(arg), '')}")
    raise _bad(
        f"{type_name(arg)} is not valid type for $currentDate. Please use a boolean ('true') or a $type "
        "expression ({$type: 'timestamp/date'})."
    )


class _TimestampClock:
    """mongod's logical clock for ``$currentDate: {$type: "timestamp"}``: every value it hands out is
    greater than the last one (same second: the increment grows), so timestamps order the writes."""

    __slots__ = ("seconds", "increment")

    def __init__(self) -> None:
        self.seconds = 0
        self.increment = 0

    def tick(self, now: datetime.datetime) -> Timestamp:
        seconds = int((now - datetime.datetime(1970, 1, 1)).total_seconds())
        if seconds > self.seconds:
            self.seconds, self.increment = seconds, 1
        else:
            self.increment += 1
        return Timestamp(self.seconds, self.increment)


TIMESTAMP_CLOCK = _TimestampClock()


def apply_current_date(doc: dict, parts: list[str], kind: str, ctx: ApplyContext) -> None:
    assert ctx.now is not None
    if kind == "date":
        set_path(doc, parts, ctx.now.replace(microsecond=ctx.now.microsecond // 1000 * 1000))
    else:
        set_path(doc, parts, TIMESTAMP_CLOCK.tick(ctx.now))


def parse_rename(path: str, arg: Any) -> str:
    if not isinstance(arg, str):
        raise _bad(f"The 'to' field for $rename must be a string: {format_element(path, arg)}")
    if "$" in path.split(".")[-1] or any(part.startswith("$") for part in path.split(".")):
        raise _bad(f"The source field for $rename may not be dynamic: {path}")
    if any(part.startswith("$") for part in arg.split(".")):
        raise _bad(f"The destination field for $rename may not be dynamic: {arg}")
    if arg == path:
        raise _bad(f"The source and target field for $rename must differ: {format_element(path, arg)}")
    if arg.startswith(path + ".") or path.startswith(arg + "."):
        raise _bad(
            f"The source and target field for $rename must not be on the same path: "
            f"{format_element(path, arg)}"
        )
    if not arg or "" in arg.split("."):
        raise _bad("The update path '" + arg + "' contains an empty field name, which is not allowed.", 56)
    return arg


def _array_on_path(doc: dict, parts: list[str]) -> str | None:
    value: Any = doc
    for position, part in enumerate(parts[:-1]):
        value = value.get(part, MISSING) if isinstance(value, dict) else MISSING
        if isinstance(value, list):
            return ".".join(parts[: position + 1])
    return None


def apply_rename(doc: dict, parts: list[str], target: str, ctx: ApplyContext) -> None:
    source = get_path(doc, parts)
    array = _array_on_path(doc, parts)
    if array is not None:
        raise _bad(
            f"The source field cannot be an array element, '{'.'.join(parts)}' in doc with "
            f"{format_element('_id', ctx.doc_id)} has an array field called '{array.split('.')[-1]}'"
        )
    if source is MISSING:
        return
    target_parts = target.split(".")
    array = _array_on_path(doc, target_parts)
    if array is not None:
        raise _bad(
            f"The destination field cannot be an array element, '{target}' in doc with "
            f"{format_element('_id', ctx.doc_id)} has an array field called '{array.split('.')[-1]}'"
        )
    unset_path(doc, parts)
    unset_path(doc, target_parts)
    set_path(doc, target_parts, source)


def parse_bit(path: str, arg: Any) -> list[tuple[str, Any]]:
    if not isinstance(arg, dict):
        raise _bad(
            f"The $bit modifier is not compatible with a {type_name(arg)}. You must pass in an embedded "
            "document: {$bit: {field: {and/or/xor: #}}"
        )
    ops = []
    for op, operand in arg.items():
        if op not in ("and", "or", "xor"):
            raise _bad(
                f"The $bit modifier only supports 'and', 'or', and 'xor', not '{op}' which is an "
                f"unknown operator: {{{format_element(op, operand)}}}"
            )
        if number_kind(operand) not in (0, 1):
            raise _bad(
                f"The $bit modifier field must be an Integer(32/64 bit); a '{type_name(operand)}' is "
                "not supported here"
            )
        ops.append((op, operand))
    return ops


def apply_bit(doc: dict, parts: list[str], ops: list[tuple[str, Any]], ctx: ApplyContext) -> None:
    current = get_path(doc, parts)
    if current is MISSING:
        current = 0
    elif number_kind(current) not in (0, 1):
        raise _bad(
            f"Cannot apply $bit to a value of non-integral type.{ctx.id_text()} has the field "
            f"{parts[-1]} of non-integer type {type_name(current)}"
        )
    for op, operand in ops:
        current = bitwise(op, current, operand)
    set_path(doc, parts, current)


# --- array operators -------------------------------------------------------------------------------


@dataclass(slots=True)
class PushSpec:
    each: list
    slice: int | None = None
    sort: Any = None
    position: int | None = None


def _integer_clause(name: str, value: Any, what: str) -> int:
    if number_kind(value) is None:
        raise _bad(f"The value for {name} must be an integer value but was given type: {type_name(value)}")
    if not _is_int_like(value):
        raise _bad(f"The value for {name} must be an integer value but was given: {format_value(value)}")
    return int(value)


def _parse_sort_spec(spec: Any) -> Any:
    if isinstance(spec, dict):
        if not spec:
            raise _bad("The $sort pattern is empty when it should be a set of fields.")
        for key, direction in spec.items():
            if number_kind(direction) is None or float(direction) not in (1.0, -1.0):
                raise _bad("The $sort element value must be either 1 or -1")
            if not key or key.startswith(".") or key.endswith(".") or ".." in key:
                raise _bad("The $sort field is a dotted field but has an empty part: " + key)
        return {key: int(direction) for key, direction in spec.items()}
    if number_kind(spec) is not None and float(spec) in (1.0, -1.0):
        return int(spec)
    raise _bad(
        "The $sort is invalid: use 1/-1 to sort the whole element, or {field:1/-1} to sort embedded fields"
    )


def parse_push(path: str, arg: Any) -> PushSpec:
    if not (isinstance(arg, dict) and "$each" in arg):
        return PushSpec([arg])
    for key in arg:
        if key not in ("$each", "$slice", "$sort", "$position"):
            raise _bad(f"Unrecognized clause in $push: {key}")
    each = arg["$each"]
    if not isinstance(each, list):
        raise _bad(f"The argument to $each in $push must be an array but it was of type: {type_name(each)}")
    spec = PushSpec(each)
    if "$slice" in arg:
        spec.slice = _integer_clause("$slice", arg["$slice"], "slice")
    if "$sort" in arg:
        spec.sort = _parse_sort_spec(arg["$sort"])
    if "$position" in arg:
        spec.position = _integer_clause("$position", arg["$position"], "position")
    return spec


def _array_at(doc: dict, parts: list[str], name: str, ctx: ApplyContext) -> list | None:
    current = get_path(doc, parts)
    if current is MISSING:
        return None
    if not isinstance(current, list):
        raise _bad(
            f"The field '{'.'.join(parts)}' must be an array but is of type {type_name(current)} in "
            f"document {ctx.id_text()}"
        )
    return current


def _sort_array(items: list, spec: Any, collator: Collator = SIMPLE) -> None:
    from docdb.engine.sort import compile_sort

    if isinstance(spec, int):
        items.sort(key=collator.sort_key, reverse=spec < 0)
        return
    key = compile_sort(spec, collator=collator)
    items.sort(key=lambda item: key(item if isinstance(item, dict) else {}))


def apply_push(doc: dict, parts: list[str], spec: PushSpec, ctx: ApplyContext) -> None:
    current = _array_at(doc, parts, "$push", ctx)
    items = list(current) if current is not None else []
    new = copy_value(spec.each)
    if spec.position is None:
        items.extend(new)
    else:
        position = spec.position if spec.position >= 0 else max(len(items) + spec.position, 0)
        items[position:position] = new
    if spec.sort is not None:
        _sort_array(items, spec.sort, ctx.collator)
    if spec.slice is not None:
        items = items[: spec.slice] if spec.slice >= 0 else items[spec.slice :] if spec.slice else []
    # mongod's "array append" update: a non-empty array, the values put after its end, not sorted, and
    # no element cut by $slice
    ctx.appended = (
        bool(current)
        and (spec.position is None or spec.position > len(current))
        and spec.sort is None
        and len(items) == len(current) + len(new)  # type: ignore[arg-type]
    )
    set_path(doc, parts, items)


def parse_add_to_set(path: str, arg: Any) -> list:
    if isinstance(arg, dict) and "$each" in arg:
        each = arg["$each"]
        if not isinstance(each, list):
            raise _bad(
                f"The argument to $each in $addToSet must be an array but it was of type {type_name(each)}"
            )
        return each
    return [arg]


def apply_add_to_set(doc: dict, parts: list[str], values: list, ctx: ApplyContext) -> None:
    current = get_path(doc, parts)
    if current is not MISSING and not isinstance(current, list):
        raise _bad(
            f"Cannot apply $addToSet to non-array field. Field named '{parts[-1]}' has non-array type "
            f"{type_name(current)}"
        )
    items = list(current) if current is not MISSING else []
    equal = ctx.collator.values_equal
    for value in values:
        if not any(equal(value, item) for item in items):
            items.append(copy_value(value))
    set_path(doc, parts, items)


def parse_pop(path: str, arg: Any) -> int:
    if number_kind(arg) is None or float(arg) not in (1.0, -1.0):
        raise _bad(f"$pop expects 1 or -1, found: {format_value(arg)}", ErrorCode.FailedToParse)
    return int(arg)


def apply_pop(doc: dict, parts: list[str], end: int, ctx: ApplyContext) -> None:
    current = get_path(doc, parts)
    if current is MISSING:
        return
    if not isinstance(current, list):
        raise _bad(
            f"Path '{'.'.join(parts)}' contains an element of non-array type '{type_name(current)}'",
            ErrorCode.TypeMismatch,
        )
    if current:
        set_path(doc, parts, current[:-1] if end > 0 else current[1:])


def parse_pull(path: str, arg: Any) -> Callable[[Any], bool]:
    """The element test of $pull: an operator doc tests values, a plain doc matches embedded docs."""
    if isinstance(arg, (Regex, re.Pattern)):
        return regex_test(regex_pattern_text(arg), regex_flags_text(arg))
    if isinstance(arg, dict) and arg:
        if is_expression_document(arg, False) and next(iter(arg)) not in ("$and", "$or", "$nor"):
            tests = [element_test(node) for node in parse_operators("", arg)]
            return lambda value: all(test(value) for test in tests)
        matcher = compile_document(arg, top=False)
        return lambda value: isinstance(value, dict) and matcher(value)
    return eq_test(arg)


def apply_pull(doc: dict, parts: list[str], test: Callable[[Any], bool], ctx: ApplyContext) -> None:
    current = get_path(doc, parts)
    if current is MISSING:
        return
    if not isinstance(current, list):
        raise _bad("Cannot apply $pull to a non-array value")
    kept = [item for item in current if not test(item)]
    if len(kept) != len(current):
        set_path(doc, parts, kept)


def parse_pull_all(path: str, arg: Any) -> list:
    if not isinstance(arg, list):
        raise _bad(f"$pullAll requires an array argument but was given a {type_name(arg)}")
    return arg


def apply_pull_all(doc: dict, parts: list[str], values: list, ctx: ApplyContext) -> None:
    current = get_path(doc, parts)
    if current is MISSING:
        return
    if not isinstance(current, list):
        raise _bad("$pullAll requires an array argument but was given a " + type_name(current))
    equal = ctx.collator.values_equal
    kept = [item for item in current if not any(equal(item, value) for value in values)]
    if len(kept) != len(current):
        set_path(doc, parts, kept)


Parser = Callable[[str, Any], Any]
Applier = Callable[[dict, list[str], Any, ApplyContext], None]

# sorted alphabetically
OPERATORS: dict[str, tuple[Parser, Applier]] = {
    "$addToSet": (parse_add_to_set, apply_add_to_set),
    "$bit": (parse_bit, apply_bit),
    "$currentDate": (parse_current_date, apply_current_date),
    "$inc": (_parse_arithmetic("increment"), _apply_arithmetic("add", "$inc")),
    "$max": (parse_value, _apply_extreme(1)),
    "$min": (parse_value, _apply_extreme(-1)),
    "$mul": (_parse_arithmetic("multiply"), _apply_arithmetic("mul", "$mul")),
    "$pop": (parse_pop, apply_pop),
    "$pull": (parse_pull, apply_pull),
    "$pullAll": (parse_pull_all, apply_pull_all),
    "$push": (parse_push, apply_push),
    "$rename": (parse_rename, apply_rename),
    "$set": (parse_value, apply_set),
    "$setOnInsert": (parse_value, apply_set_on_insert),
    "$unset": (parse_value, apply_unset),
}
