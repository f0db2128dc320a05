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


KINDS = ["laws", "pilots", "models", "practices"]


@pytest.mark.parametrize("table", TABLES + KINDS)
def test_every_format_of_an_export_has_the_same_columns(kb, table):
    header = next(csv.reader(io.StringIO(kb("export", table).stdout)))
    tsv_header = kb("export", table, "-f", "tsv").stdout.splitlines()[0].split("\t")
    md_header = [c.strip() for c in kb("export", table, "-f", "md").stdout.splitlines()[0].strip("|").split("|")]
    rows = json.loads(kb("export", table, "-f", "json").stdout)
    lines = [json.loads(line) for line in kb("export", table, "-f", "jsonl").stdout.splitlines()]
    assert header == tsv_header == md_header
    assert all(list(r) == header for r in rows) and all(list(r) == header for r in lines)


def test_record_exports_carry_the_law_fields_and_date_ranges(kb):
    rows = {r["id"]: r for r in csv.DictReader(io.StringIO(kb("export", "laws").stdout))}
    sttl = rows["law-sttl"]
    assert sttl["level"] and sttl["issuers"] and sttl["date_start"] and sttl["date_end"] >= sttl["date_start"]
    assert {r["kind"] for r in rows.values()} == {"law"}
    assert any(r["doc_number"] for r in rows.values())
    js = {r["id"]: r for r in json.loads(kb("export", "laws", "-f", "json").stdout)}
    assert js["law-sttl"]["date_start"] == sttl["date_start"] and isinstance(js["law-sttl"]["issuers"], list)
    # a list in csv is its JSON items joined with '; '
    assert sttl["issuers"] == "; ".join(js["law-sttl"]["issuers"])


def test_export_takes_record_kinds_singular_or_plural_and_names_the_closest(kb):
    practices = list(csv.DictReader(io.StringIO(kb("export", "practices").stdout)))
    assert len(practices) == 250 and {r["kind"] for r in practices} == {"practice"}
    assert kb("export", "practice").stdout == kb("export", "practices").stdout
    assert kb("export", "region").stdout == kb("export", "regions").stdout
    bad = kb("export", "practis")
    assert bad.exit_code == 2 and "did you mean practices" in bad.stderr and bad.stdout == ""


def test_bom_for_spreadsheets(kb, tmp_path):
    out = kb("export", "practices", "--bom")
    assert out.exit_code == 0 and out.stdout.startswith("\ufeffid,kind,")
    target = tmp_path / "p.csv"
    assert kb("export", "figures", "--bom", "-o", str(target)).exit_code == 0
    assert target.read_bytes().startswith(b"\xef\xbb\xbfowner,")
    for fmt in ("json", "jsonl", "md"):
        refused = kb("export", "figures", "--bom", "-f", fmt)
        assert refused.exit_code == 2 and "--bom" in refused.stderr and refused.stdout == ""


@pytest.mark.parametrize("fmt", ["csv", "tsv"])
def test_datapackage_describes_the_export_and_validates(kb, tmp_path, fmt):
    import frictionless

    folder = tmp_path / "out"
    assert kb("export", "--all", "--dir", str(folder), "-f", fmt, "--bom").exit_code == 0
    package = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    names = {r["path"] for r in package["resources"]}
    assert names == {f"{t}.{fmt}" for t in TABLES}
    resources = {r["name"]: r for r in package["resources"]}
    fields = {f["name"]: f for f in resources["figures"]["schema"]["fields"]}
    assert fields["value"]["type"] == "number" and fields["restricted"]["type"] == "boolean"
    assert "'; '" in fields["sources"]["description"]
    # licences: the data's (MIT) and the quotes' (their sources' own), stated apart, as the README does
    assert [lic["name"] for lic in package["licenses"]] == ["MIT", "other-closed"]
    assert "remain their sources' own" in package["licenses"][1]["title"]
    assert [lic["name"] for lic in resources["evidence"]["licenses"]] == ["MIT", "other-closed"]
    assert [lic["name"] for lic in resources["links"]["licenses"]] == ["MIT"], "no quote in the links"
    # the five source documents, the one that asks not to be cited saying so
    assert len(package["sources"]) == 5
    assert sum("NOT FOR CITATION" in s["title"] for s in package["sources"]) == 1
    # a key for every table, foreign keys between the files, typed dates and flags
    assert all(r["schema"]["primaryKey"] for r in package["resources"])
    foreign = {(r["name"], fk["fields"], fk["reference"]["resource"] or r["name"])
               for r in package["resources"] for fk in r["schema"].get("foreignKeys", ())}
    assert {("records", "part_of", "records"), ("links", "src", "records"), ("links", "dst", "records"),
            ("articles", "law", "records"), ("evidence", "source", "sources"), ("sources", "part_of", "sources"),
            ("record-terms", "record", "records"), ("regions", "parent", "regions"),
            ("blockages", "parent", "blockages")} <= foreign
    records = {f["name"]: f for f in resources["records"]["schema"]["fields"]}
    assert records["date_start"]["type"] == records["date_end"]["type"] == "date"
    assert records["restricted"]["type"] == "boolean" and records["date"]["constraints"]["pattern"]
    assert records["kind"]["constraints"]["enum"] == ["law", "pilot", "model", "practice"]
    assert "Blockages (堵点) it addresses" in records["addresses"]["description"], "the database's description"
    report = frictionless.validate(str(folder / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])[:10]


