"""First-start helper of the container entrypoint: create the root user as the ``mongo`` image does.

Run against the temporary server the entrypoint starts on 127.0.0.1 (with --auth, so the first user is
created through mongod's localhost exception). The name and password come from the environment, never
from the command line, so they do not show in ``ps``.
"""

from __future__ import annotations

import os
import sys

import pymongo


def create_root(port: int) -> None:
    user = os.environ["MONGO_INITDB_ROOT_USERNAME"]
    password = os.environ["MONGO_INITDB_ROOT_PASSWORD"]
    uri = f"mongodb://127.0.0.1:{port}/?directConnection=true"
    with pymongo.MongoClient(uri, serverSelectionTimeoutMS=10_000) as client:
        client.admin.command("createUser", user, pwd=password, roles=[{"role": "root", "db": "admin"}])
    print(f"docdb-entrypoint: created root user {user!r} in admin", file=sys.stderr)


if __name__ == "__main__":
    create_root(int(os.environ.get("DOCDB_PORT", "27017")))
