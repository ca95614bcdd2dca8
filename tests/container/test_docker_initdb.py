"""The image with the ``mongo`` image's variables (podman, as test_docker_image): MONGO_INITDB_ROOT_* create
the root user on the first start with an empty /data and turn auth on; a restart keeps the user."""

from __future__ import annotations

from pathlib import Path

import pymongo
import pytest
from pymongo.errors import OperationFailure

from tests.container.test_docker_image import client, container_name, free_port, image, podman  # noqa: F401

pytestmark = pytest.mark.container


def test_root_user_from_environment_and_auth_on(image: str, container_name: str, tmp_path: Path):  # noqa: F811
    data = tmp_path / "data"
    data.mkdir()
    data.chmod(0o777)
    scripts = tmp_path / "initdb"
    scripts.mkdir()
    (scripts / "seed.sh").write_text(
        "python - <<'PY'\n"
        "import os, pymongo\n"
        "uri = 'mongodb://%s:%s@127.0.0.1:27017/' % (os.environ['MONGO_INITDB_ROOT_USERNAME'],\n"
        "    os.environ['MONGO_INITDB_ROOT_PASSWORD'])\n"
        "pymongo.MongoClient(uri)[os.environ['MONGO_INITDB_DATABASE']].seed.insert_one({'by': 'seed.sh'})\n"
        "PY\n"
    )
    port = free_port()
    podman(
        "run", "--detach", "--name", container_name, "-p", f"127.0.0.1:{port}:27017",
        "-v", f"{data}:/data", "-v", f"{scripts}:/docker-entrypoint-initdb.d:ro",
        "-e", "MONGO_INITDB_ROOT_USERNAME=root", "-e", "MONGO_INITDB_ROOT_PASSWORD=example",
        "-e", "MONGO_INITDB_DATABASE=app",
        image,
    )  # fmt: skip
    uri = f"mongodb://root:example@127.0.0.1:{port}/?directConnection=true&authSource=admin"
    with pymongo.MongoClient(uri, serverSelectionTimeoutMS=30_000) as c:
        assert [d["by"] for d in c.app.seed.find({}, {"_id": 0})] == ["seed.sh"]
    with client(port) as anonymous, pytest.raises(OperationFailure) as exc:
        anonymous.app.seed.find_one()
    assert exc.value.details["errmsg"] == "Command find requires authentication"
    assert podman("healthcheck", "run", container_name, check=False).returncode == 0

    podman("restart", "--time", "10", container_name, timeout=60)
    with pymongo.MongoClient(uri, serverSelectionTimeoutMS=30_000) as c:
        assert c.app.seed.count_documents({}) == 1  # users kept, the script did not run again
    logs = podman("logs", container_name)
    assert (logs.stdout + logs.stderr).count("first start") == 1