def test_datapackage_validation_checks_the_keys(kb, tmp_path):
    """frictionless does check the declared keys: a link to no record, a region under no region and a
    repeated quote each make the package invalid."""
    import frictionless

    folder = tmp_path / "out"
    assert kb("export", "--all", "--dir", str(folder)).exit_code == 0
    links = (folder / "links.csv").read_text(encoding="utf-8").splitlines()
    head, first = links[0].split(","), next(csv.reader([links[1]]))
    first[head.index("dst")] = "no-such-record"
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(first)
    (folder / "links.csv").write_text("\n".join([links[0], out.getvalue().rstrip("\n"), *links[2:]]) + "\n",
                                      encoding="utf-8")
    regions = (folder / "regions.csv").read_text(encoding="utf-8").replace(",cn,", ",nowhere,", 1)
    (folder / "regions.csv").write_text(regions, encoding="utf-8")
    evidence = (folder / "evidence.csv").read_text(encoding="utf-8")
    (folder / "evidence.csv").write_text(evidence + evidence.split("\n", 2)[1] + "\n", encoding="utf-8")
    report = frictionless.validate(str(folder / "datapackage.json"))
    errors = {(t.name, e.type) for t in report.tasks for e in t.errors}
    assert {("links", "foreign-key"), ("regions", "foreign-key"), ("evidence", "primary-key")} <= errors, errors


def _values(v):
    """A value as every format and the database hold it: lists as tuples of ids, flags as 0/1, empty as None."""
    if isinstance(v, str) and v.startswith("["):
        try:
            v = json.loads(v)
        except ValueError:
            pass
    if isinstance(v, dict):
        return v.get("id", json.dumps(v, sort_keys=True))
    if isinstance(v, list):
        return tuple(_values(x) for x in v) or None
    if isinstance(v, bool):
        return int(v)
    return None if v == "" else v


# export table -> (database table, where) with the same rows
SAME_ROWS = {"records": ("records", ""), "sources": ("sources", ""), "links": ("links", ""),
             "figures": ("figures", ""), "evidence": ("evidence", ""),
             "articles": ("articles", ""), "record_terms": ("record_terms", ""),
             **{v: ("terms", f"WHERE vocab = '{v}'") for v in ("regions", "mechanisms", "instruments", "blockages")}}


@pytest.mark.parametrize("table", list(SAME_ROWS))
def test_one_name_for_each_column_in_the_database_and_the_export(kb, real_db, table):
    """A column that holds the same values in the database (so in Datasette's CSV) and in kb export has
    the same name in both: a record's blockages are `addresses` everywhere (the database said
    `blockages`). Columns of the same name hold the same values."""
    import sqlite3

    exported = json.loads(kb("export", table, "-f", "json").stdout)
    source, where = SAME_ROWS[table]
    with sqlite3.connect(real_db) as conn:
        cur = conn.execute(f"SELECT * FROM {source} {where}")
        names = [d[0] for d in cur.description]
        rows = [dict(zip(names, r)) for r in cur.fetchall()]
    assert len(rows) == len(exported)

    def column(data, name):
        return sorted((_values(r.get(name)) for r in data), key=repr)

    theirs = {n: column(rows, n) for n in names}
    for name in exported[0]:
        ours = column(exported, name)
        if len(set(map(repr, ours))) < 3:  # a flag or a mostly empty column proves nothing
            continue
        twins = [n for n, vals in theirs.items() if vals == ours and n != name]
        assert not twins, f"{table}.{name} is {twins} in the database"
        if name in theirs:
            assert theirs[name] == ours, f"{table}.{name} holds other values in the database"
    if table == "records":
        assert "addresses" in names and "blockages" not in names
