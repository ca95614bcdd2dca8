"""``--metrics-port``: Prometheus text with the serverStatus counters, scraped over HTTP."""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.serverproc import ServerProcess

_METRICS_LINE = re.compile(r"Prometheus text on (http://\S+/metrics)")


@pytest.fixture(scope="module")
def metrics_server(tmp_path_factory) -> Iterator[tuple[ServerProcess, str]]:
    path = tmp_path_factory.mktemp("metrics") / "m.mdb"
    with ServerProcess(path, ["--metrics-port", "0"]) as proc:
        url = next(m.group(1) for line in proc.output if (m := _METRICS_LINE.search(line)))
        yield proc, url


def _scrape(url: str) -> dict[tuple[str, tuple], float]:
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain; version=")
        text = response.read().decode()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_counters_follow_the_commands(metrics_server):
    proc, url = metrics_server
    with proc.client() as client:
        coll = client.mdb.c
        before = _scrape(url)
        coll.insert_many([{"_id": i} for i in range(3)])
        coll.update_many({}, {"$set": {"x": 1}})
        assert len(list(coll.find({}))) == 3
        coll.delete_one({"_id": 0})
        after = _scrape(url)

    def delta(name: str, **labels: str) -> float:
        key = (name, tuple(sorted(labels.items())))
        return after[key] - before.get(key, 0.0)

    assert delta("docdb_documents_total", op="inserted") == 3
    assert delta("docdb_documents_total", op="updated") == 3
    assert delta("docdb_documents_total", op="returned") == 3
    assert delta("docdb_documents_total", op="deleted") == 1
    assert delta("docdb_commands_total", command="insert") == 1
    assert delta("docdb_opcounters_total", type="query") == 1
    assert delta("docdb_command_duration_seconds_count", command="insert") == 1
    assert delta("docdb_command_duration_seconds_bucket", command="insert", le="+Inf") == 1
    assert after[("docdb_connections", ())] >= 1
    assert after[("docdb_open_cursors", ())] == 0
    assert after[("docdb_sessions", ())] >= 1  # PyMongo's implicit session
    assert after[("docdb_transactions_open", ())] == 0
    # the implicit collection creation, the insert (one record per batch), the update, the delete
    assert delta("docdb_log_records_total") == 4
    assert after[("docdb_file_size_bytes", ())] > 0
    assert 0.0 <= after[("docdb_file_dead_ratio", ())] < 1.0
    assert ("docdb_fsync_seconds_count", ()) in after
    assert after[("docdb_compactions_total", (("result", "completed"),))] == 0


def test_histogram_buckets_are_cumulative(metrics_server):
    proc, url = metrics_server
    with proc.client() as client:
        for _ in range(5):
            client.admin.command("ping")
    samples = _scrape(url)
    buckets = sorted(
        (float(dict(labels)["le"]), value)
        for (name, labels), value in samples.items()
        if name == "docdb_command_duration_seconds_bucket" and dict(labels)["command"] == "ping"
    )
    counts = [value for _, value in buckets]
    assert (
        counts == sorted(counts)
        and counts[-1] == samples[("docdb_command_duration_seconds_count", (("command", "ping"),))]
    )
    assert counts[-1] >= 5


def test_serverstatus_reports_the_same_figures(metrics_server):
    proc, url = metrics_server
    with proc.client() as client:
        client.mdb.same.insert_one({"a": 1})
        status = client.admin.command("serverStatus")
        samples = _scrape(url)
    assert (
        samples[("docdb_documents_total", (("op", "inserted"),))] == status["metrics"]["document"]["inserted"]
    )
    assert samples[("docdb_opcounters_total", (("type", "insert"),))] == status["opcounters"]["insert"]


def test_only_get_is_served(metrics_server):
    _, url = metrics_server
    request = urllib.request.Request(url, data=b"x", method="POST")
    with pytest.raises(urllib.error.HTTPError) as exc:
        urllib.request.urlopen(request, timeout=10)
    assert exc.value.code == 405
    exc.value.close()


def test_sessions_and_open_transactions(tmp_path):
    with ServerProcess(tmp_path / "rs.mdb", ["--metrics-port", "0", "--replica-set", "rs0"]) as proc:
        url = next(m.group(1) for line in proc.output if (m := _METRICS_LINE.search(line)))
        with proc.client() as client:
            client.mdb.t.insert_one({"a": 0})
            with client.start_session() as session, session.start_transaction():
                client.mdb.t.insert_one({"a": 1}, session=session)
                during = _scrape(url)
            after = _scrape(url)
    assert during[("docdb_transactions_open", ())] == 1
    assert during[("docdb_sessions", ())] >= 1
    assert after[("docdb_transactions_open", ())] == 0
