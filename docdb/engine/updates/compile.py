"""``compile_update``: an update document (operators or replacement) validated once, applied per document.

Operator updates are checked up front the way mongod's UpdateDriver does: known modifiers only, object
arguments, valid paths, no two paths where one is a prefix of the other (ConflictingUpdateOperators),
array filter identifiers all defined and all used. At apply time the actions run in path order
(lexicographic, numeric parts numerically: MongoDB 5.0+), on a private copy of the document.
"""

from __future__ import annotations

import datetime
import struct
from dataclasses import dataclass, field
from typing import Any

from bson.int64 import Int64

from docdb.engine.bson_order import MISSING
from docdb.engine.collation import Collator, active
from docdb.engine.dbref import DBREF_FIELDS, check_dbref_fields
from docdb.engine.matcher import equality_pairs
from docdb.engine.paths import get_path, set_path
from docdb.engine.query.bson_text import format_element, format_value
from docdb.engine.query.types import type_name
from docdb.engine.updates import in_place
from docdb.engine.updates.operators import OPERATORS, Applier, ApplyContext, copy_value
from docdb.engine.updates.pipeline import UpdatePipeline
from docdb.engine.updates.positional import expand_path, filter_identifier, is_positional, parse_array_filters
from docdb.errors import ErrorCode, MongoError


@dataclass(slots=True)
class Action:
    """One operator at one (possibly positional) path, with its compiled argument."""

    op: str
    parts: list[str]
    payload: Any
    applier: Applier
    dbref: bool = False  # a part is $id/$ref/$db: the written DBRef must stay well-formed


def _check_dbref_parts(doc: dict, parts: list[str]) -> None:
    """mongod's storage validation of the DBRefs an update wrote through ``parts`` (``link.$id``)."""
    for position in range(len(parts) - 1, 0, -1):
        if parts[position] in DBREF_FIELDS:
            check_dbref_fields(get_path(doc, parts[:position]), ".".join(parts[:position]))


_DOUBLE = struct.Struct("<d")

# Operators whose applier, at a one-part (top-level) path, only assigns or deletes that field of the
# document itself: a shallow copy of the document is then as private as a deep one.
TOP_LEVEL_SAFE = frozenset(("$set", "$inc", "$mul", "$min", "$max", "$setOnInsert", "$unset", "$currentDate"))


def _order_key(parts: list[str]) -> tuple:
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in parts)


