"""$project / $addFields / $unset: a projection tree compiled once, applied per document (copying).

Tree nodes map a field name to INCLUDE, EXCLUDE, an expression evaluator, or a child tree. Dotted paths
(``"a.b": 1``) and nested objects (``a: {b: 1}``) build the same tree. Paths go through arrays of
documents as in mongod: ``{"a.b": 1}`` keeps ``b`` in every document element of ``a``.
"""

from __future__ import annotations

from typing import Any

from docdb.engine.expressions.core import MISSING, Evaluator, Scope, Variables, compile_node, is_constant
from docdb.engine.text.meta import is_text_score_meta
from docdb.errors import MongoError

INCLUDE = "include"
EXCLUDE = "exclude"


def _is_flag(value: Any) -> bool:
    return isinstance(value, (bool, int, float)) and not hasattr(value, "to_decimal")


def _is_operator_object(value: Any) -> bool:
    return isinstance(value, dict) and len(value) >= 1 and next(iter(value)).startswith("$")


class Projection:
    """A compiled $project spec: ``apply(doc, vars)`` returns a new document."""

    def __init__(self, spec: Any, scope: Scope, stage: str = "$project") -> None:
        if not isinstance(spec, dict):
            raise MongoError(15969, f"{stage} specification must be an object")
        if not spec:
            raise MongoError(
                51272,
                f"Invalid {stage} :: caused by :: projection specification must have at least one field",
            )
        self.scope = scope
        self.mode: str | None = None
        self.tree: dict = {}
        self.exclude_id = False
        self.meta: dict[str, Evaluator] = {}  # top-level {$meta: "textScore"} fields: either kind allows them
        for key, value in spec.items():
            if is_text_score_meta(value) and "." not in key and not key.startswith("$"):
                self.meta[key] = compile_node(value, scope)
                continue
            self._add(self.tree, key, value, key)
        if self.mode is None:
            computed = self._has_computed(self.tree) or bool(self.meta)
            self.mode = INCLUDE if self.exclude_id is False or computed else EXCLUDE
        if self.mode == INCLUDE and self.meta:  # computed like the others, in the spec's order
            names = dict.fromkeys(key.split(".")[0] for key in spec)
            self.tree = {name: self.meta[name] if name in self.meta else self.tree[name] for name in names}
            self.meta = {}
        if self.mode == EXCLUDE and self._has_computed(self.tree):
            raise MongoError(
                31252,
                "Invalid $project :: caused by :: Cannot use expression other than $meta in "
                "exclusion projection",
            )
        if self.mode == INCLUDE and "_id" not in self.tree:
            self.tree = {"_id": INCLUDE, **self.tree}

    def _has_computed(self, tree: dict) -> bool:
        return any(callable(v) or (isinstance(v, dict) and self._has_computed(v)) for v in tree.values())

    def _set_mode(self, mode: str, path: str) -> None:
        if self.mode is None:
            self.mode = mode
        elif self.mode != mode:
            if mode == EXCLUDE:
                raise MongoError(
                    31254,
                    f"Invalid $project :: caused by :: Cannot do exclusion on field {path} in "
                    "inclusion projection",
                )
            raise MongoError(
                31253,
                f"Invalid $project :: caused by :: Cannot do inclusion on field {path} in "
                "exclusion projection",
            )

    def _add(self, tree: dict, key: str, value: Any, full: str) -> None:
        if key.startswith("$"):
            raise MongoError(
                16410,
                "Invalid $project :: caused by :: FieldPath field names may not start with "
                "'$'. Consider using $getField or $setField.",
            )
        parts = key.split(".")
        if any(p == "" for p in parts):
            raise MongoError(
                15998, "Invalid $project :: caused by :: FieldPath field names may not be empty strings."
            )
        node = tree
        for part in parts[:-1]:
            child = node.get(part)
            if child is None:
                child = node[part] = {}
            elif not isinstance(child, dict):
                raise MongoError(31250, f"Invalid $project :: caused by :: Path collision at {full}")
            node = child
        leaf = parts[-1]
        if leaf in node:
            raise MongoError(31250, f"Invalid $project :: caused by :: Path collision at {full}")
        if _is_flag(value):
            truth = bool(value)
            if full == "_id":
                if not truth:
                    self.exclude_id = True
                    node[leaf] = EXCLUDE
                else:
                    node[leaf] = INCLUDE
                return
            self._set_mode(INCLUDE if truth else EXCLUDE, full)
            node[leaf] = INCLUDE if truth else EXCLUDE
        elif isinstance(value, dict) and not _is_operator_object(value):
            if not value:
                raise MongoError(
                    51270,
                    "Invalid $project :: caused by :: An empty sub-projection is not a valid "
                    f"value. Found empty object at path {full}",
                )
            child = node[leaf] = {}
            for sub_key, sub_value in value.items():
                self._add(child, sub_key, sub_value, f"{full}.{sub_key}")
        else:
            self._set_mode(INCLUDE, full)
            node[leaf] = compile_node(value, self.scope)

    def apply(self, doc: dict, v: Variables) -> dict:
        if self.mode == EXCLUDE:
            out = _exclude(doc, self.tree)
            for key, evaluate in self.meta.items():
                out.pop(key, None)
                out[key] = evaluate(doc, v)
            return out
        return _include(doc, self.tree, doc, v)


