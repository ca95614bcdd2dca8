"""``$where``: a filter predicate that runs a JavaScript function with ``this`` and ``obj`` the document.

mongod accepts ``$where`` only where the query has a JavaScript extension callback: find, count,
distinct, findAndModify, update and delete filters. Aggregation ``$match`` (and so ``$lookup``
pipelines), validators and partial filter expressions parse without it and answer "$where is not allowed
in this context"; those callers compile their filters inside ``where_forbidden()``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import Any

from bson.code import Code

from docdb.engine.js.scope import SETTINGS, JsScope
from docdb.errors import ErrorCode, MongoError

_FORBIDDEN: ContextVar[bool] = ContextVar("where_forbidden", default=False)


@contextlib.contextmanager
def where_forbidden() -> Iterator[None]:
    """Compile filters in a context without mongod's JavaScript callback ($match, validators)."""
    token = _FORBIDDEN.set(True)
    try:
        yield
    finally:
        _FORBIDDEN.reset(token)


def compile_where(value: Any) -> Callable[[dict], bool]:
    """The predicate for ``{$where: value}``; the scope and function are made once per compiled filter."""
    if _FORBIDDEN.get():
        raise MongoError(ErrorCode.BadValue, "$where is not allowed in this context")
    if not SETTINGS.enabled:
        raise MongoError(6108304, "no globalScriptEngine in $where parsing")
    if not isinstance(value, (str, Code)):
        raise MongoError(ErrorCode.BadValue, "$where got bad type")
    if isinstance(value, Code) and value.scope is not None:
        raise MongoError(ErrorCode.BadValue, "$where no longer supports deprecated BSON type CodeWScope")
    scope = JsScope()
    fn = scope.compile(value, expression_ok=True)

    def where(doc: dict) -> bool:
        return scope.predicate(fn, doc)

    return where
