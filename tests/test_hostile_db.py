"""Hostile input, databases: damaged, foreign, half-kb, unreadable, locked or poisoned databases
end in one clear line and the right exit code; an explicit --db is never rebuilt (nor changed),
a damaged cache database is; text in a database reaches no terminal raw, in any format."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import sqlite3
import subprocess
import sys
import threading
import time

import pytest
from conftest import GOOD
from hostile import Run, expect, kb_inprocess, kb_process, snapshot, unprivileged

CAT = "databases"


@pytest.fixture
def folder(tmp_path):
    d = tmp_path / "dbs"
    d.mkdir()
    return d


@pytest.fixture
def db(mini_db, folder):
    path = folder / "kb.sqlite"
    shutil.copy(mini_db, path)
    return path


def _rootpage(path, table: str) -> tuple[int, int]:
    with sqlite3.connect(path) as conn:
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (table,)).fetchone()[0]
    return root, page_size


def corrupt(path, table: str = "record_docs") -> None:
    """Overwrite the first page of ``table`` with junk; the rest (meta included) stays readable."""
    root, size = _rootpage(path, table)
    with open(path, "r+b") as fh:
        fh.seek((root - 1) * size)
        fh.write(b"\xde\xad\xbe\xef" * (size // 4))


def test_damaged_explicit_db_is_reported_never_rebuilt(db):
    corrupt(db)
    before = snapshot(db.parent)
    run = kb_inprocess("query", "--db", str(db))
    expect(run, 1, "is damaged (database disk image is malformed); rebuild it with: kb load --db", category=CAT,
           case="damaged pages, meta readable, explicit --db", out="")
    assert snapshot(db.parent) == before


@pytest.mark.parametrize("command", [("show", "xian-poc"), ("search", "西安"), ("export", "records"),
                                     ("cite", "xian-poc"), ("sql", "SELECT * FROM record_docs"), ("list", "practices")])
def test_damaged_explicit_db_in_every_command(db, command):
    corrupt(db)
    before = snapshot(db.parent)
    run = kb_inprocess(*command, "--db", str(db))
    expect(run, 1, "is damaged", category=CAT, case=f"damaged --db, kb {command[0]}", out="")
    assert snapshot(db.parent) == before


def test_damaged_cache_database_is_rebuilt(tmp_path):
    seed = tmp_path / "seed.yaml"
    shutil.copy(GOOD, seed)
    env = {"KB_SEED": str(seed), "KB_CACHE_DIR": str(tmp_path / "cache")}
    assert kb_inprocess("list", env=env).code == 0
    (cache,) = (tmp_path / "cache").glob("kb-*.sqlite")
    corrupt(cache)
    run = kb_inprocess("query", "-f", "json", env=env)
    expect(run, 0, "is damaged (database disk image is malformed); rebuilding it", category=CAT,
           case="damaged cache database", lines=None)
    assert "building the database" in run.err
    assert "xian-poc" in run.out
    with sqlite3.connect(cache) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


@pytest.mark.parametrize("what", ["a text file", "an empty file", "truncated"])
def test_unusable_cache_database_is_rebuilt(tmp_path, what):
    seed = tmp_path / "seed.yaml"
    shutil.copy(GOOD, seed)
    env = {"KB_SEED": str(seed), "KB_CACHE_DIR": str(tmp_path / "cache")}
    assert kb_inprocess("list", env=env).code == 0
    (cache,) = (tmp_path / "cache").glob("kb-*.sqlite")
    if what == "a text file":
        cache.write_text("id,name\n1,x\n")
    elif what == "an empty file":
        cache.write_bytes(b"")
    else:
        data = cache.read_bytes()
        cache.write_bytes(data[: len(data) // 3])
    run = kb_inprocess("query", "-f", "json", env=env)
    expect(run, 0, "building the database", category=CAT, case=f"cache database is {what}", lines=None)
    assert "xian-poc" in run.out


def _other_app(path):
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")


def _drop(table):
    def f(path):
        with sqlite3.connect(path) as conn:
            conn.execute(f"DROP TABLE {table}")
    return f


def _schema(version):
    def f(path):
        with sqlite3.connect(path) as conn:
            conn.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (version,))
    return f


def _empty_meta(path):
    with sqlite3.connect(path) as conn:
        conn.execute("DELETE FROM meta")


def _truncate(path):
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _header(path):
    with open(path, "r+b") as fh:
        fh.seek(16)
        fh.write(b"\xff\xff\xff\xff")  # page size and versions: nonsense


BAD_DBS = {
    "an empty file": (lambda p: p.write_bytes(b""), 1, "not a kb database (it has none of kb's tables)"),
    "random bytes": (lambda p: p.write_bytes(os.urandom(8192)), 1, "not a kb database (not an SQLite database file)"),
    "a CSV file": (lambda p: p.write_text("id,name\n1,x\n"), 1, "not an SQLite database file"),
    "another program's SQLite database": (_other_app, 1, "it has none of kb's tables"),
    "no figures table": (_drop("figures"), 1, "not a kb database (no table figures)"),
    "no meta table": (_drop("meta"), 1, "not a kb database (no table meta)"),
    "no search index": (_drop("records_fts"), 1, "not a kb database (no table records_fts)"),
    "another schema version": (_schema("999"), 1, "built by another version of kb"),
    "an empty meta table": (_empty_meta, 1, "built by another version of kb"),
    "truncated to half": (_truncate, 1, "is damaged"),
    "a damaged header": (_header, 1, "kb"),
    "the schema page damaged": (lambda p: corrupt(p, "sqlite_master") if False else _zero_page1(p), 1, "kb"),
}


def _zero_page1(path):
    with open(path, "r+b") as fh:
        fh.seek(100)
        fh.write(b"\x00" * 400)


@pytest.mark.parametrize("name", BAD_DBS)
def test_a_bad_explicit_database(folder, mini_db, name):
    make, code, message = BAD_DBS[name]
    path = folder / "kb.sqlite"
    if name in ("an empty file", "random bytes", "a CSV file", "another program's SQLite database"):
        make(path)
    else:
        shutil.copy(mini_db, path)
        make(path)
    before = snapshot(folder)
    run = kb_inprocess("query", "--db", str(path))
    expect(run, code, message, category=CAT, case=f"--db is {name}", out="")
    assert "kb load" in run.err or "not a kb database" in run.err or "damaged" in run.err
    assert snapshot(folder) == before


def test_reading_a_wal_database_creates_no_files(db):
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA journal_mode = WAL").fetchone()[0] == "wal"
    assert sorted(p.name for p in db.parent.iterdir()) == ["kb.sqlite"]
    before = snapshot(db.parent)
    for args in (("query",), ("sql", "SELECT count(*) AS n FROM records"), ("show", "xian-poc")):
        run = kb_inprocess(*args, "--db", str(db))
        assert run.code == 0, run.err
    expect(run, 0, category=CAT, case="a WAL-mode --db", lines=None)
    assert sorted(p.name for p in db.parent.iterdir()) == ["kb.sqlite"], "no -wal or -shm file"
    assert snapshot(db.parent) == before


def test_a_wal_database_with_a_log_is_read_with_it(db):
    """A -wal file that exists (a writer is at work) holds committed rows: they are read."""
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA wal_autocheckpoint = 0")
    conn.execute("UPDATE record_docs SET doc = json_set(doc, '$.name_en', 'Renamed in the log')")
    conn.commit()
    try:
        run = kb_inprocess("query", "-f", "csv", "--db", str(db))
        expect(run, 0, category=CAT, case="a WAL-mode --db with a live log", lines=None)
        assert "Renamed in the log" in run.out
    finally:
        conn.close()


def test_an_unreadable_database_is_not_called_foreign(db):
    db.chmod(0o000)
    try:
        run = kb_process("query", "--db", str(db), **unprivileged())
    finally:
        db.chmod(0o644)
    expect(run, 1, "cannot read the database", category=CAT, case="--db without read permission", out="")
    assert "Permission denied" in run.err and "not a kb database" not in run.err


def test_a_database_in_a_folder_without_search_permission(db):
    db.parent.chmod(0o600)
    try:
        run = kb_process("query", "--db", str(db), **unprivileged())
    finally:
        db.parent.chmod(0o755)
    expect(run, 1, "Permission denied", category=CAT, case="--db in a folder without search permission", out="")


def test_an_unwritable_cache_folder(tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir(mode=0o555)
    os.chmod(tmp_path, 0o755)
    try:
        run = kb_process("list", env={"KB_CACHE_DIR": str(cache), "KB_SEED": str(GOOD)}, **unprivileged())
    finally:
        cache.chmod(0o755)
    expect(run, 1, "could not build the database", category=CAT, case="an unwritable cache folder", lines=1)
    assert "Permission denied" in run.err


def test_a_cache_folder_that_is_a_file(tmp_path):
    cache = tmp_path / "cache"
    cache.write_text("not a folder")
    run = kb_inprocess("list", env={"KB_CACHE_DIR": str(cache), "KB_SEED": str(GOOD)})
    expect(run, 1, "could not build the database", category=CAT, case="KB_CACHE_DIR names a file", lines=None)
    assert cache.read_text() == "not a folder"


SPECIAL = {
    "a folder": (lambda d: d, 2, "is a directory"),
    "a named pipe": (lambda d: (os.mkfifo(d / "fifo"), d / "fifo")[1], 1, "not a regular file"),
    "/dev/zero": (lambda d: "/dev/zero", 1, "not a regular file"),
    "a symbolic link loop": (lambda d: (os.symlink(d / "b", d / "a"), os.symlink(d / "a", d / "b"), d / "a")[2], 1,
                             "Too many levels of symbolic links"),
    "a 300-character name": (lambda d: d / ("x" * 300 + ".sqlite"), 2, "file name too long"),
    "a 5000-character path": (lambda d: "/".join(["y" * 200] * 25), 2, "file name too long"),
    "a missing file": (lambda d: d / "none.sqlite", 1, "no database at"),
    "a file inside a file": (lambda d: ((d / "f").write_text("x"), d / "f" / "kb.sqlite")[1], 1, "Not a directory"),
}


@pytest.mark.parametrize("name", SPECIAL)
def test_special_paths_as_db(folder, name):
    make, code, message = SPECIAL[name]
    path = make(folder)
    run = kb_process("query", "--db", str(path), timeout=20)
    expect(run, code, message, category=CAT, case=f"--db is {name}", out="", seconds=5)


@pytest.mark.slow
@pytest.mark.timing
def test_a_locked_database(db):
    """Another program holds an exclusive lock: kb waits a moment, then says so."""
    ready = threading.Event()
    done = threading.Event()

    def hold():
        conn = sqlite3.connect(db)
        conn.execute("BEGIN EXCLUSIVE")
        ready.set()
        done.wait(30)
        conn.rollback()
        conn.close()

    t = threading.Thread(target=hold)
    t.start()
    ready.wait(5)
    try:
        run = kb_process("query", "--db", str(db))
    finally:
        done.set()
        t.join()
    expect(run, 1, "locked", category=CAT, case="--db locked by another program", out="", seconds=15)


def test_KB_DB_that_does_not_exist(tmp_path):
    run = kb_inprocess("query", env={"KB_DB": str(tmp_path / "gone.sqlite")})
    expect(run, 1, "no database at", category=CAT, case="KB_DB names a missing file", out="")


# ---------------------------------------------------------------- poisoned text
P = "\x1b]0;PWNED\x07\x1b[31m\u202e\u2066\x9b2J"
TEXT = {"name_zh", "name_en", "summary_en", "title", "title_en", "citation_note", "publisher", "container_title",
        "quote", "locator", "note", "notes", "label_en", "original", "description_en", "gist_en", "name"}


def _poison(obj):
    if isinstance(obj, dict):
        return {k: (v + P if k in TEXT and isinstance(v, str) else _poison(v)) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_poison(v) for v in obj]
    return obj


@pytest.fixture(scope="module")
def poisoned(tmp_path_factory):
    """A database whose every name, summary, quote, locator and note carries escapes and bidi overrides
    (a --db is any file a user was given)."""
    from kbcli.store.build import build

    path = tmp_path_factory.mktemp("poison") / "kb.sqlite"
    build(GOOD, path)
    with sqlite3.connect(path) as conn:
        for table, cols in (("sources", ("title", "title_en", "citation_note", "publisher", "container_title")),
                            ("terms", ("name_zh", "name_en", "description_en")),
                            ("records", ("name_zh", "name_en", "summary_en")),
                            ("figures", ("label_en", "original", "note")), ("evidence", ("quote", "locator", "note")),
                            ("articles", ("gist_en",))):
            for c in cols:
                conn.execute(f"UPDATE {table} SET {c} = {c} || ? WHERE {c} IS NOT NULL", (P,))
        for table in ("sources", "terms", "record_docs"):
            for rowid, doc in conn.execute(f"SELECT rowid, doc FROM {table}").fetchall():
                conn.execute(f"UPDATE {table} SET doc = ? WHERE rowid = ?", (json.dumps(_poison(json.loads(doc))),
                                                                            rowid))
    return path


POISONED = [
    ("query",), ("query", "-f", "csv"), ("query", "-f", "json"), ("query", "-f", "md"), ("query", "-f", "tsv"),
    ("search", "西安"), ("search", "西安", "-f", "jsonl"), ("show", "xian-poc"), ("show", "xian-poc", "-f", "md"),
    ("show", "src"), ("show", "xian"), ("list", "sources"), ("list", "regions"), ("list", "practices"),
    ("figures",), ("figures", "-f", "csv"), ("crosstab", "region", "kind"), ("export", "records"),
    ("export", "evidence", "-f", "md"), ("sql", "SELECT * FROM evidence"),
    ("cite", "xian-poc"), ("cite", "xian-poc", "--quote"), ("cite", "xian-poc", "-s", "apa", "--quote"),
    ("cite", "xian-poc", "-s", "bibtex", "--quote"), ("cite", "xian-poc", "-s", "csl-json", "--quote"),
    ("cite", "xian-poc", "-s", "ris", "--quote"), ("cite", "xian-poc", "-s", "markdown"),
    ("cite", "law-a#art9", "--quote"),
    ("ask", "西安 概念验证"), ("ask", "西安 概念验证", "-f", "json"), ("compare", "xian", "shaanxi"),
    ("timeline",), ("graph", "xian-poc"), ("graph", "xian-poc", "-f", "dot"), ("graph", "xian-poc", "-f", "mermaid"),
    ("graph", "xian-poc", "-f", "json"), ("chart", "subsidy-cap", "--by", "region", "-f", "csv"),
    ("chart", "--crosstab", "region", "kind"),
]


@pytest.mark.parametrize("args", POISONED, ids=" ".join)
def test_text_in_the_database_prints_escaped(poisoned, args):
    run = kb_inprocess(*args, "--db", str(poisoned))
    expect(run, 0, category=CAT, case=f"poisoned --db: kb {' '.join(args)}", lines=None)
    if args != ("graph", "xian-poc"):  # that table lists edges, ids only
        assert "PWNED" in run.out + run.err, "the poisoned text was printed (escaped)"


def test_the_restricted_note_prints_escaped(poisoned):
    run = kb_inprocess("show", "xian-poc", "--db", str(poisoned))
    expect(run, 0, "asks not to be cited", category=CAT, case="poisoned citation note on stderr", lines=1)
    assert "\\x1b]0;PWNED\\x07" in run.err


@pytest.mark.parametrize("args", [("query",), ("show", "xian-poc"), ("cite", "xian-poc", "--quote"),
                                  ("chart", "subsidy-cap", "--by", "region"), ("timeline",), ("ask", "西安")],
                         ids=" ".join)
def test_poisoned_text_in_a_terminal(poisoned, args):
    """Rich output in a real pseudo-terminal: only Rich's own styling escapes, no title change or bidi."""
    cmd = " ".join(shlex.quote(a) for a in [sys.executable, "-m", "kbcli", *args, "--db", str(poisoned)])
    t = time.monotonic()
    out = subprocess.run(["script", "-qec", cmd, "/dev/null"], capture_output=True, text=True, timeout=30,
                         env={"PATH": "/usr/bin:/bin", "COLUMNS": "100", "TERM": "xterm", "HOME": str(poisoned.parent)})
    run = Run(out.returncode, "", out.stderr, time.monotonic() - t)
    expect(run, 0, category=CAT, case=f"poisoned --db in a terminal: kb {' '.join(args)}", lines=0, clean=False)
    tty = out.stdout
    assert "PWNED" in tty
    for raw in ("\x1b]", "\x07", "\u202e", "\u2066", "\x9b", "\x1b[31m"):
        assert raw not in tty, repr(raw)
