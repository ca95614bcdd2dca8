"""Authorization with --auth: the role matrix (built-in roles), user-defined roles, user management,
connectionStatus, and listDatabases / listCollections showing only what a user may see."""

from __future__ import annotations

from collections.abc import Iterator

import pymongo
import pytest
from pymongo.errors import OperationFailure

from tests.commands.auth_helpers import ROOT_PWD, ROOT_USER, user_client
from tests.serverproc import ServerProcess


@pytest.fixture(scope="module")
def auth_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    path = tmp_path_factory.mktemp("roles") / "roles.mdb"
    with ServerProcess(path, ["--auth"]) as proc:
        with proc.client() as anonymous:
            anonymous.admin.command("createUser", ROOT_USER, pwd=ROOT_PWD, roles=["root"])
        with user_client(proc, ROOT_USER, ROOT_PWD) as root:
            root.shop.orders.insert_many([{"_id": 1, "total": 5}, {"_id": 2, "total": 7}])
            root.hr.people.insert_one({"_id": "ann"})
            admin = root.admin
            admin.command("createUser", "reader", pwd="r", roles=[{"role": "read", "db": "shop"}])
            admin.command("createUser", "writer", pwd="w", roles=[{"role": "readWrite", "db": "shop"}])
            admin.command("createUser", "useradmin", pwd="u", roles=[{"role": "userAdmin", "db": "shop"}])
            admin.command("createUser", "monitor", pwd="m", roles=["clusterMonitor"])
            admin.command("createUser", "anyreader", pwd="a", roles=["readAnyDatabase"])
        yield proc


@pytest.fixture(scope="module")
def root(auth_server: ServerProcess) -> Iterator[pymongo.MongoClient]:
    with user_client(auth_server, ROOT_USER, ROOT_PWD) as c:
        yield c


def _denied(exc: pytest.ExceptionInfo[OperationFailure], db: str, command_prefix: str) -> None:
    assert exc.value.code == 13
    assert exc.value.details["codeName"] == "Unauthorized"
    assert exc.value.details["errmsg"].startswith(
        f"not authorized on {db} to execute command {{ {command_prefix}"
    )


def test_read_user_reads_but_cannot_insert(auth_server):
    with user_client(auth_server, "reader", "r") as c:
        assert c.shop.orders.find_one({"_id": 1}) == {"_id": 1, "total": 5}
        assert c.shop.orders.count_documents({}) == 2
        assert list(c.shop.orders.aggregate([{"$group": {"_id": None, "n": {"$sum": "$total"}}}])) == [
            {"_id": None, "n": 12}
        ]
        with pytest.raises(OperationFailure) as exc:
            c.shop.orders.insert_one({"_id": 3})
        _denied(exc, "shop", 'insert: "orders"')
        with pytest.raises(OperationFailure) as exc:
            c.shop.orders.delete_one({"_id": 1})
        _denied(exc, "shop", 'delete: "orders"')
        with pytest.raises(OperationFailure) as exc:
            c.shop.orders.drop()
        _denied(exc, "shop", 'drop: "orders"')


def test_read_write_on_one_database_cannot_read_another(auth_server):
    with user_client(auth_server, "writer", "w") as c:
        c.shop.orders.insert_one({"_id": 10})
        c.shop.orders.update_one({"_id": 10}, {"$set": {"x": 1}})
        c.shop.orders.delete_one({"_id": 10})
        c.shop.scratch.create_index("k")
        with pytest.raises(OperationFailure) as exc:
            c.hr.people.find_one()
        _denied(exc, "hr", 'find: "people"')
        with pytest.raises(OperationFailure) as exc:
            c.admin.command("serverStatus")
        _denied(exc, "admin", "serverStatus: 1")
        with pytest.raises(OperationFailure) as exc:  # $lookup into another database's collection
            c.shop.orders.aggregate([{"$out": {"db": "hr", "coll": "copy"}}])
        _denied(exc, "shop", 'aggregate: "orders"')