def _exclude(doc: dict, tree: dict) -> dict:
    out = {}
    for key, value in doc.items():
        rule = tree.get(key)
        if rule is None or rule == INCLUDE:
            out[key] = value
        elif rule == EXCLUDE:
            continue
        elif isinstance(value, dict):
            out[key] = _exclude(value, rule)
        elif isinstance(value, list):
            out[key] = _exclude_array(value, rule)
        else:
            out[key] = value
    return out


def _exclude_array(values: list, tree: dict) -> list:
    return [
        _exclude(v, tree) if isinstance(v, dict) else _exclude_array(v, tree) if isinstance(v, list) else v
        for v in values
    ]


def _include(doc: dict, tree: dict, root: dict, v: Variables) -> dict:
    out: dict = {}
    for key, value in doc.items():
        rule = tree.get(key)
        if rule is None or rule == EXCLUDE or callable(rule):
            continue
        if rule == INCLUDE:
            out[key] = value
        elif isinstance(value, dict):
            out[key] = _include(value, rule, root, v)
        elif isinstance(value, list):
            out[key] = _include_array(value, rule, root, v)
        elif _has_computed(rule):
            out[key] = _include({}, rule, root, v)
    for key, rule in tree.items():
        if callable(rule):
            result = rule(root, v)
            if result is MISSING:
                out.pop(key, None)
            else:
                out[key] = result
        elif isinstance(rule, dict) and key not in doc and _has_computed(rule):
            out[key] = _include({}, rule, root, v)
    return out


def _include_array(values: list, tree: dict, root: dict, v: Variables) -> list:
    out = []
    for item in values:
        if isinstance(item, dict):
            out.append(_include(item, tree, root, v))
        elif isinstance(item, list):
            out.append(_include_array(item, tree, root, v))
        elif _has_computed(tree):
            out.append(_include({}, tree, root, v))
    return out


def _has_computed(tree: dict) -> bool:
    return any(callable(r) or (isinstance(r, dict) and _has_computed(r)) for r in tree.values())


class AddFields:
    """$addFields/$set: computed fields set on a copy of the document (existing fields keep their place)."""

    def __init__(self, spec: Any, scope: Scope, stage: str = "$addFields") -> None:
        if not isinstance(spec, dict):
            raise MongoError(
                40272, f"{stage} specification stage must be an object, got {type(spec).__name__}"
            )
        self.fields: list[tuple[list[str], Evaluator | dict]] = []
        for key, value in spec.items():
            if key.startswith("$"):
                raise MongoError(
                    16410,
                    f"Invalid {stage} :: caused by :: FieldPath field names may not start with "
                    "'$'. Consider using $getField or $setField.",
                )
            parts = key.split(".")
            if any(p == "" for p in parts):
                raise MongoError(
                    15998, f"Invalid {stage} :: caused by :: FieldPath field names may not be empty strings."
                )
            if isinstance(value, dict) and value and not _is_operator_object(value):
                self.fields.append((parts, _nested(value, scope)))
            else:
                self.fields.append((parts, compile_node(value, scope)))
        self.constant = all(callable(fn) and is_constant(fn) for _, fn in self.fields)

    def apply(self, doc: dict, v: Variables) -> dict:
        out = dict(doc)
        for parts, fn in self.fields:
            _set(out, parts, 0, fn, doc, v)
        return out


def _nested(spec: dict, scope: Scope) -> dict:
    return {
        key: _nested(value, scope)
        if isinstance(value, dict) and value and not _is_operator_object(value)
        else compile_node(value, scope)
        for key, value in spec.items()
    }


def _set(target: dict, parts: list[str], i: int, fn: Any, root: dict, v: Variables) -> None:
    key = parts[i]
    if i == len(parts) - 1:
        if isinstance(fn, dict):
            current = target.get(key)
            if isinstance(current, dict):
                merged = dict(current)
                for sub, sub_fn in fn.items():
                    _set(merged, [sub], 0, sub_fn, root, v)
                target[key] = merged
                return
            if isinstance(current, list):
                target[key] = [_merge_into(item, fn, root, v) for item in current]
                return
            target[key] = _merge_into({}, fn, root, v)
            return
        value = fn(root, v)
        if value is MISSING:
            target.pop(key, None)
        else:
            target[key] = value
        return
    current = target.get(key, MISSING)
    if isinstance(current, dict):
        child = dict(current)
        _set(child, parts, i + 1, fn, root, v)
        target[key] = child
    elif isinstance(current, list):
        target[key] = [_set_in_element(item, parts, i + 1, fn, root, v) for item in current]
    else:
        child = {}
        _set(child, parts, i + 1, fn, root, v)
        target[key] = child


def _set_in_element(item: Any, parts: list[str], i: int, fn: Any, root: dict, v: Variables) -> Any:
    if isinstance(item, list):
        return [_set_in_element(x, parts, i, fn, root, v) for x in item]
    child = dict(item) if isinstance(item, dict) else {}
    _set(child, parts, i, fn, root, v)
    return child


def _merge_into(item: Any, fn: dict, root: dict, v: Variables) -> Any:
    child = dict(item) if isinstance(item, dict) else {}
    for sub, sub_fn in fn.items():
        _set(child, [sub], 0, sub_fn, root, v)
    return child
