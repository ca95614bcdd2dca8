"""What each command needs: the table dispatch's authorization step reads (one entry per command).

A plain entry is ``(resource kind, actions)``: ``ns`` — the actions on the collection the command's
first field names; ``db`` — on the database; ``cluster`` — on the cluster; ``user`` — nothing beyond being
authenticated. Commands whose needs depend on their arguments (upserts, pipelines, explain, user and role
management) have a function. A command missing from the table needs ``root``-level rights (every action on
``anyResource`` is not granted by any built-in role, so the rule asks for the ``root`` role itself): a new
command is never open by accident.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

# A check: (kind, action, db, collection); kind is "ns", "db", "cluster", "user" or "root".
Check = tuple[str, str, str, str]
Rule = Callable[[str, dict[str, Any]], list[Check]]


def _target(cmd: dict[str, Any]) -> str:
    value = cmd.get(next(iter(cmd)))
    return value if isinstance(value, str) else ""


def _ns(*actions: str) -> Rule:
    return lambda db, cmd: [("ns", action, db, _target(cmd)) for action in actions]


def _ns_rule(db: str, cmd: dict[str, Any]) -> list[Check]:
    """The rule of a command in NAMESPACE_ACTIONS (dispatch checks those without building the list)."""
    return [("ns", NAMESPACE_ACTIONS[next(iter(cmd))], db, _target(cmd))]


def _db(*actions: str) -> Rule:
    return lambda db, cmd: [("db", action, db, "") for action in actions]


def _cluster(*actions: str) -> Rule:
    return lambda db, cmd: [("cluster", action, "", "") for action in actions]


def _user(db: str, cmd: dict[str, Any]) -> list[Check]:
    return [("user", "", "", "")]


def _update(db: str, cmd: dict[str, Any]) -> list[Check]:
    coll = _target(cmd)
    checks = [("ns", "update", db, coll)]
    updates = cmd.get("updates")
    if isinstance(updates, list) and any(isinstance(u, dict) and u.get("upsert") for u in updates):
        checks.append(("ns", "insert", db, coll))
    return checks


def _find_and_modify(db: str, cmd: dict[str, Any]) -> list[Check]:
    coll = _target(cmd)
    checks = [("ns", "find", db, coll)]
    if cmd.get("remove"):
        return [*checks, ("ns", "remove", db, coll)]
    checks.append(("ns", "update", db, coll))
    if cmd.get("upsert"):
        checks.append(("ns", "insert", db, coll))
    return checks


def _get_more(db: str, cmd: dict[str, Any]) -> list[Check]:
    coll = cmd.get("collection")
    return [("ns", "find", db, coll if isinstance(coll, str) else "")]


def _pipeline_checks(db: str, pipeline: Any) -> list[Check]:
    """find on every namespace a pipeline reads; insert/remove/update where $out / $merge write."""
    checks: list[Check] = []
    if not isinstance(pipeline, list):
        return checks
    for stage in pipeline:
        if not isinstance(stage, dict) or len(stage) != 1:
            continue
        name, spec = next(iter(stage.items()))
        if name in ("$lookup", "$graphLookup", "$unionWith"):
            source = (
                spec
                if isinstance(spec, str)
                else spec.get("from", spec.get("coll"))
                if isinstance(spec, dict)
                else None
            )
            if isinstance(source, dict):
                source_db, source = source.get("db", db), source.get("coll")
            else:
                source_db = db
            if isinstance(source, str):
                checks.append(("ns", "find", source_db, source))
            if isinstance(spec, dict):
                checks += _pipeline_checks(db, spec.get("pipeline"))
        elif name == "$facet" and isinstance(spec, dict):
            for sub in spec.values():
                checks += _pipeline_checks(db, sub)
        elif name in ("$out", "$merge"):
            target = spec.get("into", spec) if name == "$merge" and isinstance(spec, dict) else spec
            out_db, out_coll = db, target
            if isinstance(target, dict):
                out_db, out_coll = target.get("db", db), target.get("coll")
            if isinstance(out_coll, str) and isinstance(out_db, str):
                actions = ("insert", "remove") if name == "$out" else ("insert", "update")
                checks += [("ns", action, out_db, out_coll) for action in actions]
        elif name == "$currentOp":
            checks.append(("cluster", "inprog", "", ""))
        elif name == "$collStats":
            checks.append(("ns", "collStats", db, ""))
        elif name == "$indexStats":
            checks.append(("ns", "indexStats", db, ""))
    return checks


# Stages that read or write other namespaces or need other actions (see _pipeline_checks).
_NAMESPACE_STAGES = frozenset(
    {
        "$lookup",
        "$graphLookup",
        "$unionWith",
        "$facet",
        "$out",
        "$merge",
        "$currentOp",
        "$collStats",
        "$indexStats",
    }
)


def reads_only_its_collection(pipeline: Any) -> bool:
    """Whether ``pipeline`` (a list of one-field stages) needs nothing beyond find on its collection."""
    if pipeline.__class__ is not list:
        return False
    for stage in pipeline:
        if stage.__class__ is not dict:
            return False
        for key in stage:
            if key in _NAMESPACE_STAGES:
                return False
    return True


def _aggregate(db: str, cmd: dict[str, Any]) -> list[Check]:
    coll = _target(cmd)
    checks: list[Check] = [] if cmd.get("aggregate") == 1 else [("ns", "find", db, coll)]
    checks += _pipeline_checks(db, cmd.get("pipeline"))
    return [(kind, action, d, c or coll if kind == "ns" else c) for kind, action, d, c in checks]


def _map_reduce(db: str, cmd: dict[str, Any]) -> list[Check]:
    """find on the input; insert and remove (and update, to merge or reduce) where the output goes."""
    checks: list[Check] = [("ns", "find", db, _target(cmd))]
    out = cmd.get("out")
    if isinstance(out, str):
        return checks + [("ns", action, db, out) for action in ("insert", "remove")]
    if isinstance(out, dict) and "inline" not in out:
        names = [out[mode] for mode in ("replace", "merge", "reduce") if isinstance(out.get(mode), str)]
        out_db = out["db"] if isinstance(out.get("db"), str) else db
        checks += [
            ("ns", action, out_db, name) for name in names[:1] for action in ("insert", "remove", "update")
        ]
    return checks


def _explain(db: str, cmd: dict[str, Any]) -> list[Check]:
    inner = cmd.get("explain")
    if not isinstance(inner, dict) or not inner:
        return [("user", "", "", "")]
    return required_checks(next(iter(inner)), db, inner)


def _clone_capped(db: str, cmd: dict[str, Any]) -> list[Check]:
    source, target = cmd.get("cloneCollectionAsCapped"), cmd.get("toCollection")
    if not isinstance(source, str) or not isinstance(target, str):
        return [("user", "", "", "")]
    return [("ns", "find", db, source), ("ns", "insert", db, target), ("ns", "createCollection", db, target)]


def _rename(db: str, cmd: dict[str, Any]) -> list[Check]:
    source, target = cmd.get("renameCollection"), cmd.get("to")
    if not isinstance(source, str) or not isinstance(target, str):
        return [("user", "", "", "")]
    sdb, _, scoll = source.partition(".")
    tdb, _, tcoll = target.partition(".")
    if sdb == tdb:
        return (
            [("db", "renameCollectionSameDB", sdb, ""), ("ns", "dropCollection", tdb, tcoll)]
            if cmd.get("dropTarget")
            else [("db", "renameCollectionSameDB", sdb, "")]
        )
    checks: list[Check] = [("ns", "find", sdb, scoll), ("ns", "dropCollection", sdb, scoll)]
    checks += [("ns", a, tdb, tcoll) for a in ("insert", "createIndex", "createCollection")]
    return checks


def _role_dbs(db: str, roles: Any) -> set[str]:
    """The databases of the roles named in a ``roles`` array (strings mean roles of ``db``)."""
    dbs = set()
    if isinstance(roles, list):
        for role in roles:
            if isinstance(role, str):
                dbs.add(db)
            elif isinstance(role, dict) and isinstance(role.get("db"), str):
                dbs.add(role["db"])
    return dbs


def _with_roles(action: str, role_action: str, field: str = "roles") -> Rule:
    def rule(db: str, cmd: dict[str, Any]) -> list[Check]:
        checks: list[Check] = [("db", action, db, "")] if action else []
        return checks + [("db", role_action, d, "") for d in sorted(_role_dbs(db, cmd.get(field)))]

    return rule


def _update_user(db: str, cmd: dict[str, Any]) -> list[Check]:
    checks: list[Check] = []
    if "pwd" in cmd:
        checks.append(("db", "changePassword", db, ""))
    if "customData" in cmd:
        checks.append(("db", "changeCustomData", db, ""))
    if "roles" in cmd:
        checks.append(("db", "revokeRole", db, ""))
        checks += [("db", "grantRole", d, "") for d in sorted(_role_dbs(db, cmd["roles"]))]
    if "authenticationRestrictions" in cmd:
        checks.append(("db", "setAuthenticationRestriction", db, ""))
    return checks or [("db", "changePassword", db, "")]


def _self_or(action: str) -> Rule:
    """usersInfo / rolesInfo: viewing oneself needs nothing; others need ``action`` (checked by the
    handler, which knows whom the query names; here only authentication is required)."""
    return lambda db, cmd: [("view", action, db, "")]


def _list_collections(db: str, cmd: dict[str, Any]) -> list[Check]:
    if cmd.get("authorizedCollections") and cmd.get("nameOnly"):
        return [("user", "", "", "")]
    return [("db", "listCollections", db, "")]


def _list_databases(db: str, cmd: dict[str, Any]) -> list[Check]:
    if cmd.get("authorizedDatabases") is False:
        return [("cluster", "listDatabases", "", "")]
    return [("user", "", "", "")]  # the handler lists only what the user may see without the action


# fmt: off
COMMAND_RULES: dict[str, Rule] = {
    "abortTransaction": _user,
    "aggregate": _aggregate,
    "cloneCollectionAsCapped": _clone_capped,
    "collMod": _ns_rule,
    "collStats": _ns_rule,
    "commitTransaction": _user,
    "compact": _ns_rule,
    "convertToCapped": _ns_rule,
    "configureFailPoint": _cluster("internal"),  # a test command: mongod's __system role only
    "count": _ns_rule,
    "create": _ns_rule,
    "createIndexes": _ns_rule,
    "createRole": _with_roles("createRole", "grantRole"),
    "createUser": _with_roles("createUser", "grantRole"),
    "currentOp": _cluster("inprog"),
    "dbStats": _db("dbStats"),
    "delete": _ns_rule,
    "deleteIndexes": _ns_rule,
    "distinct": _ns_rule,
    "drop": _ns_rule,
    "dropAllRolesFromDatabase": _db("dropRole"),
    "dropAllUsersFromDatabase": _db("dropUser"),
    "dropDatabase": _db("dropDatabase"),
    "dropIndexes": _ns_rule,
    "dropRole": _db("dropRole"),
    "dropUser": _db("dropUser"),
    "endSessions": _user,
    "explain": _explain,
    "find": _ns_rule,
    "findAndModify": _find_and_modify,
    "findandmodify": _find_and_modify,
    "fsync": _cluster("fsync"),
    "getCmdLineOpts": _cluster("getCmdLineOpts"),
    "getDefaultRWConcern": _cluster("getDefaultRWConcern"),
    "getLog": _cluster("getLog"),
    "getMore": _get_more,
    "getParameter": _cluster("getParameter"),
    "grantPrivilegesToRole": _db("grantRole"),
    "grantRolesToRole": _with_roles("", "grantRole"),
    "grantRolesToUser": _with_roles("", "grantRole"),
    "hostInfo": _cluster("hostInfo"),
    "insert": _ns_rule,
    "killAllSessions": _cluster("killAnySession"),
    "killAllSessionsByPattern": _cluster("killAnySession"),
    "killCursors": _ns_rule,
    "killOp": _cluster("killop"),
    "killSessions": _user,
    "listCollections": _list_collections,
    "listDatabases": _list_databases,
    "listIndexes": _ns_rule,
    "mapReduce": _map_reduce,
    "mapreduce": _map_reduce,
    "lockInfo": _cluster("serverStatus"),
    "profile": _db("enableProfiler"),  # mongod: enableProfiler on the database
    "refreshSessions": _user,
    "renameCollection": _rename,
    "replSetFreeze": _cluster("replSetStateChange"),
    "replSetGetConfig": _cluster("replSetGetConfig"),
    "replSetGetStatus": _cluster("replSetGetStatus"),
    "replSetInitiate": _cluster("replSetConfigure"),
    "replSetMaintenance": _cluster("replSetStateChange"),
    "replSetReconfig": _cluster("replSetConfigure"),
    "replSetStepDown": _cluster("replSetStateChange"),
    "replSetSyncFrom": _cluster("replSetStateChange"),
    "revokePrivilegesFromRole": _db("revokeRole"),
    "revokeRolesFromRole": _with_roles("", "revokeRole"),
    "revokeRolesFromUser": _with_roles("", "revokeRole"),
    "rolesInfo": _self_or("viewRole"),
    "serverStatus": _cluster("serverStatus"),
    "setParameter": _cluster("setParameter"),
    "startSession": _user,
    "update": _update,
    "updateRole": _with_roles("", "grantRole"),
    "updateUser": _update_user,
    "usersInfo": _self_or("viewUser"),
    "validate": _ns_rule,
}
# fmt: on


# Commands that need one action on the collection their first field names: dispatch's fast path.
NAMESPACE_ACTIONS: dict[str, str] = {
    "collMod": "collMod",
    "collStats": "collStats",
    "compact": "compact",
    "convertToCapped": "convertToCapped",
    "count": "find",
    "create": "createCollection",
    "createIndexes": "createIndex",
    "delete": "remove",
    "deleteIndexes": "dropIndex",
    "distinct": "find",
    "drop": "dropCollection",
    "dropIndexes": "dropIndex",
    "find": "find",
    "insert": "insert",
    "killCursors": "killCursors",
    "listIndexes": "listIndexes",
    "validate": "validate",
}


def required_checks(name: str, db: str, cmd: dict[str, Any]) -> list[Check]:
    """The checks command ``name`` on ``db`` must pass (``root`` for a command not in the table)."""
    rule = COMMAND_RULES.get(name)
    return rule(db, cmd) if rule is not None else [("root", "", "", "")]
