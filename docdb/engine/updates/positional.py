"""Positional update paths: ``$`` (the array index the query matched), ``$[]`` (every element) and
``$[<id>]`` (elements passing the array filter ``<id>``), expanded into concrete paths per document.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from docdb.engine.bson_order import MISSING
from docdb.engine.paths import get_path
from docdb.engine.query.bson_text import format_element
from docdb.engine.query.compile import compile_document
from docdb.errors import ErrorCode, MongoError

_IDENTIFIER = re.compile(r"[a-z][a-zA-Z0-9]*\Z")
_FILTERED = re.compile(r"\$\[(.*)\]\Z")


def is_positional(part: str) -> bool:
    return part == "$" or part.startswith("$[") and part.endswith("]")


def filter_identifier(part: str) -> str | None:
    """The identifier of a ``$[id]`` part, '' for ``$[]``, None for anything else."""
    match = _FILTERED.match(part)
    return match.group(1) if match else None


def parse_array_filters(array_filters: list | None) -> dict[str, Callable[[Any], bool]]:
    """Compile ``arrayFilters``: each filter uses exactly one identifier, e.g. ``{"x.b": {$gt: 1}}``."""
    compiled: dict[str, Callable[[Any], bool]] = {}
    for spec in array_filters or []:
        if not isinstance(spec, dict):
            raise MongoError(ErrorCode.TypeMismatch, "Each array filter must be an object")
        if not spec:
            raise MongoError(
                ErrorCode.FailedToParse,
                "Cannot use an expression without a top-level field name in arrayFilters",
            )
        identifiers = []
        for key in spec:
            identifier = key.split(".")[0]
            if identifier.startswith("$"):
                raise MongoError(
                    ErrorCode.FailedToParse,
                    "Cannot use an expression without a top-level field name in arrayFilters",
                )
            if identifiers and identifier != identifiers[0]:
                raise MongoError(
                    ErrorCode.FailedToParse,
                    "Error parsing array filter :: caused by :: Expected a single top-level field name, "
                    f"found '{identifiers[0]}' and '{identifier}'",
                )
            identifiers.append(identifier)
        identifier = identifiers[0]
        if not _IDENTIFIER.match(identifier):
            raise MongoError(
                ErrorCode.BadValue,
                "Error parsing array filter :: caused by :: The top-level field name must be an alphanumeric "
                f"string beginning with a lowercase letter, found '{identifier}'",
            )
        if identifier in compiled:
            raise MongoError(
                ErrorCode.FailedToParse,
                f"Found multiple array filters with the same top-level field name {identifier}",
            )
        predicate = compile_document(spec, top=False)
        compiled[identifier] = lambda value, predicate=predicate, name=identifier: predicate({name: value})
    return compiled


def positional_index(query: dict | None, prefix: list[str], doc: dict) -> int | None:
    """The index of the first element of the array at ``prefix`` that satisfies the query's conditions
    on that array (what mongod records as the "elemMatchKey"), or None."""
    if not query:
        return None
    array = get_path(doc, prefix)
    if not isinstance(array, list):
        return None
    dotted = ".".join(prefix)
    relevant = _relevant_conditions(query, dotted)
    if not relevant:
        return None
    candidates = [relevant] + [{key: value} for key, value in reversed(list(relevant.items()))]
    for spec in candidates:
        predicate = compile_document(spec)
        for index, item in enumerate(array):
            if predicate(_with_array(doc, prefix, [item])):
                return index
    return None


def _relevant_conditions(query: dict, dotted: str) -> dict:
    conditions: dict = {}
    for key, value in query.items():
        if key == "$and" and isinstance(value, list):
            for item in value:
                if isinstance(item, dict):
                    for sub_key, sub_value in _relevant_conditions(item, dotted).items():
                        conditions.setdefault(sub_key, sub_value)
        elif not key.startswith("$") and (key == dotted or key.startswith(dotted + ".")):
            conditions.setdefault(key, value)
    return conditions


def _with_array(doc: dict, prefix: list[str], array: list) -> dict:
    """A shallow copy of ``doc`` whose value at ``prefix`` is ``array`` (documents on the way copied)."""
    root = dict(doc)
    node: Any = root
    for part in prefix[:-1]:
        child = node[int(part)] if isinstance(node, list) else node[part]
        child = list(child) if isinstance(child, list) else dict(child)
        if isinstance(node, list):
            node[int(part)] = child
        else:
            node[part] = child
        node = child
    if isinstance(node, list):
        node[int(prefix[-1])] = array
    else:
        node[prefix[-1]] = array
    return root


def expand_path(
    doc: dict,
    parts: list[str],
    query: dict | None,
    filters: dict[str, Callable[[Any], bool]],
    is_upsert_insert: bool,
) -> list[list[str]]:
    """The concrete paths ``parts`` stands for in ``doc`` (a path with no positional part is itself)."""
    for position, part in enumerate(parts):
        if not is_positional(part):
            continue
        prefix = parts[:position]
        rest = parts[position + 1 :]
        if part == "$":
            if is_upsert_insert:
                raise MongoError(
                    ErrorCode.BadValue,
                    "The positional operator did not find the match needed from the query.",
                )
            index = positional_index(query, prefix, doc)
            if index is None:
                raise MongoError(
                    ErrorCode.BadValue,
                    "The positional operator did not find the match needed from the query.",
                )
            return expand_path(doc, prefix + [str(index)] + rest, query, filters, is_upsert_insert)
        array = get_path(doc, prefix)
        if array is MISSING:
            if is_upsert_insert:
                return []
            raise MongoError(
                ErrorCode.BadValue,
                f"The path '{'.'.join(prefix)}' must exist in the document in order to apply array updates.",
            )
        if not isinstance(array, list):
            raise MongoError(
                ErrorCode.BadValue,
                f"Cannot apply array updates to non-array element {format_element(prefix[-1], array)}",
            )
        identifier = filter_identifier(part) or ""
        accept = filters[identifier] if identifier else None
        paths: list[list[str]] = []
        for index, item in enumerate(array):
            if accept is None or accept(item):
                paths.extend(expand_path(doc, prefix + [str(index)] + rest, query, filters, is_upsert_insert))
        return paths
    return [parts]
