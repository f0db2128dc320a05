"""kb sql is read-only whatever it is asked; kb export writes every table in every format."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil

import pytest


@pytest.fixture
def db_copy(real_db, tmp_path):
    path = tmp_path / "copy.sqlite"
    shutil.copy(real_db, path)
    return path


def test_select(kb):
    result = kb("sql", "SELECT kind, COUNT(*) AS n FROM records GROUP BY kind ORDER BY kind", "-f", "json")
    assert result.exit_code == 0
    assert {r["kind"] for r in json.loads(result.stdout)} == {"law", "model", "pilot", "practice"}
    params = kb("sql", "SELECT id FROM records WHERE id = ?", "--param", "law-sttl", "-f", "json")
    assert json.loads(params.stdout) == [{"id": "law-sttl"}]
    fts = kb("sql", "SELECT COUNT(*) AS n FROM records_fts WHERE records_fts MATCH '\"中试\"'", "-f", "json")
    assert json.loads(fts.stdout)[0]["n"] > 0
    assert kb("sql", "PRAGMA table_info(records)", "-f", "json").exit_code == 0


WRITES = [
    "INSERT INTO records (id, kind) VALUES ('x', 'law')",
    "UPDATE records SET name_en = 'x'",
    "DELETE FROM records",
    "DROP TABLE records",
    "CREATE TABLE t (a)",
    "CREATE TEMP TABLE t (a)",
    "CREATE INDEX i ON records (name_en)",
    "ALTER TABLE records ADD COLUMN z",
    "ATTACH DATABASE '{tmp}/evil.sqlite' AS evil",
    "VACUUM INTO '{tmp}/copy2.sqlite'",
    "PRAGMA user_version = 7",
    "PRAGMA journal_mode = WAL",
    "REINDEX",
    "ANALYZE",
    "BEGIN",
    "SELECT 1; DELETE FROM records",
    "INSERT INTO records_fts(records_fts) VALUES ('delete-all')",
    "INSERT INTO records_fts(records_fts) VALUES ('rebuild')",
    "WITH x AS (SELECT 1) DELETE FROM records",
]


@pytest.mark.parametrize("statement", WRITES)
def test_writes_are_refused_and_change_nothing(kb, db_copy, tmp_path, statement):
    before = hashlib.sha256(db_copy.read_bytes()).hexdigest()
    files_before = sorted(p.name for p in tmp_path.iterdir())
    result = kb("sql", statement.format(tmp=tmp_path), db=db_copy)
    assert result.exit_code == 2, (statement, result.stdout, result.stderr)
    assert "read-only" in result.stderr or "one statement" in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
    assert hashlib.sha256(db_copy.read_bytes()).hexdigest() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == files_before, "no file created"


def test_sql_errors_are_usage_errors(kb):
    result = kb("sql", "SELEC id FROM records")
    assert result.exit_code == 2 and "SQL error" in result.stderr


TABLES = ["records", "figures", "evidence", "links", "articles", "sources", "regions", "mechanisms", "instruments",
          "blockages", "record_terms"]


@pytest.mark.parametrize("table", TABLES)
def test_export_each_table(kb, table):
    out = kb("export", table)
    assert out.exit_code == 0, out.stderr
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    assert rows, table
    js = json.loads(kb("export", table, "-f", "json").stdout)
    assert len(js) == len(rows)


def test_export_all_to_a_directory(kb, tmp_path):
    result = kb("export", "--all", "--dir", str(tmp_path / "out"), "-f", "tsv")
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted([f"{t}.tsv" for t in TABLES] + ["datapackage.json"])
    assert result.stdout == ""


def test_export_to_output_file(kb, tmp_path):
    target = tmp_path / "figs.jsonl"
    result = kb("export", "figures", "-f", "jsonl", "--output", str(target))
    assert result.exit_code == 0 and result.stdout == ""
    lines = target.read_text(encoding="utf-8").splitlines()
    assert lines and all(json.loads(l)["unit"] for l in lines)


def test_export_usage_errors(kb):
    assert kb("export").exit_code == 2
    assert kb("export", "--all").exit_code == 2
    assert kb("export", "widgets").exit_code == 2
