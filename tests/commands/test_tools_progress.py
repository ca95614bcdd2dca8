"""Progress feedback of the long tools: a bar on a terminal, periodic lines elsewhere, one summary."""

from __future__ import annotations

import io

from click.testing import CliRunner

from docdb.cli import tools_main
from docdb.tools.progress import Progress


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_plain_lines_once_per_interval_then_a_summary():
    out, clock = io.StringIO(), Clock()
    p = Progress("dump", total=1000, stream=out, tty=False, interval=1.0, clock=clock)
    p.update(100)  # before the first interval: silent
    clock.now = 101.0
    p.update(150)
    clock.now = 101.5
    p.update(250)  # within the interval: silent
    clock.now = 102.0
    p.update(500)
    assert p.finish("2 collection(s)") == "dump: done, 1000 docs in 2.0 s (500 docs/s), 2 collection(s)"
    assert out.getvalue().splitlines() == [
        "dump: 250/1000 docs (25%), 250 docs/s",
        "dump: 1000/1000 docs (100%), 500 docs/s",
        "dump: done, 1000 docs in 2.0 s (500 docs/s), 2 collection(s)",
    ]


def test_terminal_bar_is_redrawn_in_place_and_cleared():
    out, clock = io.StringIO(), Clock()
    p = Progress("verifying", total=4 << 20, unit="bytes", stream=out, tty=True, clock=clock)
    clock.now = 101.0
    p.update(1 << 20)
    assert out.getvalue() == "\rverifying [######..................] 1.0 MB/4.0 MB  1.0 MB/s\x1b[K"
    p.finish()
    assert out.getvalue().endswith("\r\x1b[Kverifying: done, 1.0 MB in 1.0 s (1.0 MB/s)\n")


def test_unknown_total_shows_the_count_only():
    out, clock = io.StringIO(), Clock()
    p = Progress("import", stream=out, tty=False, clock=clock)
    clock.now = 102.0
    p.update(10)
    assert out.getvalue() == "import: 10 docs, 5 docs/s\n"


def test_verify_ends_with_a_summary_line(tmp_path):
    from tests.serverproc import ServerProcess

    path = tmp_path / "d.mdb"
    with ServerProcess(path) as proc, proc.client() as c:
        c.t.c.insert_one({"_id": 1})
    result = CliRunner().invoke(tools_main, ["verify", str(path)])
    assert result.exit_code == 0, result.output
    assert any(line.startswith("verifying: done, ") for line in result.output.splitlines())


def test_a_note_clears_the_bar_and_stands_on_its_own_line():
    out, clock = io.StringIO(), Clock()
    p = Progress("dump", total=10, stream=out, tty=True, clock=clock)
    clock.now = 101.0
    p.update(5)
    p.note("done dumping a.b (5 documents)")
    assert out.getvalue().endswith("\x1b[K\r\x1b[Kdone dumping a.b (5 documents)\n")


def test_dump_reports_each_collection_as_it_is_done(server, db, tmp_path):
    db.a.insert_many([{"_id": 1}, {"_id": 2}])
    db.b.insert_one({"_id": 1})
    result = CliRunner().invoke(
        tools_main, ["dump", "--uri", server.uri, "--db", db.name, "--out", str(tmp_path)]
    )
    lines = result.output.splitlines()
    assert lines[:2] == [f"done dumping {db.name}.a (2 documents)", f"done dumping {db.name}.b (1 document)"]
    assert lines[2].startswith("dump: done, 3 docs in ") and lines[2].endswith("/s), 2 collection(s)")