def test_user_admin_creates_users_but_cannot_read_data(auth_server, root):
    with user_client(auth_server, "useradmin", "u") as c:
        c.shop.command("createUser", "clerk", pwd="c", roles=["read"])
        assert c.shop.command("usersInfo", "clerk")["users"][0]["roles"] == [{"role": "read", "db": "shop"}]
        with pytest.raises(OperationFailure) as exc:
            c.shop.orders.find_one()
        _denied(exc, "shop", 'find: "orders"')
        with pytest.raises(OperationFailure) as exc:  # its role is on shop only
            c.hr.command("createUser", "spy", pwd="spy-password", roles=[])
        _denied(exc, "hr", 'createUser: "spy", pwd: "xxx", roles: []')
    with user_client(auth_server, "clerk", "c", authSource="shop") as clerk:
        assert clerk.shop.orders.count_documents({}) >= 2
    root.shop.command("dropUser", "clerk")


def test_cluster_monitor_and_read_any_database(auth_server):
    with user_client(auth_server, "monitor", "m") as c:
        assert c.admin.command("serverStatus")["ok"] == 1.0
        assert c.admin.command("getCmdLineOpts")["ok"] == 1.0
        with pytest.raises(OperationFailure) as exc:
            c.shop.orders.find_one()
        _denied(exc, "shop", 'find: "orders"')
    with user_client(auth_server, "anyreader", "a") as c:
        assert c.hr.people.find_one() == {"_id": "ann"}
        assert {"hr", "shop"} <= set(c.list_database_names())
        with pytest.raises(OperationFailure) as exc:
            c.hr.people.insert_one({})
        _denied(exc, "hr", 'insert: "people"')
        with pytest.raises(OperationFailure) as exc:  # system collections are not "any database" data
            c.admin.system.users.find_one()
        _denied(exc, "admin", 'find: "system.users"')


def test_list_databases_and_collections_show_what_the_user_may_see(auth_server, root):
    with user_client(auth_server, "reader", "r") as c:
        assert c.admin.command("listDatabases", nameOnly=True) == {"databases": [{"name": "shop"}], "ok": 1.0}
        with pytest.raises(OperationFailure) as exc:
            c.admin.command("listDatabases", authorizedDatabases=False)
        _denied(exc, "admin", "listDatabases: 1")
        assert "orders" in c.shop.list_collection_names()
    assert {"admin", "hr", "shop"} <= set(root.list_database_names())
    root.admin.command(
        "createRole",
        "ordersOnly",
        privileges=[{"resource": {"db": "shop", "collection": "orders"}, "actions": ["find"]}],
        roles=[],
    )
    root.admin.command("createUser", "narrow", pwd="n", roles=["ordersOnly"])
    with user_client(auth_server, "narrow", "n") as c:
        names = c.shop.command("listCollections", nameOnly=True, authorizedCollections=True)
        assert [e["name"] for e in names["cursor"]["firstBatch"]] == ["orders"]
        with pytest.raises(OperationFailure) as exc:
            c.shop.command("listCollections")
        _denied(exc, "shop", "listCollections: 1")


def test_connection_status_reports_user_roles_and_privileges(auth_server):
    with user_client(auth_server, "reader", "r") as c:
        status = c.admin.command("connectionStatus", showPrivileges=True)
    assert status["authInfo"]["authenticatedUsers"] == [{"user": "reader", "db": "admin"}]
    assert status["authInfo"]["authenticatedUserRoles"] == [{"role": "read", "db": "shop"}]
    assert status["authInfo"]["authenticatedUserPrivileges"][0] == {
        "resource": {"db": "shop", "collection": ""},
        "actions": [
            "changeStream",
            "collStats",
            "dbHash",
            "dbStats",
            "find",
            "killCursors",
            "listCollections",
            "listIndexes",
            "listSearchIndexes",
        ],
    }


