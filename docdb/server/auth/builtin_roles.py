"""mongod's built-in roles as data: each role's privileges (resource -> actions) and the roles it holds.

Resources are written as mongod documents (``{db, collection}``, ``{cluster: true}``,
``{anyResource: true}``); ``{DB}`` stands for the database the role is granted on. The action lists follow
the MongoDB 7.0 manual's "Built-In Roles" page for the actions docdb has commands for, plus the ones the
manual lists that name features docdb answers with NotImplemented (so rolesInfo shows them as mongod does).
"""

from __future__ import annotations

from typing import Any

DB = "{DB}"

READ_ACTIONS = (
    "changeStream", "collStats", "dbHash", "dbStats", "find", "killCursors", "listCollections",
    "listIndexes", "listSearchIndexes",
)  # fmt: skip
READ_WRITE_ACTIONS = (
    *READ_ACTIONS, "convertToCapped", "createCollection", "createIndex", "createSearchIndexes",
    "dropCollection", "dropIndex", "dropSearchIndex", "insert", "remove", "renameCollectionSameDB",
    "update", "updateSearchIndex",
)  # fmt: skip
DB_ADMIN_ACTIONS = (
    "bypassDocumentValidation", "collMod", "collStats", "compact", "convertToCapped", "createCollection",
    "createIndex", "dbStats", "dropCollection", "dropDatabase", "dropIndex", "enableProfiler",
    "listCollections", "listIndexes", "listSearchIndexes", "planCacheIndexFilter", "planCacheRead",
    "planCacheWrite", "reIndex", "renameCollectionSameDB", "storageDetails", "validate",
)  # fmt: skip
PROFILE_ACTIONS = (
    "changeStream", "collStats", "convertToCapped", "createCollection", "dbHash", "dbStats",
    "dropCollection", "find", "killCursors", "listCollections", "listIndexes", "listSearchIndexes",
    "planCacheRead",
)  # fmt: skip
USER_ADMIN_ACTIONS = (
    "changeCustomData", "changePassword", "createRole", "createUser", "dropRole", "dropUser", "grantRole",
    "revokeRole", "setAuthenticationRestriction", "viewRole", "viewUser",
)  # fmt: skip
CLUSTER_MONITOR_ACTIONS = (
    "checkFreeMonitoringStatus", "connPoolStats", "getCmdLineOpts", "getDefaultRWConcern", "getLog",
    "getParameter", "getShardMap", "hostInfo", "inprog", "listDatabases", "listSessions", "listShards",
    "netstat", "replSetGetConfig", "replSetGetStatus", "serverStatus", "shardingState", "top",
)  # fmt: skip
CLUSTER_MANAGER_ACTIONS = (
    "addShard", "appendOplogNote", "applicationMessage", "cleanupOrphaned", "flushRouterConfig",
    "getDefaultRWConcern", "listSessions", "listShards", "removeShard", "replSetConfigure",
    "replSetGetConfig", "replSetGetStatus", "replSetStateChange", "resync", "setDefaultRWConcern",
    "setFeatureCompatibilityVersion", "setFreeMonitoring",
)  # fmt: skip
HOST_MANAGER_ACTIONS = (
    "applicationMessage", "connPoolSync", "flushRouterConfig", "fsync", "invalidateUserCache",
    "killAnyCursor", "killAnySession", "killop", "logRotate", "resync", "setParameter", "shutdown",
    "touch", "unlock",
)  # fmt: skip
BACKUP_CLUSTER_ACTIONS = (
    "appendOplogNote", "getParameter", "listDatabases", "serverStatus", "setUserWriteBlockMode",
)  # fmt: skip
RESTORE_ACTIONS = (
    "bypassDocumentValidation", "changeCustomData", "changePassword", "collMod", "convertToCapped",
    "createCollection", "createIndex", "createRole", "createUser", "dropCollection", "dropRole", "dropUser",
    "grantRole", "insert", "revokeRole", "viewRole", "viewUser",
)  # fmt: skip

ANY_NORMAL: dict[str, Any] = {"db": "", "collection": ""}
CLUSTER: dict[str, Any] = {"cluster": True}


def _on_db(collection: str = "") -> dict[str, Any]:
    return {"db": DB, "collection": collection}