@dataclass(slots=True)
class CompiledUpdate:
    """An update ready to apply to many documents; ``apply`` never mutates its input."""

    is_replacement: bool
    replacement: dict | None = None
    actions: list[Action] = field(default_factory=list)
    array_filters: dict = field(default_factory=dict)
    pipeline: UpdatePipeline | None = None
    collator: Collator = field(default_factory=active)  # $addToSet, $pullAll, $min/$max, $push's $sort
    top_level: bool = False  # every action is a TOP_LEVEL_SAFE operator at a top-level field
    needs_now: bool = True  # an action reads the clock ($currentDate)
    # The change event of this update may need the paths its operators logged (``logs_paths``): its
    # ``updateDescription`` could differ from a comparison of the two versions (see ``_logs_paths``).
    logs_paths: bool = False
    # ``$inc``/``$set`` of numbers at top-level fields, applicable to stored bytes (``in_place.plan``)
    in_place: tuple | None = None

    def apply(
        self,
        doc: dict,
        *,
        is_upsert_insert: bool = False,
        query: dict | None = None,
        log: list[str] | None = None,
    ) -> tuple[dict, bool]:
        """Return ``(new_doc, modified)``; ``modified`` is False when the result is identical (BSON-wise).

        ``log`` (an operator update's) receives the concrete path of each operator applied, in the order
        applied, as mongod's update operators log them for the oplog: "=" and the dotted path, or "+" and
        the path of an array a $push only appended to; a $rename logs its target, then its source.
        ``change_events.logged_update_description`` turns them into the change event's description.
        """
        if self.pipeline is not None:
            new = self._replace(doc, self.pipeline.run(doc))
        elif self.is_replacement:
            assert self.replacement is not None
            new = self._replace(doc, copy_value(self.replacement))
        elif self.top_level:
            if log is not None:
                log.extend("=" + action.parts[0] for action in self.actions)
            return self._apply_top_level(doc, is_upsert_insert)
        else:
            new = copy_value(doc)
            ctx = ApplyContext(
                doc.get("_id", MISSING), _now() if self.needs_now else None, is_upsert_insert, self.collator
            )
            for action in self.actions:
                for parts in expand_path(new, action.parts, query, self.array_filters, is_upsert_insert):
                    action.applier(new, parts, action.payload, ctx)
                    if action.dbref:
                        _check_dbref_parts(new, parts)
                    if log is not None:
                        if action.op == "$rename":
                            log.append("=" + action.payload)
                        log.append(("+" if ctx.appended else "=") + ".".join(parts))
                        ctx.appended = False
            if "_id" in doc and not same_value(doc["_id"], new.get("_id", MISSING)):
                raise MongoError(
                    ErrorCode.ImmutableField,
                    "Performing an update on the path '_id' would modify the immutable field '_id'",
                )
        return new, not same_value(doc, new)

    def apply_logged(
        self, doc: dict, *, query: dict | None = None
    ) -> tuple[dict, bool, tuple[str, ...] | None]:
        """``apply``, with the paths its operators logged when this update's change event needs them
        (``logs_paths``; None otherwise): what a write hands the commit as ``DocWrite.paths``."""
        log: list[str] | None = [] if self.logs_paths else None
        new_doc, modified = self.apply(doc, query=query, log=log)
        return new_doc, modified, tuple(log) if log else None

    def _apply_top_level(self, doc: dict, is_upsert_insert: bool) -> tuple[dict, bool]:
        """``apply`` for top-level fields only: no path to expand, a shallow copy (the appliers only
        assign or delete the field itself), and only the touched fields compared (every other value is
        the very object of ``doc``, so equal to itself under ``same_value``)."""
        new = dict(doc)
        ctx = ApplyContext(
            doc.get("_id", MISSING), _now() if self.needs_now else None, is_upsert_insert, self.collator
        )
        for action in self.actions:
            action.applier(new, action.parts, action.payload, ctx)
        if "_id" in doc and not same_value(doc["_id"], new.get("_id", MISSING)):
            raise MongoError(
                ErrorCode.ImmutableField,
                "Performing an update on the path '_id' would modify the immutable field '_id'",
            )
        if len(new) != len(doc) or list(new) != list(doc):
            return new, True
        for action in self.actions:
            name = action.parts[0]
            if not same_value(doc.get(name, MISSING), new.get(name, MISSING)):
                return new, True
        return new, False

    def upsert_document(self, query: dict | None) -> dict:
        """The document an upsert inserts when ``query`` matched nothing.

        An operator update starts from every equality in the query; a replacement or pipeline only takes
        the query's ``_id`` (mongod extracts just the immutable fields for those). A query using ``$expr``
        cannot seed a document (QueryFeatureNotAllowed, as mongod).
        """
        if _uses_expr(query or {}):
            raise MongoError(ErrorCode.QueryFeatureNotAllowed, "$expr is not allowed in this context")
        if not self.is_replacement:
            new, _ = self.apply(upsert_seed(query), is_upsert_insert=True, query=query)
            return new
        seed = {}
        for path, value in equality_pairs(query or {}):
            if path == "_id":
                seed = {"_id": copy_value(value)}
                break
        new, _ = self.apply(seed, is_upsert_insert=True, query=query)
        return new

    def _replace(self, doc: dict, new: dict) -> dict:
        if "_id" not in doc:
            return new
        if "_id" in new and not same_value(new["_id"], doc["_id"]):
            raise MongoError(
                ErrorCode.ImmutableField,
                "After applying the update, the (immutable) field '_id' was found to have been altered to "
                f"{format_element('_id', new['_id'])}",
            )
        rest = {key: value for key, value in new.items() if key != "_id"}
        return {"_id": copy_value(doc["_id"]), **rest}


