"""Big answers: kb query --format json/jsonl prints the JSON lines the build made of each record
(``record_docs.json``), and they are exactly what the records themselves print as; a database
without such lines, or with lines kb did not make, is read the ordinary way, and nothing a line
holds reaches the terminal raw."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys

import pytest
from conftest import ROOT, SEED

QUERIES = [[], ["--region", "陕西"], ["--mechanism", "概念验证中心", "--instrument", "funding"],
           ["--kind", "law", "--sort", "-date", "--limit", "7"], ["--since", "2022"], ["--region", "nowhere-at-all"],
           ["--blockage", "不敢转", "--kind", "practice", "--sort", "name"]]


def kb(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kbcli", *args], capture_output=True, cwd=ROOT, timeout=60)


@pytest.fixture(scope="module")
def slow_db(real_db, tmp_path_factory):
    """The same database, marked as made by another version of the record's shape: read the ordinary way."""
    path = tmp_path_factory.mktemp("slow") / "kb.sqlite"
    shutil.copy(real_db, path)
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE meta SET value = 'another' WHERE key = 'shape_version'")
    return path


def test_every_stored_line_is_the_record_as_printed(real_db):
    """One line per record, made by the build, equal to the record assembled from its document (108 of the
    real records link to one written after them: their lines are made at the end of the build)."""
    from kbcli.query.kb import KB
    from kbcli.shape import row
    from kbcli.store.db import connect
    from kbcli.text import json_dumps

    kb_ = KB(connect(real_db))
    rows = kb_.conn.execute("SELECT r.id, d.json FROM records r JOIN record_docs d ON d.rowid = r.rowid").fetchall()
    assert len(rows) > 300
    for rid, line in rows:
        assert line == json_dumps(row(kb_.get_record(rid)), indent=None), rid


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
@pytest.mark.parametrize("args", QUERIES, ids=lambda a: " ".join(a) or "everything")
def test_stored_lines_print_byte_for_byte_as_the_records_do(real_db, slow_db, args, fmt):
    fast = kb("query", *args, "--format", fmt, "--db", str(real_db))
    slow = kb("query", *args, "--format", fmt, "--db", str(slow_db))
    assert (fast.returncode, fast.stdout, fast.stderr) == (slow.returncode, slow.stdout, slow.stderr)
    if fast.returncode == 0:
        records = json.loads(fast.stdout) if fmt == "json" else [json.loads(x) for x in fast.stdout.splitlines()]
        assert records and {"id", "date_start", "sources", "restricted", "evidence"} <= set(records[0])


def _doctor(real_db, tmp_path, sql: str, params=()):
    path = tmp_path / "kb.sqlite"
    shutil.copy(real_db, path)
    with sqlite3.connect(path) as conn:
        conn.execute(sql, params)
    return path


@pytest.mark.parametrize("evil", ["\x1b]0;PWNED\x07\x1b[31m", "\u202e", "\x85", "\n"])
def test_what_a_stored_line_should_not_hold_is_escaped(real_db, tmp_path, evil):
    """A --db is any file a user was given: a line holding a terminal escape, a bidi override, a C1 control
    or a newline prints it escaped, as JSON."""
    db = _doctor(real_db, tmp_path, "UPDATE record_docs SET json = replace(json, '\"name_en\": \"', ?)",
                 ('"name_en": "' + evil,))
    for fmt in ("json", "jsonl"):
        run = kb("query", "--kind", "pilot", "--format", fmt, "--db", str(db))
        assert run.returncode == 0, run.stderr
        out = run.stdout.decode("utf-8")
        records = json.loads(out) if fmt == "json" else [json.loads(x) for x in out.split("\n") if x]
        assert records and all(r["name_en"].startswith(evil) for r in records)  # kept, as JSON escapes
        if evil == "\n":
            assert fmt == "json" or out.count("\n") == len(records)  # still one record per line
        else:
            assert evil not in out
        assert "\x1b" not in out and "Traceback" not in run.stderr.decode()


@pytest.mark.parametrize("case,sql", [
    ("no line", "UPDATE record_docs SET json = NULL WHERE rowid = (SELECT min(rowid) FROM records WHERE kind = 'pilot')"),
    ("not an object", ("UPDATE record_docs SET json = '[1, 2]' WHERE rowid = (SELECT min(rowid) FROM records "
                      "WHERE kind = 'pilot')")),
    ("no shape version", "DELETE FROM meta WHERE key = 'shape_version'"),
])
def test_a_database_without_good_lines_is_read_the_ordinary_way(real_db, slow_db, tmp_path, case, sql):
    db = _doctor(real_db, tmp_path, sql)
    run = kb("query", "--kind", "pilot", "--format", "json", "--db", str(db))
    ordinary = kb("query", "--kind", "pilot", "--format", "json", "--db", str(slow_db))
    assert (run.returncode, run.stdout) == (0, ordinary.stdout), case


@pytest.mark.parametrize("every", [0, 2, 3])
def test_lines_made_by_either_process_in_small_batches_are_the_records(tmp_path, monkeypatch, every):
    """Batches of 16: kb makes every second or third batch's lines (or none), the writer the others',
    and links to records of later batches get their names at the end."""
    from kbcli.query.kb import KB
    from kbcli.shape import row
    from kbcli.store import build as build_module
    from kbcli.store import builder
    from kbcli.store.db import connect
    from kbcli.text import json_dumps

    monkeypatch.setattr(builder, "BATCH", 16)
    monkeypatch.setattr(builder, "PARENT_EVERY", every)
    db = tmp_path / "kb.sqlite"
    build_module.build(SEED, db)
    kb_ = KB(connect(db))
    rows = kb_.conn.execute("SELECT r.id, d.json FROM records r JOIN record_docs d ON d.rowid = r.rowid").fetchall()
    assert len(rows) > 300
    for rid, line in rows:
        assert line == json_dumps(row(kb_.get_record(rid)), indent=None), rid
