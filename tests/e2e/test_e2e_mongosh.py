"""mongosh against docdb-server: CRUD through the shell's own helpers, a clean start-up, server errors.

Each script prints one Extended JSON (relaxed) line that the test compares exactly.
"""

from __future__ import annotations

import json
import re

import pytest

pytestmark = pytest.mark.e2e

PROBLEM_LINE = re.compile(r"error|warning|exception|deprecat", re.IGNORECASE)


def eval_json(run_mongosh, script: str):
    proc = run_mongosh(f"print(EJSON.stringify(({script})))", "--quiet")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stderr == ""
    return json.loads(proc.stdout)


def test_startup_with_trivial_eval_is_clean(run_mongosh):
    proc = run_mongosh("db.runCommand({ping: 1}).ok")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout == "1\n"
    assert proc.stderr == ""


def test_startup_reports_server_version_without_warnings(run_mongosh):
    proc = run_mongosh("print(db.version()); print(db.getMongo().getDBNames().length >= 0)")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    problems = [line for line in (proc.stdout + proc.stderr).splitlines() if PROBLEM_LINE.search(line)]
    assert problems == []
    assert re.fullmatch(r"7\.0\.\d+\ntrue\n", proc.stdout)


def test_crud_round_trip(run_mongosh):
    script = """(() => {
        const c = db.getSiblingDB('e2e_sh_crud').items;
        const inserted = c.insertMany([
            {_id: 1, name: 'apple', qty: 5, tags: ['red', 'fruit']},
            {_id: 2, name: 'pear', qty: 10},
            {_id: 3, name: 'plum', qty: 15},
        ]);
        const one = c.insertOne({_id: 4, name: 'kiwi', qty: 0});
        const updated = c.updateOne({_id: 2}, {$inc: {qty: 1}, $set: {ripe: true}});
        const many = c.updateMany({qty: {$gte: 15}}, {$push: {tags: 'big'}});
        const deleted = c.deleteOne({qty: 0});
        return {
            inserted, one, updated, many, deleted,
            found: c.find({qty: {$gt: 5}}, {_id: 1, qty: 1, ripe: 1}).sort({qty: -1}).toArray(),
            apple: c.findOne({name: 'apple'}),
            count: c.countDocuments({}),
            estimated: c.estimatedDocumentCount(),
            distinct: c.distinct('name').sort(),
        };
    })()"""
    assert eval_json(run_mongosh, script) == {
        "inserted": {"acknowledged": True, "insertedIds": {"0": 1, "1": 2, "2": 3}},
        "one": {"acknowledged": True, "insertedId": 4},
        "updated": {
            "acknowledged": True,
            "insertedId": None,
            "matchedCount": 1,
            "modifiedCount": 1,
            "upsertedCount": 0,
        },
        "many": {
            "acknowledged": True,
            "insertedId": None,
            "matchedCount": 1,
            "modifiedCount": 1,
            "upsertedCount": 0,
        },
        "deleted": {"acknowledged": True, "deletedCount": 1},
        "found": [{"_id": 3, "qty": 15}, {"_id": 2, "qty": 11, "ripe": True}],
        "apple": {"_id": 1, "name": "apple", "qty": 5, "tags": ["red", "fruit"]},
        "count": 3,
        "estimated": 3,
        "distinct": ["apple", "pear", "plum"],
    }


def test_catalog_helpers(run_mongosh):
    script = """(() => {
        const d = db.getSiblingDB('e2e_sh_catalog');
        d.b.insertOne({x: 1});
        d.createCollection('a');
        return {
            collections: d.getCollectionNames(),
            listed: db.getMongo().getDBNames().includes('e2e_sh_catalog'),
            indexes: d.b.getIndexes(),
        };
    })()"""
    assert eval_json(run_mongosh, script) == {
        "collections": ["a", "b"],
        "listed": True,
        "indexes": [{"v": 2, "key": {"_id": 1}, "name": "_id_"}],
    }


def test_create_unique_index(run_mongosh):
    script = """(() => {
        const c = db.getSiblingDB('e2e_sh_index').items;
        c.insertOne({_id: 1, x: 1});
        const name = c.createIndex({x: 1}, {unique: true});
        let error = null;
        try { c.insertOne({_id: 2, x: 1}); } catch (e) { error = e.code; }
        return {name, error, indexes: c.getIndexes()};
    })()"""
    assert eval_json(run_mongosh, script) == {
        "name": "x_1",
        "error": 11000,
        "indexes": [
            {"v": 2, "key": {"_id": 1}, "name": "_id_"},
            {"v": 2, "key": {"x": 1}, "name": "x_1", "unique": True},
        ],
    }


def test_duplicate_key_error_reaches_the_shell(run_mongosh):
    script = """(() => {
        const c = db.getSiblingDB('e2e_sh_errors').items;
        c.insertOne({_id: 1});
        try {
            c.insertOne({_id: 1});
            return 'no error';
        } catch (e) {
            const {name, code, errmsg, keyPattern, keyValue} = e;
            return {name, code, errmsg, keyPattern, keyValue};
        }
    })()"""
    assert eval_json(run_mongosh, script) == {
        "name": "MongoServerError",
        "code": 11000,
        "errmsg": "E11000 duplicate key error collection: e2e_sh_errors.items index: _id_ dup key: "
        "{ _id: 1 }",
        "keyPattern": {"_id": 1},
        "keyValue": {"_id": 1},
    }


def test_uncaught_error_exits_non_zero(run_mongosh):
    proc = run_mongosh("db.getSiblingDB('e2e_sh_fail').runCommand({noSuchCommand: 1})", "--quiet")
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert proc.stderr == "MongoServerError: no such command: 'noSuchCommand'\n"
