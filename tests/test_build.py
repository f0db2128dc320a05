"""Loading: atomic builds, the embedded default database, freshness against the seed."""

from __future__ import annotations

import hashlib
import shutil
import sqlite3

from conftest import GOOD, SEEDS


def _meta(path):
    with sqlite3.connect(path) as conn:
        return dict(conn.execute("SELECT key, value FROM meta"))


def test_load_builds_database_with_seed_hash(cli, tmp_path):
    db = tmp_path / "kb.sqlite"
    result = cli("load", str(GOOD), "--db", str(db))
    assert result.exit_code == 0, result.stderr
    assert "loaded" in result.stderr and result.stdout == ""
    meta = _meta(db)
    assert meta["seed_sha256"] == hashlib.sha256(GOOD.read_bytes()).hexdigest()
    assert list(tmp_path.iterdir()) == [db], "no temporary files left behind"


def test_failed_load_leaves_database_byte_for_byte_unchanged(cli, tmp_path):
    db = tmp_path / "kb.sqlite"
    assert cli("load", str(GOOD), "--db", str(db)).exit_code == 0
    before = db.read_bytes()
    for bad in sorted((SEEDS / "bad").glob("*.yaml")):
        result = cli("load", str(bad), "--db", str(db))
        assert result.exit_code == 1, bad
        assert db.read_bytes() == before, bad
    assert list(tmp_path.iterdir()) == [db], "no temporary files left behind"


def test_default_database_is_built_on_first_use_and_rebuilt_when_seed_changes(cli, tmp_path):
    seed = tmp_path / "seed.yaml"
    shutil.copy(GOOD, seed)
    env = {"KB_SEED": str(seed)}
    first = cli("query", "--format", "json", env=env)
    assert first.exit_code == 0, first.stderr
    assert "building the database" in first.stderr
    again = cli("query", "--format", "json", env=env)
    assert "building" not in again.stderr, "a fresh database is reused"
    assert again.stdout == first.stdout
    text = seed.read_text(encoding="utf-8").replace("name_en: Xi'an proof of concept", "name_en: Renamed practice")
    seed.write_text(text, encoding="utf-8")
    changed = cli("query", "--format", "json", env=env)
    assert "building the database" in changed.stderr
    assert "Renamed practice" in changed.stdout
    caches = list((tmp_path / "cache").glob("kb-*.sqlite"))
    assert len(caches) == 1 and _meta(caches[0])["seed_sha256"] == hashlib.sha256(seed.read_bytes()).hexdigest()


def test_touching_the_seed_without_changing_it_does_not_rebuild(cli, tmp_path):
    seed = tmp_path / "seed.yaml"
    shutil.copy(GOOD, seed)
    env = {"KB_SEED": str(seed)}
    assert cli("list", env=env).exit_code == 0
    seed.touch()
    seed.write_bytes(seed.read_bytes())
    result = cli("list", env=env)
    assert result.exit_code == 0 and "building" not in result.stderr


def test_packaged_seed_is_the_default(cli):
    result = cli("list", "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert "building the database" in result.stderr
    from kbcli.paths import packaged_seed

    assert packaged_seed().name == "seed.yaml" and packaged_seed().exists()


def test_explicit_db_that_does_not_exist(cli, tmp_path):
    result = cli("query", "--db", str(tmp_path / "none.sqlite"))
    assert result.exit_code == 1
    assert "no database at" in result.stderr and "kb load" in result.stderr


def test_kb_db_environment_variable(cli, mini_db):
    result = cli("query", "--format", "jsonl", env={"KB_DB": str(mini_db)})
    assert result.exit_code == 0
    assert [l for l in result.stdout.splitlines() if l] and "xian-poc" in result.stdout


def test_db_and_seed_together_keep_that_file_fresh(cli, tmp_path):
    db = tmp_path / "own.sqlite"
    result = cli("query", "--db", str(db), "--seed", str(GOOD), "-f", "json")
    assert result.exit_code == 0 and db.exists()
    meta = _meta(db)
    assert meta["seed_file"] == GOOD.name
    # the database is published as it is: no path of the builder's machine in it
    assert not any(str(GOOD.parent) in (v or "") or str(tmp_path) in (v or "") for v in meta.values())
    with sqlite3.connect(db) as conn:
        dump = "\n".join(conn.iterdump())
    assert str(GOOD.parent) not in dump and str(tmp_path) not in dump


def test_unwritable_target_is_a_clean_error(cli, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    result = cli("load", str(GOOD), "--db", str(blocker / "kb.sqlite"))
    assert result.exit_code == 1
    assert "could not build the database" in result.stderr and "Traceback" not in result.stderr


def test_a_seed_whose_records_come_before_their_sources_and_terms_builds_the_same_rows(tmp_path):
    """Sections may come in any order: a record's row carries its terms' names and its sources' restriction,
    so a record met before them is made at the end."""
    text = GOOD.read_text(encoding="utf-8")
    head, rest = text.split("\nsources:", 1)
    vocab_and_sources, records = rest.split("\nlaws:", 1)
    reordered = tmp_path / "reordered.yaml"
    reordered.write_text(head + "\nlaws:" + records.rstrip("\n") + "\n\nsources:" + vocab_and_sources, encoding="utf-8")
    rows = {}
    for name, seed in (("good", GOOD), ("reordered", reordered)):
        db = tmp_path / f"{name}.sqlite"
        from kbcli.store.build import build

        build(seed, db)
        with sqlite3.connect(db) as conn:
            rows[name] = (conn.execute("SELECT id, regions, sources, restricted, citation_note, tags_zh FROM records "
                                       "ORDER BY id").fetchall(),
                          conn.execute("SELECT id, restricted FROM sources ORDER BY id").fetchall(),
                          conn.execute("PRAGMA foreign_key_check").fetchall())
    assert rows["good"] == rows["reordered"] and rows["good"][2] == []
    assert any(r[3] == 1 for r in rows["good"][0])