def _uses_expr(query: dict) -> bool:
    for key, value in query.items():
        if key == "$expr":
            return True
        if key in ("$and", "$or", "$nor") and isinstance(value, list):
            if any(isinstance(item, dict) and _uses_expr(item) for item in value):
                return True
    return False


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


def same_value(a: Any, b: Any) -> bool:
    """Strict (byte-level) equality: same types, same field order; ``1`` and ``1.0`` differ."""
    if type(a) is not type(b):
        if {type(a), type(b)} == {int, Int64}:
            plain = a if type(a) is int else b
            return a == b and not -(2**31) <= plain < 2**31
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(same_value(a[key], b[key]) for key in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float):
        return (a == b and str(a) == str(b)) or (a != a and b != b)
    return a == b


_SCALARS = frozenset((int, Int64, str, bool, type(None)))
_CACHE_LIMIT = 512
_compiled_by_shape: dict[tuple, CompiledUpdate] = {}


def _shape_key(spec: dict) -> tuple | None:
    """A key naming an operator update (never a replacement) exactly: operators, paths, argument types
    and values; None when an argument is not a plain scalar. Floats are keyed by their bytes:
    ``-0.0 == 0.0`` and NaNs differ only in bits, yet each is written as it came."""
    if len(spec) == 1:  # one operator of one field (``{$inc: {n: 1}}``), without the loops: a flat key,
        # which no other shape's key equals (theirs hold a tuple where this one holds the path)
        for op in spec:
            fields = spec[op]
        if type(fields) is dict and len(fields) == 1 and op.startswith("$"):
            for path in fields:
                arg = fields[path]
            kind = type(arg)
            if kind is float:
                return (op, path, kind, _DOUBLE.pack(arg))
            return (op, path, kind, arg) if kind in _SCALARS else None
    key: list[Any] = []
    if not spec:
        return None
    for op, fields in spec.items():
        if type(fields) is not dict or not op.startswith("$"):
            return None
        key.append(op)
        for path, arg in fields.items():
            kind = type(arg)
            if kind is float:
                key.append((path, kind, _DOUBLE.pack(arg)))
            elif kind in _SCALARS:
                key.append((path, kind, arg))
            else:
                return None
    return tuple(key)


def compile_update(
    spec: dict | list,
    *,
    array_filters: list | None = None,
    variables: dict[str, Any] | None = None,
    constants: dict[str, Any] | None = None,
) -> CompiledUpdate:
    """``_compile_update``, remembered for operator updates of scalar arguments without array filters (a
    client repeats the same few shapes: ``{$inc: {n: 1}}``); a CompiledUpdate is never changed by use."""
    if array_filters is not None or constants is not None or type(spec) is not dict or not active().is_simple:
        # (a compiled update keeps the collator it was compiled under: only simple ones are shared)
        return _compile_update(spec, array_filters=array_filters, variables=variables, constants=constants)
    return compile_simple_update(spec, variables)


def compile_simple_update(spec: dict, variables: dict[str, Any] | None = None) -> CompiledUpdate:
    """``compile_update`` of an operator or replacement document without array filters or ``c``, for a
    caller known to run under the simple collation (the point-write lane, outside any operation)."""
    key = _shape_key(spec)
    if key is None:
        return _compile_update(spec, variables=variables)
    compiled = _compiled_by_shape.get(key)
    if compiled is None:
        compiled = _compile_update(spec, variables=variables)
        if len(_compiled_by_shape) >= _CACHE_LIMIT:
            _compiled_by_shape.clear()
        _compiled_by_shape[key] = compiled
    return compiled


