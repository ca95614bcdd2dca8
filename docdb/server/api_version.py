"""The Versioned (Stable) API: ``apiVersion``, ``apiStrict`` and ``apiDeprecationErrors`` on any command.

An application that declares ``apiVersion: "1"`` with ``apiStrict: true`` must be refused any command
outside API version 1 (APIStrictError 323), so it finds out on docdb, as on mongod 7.0, that it depends on
something the stable API does not promise. ``apiDeprecationErrors`` refuses commands deprecated in the
version (none in version 1 as of 7.0). The checks, their order and messages are mongod's
(``validateAPIParameters``).
"""

from __future__ import annotations

from typing import Any

from docdb.errors import ErrorCode, MongoError
from docdb.server.params import get_strict_bool, get_string

# Commands in API version 1 as of MongoDB 7.0 (a command's lower-case alias is the same command).
API_V1 = frozenset(
    {
        "abortTransaction",
        "aggregate",
        "authenticate",
        "collMod",
        "commitTransaction",
        "count",
        "create",
        "createIndexes",
        "delete",
        "drop",
        "dropDatabase",
        "dropIndexes",
        "endSessions",
        "explain",
        "find",
        "findAndModify",
        "findandmodify",
        "getMore",
        "hello",
        "insert",
        "killCursors",
        "listCollections",
        "listDatabases",
        "listIndexes",
        "ping",
        "refreshSessions",
        "saslContinue",
        "saslStart",
        "update",
    }
)
DEPRECATED_IN_V1: frozenset[str] = frozenset()
_FIELDS = ("apiVersion", "apiStrict", "apiDeprecationErrors")
_DOC_URL = "https://dochub.mongodb.org/core/manual-versioned-api"


def api_versions(name: str) -> list[str]:
    """The API versions a command belongs to (listCommands' ``apiVersions``)."""
    return ["1"] if name in API_V1 else []


def check(name: str, body: dict[str, Any], required: bool = False) -> None:
    """Refuse ``body`` as mongod does when its API parameters are malformed or exclude the command, or
    are missing while the ``requireApiVersion`` parameter is on (``required``)."""
    if "apiVersion" not in body and "apiStrict" not in body and "apiDeprecationErrors" not in body:
        if required:
            raise MongoError(
                498870,
                "The apiVersion parameter is required, please configure your MongoClient's API version",
            )
        return
    params = {"APIParametersFromClient": 1, **{f: body[f] for f in _FIELDS if f in body}}
    version = get_string(params, "apiVersion")
    strict = get_strict_bool(params, "apiStrict")
    deprecation_errors = get_strict_bool(params, "apiDeprecationErrors")
    if ("apiStrict" in body or "apiDeprecationErrors" in body) and version is None:
        raise MongoError(4886600, "Provided apiStrict and/or apiDeprecationErrors without passing apiVersion")
    if version is not None and version != "1":
        raise MongoError(ErrorCode.APIVersionError, 'API version must be "1"')
    if strict and name not in API_V1:
        raise MongoError(
            ErrorCode.APIStrictError,
            f"Provided apiStrict:true, but the command {name} is not in API Version {version}. Information "
            f"on supported commands and migrations in API Version {version} can be found at {_DOC_URL}.",
        )
    if deprecation_errors and name in DEPRECATED_IN_V1:
        raise MongoError(
            ErrorCode.APIDeprecationError,
            f"Provided apiDeprecationErrors:true, but the command {name} is deprecated in API Version "
            f"{version}.",
        )