def test_user_defined_role_lifecycle(auth_server, root):
    admin = root.admin
    admin.command(
        "createRole",
        "inserter",
        privileges=[{"resource": {"db": "shop", "collection": "log"}, "actions": ["insert"]}],
        roles=[],
    )
    admin.command("createUser", "logger", pwd="l", roles=["inserter"])
    with user_client(auth_server, "logger", "l") as c:
        c.shop.log.insert_one({"_id": 1})
        with pytest.raises(OperationFailure) as exc:
            c.shop.log.find_one()
        _denied(exc, "shop", 'find: "log"')
        admin.command(
            "grantPrivilegesToRole",
            "inserter",
            privileges=[{"resource": {"db": "shop", "collection": "log"}, "actions": ["find"]}],
        )
        assert c.shop.log.find_one() == {"_id": 1}  # the change applies to a logged-in user at once
        admin.command("grantRolesToRole", "inserter", roles=[{"role": "read", "db": "hr"}])
        assert c.hr.people.find_one() == {"_id": "ann"}
        info = admin.command("rolesInfo", "inserter", showPrivileges=True)["roles"][0]
        assert info["role"] == "inserter" and info["isBuiltin"] is False
        assert info["roles"] == [{"role": "read", "db": "hr"}]
        assert info["privileges"] == [
            {"resource": {"db": "shop", "collection": "log"}, "actions": ["find", "insert"]}
        ]
        admin.command(
            "revokePrivilegesFromRole",
            "inserter",
            privileges=[{"resource": {"db": "shop", "collection": "log"}, "actions": ["find"]}],
        )
        with pytest.raises(OperationFailure):
            c.shop.log.find_one()
        admin.command("updateRole", "inserter", roles=[])
        with pytest.raises(OperationFailure):
            c.hr.people.find_one()
        admin.command("dropRole", "inserter")
        with pytest.raises(OperationFailure):
            c.shop.log.insert_one({"_id": 2})
    admin.command("dropUser", "logger")


def test_role_command_errors(root):
    admin = root.admin
    with pytest.raises(OperationFailure) as exc:
        admin.command("createRole", "read", privileges=[], roles=[])
    assert (exc.value.code, exc.value.details["errmsg"]) == (
        2,
        "Cannot create roles with the same name as a built-in role",
    )
    with pytest.raises(OperationFailure) as exc:
        admin.command("dropRole", "missing")
    assert (exc.value.code, exc.value.details["codeName"]) == (31, "RoleNotFound")
    with pytest.raises(OperationFailure) as exc:
        admin.command("createUser", "u1", pwd="x", roles=["noSuchRole"])
    assert (exc.value.code, exc.value.details["errmsg"]) == (31, "Could not find role: noSuchRole@admin")
    with pytest.raises(OperationFailure) as exc:
        admin.command(
            "createRole",
            "bad",
            privileges=[{"resource": {"db": "a", "collection": ""}, "actions": ["fly"]}],
            roles=[],
        )
    assert (exc.value.code, exc.value.details["errmsg"]) == (9, "Unrecognized action privilege string: fly")
    lab = root.roleslab
    lab.command("createRole", "r1", privileges=[], roles=[])
    lab.command("createRole", "r2", privileges=[], roles=["r1"])
    with pytest.raises(OperationFailure) as exc:
        lab.command("grantRolesToRole", "r1", roles=["r2"])
    assert exc.value.details["codeName"] == "InvalidRoleModification"
    assert lab.command("dropAllRolesFromDatabase", 1) == {"n": 2, "ok": 1.0}
    assert lab.command("rolesInfo", 1) == {"roles": [], "ok": 1.0}


