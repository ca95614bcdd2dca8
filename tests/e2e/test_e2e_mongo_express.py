"""mongo-express (the npm package, pinned by package.json) against docdb, driven in headless Chromium.

The browser script ``mongo_express_ui.js`` (playwright-core, Debian's ``chromium``) opens the database
list and a collection, adds a document through the "New Document" editor, edits one on its document page
and deletes one with the trash button and its confirmation; here PyMongo checks what reached docdb. The
screenshots of every step are kept in ``e2e-artifacts/mongo-express/`` at the repo root. Skips when
chromium, node or the npm packages are missing.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import NPM_HINT, ROOT, client_env
from tests.serverproc import ServerProcess

pytestmark = pytest.mark.e2e
CHROMIUM = "/usr/bin/chromium"
SHOTS = ROOT / "e2e-artifacts" / "mongo-express"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def mongo_express(node: str, e2e_server: ServerProcess, tmp_path: Path) -> Iterator[str]:
    """mongo-express serving on a free port against the test server; yields its base URL."""
    app = ROOT / "node_modules" / "mongo-express" / "app.js"
    if not app.exists():
        pytest.skip(f"node_modules/mongo-express is missing: {NPM_HINT}")
    if not (ROOT / "node_modules" / "playwright-core").exists():
        pytest.skip(f"node_modules/playwright-core is missing: {NPM_HINT}")
    if shutil.which(CHROMIUM) is None:
        pytest.skip("chromium is not installed (apt-get install -y chromium)")
    port = _free_port()
    env = {
        **client_env(tmp_path),
        "ME_CONFIG_MONGODB_URL": f"mongodb://127.0.0.1:{e2e_server.port}/?directConnection=true",
        "ME_CONFIG_MONGODB_ENABLE_ADMIN": "true",
        "ME_CONFIG_BASICAUTH_USERNAME": "",
        "PORT": str(port),
        "VCAP_APP_HOST": "127.0.0.1",
    }
    log = (tmp_path / "mongo-express.log").open("w")
    proc = subprocess.Popen([node, str(app)], cwd=app.parent, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if proc.poll() is not None:
                    pytest.fail(f"mongo-express exited: {(tmp_path / 'mongo-express.log').read_text()}")
                time.sleep(0.2)
        else:
            pytest.fail("mongo-express did not start listening within 60 s")
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(10)
        log.close()


def test_browse_add_edit_delete(mongo_express: str, node: str, e2e_server: ServerProcess, tmp_path: Path):
    with e2e_server.client() as client:
        items = client.shop.items
        items.drop()
        items.insert_many([{"name": "apple", "qty": 3}, {"name": "pear", "qty": 5}])
        shutil.rmtree(SHOTS, ignore_errors=True)
        SHOTS.mkdir(parents=True)
        user_data = tmp_path / "chromium-profile"
        done = subprocess.run(
            [
                node,
                str(Path(__file__).with_name("mongo_express_ui.js")),
                mongo_express,
                str(SHOTS),
                CHROMIUM,
                str(user_data),
            ],
            capture_output=True,
            text=True,
            timeout=180,
            cwd=ROOT,
            env={**client_env(tmp_path), "NODE_PATH": str(ROOT / "node_modules")},
        )
        assert done.returncode == 0, done.stderr
        steps = json.loads(done.stdout.strip().splitlines()[-1])["steps"]
        assert [s["name"] for s in steps] == ["databases", "documents", "added", "edited", "deleted"]
        texts = {s["name"]: s["text"] for s in steps}
        assert "shop" in texts["databases"] and "MongoDB Version" in texts["databases"]
        assert "apple" in texts["documents"] and "pear" in texts["documents"]
        assert "Document added!" in texts["added"] and "plum" in texts["added"]
        assert "Document updated!" in texts["edited"]
        assert "Document deleted!" in texts["deleted"]
        assert all(Path(s["screenshot"]).stat().st_size > 10_000 for s in steps)
        got = sorted((d["name"], d["qty"]) for d in items.find({}, {"_id": 0}))
        assert got == [("apple", 30), ("plum", 7)]
        items.drop()