def _compile_update(
    spec: dict | list,
    *,
    array_filters: list | None = None,
    variables: dict[str, Any] | None = None,
    constants: dict[str, Any] | None = None,
) -> CompiledUpdate:
    """Compile an update: operator document, replacement document, or pipeline (a list of stages).

    ``variables`` are the command's evaluated ``let`` values and ``constants`` the statement's ``c``; both
    are visible to a pipeline as ``$$name`` (``c`` is refused for other kinds of update, 51198).
    """
    if isinstance(spec, list):
        if array_filters is not None:
            raise MongoError(
                ErrorCode.FailedToParse, "arrayFilters may not be specified for pipeline-style updates"
            )
        if constants is not None and not isinstance(constants, dict):
            raise MongoError(
                ErrorCode.TypeMismatch, "BSON field 'c' is the wrong type, expected type 'object'"
            )
        scope = {**(variables or {}), **(constants or {})}
        return CompiledUpdate(is_replacement=True, pipeline=UpdatePipeline(spec, scope))
    if not isinstance(spec, dict):
        raise MongoError(ErrorCode.FailedToParse, "Update argument must be either an object or an array")
    if constants is not None:
        raise MongoError(51198, "Constant values may only be specified for pipeline updates")
    if not spec or not next(iter(spec)).startswith("$"):
        if array_filters:
            raise MongoError(
                ErrorCode.FailedToParse, "arrayFilters may not be specified for replacement updates"
            )
        return _compile_replacement(spec)
    return _compile_operators(spec, array_filters)


def _compile_replacement(spec: dict) -> CompiledUpdate:
    for key in spec:
        if key.startswith("$"):
            raise MongoError(
                ErrorCode.DollarPrefixedFieldName,
                f"The dollar ($) prefixed field '{key}' in '{key}' is not allowed in the context of an "
                "update's replacement document. Consider using an aggregation pipeline with $replaceWith.",
            )
    if isinstance(spec.get("_id"), list):
        raise MongoError(ErrorCode.InvalidIdField, "The '_id' value cannot be of type array")
    return CompiledUpdate(is_replacement=True, replacement=spec)


def _compile_operators(spec: dict, array_filters: list | None) -> CompiledUpdate:
    filters = parse_array_filters(array_filters)
    used: set[str] = set()
    actions: list[Action] = []
    seen: list[list[str]] = []
    for op, fields in spec.items():
        entry = OPERATORS.get(op)
        if entry is None:
            raise MongoError(
                ErrorCode.FailedToParse,
                f"Unknown modifier: {op}. Expected a valid update modifier or pipeline-style update "
                "specified as an array",
            )
        if not isinstance(fields, dict):
            raise MongoError(
                ErrorCode.FailedToParse,
                f"Modifiers operate on fields but we found type {type_name(fields)} instead. For example: "
                f"{{$mod: {{<field>: ...}}}} not {{{format_element(op, fields)}}}",
            )
        parser, applier = entry
        for path, arg in fields.items():
            parts = _validate_path(path, filters, used)
            payload = parser(path, arg)
            _check_conflict(parts, seen)
            if op == "$rename":
                _check_conflict(_validate_path(payload, filters, used), seen)
            actions.append(Action(op, parts, payload, applier, not DBREF_FIELDS.isdisjoint(parts)))
    unused = sorted(set(filters) - used)
    if unused:
        raise MongoError(
            ErrorCode.FailedToParse,
            f"The array filter for identifier '{unused[0]}' was not used in the update {format_value(spec)}",
        )
    # path order, a $rename at its target (where mongod's update tree holds it)
    actions.sort(
        key=lambda action: _order_key(action.payload.split(".") if action.op == "$rename" else action.parts)
    )
    top_level = all(len(action.parts) == 1 and action.op in TOP_LEVEL_SAFE for action in actions)
    needs_now = any(action.op == "$currentDate" for action in actions)
    logs_paths = any(_logs_paths(action) for action in actions)
    return CompiledUpdate(
        is_replacement=False,
        actions=actions,
        array_filters=filters,
        top_level=top_level,
        needs_now=needs_now,
        logs_paths=logs_paths,
        in_place=in_place.plan(actions) if top_level and not logs_paths and not filters else None,
    )