def test_user_management_commands(root):
    shop = root.shop
    shop.command("createUser", "temp", pwd="one", roles=["read"], customData={"team": "ops"})
    with pytest.raises(OperationFailure) as exc:
        shop.command("createUser", "temp", pwd="one", roles=[])
    assert (exc.value.code, exc.value.details["errmsg"]) == (51003, 'User "temp@shop" already exists')
    info = shop.command("usersInfo", "temp")["users"][0]
    assert list(info) == ["_id", "userId", "user", "db", "customData", "roles", "mechanisms"]
    assert info["customData"] == {"team": "ops"} and info["mechanisms"] == ["SCRAM-SHA-1", "SCRAM-SHA-256"]
    shop.command("grantRolesToUser", "temp", roles=["readWrite"])
    shop.command("revokeRolesFromUser", "temp", roles=["read"])
    assert shop.command("usersInfo", "temp")["users"][0]["roles"] == [{"role": "readWrite", "db": "shop"}]
    shop.command("updateUser", "temp", pwd="two")
    with pytest.raises(OperationFailure) as exc:
        shop.command("usersInfo", "temp", showCredentials=True)
    assert exc.value.code == 238
    with pytest.raises(OperationFailure) as exc:
        shop.command("updateUser", "ghost", pwd="x")
    assert (exc.value.code, exc.value.details["codeName"]) == (11, "UserNotFound")
    with pytest.raises(OperationFailure) as exc:
        shop.command("createUser", "nopwd", roles=[])
    assert exc.value.code == 2
    assert shop.command("dropAllUsersFromDatabase", 1) == {"n": 1, "ok": 1.0}
    assert shop.command("usersInfo", 1) == {"users": [], "ok": 1.0}


def test_users_see_themselves_but_not_others(auth_server):
    with user_client(auth_server, "reader", "r") as c:
        assert c.admin.command("usersInfo", "reader")["users"][0]["user"] == "reader"
        with pytest.raises(OperationFailure) as exc:
            c.admin.command("usersInfo", "writer")
        _denied(exc, "admin", 'usersInfo: "writer"')
        with pytest.raises(OperationFailure) as exc:
            c.admin.system.users.find_one()
        _denied(exc, "admin", 'find: "system.users"')


def test_dropped_user_loses_its_privileges_on_open_connections(auth_server, root):
    root.admin.command("createUser", "shortlived", pwd="s", roles=[{"role": "read", "db": "shop"}])
    with user_client(auth_server, "shortlived", "s") as c:
        assert c.shop.orders.find_one({"_id": 1}) == {"_id": 1, "total": 5}
        root.admin.command("dropUser", "shortlived")
        with pytest.raises(OperationFailure) as exc:
            c.shop.orders.find_one()
        assert exc.value.code == 13


def test_every_command_has_an_authorization_rule():
    """A command new to the registry must get a rule (else only root may run it): this lists them."""
    import docdb.server.commands  # noqa: F401
    from docdb.server.auth.command_privileges import COMMAND_RULES
    from docdb.server.registry import REGISTRY

    missing = sorted(
        name for name, spec in REGISTRY.items() if not spec.no_auth and name not in COMMAND_RULES
    )
    assert missing == []


def test_only_the_user_who_opened_a_cursor_may_use_it(auth_server, root):
    root.shop.many.insert_many([{"_id": i} for i in range(5)])
    root.admin.command("createUser", "reader2", pwd="r2", roles=[{"role": "read", "db": "shop"}])
    with user_client(auth_server, "reader", "r") as owner, user_client(auth_server, "reader2", "r2") as other:
        opened = owner.shop.command("find", "many", batchSize=2)
        cursor_id = opened["cursor"]["id"]
        with pytest.raises(OperationFailure) as exc:
            other.shop.command("getMore", cursor_id, collection="many")
        assert exc.value.code == 13
        assert (
            exc.value.details["errmsg"] == f"cursor id {cursor_id} was not created by the authenticated user"
        )
        with pytest.raises(OperationFailure) as exc:
            other.shop.command("killCursors", "many", cursors=[cursor_id])
        _denied(exc, "shop", 'killCursors: "many"')
        more = owner.shop.command("getMore", cursor_id, collection="many")
        assert [d["_id"] for d in more["cursor"]["nextBatch"]] == [2, 3, 4]


