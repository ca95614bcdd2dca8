"""The one-member replica set docdb runs as with ``--replica-set NAME``: its config and its topology.

Why auto-initiate: a ``mongod --replSet`` is no primary until someone runs ``rs.initiate()``, which breaks
every app that connects with ``?replicaSet=`` before a script initiated it. docdb initiates itself at its
first start (the config is persisted in ``local.system.replset`` of the .mdb, as mongod keeps it), so it is
primary at once. So that CI scripts that call ``rs.initiate()`` once after start-up still work, the first
``replSetInitiate`` after an implicit initiation in this process is accepted (it replaces the config, as
the script asked); any later one answers AlreadyInitialized (23), as mongod does.

The topology version (``processId`` new per process, ``counter`` bumped by each config change) is what
awaitable ``hello`` waits on: :meth:`ReplicaSet.wait_for_change` hands out futures that a change resolves.
"""

from __future__ import annotations

import asyncio
import datetime
import logging
from typing import Any

from bson.int64 import Int64
from bson.objectid import ObjectId
from bson.timestamp import Timestamp

from docdb.bson_codec import decode_document
from docdb.engine.catalog import Catalog
from docdb.engine.writes import DocumentBatch

log = logging.getLogger("docdb.replica_set")

CONFIG_DB, CONFIG_COLLECTION = "local", "system.replset"
TERM = 1  # a one-member set wins its only election once; the term never moves on
DEFAULT_PORT = 27017
SETTINGS_DEFAULTS: dict[str, Any] = {
    "chainingAllowed": True,
    "heartbeatIntervalMillis": 2000,
    "heartbeatTimeoutSecs": 10,
    "electionTimeoutMillis": 10000,
    "catchUpTimeoutMillis": -1,
    "catchUpTakeoverDelayMillis": 30000,
    "getLastErrorModes": {},
    "getLastErrorDefaults": {"w": 1, "wtimeout": 0},
}


