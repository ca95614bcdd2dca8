"""Scan checkpoints (engine/interrupts.py) with a stand-in for the server's checker: at every checkpoint
where the operation may suspend, the stand-in writes to the collection (as another client would while
the read is suspended). Reads over a snapshot return what was there when they started; an index scan is
never suspended while it walks the live index, and copies the rest of its range before it suspends."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from docdb.engine import interrupts
from docdb.engine.aggregate import run_aggregate
from docdb.engine.catalog import Catalog
from docdb.engine.indexing.spec import parse_index_spec
from docdb.engine.reads import FindSpec, run_find
from docdb.engine.writes import insert_documents
from docdb.errors import ErrorCode, MongoError


class WritingChecker:
    """Suspends (runs ``meanwhile``) at every checkpoint where nothing is pinned; raises once killed."""

    def __init__(self, meanwhile: Callable[[], None], due: bool = True) -> None:
        self.pins = 0
        self.meanwhile = meanwhile
        self.is_due = due
        self.suspensions = 0
        self.pinned_checks = 0
        self.killed = False

    def check(self) -> int:
        if self.killed:
            raise MongoError(ErrorCode.Interrupted, "operation was interrupted")
        if self.pins:
            self.pinned_checks += 1
        elif self.is_due:
            self.suspensions += 1
            self.meanwhile()
        return 1

    def due(self) -> bool:
        return self.is_due


@pytest.fixture
def catalog() -> Catalog:
    catalog = Catalog()
    insert_documents(catalog, "db", "c", [{"_id": i, "a": i % 10} for i in range(500)], ordered=True)
    coll = catalog.collection("db", "c")
    catalog.create_indexes(coll, [parse_index_spec({"key": {"a": 1}, "name": "a_1"})])
    return catalog


@pytest.fixture
def installed() -> Iterator[Callable[[WritingChecker], WritingChecker]]:
    def install(checker: WritingChecker) -> WritingChecker:
        interrupts.checker = checker
        return checker

    yield install
    interrupts.checker = None


def _inserter(catalog: Catalog) -> Callable[[], None]:
    counter = iter(range(10_000, 100_000))

    def insert() -> None:
        insert_documents(catalog, "db", "c", [{"_id": next(counter), "a": 5}], ordered=True)

    return insert


def test_collection_scan_sees_its_snapshot(catalog, installed):
    checker = installed(WritingChecker(_inserter(catalog)))
    rows = run_find(catalog.collection("db", "c"), FindSpec({"a": {"$gte": 5}})).rows
    assert checker.suspensions > 0
    assert sorted(doc["_id"] for _, doc in rows) == [i for i in range(500) if i % 10 >= 5]


def test_index_scan_copies_its_range_before_suspending(catalog, installed):
    checker = installed(WritingChecker(_inserter(catalog)))
    spec = FindSpec({"a": {"$gte": 3, "$lte": 6}}, hint={"a": 1})
    rows = run_find(catalog.collection("db", "c"), spec).rows
    assert checker.suspensions > 0
    # The first entries came from the live index (pinned, no suspension); the rest from the copy taken
    # before the first suspension: no document inserted meanwhile, none twice, all in index order.
    ids = [doc["_id"] for _, doc in rows]
    assert ids == sorted((i for i in range(500) if 3 <= i % 10 <= 6), key=lambda i: (i % 10, i))


def test_pinned_index_scan_never_suspends(catalog, installed):
    checker = installed(WritingChecker(_inserter(catalog), due=False))
    rows = run_find(catalog.collection("db", "c"), FindSpec({"a": {"$gte": 0}}, hint={"a": 1})).rows
    assert len(rows) == 500
    assert checker.suspensions == 0 and checker.pinned_checks > 0 and checker.pins == 0


def test_aggregation_stages_run_between_checkpoints(catalog, installed):
    checker = installed(WritingChecker(_inserter(catalog)))
    out = run_aggregate(catalog, "db", "c", [{"$group": {"_id": None, "n": {"$sum": 1}}}], None)
    assert out == [{"_id": None, "n": 500}] and checker.suspensions > 0


def test_a_killed_read_raises_at_its_next_checkpoint(catalog, installed):
    checker = installed(WritingChecker(lambda: None))
    checker.killed = True
    with pytest.raises(MongoError) as exc:
        run_find(catalog.collection("db", "c"), FindSpec({"b": {"$exists": False}}))
    assert exc.value.code == ErrorCode.Interrupted


def test_without_a_checker_nothing_is_checked(catalog):
    assert interrupts.checker is None
    assert interrupts.check() == interrupts.UNCHECKED
    assert (
        len(run_find(catalog.collection("db", "c"), FindSpec({"a": {"$gte": 0}}, hint={"a": 1})).rows) == 500
    )