# Operators whose new value is a number, a date or nothing: the comparison of the two versions of a
# document describes what they did as mongod's log of them does (unless through an array, see below).
_SCALAR_RESULTS = frozenset(("$bit", "$currentDate", "$inc", "$mul", "$setOnInsert", "$unset"))


def _logs_paths(action: Action) -> bool:
    """Whether ``action``'s change event may need its logged paths: a value it writes whole may be a
    document or array the comparison would describe field by field or element by element (mongod logs
    ``$set: {a: {x: 1}}`` as ``a``, a $pop or $pull as the whole array, a $push as its new elements); a
    path through an array may create an element past the end (mongod logs that element, the comparison
    also the nulls before it). Scalars at plain paths (``$inc: {n: 1}``) are described alike both ways."""
    if any(part.isdigit() or is_positional(part) for part in action.parts):
        return True
    if action.op in _SCALAR_RESULTS:
        return False
    if action.op in ("$max", "$min", "$set"):
        return isinstance(action.payload, (dict, list))
    return True


def _validate_path(path: str, filters: dict, used: set[str]) -> list[str]:
    if not path:
        raise MongoError(ErrorCode.EmptyFieldName, "An empty update path is not valid.")
    parts = path.split(".")
    if "" in parts:
        raise MongoError(
            ErrorCode.EmptyFieldName,
            f"The update path '{path}' contains an empty field name, which is not allowed.",
        )
    if parts.count("$") > 1:
        raise MongoError(
            ErrorCode.BadValue, f"Too many positional (i.e. '$') elements found in path '{path}'"
        )
    for position, part in enumerate(parts):
        if is_positional(part):
            if position == 0:
                raise MongoError(
                    ErrorCode.BadValue,
                    f"Cannot have array filter identifier (i.e. '$[<id>]') element in the first position in "
                    f"path '{path}'"
                    if part != "$"
                    else f"The dollar ($) prefixed field '$' in '{path}' is not valid",
                )
            identifier = filter_identifier(part)
            if identifier:
                if identifier not in filters:
                    raise MongoError(
                        ErrorCode.BadValue,
                        f"No array filter found for identifier '{identifier}' in path '{path}'",
                    )
                used.add(identifier)
        elif part.startswith("$") and (position == 0 or part not in DBREF_FIELDS):
            raise MongoError(
                ErrorCode.DollarPrefixedFieldName,
                f"The dollar ($) prefixed field '{part}' in '{path}' is not valid for storage.",
            )
    return parts


def _check_conflict(parts: list[str], seen: list[list[str]]) -> None:
    path = ".".join(parts)
    for other_parts in seen:
        shorter = min(len(parts), len(other_parts))
        if parts[:shorter] == other_parts[:shorter]:
            at = ".".join(parts[:shorter])
            raise MongoError(
                ErrorCode.ConflictingUpdateOperators,
                f"Updating the path '{path}' would create a conflict at '{at}'",
            )
    seen.append(parts)


def upsert_seed(filter_spec: dict | None) -> dict:
    """The document an upsert starts from: the filter's equality fields, dotted paths expanded.

    >>> upsert_seed({"b.c": 1, "_id": 7, "a": {"$gt": 1}, "$and": [{"d": [1]}]})
    {'_id': 7, 'b': {'c': 1}, 'd': [1]}
    """
    seed: dict = {}
    taken: list[list[str]] = []
    for path, value in equality_pairs(filter_spec or {}):
        parts = path.split(".")
        if any(part.startswith("$") for part in parts):
            continue
        for other in taken:
            shorter = min(len(parts), len(other))
            if parts[:shorter] == other[:shorter]:
                message = (
                    f"cannot infer query fields to set, path '{path}' is matched twice"
                    if parts == other
                    else f"cannot infer query fields to set, both paths '{path}' and '{'.'.join(other)}' "
                    "are matched"
                )
                raise MongoError(ErrorCode.NotSingleValueField, message)
        taken.append(parts)
        set_path(seed, parts, copy_value(value))
    if "_id" in seed:
        seed = {"_id": seed.pop("_id"), **seed}
    return seed