def split_host(host: str) -> tuple[str, int]:
    """``"h:27018"`` -> ``("h", 27018)``; a host without a port means mongod's default port."""
    if host.startswith("["):
        name, _, rest = host[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else ""
    else:
        name, _, port = host.rpartition(":") if ":" in host else (host, "", "")
    return name.lower(), int(port) if port.isdigit() else DEFAULT_PORT


def advertised_address(advertise_host: str | None, port: int) -> str:
    """What hello names this member: ``--advertise-host`` (its port defaulting to ours) or localhost."""
    if not advertise_host:
        return f"localhost:{port}"
    has_port = "]:" in advertise_host if advertise_host.startswith("[") else ":" in advertise_host
    return advertise_host if has_port else f"{advertise_host}:{port}"


def member_defaults(member: dict[str, Any]) -> dict[str, Any]:
    """A member as mongod stores it: every field spelled out, in mongod's order."""
    return {
        "_id": member["_id"],
        "host": member["host"],
        "arbiterOnly": member.get("arbiterOnly", False),
        "buildIndexes": member.get("buildIndexes", True),
        "hidden": member.get("hidden", False),
        "priority": member.get("priority", 1.0),
        "tags": member.get("tags", {}),
        "secondaryDelaySecs": Int64(member.get("secondaryDelaySecs", 0)),
        "votes": member.get("votes", 1),
    }


def full_config(config: dict[str, Any], replica_set_id: ObjectId) -> dict[str, Any]:
    """A validated config with mongod's defaults filled in (what replSetGetConfig shows)."""
    settings = {**SETTINGS_DEFAULTS, **config.get("settings", {}), "replicaSetId": replica_set_id}
    return {
        "_id": config["_id"],
        "version": config.get("version", 1),
        "term": TERM,
        "members": [member_defaults(m) for m in config["members"]],
        "protocolVersion": Int64(1),
        "writeConcernMajorityJournalDefault": config.get("writeConcernMajorityJournalDefault", True),
        "settings": settings,
    }


def timestamp_date(ts: Timestamp) -> datetime.datetime:
    """The wall-clock date of a Timestamp (seconds resolution, as mongod's appendTimeT)."""
    return datetime.datetime.fromtimestamp(ts.time, datetime.timezone.utc).replace(tzinfo=None)


def _usable(config: dict[str, Any]) -> bool:
    """Whether a stored config has what this module reads (a user may have written the collection)."""
    members = config.get("members")
    return (
        isinstance(config.get("_id"), str)
        and isinstance(config.get("version"), int)
        and isinstance(config.get("settings"), dict)
        and "replicaSetId" in config["settings"]
        and isinstance(members, list)
        and len(members) == 1
        and isinstance(members[0], dict)
        and isinstance(members[0].get("host"), str)
    )


class ReplicaSet:
    """The set's config, this member's address and its topology version."""

    def __init__(self, catalog: Catalog, name: str, me: str, port: int, advertised: bool = False) -> None:
        self.catalog = catalog
        self.name = name
        self.me = me  # --advertise-host (``advertised``) or localhost:<port>
        self.port = port
        self.advertised = advertised
        self.process_id = ObjectId()
        self.counter = 0
        self.implicit = False  # auto-initiated by this process, no replSetInitiate since
        self.election_date = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
        self.election_time = Timestamp(0, 0)
        self._waiters: dict[asyncio.Future[None], bool] = {}  # waiting hellos -> streamed (exhaust)
        self.config = self._load()

    # -- the config ----------------------------------------------------------------------------------

    def _load(self) -> dict[str, Any]:
        coll = self.catalog.collection(CONFIG_DB, CONFIG_COLLECTION)
        stored = next(iter(coll.docs.values()), None) if coll is not None else None
        config = decode_document(stored) if stored is not None else None
        if config is not None and not _usable(config):
            log.warning("local.system.replset holds no usable config (%r); initiating anew", config)
            config = None
        if config is None:
            self.implicit = True
            config = full_config(self.default_config(), ObjectId())
            self._save(config)
        else:
            member = config["members"][0]
            if config["_id"] != self.name:
                log.warning("the file's replica set was %r; now %r (--replica-set)", config["_id"], self.name)
                config = full_config({**self.default_config(), "version": config["version"] + 1}, ObjectId())
                self._save(config)
            elif not self.is_self(member["host"]) or (
                self.advertised and split_host(member["host"]) != split_host(self.me)
            ):
                # Started on another address (tests on port 0, a moved container, a new --advertise-host):
                # the member is this process, so the config names where it can be reached now.
                member["host"] = self.me
                config["version"] += 1
                self._save(config)
        if self.catalog.clock.last == Timestamp(0, 0):
            self.catalog.clock.tick()
        self.election_time = self.catalog.clock.last
        return config

    def _save(self, config: dict[str, Any]) -> None:
        coll = self.catalog.ensure_collection(CONFIG_DB, CONFIG_COLLECTION)
        batch = DocumentBatch(coll)
        for raw in list(coll.docs.values()):
            batch.delete(decode_document(raw))
        batch.put(config)
        self.catalog.commit(batch.writes)

    def default_config(self) -> dict[str, Any]:
        """What ``rs.initiate()`` without a config sets up: this member alone."""
        return {"_id": self.name, "version": 1, "members": [{"_id": 0, "host": self.me}]}

    def is_self(self, host: str) -> bool:
        """Whether ``host`` names this member: its advertised address, or any name with its port."""
        name, port = split_host(host)
        return (name, port) == split_host(self.me) or port == self.port

    def replace_config(self, config: dict[str, Any]) -> None:
        """Persist ``config`` (already validated and complete) and tell waiting hellos."""
        self._save(config)
        self.config = config
        self.implicit = False
        self.changed()

    @property
    def host(self) -> str:
        """This member's address as the config names it (hello's ``me``, ``primary`` and ``hosts``)."""
        return str(self.config["members"][0]["host"])

    # -- topology --------------------------------------------------------------------------------------

    def topology_version(self) -> dict[str, Any]:
        return {"processId": self.process_id, "counter": Int64(self.counter)}

    def changed(self) -> None:
        """The topology changed: a new counter, and every waiting awaitable hello answers."""
        self.counter += 1
        waiters, self._waiters = self._waiters, {}
        for future in waiters:
            if not future.done():
                future.set_result(None)

    def wait_for_change(self, timeout_s: float, exhaust: bool = False) -> asyncio.Future[None]:
        """A future that completes at the next topology change or after ``timeout_s``, whichever is first;
        waiting on it never blocks the event loop. ``exhaust``: the hello streams (serverStatus counts)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        self._waiters[future] = exhaust
        timer = loop.call_later(timeout_s, lambda: future.done() or future.set_result(None))
        future.add_done_callback(lambda f: (timer.cancel(), self._waiters.pop(f, None)))
        return future

    def waiting(self) -> tuple[int, int]:
        """How many hellos wait for a topology change, and how many of them stream (serverStatus)."""
        return len(self._waiters), sum(self._waiters.values())

    def status_section(self) -> dict[str, Any]:
        """serverStatus' ``repl``: hello's replication fields and the rollback id (no rollback ever)."""
        return {**self.hello_fields(legacy=False), "rbid": 1}

    # -- what hello and replSetGetStatus show ------------------------------------------------------------

    def op_time(self) -> dict[str, Any]:
        return {"ts": self.catalog.clock.last, "t": Int64(TERM)}

    def hello_fields(self, legacy: bool) -> dict[str, Any]:
        """The replication part of hello, in mongod's order (HelloResponse::addToBSON)."""
        last = self.catalog.clock.last
        date = timestamp_date(last)
        return {
            "topologyVersion": self.topology_version(),
            "hosts": [self.host],
            "setName": self.name,
            "setVersion": self.config["version"],
            "ismaster" if legacy else "isWritablePrimary": True,
            "secondary": False,
            "primary": self.host,
            "me": self.host,
            "electionId": ObjectId(f"7fffffff{TERM:016x}"),
            "lastWrite": {
                "opTime": self.op_time(),
                "lastWriteDate": date,
                "majorityOpTime": self.op_time(),
                "majorityWriteDate": date,
            },
        }