# role name -> (privileges [(resource, actions)], inherited built-in roles, defined only on admin)
BUILTIN_ROLES: dict[str, tuple[list[tuple[dict[str, Any], tuple[str, ...]]], tuple[str, ...], bool]] = {
    "read": ([(_on_db(), READ_ACTIONS), (_on_db("system.js"), READ_ACTIONS)], (), False),
    "readWrite": ([(_on_db(), READ_WRITE_ACTIONS), (_on_db("system.js"), READ_WRITE_ACTIONS)], (), False),
    "dbAdmin": ([(_on_db(), DB_ADMIN_ACTIONS), (_on_db("system.profile"), PROFILE_ACTIONS)], (), False),
    "userAdmin": ([(_on_db(), USER_ADMIN_ACTIONS)], (), False),
    "dbOwner": ([], ("readWrite", "dbAdmin", "userAdmin"), False),
    "clusterMonitor": (
        [(CLUSTER, CLUSTER_MONITOR_ACTIONS), (ANY_NORMAL, ("collStats", "dbStats", "indexStats", "useUUID"))],
        (),
        True,
    ),
    "clusterManager": (
        [(CLUSTER, CLUSTER_MANAGER_ACTIONS), (ANY_NORMAL, ("enableSharding", "killCursors", "splitVector"))],
        (),
        True,
    ),
    "hostManager": (
        [(CLUSTER, HOST_MANAGER_ACTIONS), (ANY_NORMAL, ("killCursors", "repairDatabase"))],
        (),
        True,
    ),
    "clusterAdmin": (
        [(ANY_NORMAL, ("dropDatabase",))],
        ("clusterManager", "clusterMonitor", "hostManager"),
        True,
    ),
    "backup": (
        [
            (CLUSTER, BACKUP_CLUSTER_ACTIONS),
            (ANY_NORMAL, ("collStats", "dbHash", "find", "listCollections", "listIndexes")),
            ({"anyResource": True}, ("collStats", "dbHash", "find", "listCollections", "listIndexes")),
        ],
        (),
        True,
    ),
    "restore": (
        [
            (CLUSTER, ("getParameter",)),
            (ANY_NORMAL, RESTORE_ACTIONS),
            ({"db": "admin", "collection": "system.users"}, ("find", "insert", "remove", "update")),
            ({"db": "admin", "collection": "system.roles"}, ("find", "insert", "remove", "update")),
        ],
        (),
        True,
    ),
    "readAnyDatabase": ([(ANY_NORMAL, READ_ACTIONS), (CLUSTER, ("listDatabases",))], (), True),
    "readWriteAnyDatabase": ([(ANY_NORMAL, READ_WRITE_ACTIONS), (CLUSTER, ("listDatabases",))], (), True),
    "userAdminAnyDatabase": (
        [
            (ANY_NORMAL, USER_ADMIN_ACTIONS),
            (CLUSTER, ("authSchemaUpgrade", "invalidateUserCache", "listDatabases")),
            ({"db": "admin", "collection": "system.users"}, ("collStats", "dbHash", "find", "listIndexes")),
            ({"db": "admin", "collection": "system.roles"}, ("collStats", "dbHash", "find", "listIndexes")),
        ],
        (),
        True,
    ),
    "dbAdminAnyDatabase": (
        [(ANY_NORMAL, DB_ADMIN_ACTIONS), (CLUSTER, ("listDatabases",))],
        (),
        True,
    ),
    "root": (
        [({"anyResource": True}, ("validate",)), ({"db": "", "collection": "system.js"}, READ_WRITE_ACTIONS)],
        (
            "readWriteAnyDatabase",
            "dbAdminAnyDatabase",
            "userAdminAnyDatabase",
            "clusterAdmin",
            "restore",
            "backup",
        ),
        True,
    ),
}


def is_builtin(role: str, db: str) -> bool:
    """Whether ``role`` on ``db`` names a built-in role (the admin-only ones exist only on admin)."""
    entry = BUILTIN_ROLES.get(role)
    return entry is not None and (db == "admin" or not entry[2])


def builtin_privileges(role: str, db: str) -> list[tuple[dict[str, Any], tuple[str, ...]]]:
    """The direct privileges of built-in ``role`` granted on ``db`` (``{DB}`` replaced by ``db``)."""
    return [
        ({k: (db if v == DB else v) for k, v in resource.items()}, actions)
        for resource, actions in BUILTIN_ROLES[role][0]
    ]


def builtin_subroles(role: str) -> tuple[str, ...]:
    return BUILTIN_ROLES[role][1]