def test_roles_info_of_built_in_roles(root):
    info = root.shop.command("rolesInfo", "read", showPrivileges=True, showAuthenticationRestrictions=True)
    read = info["roles"][0]
    assert list(read) == [
        "role",
        "db",
        "isBuiltin",
        "roles",
        "inheritedRoles",
        "privileges",
        "inheritedPrivileges",
        "authenticationRestrictions",
        "inheritedAuthenticationRestrictions",
    ]
    assert (read["role"], read["db"], read["isBuiltin"], read["roles"]) == ("read", "shop", True, [])
    assert read["privileges"][0]["resource"] == {"db": "shop", "collection": ""}
    assert "find" in read["privileges"][0]["actions"] and "insert" not in read["privileges"][0]["actions"]
    owner = root.shop.command("rolesInfo", "dbOwner")["roles"][0]
    assert owner["roles"] == [
        {"role": "readWrite", "db": "shop"},
        {"role": "dbAdmin", "db": "shop"},
        {"role": "userAdmin", "db": "shop"},
    ]
    names = [r["role"] for r in root.shop.command("rolesInfo", 1, showBuiltinRoles=True)["roles"]]
    assert names == ["dbAdmin", "dbOwner", "read", "readWrite", "userAdmin"]
    assert root.shop.command("rolesInfo", "root")["roles"] == []  # root exists only on admin
    with pytest.raises(OperationFailure) as exc:
        root.shop.command("rolesInfo", "read", showPrivileges="asUserFragment")
    assert exc.value.code == 238


def test_users_info_shows_authentication_restrictions_on_request(root):
    info = root.admin.command("usersInfo", "reader", showAuthenticationRestrictions=True)["users"][0]
    assert info["authenticationRestrictions"] == []
    assert "authenticationRestrictions" not in root.admin.command("usersInfo", "reader")["users"][0]


def test_hand_written_system_documents_grant_nothing_and_break_nothing(auth_server, root):
    """root may write admin.system.users/roles directly (restore's privileges); a malformed document
    there makes that user unable to log in or grants nothing, while the server keeps serving."""
    root.admin.system.users.insert_many(
        [
            {"_id": "admin.broken", "user": "broken", "db": "admin", "credentials": "nope", "roles": "x"},
            {"_id": "admin.noroles", "user": "noroles", "db": "admin", "roles": [{"role": 1}]},
        ]
    )
    root.admin.system.roles.insert_one({"_id": "admin.odd", "role": "odd", "db": "admin", "privileges": [{}]})
    with user_client(auth_server, "broken", "x") as c, pytest.raises(OperationFailure) as exc:
        c.admin.command("connectionStatus")
    assert (exc.value.code, exc.value.details["errmsg"]) == (18, "Authentication failed.")
    info = root.admin.command("usersInfo", ["broken", "noroles"], showPrivileges=True)["users"]
    assert [(u["user"], u["mechanisms"], u["inheritedPrivileges"]) for u in info] == [
        ("broken", [], []),
        ("noroles", [], []),
    ]
    assert (
        root.admin.command("rolesInfo", "odd", showPrivileges=True)["roles"][0]["inheritedPrivileges"] == []
    )
    root.admin.system.users.delete_many({"_id": {"$in": ["admin.broken", "admin.noroles"]}})
    root.admin.system.roles.delete_one({"_id": "admin.odd"})


@pytest.mark.parametrize(
    "command, errmsg",
    [
        ({"usersInfo": 5}, "User name must be either a string or an object {user, db}"),
        ({"usersInfo": [{"user": "x"}]}, "User name must be either a string or an object {user, db}"),
        (
            {"rolesInfo": [{"role": "x", "db": 1}]},
            "Role name must be either a string or an object {role, db}",
        ),
    ],
)
def test_users_and_roles_info_refuse_malformed_names(root, command, errmsg):
    with pytest.raises(OperationFailure) as exc:
        root.admin.command(command)
    assert (exc.value.code, exc.value.details["errmsg"]) == (2, errmsg)
