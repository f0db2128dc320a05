"""Hostile input, files: inputs that are outputs and files that are not files.

Every option that takes a file is given a named pipe with no other end, /dev/zero (or a character
device like it), a directory, a symbolic link to the database and a name equal to another argument;
each answers with its line and exit code in bounded time, and nothing changes but what the command
is meant to write. Outputs never overwrite inputs (through symbolic and hard links); the seed is read
once (a pipe's seed builds; a seed renamed over during a build is seen afterwards); endless or
binary inputs end at once; the alias budget counts characters; the build has a memory ceiling; a
killed writer is named. Decisions per option: README, "Files kb reads and writes"."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import GOOD
from hostile import KB, Process, Run, big_seed, expect, kb_inprocess, kb_process, snapshot, wait_until

CAT = "files"
WAIT = {"KB_PIPE_WAIT": "0.5"}  # how long kb waits at a named pipe with no other end (5 s by default)
KINDS = ("a named pipe", "a device", "a directory", "a link to the database", "a name given twice")
# the quotes of tests/seeds/good.yaml, as a source text: verify-quotes and coverage find them all
SOURCE_TEXT = "第九条规定\n\n某法出台\n\n给予最高100万元补贴\n\n西安支持概念验证中心\n"


@pytest.fixture
def place(tmp_path, mini_db):
    """A folder with a database, a seed, a sources folder and an exclusions file of its own."""
    base = tmp_path / "w"
    base.mkdir()
    shutil.copy(mini_db, base / "kb.sqlite")
    shutil.copy(GOOD, base / "seed.yaml")
    (base / "src").mkdir()
    (base / "src" / "src.txt").write_text(SOURCE_TEXT, encoding="utf-8")
    (base / "ex.yaml").write_text("exclusions: []\n", encoding="utf-8")
    return base


def _device(path: Path) -> Path | None:
    """A character device made where the test may write: the same device as /dev/zero, so that a kb that
    wrongly renamed a file over it would replace this node, never the system's. None where mknod fails."""
    try:
        os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(1, 5))
    except (OSError, AttributeError):
        return None
    return path


def _hostile(kind: str, w: Path, suffix: str = "", device: str = "/dev/zero") -> str:
    """The hostile file of ``kind`` (not used for "a name given twice")."""
    if kind == "a named pipe":
        os.mkfifo(w / f"pipe{suffix}")
        return str(w / f"pipe{suffix}")
    if kind == "a device":
        if device == "/dev/zero":
            return device
        made = _device(w / f"dev{suffix}")
        if made is None:
            pytest.skip("cannot make a device node here")
        return str(made)
    if kind == "a directory":
        (w / f"dir{suffix}").mkdir()
        return str(w / f"dir{suffix}")
    (w / f"dblink{suffix}").symlink_to(w / "kb.sqlite")
    return str(w / f"dblink{suffix}")


PIPE_IN = (1, "is a named pipe and nothing was written to it in 0.5 s")
NOT_TEXT = (1, "it is not a text file (it holds NUL bytes)")
DIR_IN = (1, "it is a directory, not a file")
SEED_TWICE = (2, "is the seed that this command reads: writing it would destroy it")
DB_TWICE = (2, "is the database that this command reads: writing it would destroy it")
PIPE_OUT = (2, "is a named pipe and no process opened it for reading in 0.5 s")


# option -> (argv with P for the hostile path, the argv for "a name given twice", environment, expected by kind);
# an expectation of code 0 means the command does its work (a device is written to, a folder filled)
OPTIONS: dict[str, tuple] = {
    "validate SEED": (("validate", "P"), None, {}, {
        "a named pipe": PIPE_IN, "a device": NOT_TEXT, "a directory": DIR_IN, "a link to the database": NOT_TEXT}),
    "load SEED": (("load", "P", "--db", "W/new.sqlite"), ("load", "W/seed.yaml", "--db", "W/seed.yaml"), {}, {
        "a named pipe": PIPE_IN, "a device": NOT_TEXT, "a directory": DIR_IN, "a link to the database": NOT_TEXT,
        "a name given twice": SEED_TWICE}),
    "--seed": (("query", "--seed", "P"), ("query", "--seed", "W/seed.yaml", "--db", "W/seed.yaml"), {}, {
        "a named pipe": PIPE_IN, "a device": NOT_TEXT, "a directory": DIR_IN, "a link to the database": NOT_TEXT,
        "a name given twice": (2, "--db W/seed.yaml is the seed")}),
    "KB_SEED": (("list",), ("list", "--db", "W/seed.yaml"), {"KB_SEED": "P"}, {
        "a named pipe": PIPE_IN, "a device": NOT_TEXT, "a directory": DIR_IN, "a link to the database": NOT_TEXT,
        "a name given twice": SEED_TWICE}),
    "--db": (("query", "--db", "P"), ("query", "--db", "W/seed.yaml", "--seed", "W/seed.yaml"), {}, {
        "a named pipe": (1, "is not a database file (not a regular file)"),
        "a device": (1, "is not a database file (not a regular file)"),
        "a directory": (2, "is a directory, not a database file"), "a link to the database": (0, None),
        "a name given twice": SEED_TWICE}),
    "load --db": (("load", "W/seed.yaml", "--db", "P"), ("load", "W/seed.yaml", "--db", "W/seed.yaml"), {}, {
        "a named pipe": (2, "is not a database file (not a regular file)"),
        "a device": (2, "is not a database file (not a regular file)"),
        "a directory": (2, "is a directory, not a database file"), "a link to the database": (0, "loaded"),
        "a name given twice": SEED_TWICE}),
    "export -o": (("export", "records", "-o", "P", "--db", "W/kb.sqlite"),
                  ("export", "records", "-o", "W/kb.sqlite", "--db", "W/kb.sqlite"), {}, {
        "a named pipe": PIPE_OUT, "a device": (0, None), "a directory": (2, "it is a directory"),
        "a link to the database": (2, "is the database (W/kb.sqlite) that this command reads"),
        "a name given twice": DB_TWICE}),
    "cite -o": (("cite", "law-a", "-o", "P", "--db", "W/kb.sqlite"),
                ("cite", "law-a", "-o", "W/kb.sqlite", "--db", "W/kb.sqlite"), {}, {
        "a named pipe": PIPE_OUT, "a device": (0, None), "a directory": (2, "it is a directory"),
        "a link to the database": (2, "is the database (W/kb.sqlite) that this command reads"),
        "a name given twice": DB_TWICE}),
    "graph -o": (("graph", "law-a", "-o", "P", "--db", "W/kb.sqlite"),
                 ("graph", "law-a", "-o", "W/kb.json", "--db", "W/kb.json"), {}, {
        "a named pipe": PIPE_OUT, "a device": (0, "wrote"), "a directory": (2, "it is a directory"),
        "a link to the database": (2, "is the database (W/kb.sqlite) that this command reads"),
        "a name given twice": DB_TWICE}),
    "--exclusions": (("coverage", "--seed", "W/seed.yaml", "--sources", "W/src", "--exclusions", "P"),
                     ("coverage", "--seed", "W/seed.yaml", "--sources", "W/src", "--exclusions", "W/seed.yaml"), {}, {
        "a named pipe": (1, "cannot read the exclusions W/pipe: it is a named pipe and nothing was written"),
        "a device": (1, "cannot read the exclusions /dev/zero: it is not a text file"),
        "a directory": (1, "cannot read the exclusions W/dir: it is a directory"),
        "a link to the database": (1, "cannot read the exclusions W/dblink: it is not a text file"),
        "a name given twice": (1, "expected a list 'exclusions'")}),
    "--sources": (("verify-quotes", "--seed", "W/seed.yaml", "--sources", "P"),
                  ("verify-quotes", "--seed", "W/seed.yaml", "--sources", "W/seed.yaml"), {}, {
        "a named pipe": (2, "no sources folder at W/pipe"), "a device": (2, "no sources folder at /dev/zero"),
        "a directory": (2, "no source texts (*.txt) in W/dir"),
        "a link to the database": (2, "no sources folder at W/dblink"),
        "a name given twice": (2, "no sources folder at W/seed.yaml")}),
    "a source text": (("verify-quotes", "--seed", "W/seed.yaml", "--sources", "W/src"),
                      ("verify-quotes", "--seed", "W/src/src.txt", "--sources", "W/src"), {}, {
        "a named pipe": (2, "the source text W/src/src.txt: it is a pipe, not a regular file"),
        "a device": (2, "the source text W/src/src.txt: it is a character device, not a regular file"),
        "a directory": (2, "the source text W/src/src.txt: it is a directory"),
        "a link to the database": (1, "the source text W/src/src.txt: it is not a text file"),
        "a name given twice": (1, "the seed must be a mapping of sections")}),
    "export --all --dir": (("export", "--all", "--dir", "P", "--db", "W/kb.sqlite"),
                           ("export", "--all", "--dir", "W/out", "--db", "W/out/records.csv"), {}, {
        "a named pipe": (2, "cannot use --dir W/pipe"), "a device": (2, "cannot use --dir /dev/zero"),
        "a directory": (0, "datapackage.json: describes them"),
        "a link to the database": (2, "cannot use --dir W/dblink"),
        "a name given twice": (2, "--dir W/out/records.csv is the database that this command reads")}),
    "export --datasette": (("export", "--datasette", "P", "--db", "W/kb.sqlite"),
                           ("export", "--datasette", "W/out", "--db", "W/out/kb.db"), {}, {
        "a named pipe": (2, "--datasette W/pipe: not a directory"),
        "a device": (2, "--datasette /dev/zero: not a directory"),
        "a directory": (0, "wrote"), "a link to the database": (2, "--datasette W/dblink: not a directory"),
        "a name given twice": (2, "--datasette W/out/kb.db is the database that this command reads")}),
}


def _cases():
    for option, (_, _, _, expected) in OPTIONS.items():
        for kind in KINDS:
            if kind in expected:
                yield option, kind


@pytest.mark.parametrize(("option", "kind"), list(_cases()), ids=lambda v: v.replace(" ", "-"))
def test_every_file_option_with_every_kind_of_file(place, option, kind):
    argv, twice, env, expected = OPTIONS[option]
    w = place
    if kind == "a name given twice":
        args = list(twice)
        if option == "graph -o":
            shutil.copy(w / "kb.sqlite", w / "kb.json")
        elif option in ("export --all --dir", "export --datasette"):
            (w / "out").mkdir()
            shutil.copy(w / "kb.sqlite", w / "out" / ("records.csv" if "--all" in args else "kb.db"))
        hostile = str(w / "seed.yaml")  # KB_SEED given twice: as the seed and as --db
    else:
        suffix = ".json" if option == "graph -o" else ""
        device = "made" if option in ("load --db", "graph -o") else "/dev/zero"  # written to: never the system's
        if option == "a source text":  # the folder's one source text is the hostile file
            text = w / "src" / "src.txt"
            text.unlink()
            if kind == "a named pipe":
                os.mkfifo(text)
            elif kind == "a directory":
                text.mkdir()
            else:
                text.symlink_to("/dev/zero" if kind == "a device" else w / "kb.sqlite")
            hostile = str(text)
        else:
            hostile = _hostile(kind, w, suffix, device)
        args = list(argv)
    args = [a.replace("W/", f"{w}/") if a != "P" else hostile for a in args]
    run_env = {**WAIT, **{k: (hostile if v == "P" else v) for k, v in env.items()}}
    code, message = expected[kind]
    message = message.replace("W/", f"{w}/") if message else None
    # what a command that succeeds is meant to write: the folder it fills, the database it rebuilds
    keep = {"export --all --dir": (w / "dir",), "export --datasette": (w / "dir",),
            "load --db": (w / "kb.sqlite", w / "dblink")}.get(option, ()) if code == 0 else ()
    before = {k: v for k, v in snapshot(w).items() if not k.startswith(tuple(map(str, keep)))}
    run = kb_inprocess(*args, env=run_env)
    expect(run, code, message, category=CAT, case=f"{option}: {kind}", lines=None, seconds=20)
    if code:
        assert run.out == "", "nothing on stdout"
    after = {k: v for k, v in snapshot(w).items() if k in before}
    assert after == before, "nothing changed but what the command is meant to write"
    assert not [p for p in w.rglob("*.tmp")] and not [p for p in w.rglob(".*.lock")], "no temporary file left"
    if option == "load --db" and kind == "a link to the database":
        assert (w / "dblink").is_symlink(), "the link stays; the database it names is rebuilt"


# ---------------------------------------------------------------- outputs that are inputs, more ways
@pytest.mark.parametrize("link", ["hard", "symbolic"])
@pytest.mark.parametrize("command", ["load", "query"])
def test_a_link_to_the_seed_as_the_database(place, link, command):
    """The issue: cp data/seed.yaml s.yaml; kb load s.yaml --db s.yaml made s.yaml an SQLite file."""
    db = place / "link.sqlite"
    db.hardlink_to(place / "seed.yaml") if link == "hard" else db.symlink_to(place / "seed.yaml")
    before = snapshot(place)
    args = ("load", str(place / "seed.yaml"), "--db", str(db)) if command == "load" else \
        ("query", "--seed", str(place / "seed.yaml"), "--db", str(db))
    run = kb_inprocess(*args)
    expect(run, 2, "is the seed (", category=CAT, case=f"kb {command} --db: a {link} link to the seed")
    assert snapshot(place) == before and db.is_symlink() == (link == "symbolic")


@pytest.mark.parametrize("args", [("export", "records", "-o", "H", "--db", "W/kb.sqlite"),
                                  ("cite", "law-a", "-o", "H", "--db", "W/kb.sqlite"),
                                  ("export", "figures", "-o", "H", "--seed", "W/seed.yaml")], ids=lambda a: a[0])
def test_an_output_that_is_a_hard_link_to_an_input(place, args):
    target = place / ("kb.sqlite" if "--db" in args else "seed.yaml")
    (place / "hard").hardlink_to(target)
    before = snapshot(place)
    run = kb_inprocess(*[str(place / "hard") if a == "H" else a.replace("W/", f"{place}/") for a in args])
    expect(run, 2, "that this command reads: writing it would destroy it", category=CAT,
           case=f"kb {args[0]} -o: a hard link to {target.name}", lines=None)
    assert {k: v for k, v in snapshot(place).items() if k in before} == before


def test_stdout_redirected_into_the_database(place):
    db = place / "kb.sqlite"
    before = snapshot(db)
    with open(db, "a") as into:
        run = kb_process("export", "records", "--db", str(db), stdout=into)
    expect(run, 2, "the standard output is the database", category=CAT, case="kb export >> the database")
    assert snapshot(db) == before


def test_serve_metadata_into_the_database_it_serves(place):
    (place / "site").mkdir()
    shutil.copy(place / "kb.sqlite", place / "site" / "kb.db")
    before = snapshot(place)
    run = kb_inprocess("serve", "--metadata", str(place / "site"), "--db", str(place / "site" / "kb.db"))
    expect(run, 2, "is the database that this command reads", category=CAT, case="serve --metadata over its --db")
    assert snapshot(place) == before


def test_a_failed_datasette_export_leaves_no_temporary_file(place):
    """The issue: a kb export --datasette DIR that failed left DIR/.kb.db.tmp, a whole copy of the database."""
    out = place / "site"
    run = kb_process("export", "--datasette", str(out), "--db", str(place / "kb.sqlite"),
                     argv0=["prlimit", "--fsize=20000", "--", *KB])
    expect(run, 1, "File too large", category=CAT, case="export --datasette on a full disk")
    assert sorted(p.name for p in out.iterdir()) == [], "no temporary copy left"


@pytest.mark.slow
@pytest.mark.timing
# ---------------------------------------------------------------- the seed, read once
def test_a_seed_replaced_by_rename_during_a_build_is_seen_afterwards(tmp_path):
    """The issue: a seed renamed over a second into a build left the cache with the new file's size and mtime
    and the old file's hash, so every later command answered from the old seed for good."""
    seed = big_seed(tmp_path / "s.yaml", 6_000)
    env = {"KB_CACHE_DIR": str(tmp_path / "cache")}
    count = ["sql", "SELECT count(*) FROM records", "-f", "csv", "--seed", str(seed)]
    first = Process(count, env=env)
    wait_until(lambda: bool(list((tmp_path / "cache").glob(".*.tmp"))) if (tmp_path / "cache").exists() else False,
               60, "the build under way", lambda: first.p.poll() is not None)
    shutil.copy(GOOD, tmp_path / "t")
    os.replace(tmp_path / "t", seed)  # cp mini.yaml t && mv t s.yaml
    done = first.finish(timeout=120)
    expect(done, 0, category=CAT, case="a seed renamed over during a build: that build", lines=None, seconds=120)
    assert done.out.splitlines()[-1] == "6001", "the build answers from the seed it read"
    again = kb_process(*count, env=env)
    expect(again, 0, category=CAT, case="a seed renamed over during a build: the next command", lines=None,
           seconds=60)
    assert again.out.splitlines()[-1] == "2", "the next command sees the new seed"


def test_a_seed_through_a_pipe_is_read_once(tmp_path):
    """The issue: kb load <(cat data/seed.yaml) said "missing section 'meta'": the pipe was read twice."""
    db = tmp_path / "kb.sqlite"
    script = f"{' '.join(KB)} load <(cat {GOOD}) --db {db}"
    t = time.monotonic()
    out = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=60)
    run = Run(out.returncode, out.stdout, out.stderr, time.monotonic() - t)
    expect(run, 0, "loaded 1 sources", category=CAT, case="kb load <(cat seed.yaml)")
    cat = subprocess.Popen(["cat", str(GOOD)], stdout=subprocess.PIPE)
    run = kb_process("query", "-f", "csv", "--seed", "/dev/stdin", stdin=cat.stdout,
                     env={"KB_CACHE_DIR": str(tmp_path / "cache")})
    cat.wait(timeout=10)
    expect(run, 0, category=CAT, case="kb query --seed /dev/stdin < seed.yaml", lines=None)
    assert "xian-poc" in run.out
    assert next(p.name for p in (tmp_path / "cache").iterdir()).startswith("kb-stream-"), "cached by content"


def test_a_named_pipe_with_a_writer_is_read(tmp_path):
    fifo = tmp_path / "seed.fifo"
    os.mkfifo(fifo)
    writer = subprocess.Popen(["sh", "-c", f"cat {GOOD} > {fifo}"])
    run = kb_process("validate", str(fifo))
    writer.wait(timeout=10)
    expect(run, 0, "valid (1 sources", category=CAT, case="validate a named pipe that a process writes")


@pytest.mark.slow
def test_a_named_pipe_nobody_writes_waits_five_seconds_by_default(tmp_path):
    fifo = tmp_path / "seed.fifo"
    os.mkfifo(fifo)
    run = kb_process("validate", str(fifo))
    expect(run, 1, "nothing was written to it in 5 s", category=CAT, case="validate a named pipe, default wait",
           seconds=30)


@pytest.mark.parametrize("args", [("load", "/dev/zero", "--db", "X"), ("query", "--seed", "/dev/zero"),
                                  ("validate", "/dev/urandom"), ("query", "--seed", "/dev/urandom")],
                         ids=lambda a: " ".join(a[:3]))
def test_devices_as_the_seed_end_at_once(tmp_path, args):
    """The issue: kb load /dev/zero and kb query --seed /dev/zero hung (the whole input was hashed first)."""
    run = kb_process(*[str(tmp_path / "x.sqlite") if a == "X" else a for a in args],
                     env={"KB_CACHE_DIR": str(tmp_path / "cache")})
    expect(run, 1, "it is not a text file (it holds NUL bytes)", category=CAT, case=f"kb {' '.join(args[:3])}",
           seconds=10)
    assert run.rss_mb < 200
    assert not (tmp_path / "x.sqlite").exists()


def test_an_endless_pipe_as_the_seed_ends_at_the_bound(tmp_path):
    """The issue: yes | kb load /dev/stdin hung."""
    yes = subprocess.Popen(["yes"], stdout=subprocess.PIPE)
    try:
        run = kb_process("load", "/dev/stdin", "--db", str(tmp_path / "x.sqlite"), stdin=yes.stdout, timeout=60)
    finally:
        yes.kill()
        yes.wait()
    expect(run, 1, "gives more than 256 MB; save it to a file", category=CAT, case="yes | kb load /dev/stdin",
           seconds=60)
    assert run.rss_mb < 900
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------- expansion and memory
def test_a_long_text_aliased_thousands_of_times_is_refused_at_once(tmp_path):
    """The issue: a 0.1 MB seed (a 10,000-character anchor aliased 9,000 times) validated, then kb load took
    35 s and 5.6 GB and wrote a 1.2 GB database."""
    good = GOOD.read_text(encoding="utf-8")
    text = good.replace("summary_en: A law.", f"summary_en: &long {'长' * 10_000}", 1)
    text = text.replace("    regions: [xian]", "    actors: [" + ", ".join(["*long"] * 9_000) + "]\n    regions: [xian]", 1)
    seed = tmp_path / "seed.yaml"
    seed.write_text(text, encoding="utf-8")
    assert seed.stat().st_size < 150_000
    for args in (("validate", str(seed)), ("load", str(seed), "--db", str(tmp_path / "x.sqlite"))):
        run = kb_process(*args)
        expect(run, 1, "aliases stand for more than 1000000 characters", category=CAT,
               case=f"kb {args[0]}: a 10,000-character anchor aliased 9,000 times", lines=2, seconds=20)
        assert run.rss_mb < 300
    assert not (tmp_path / "x.sqlite").exists()


@pytest.mark.slow
def test_the_build_has_a_memory_ceiling(tmp_path):
    seed = big_seed(tmp_path / "seed.yaml", 3_000)
    run = kb_process("load", str(seed), "--db", str(tmp_path / "x.sqlite"), env={"KB_BUILD_MEMORY_MB": "64"})
    expect(run, 1, "needs more than 64 MB of memory (KB_BUILD_MEMORY_MB sets the ceiling)", category=CAT,
           case="kb load past KB_BUILD_MEMORY_MB", seconds=60)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["seed.yaml"]


def _children(pid: int) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as fh:
                    if int(fh.read().rsplit(")", 1)[1].split()[1]) == pid:
                        out.append(int(entry))
            except (OSError, IndexError, ValueError):
                pass
    return out


@pytest.mark.slow
@pytest.mark.timing
def test_a_killed_writer_is_reported_as_such(tmp_path):
    """The issue: SIGKILL to the writer child (as the OOM killer would) printed kb: internal error: EOFError."""
    seed = big_seed(tmp_path / "seed.yaml", 12_000)
    out = tmp_path / "out"
    out.mkdir()
    db = out / "kb.sqlite"
    assert kb_inprocess("load", str(GOOD), "--db", str(db)).code == 0
    before = snapshot(out)
    p = Process(["load", str(seed), "--db", str(db)])
    wait_until(lambda: bool(list(out.glob(".*.tmp"))), 60, "the build under way", lambda: p.p.poll() is not None)
    writers = _children(p.pid)
    assert writers
    for w in writers:
        os.kill(w, signal.SIGKILL)
    run = p.finish(timeout=60)
    expect(run, 1, "the database writer stopped (killed by SIGKILL", category=CAT, case="SIGKILL to the writer",
           seconds=60)
    assert snapshot(out) == before, "the old database unchanged, no temporary file"
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_the_kb_script_starts_as_the_command(tmp_path):
    """kb is a script of its own (scripts/kb), so its first lines catch signals: it runs commands as before."""
    exe = Path(sys.executable).with_name("kb")
    run = kb_process("--version", argv0=[str(exe)])
    expect(run, 0, category=CAT, case="the kb script", lines=0)
    assert run.out.startswith("kb ")


def test_the_packaged_seed_is_never_an_output_even_when_only_a_database_is_read(place, monkeypatch):
    """kb export ... -o data/seed.yaml --db kb.sqlite reads no seed, and still must not write over it."""
    import kbcli.store.db

    monkeypatch.setattr(kbcli.store.db, "packaged_seed", lambda: place / "seed.yaml")
    before = snapshot(place)
    run = kb_inprocess("export", "records", "-o", str(place / "seed.yaml"), "--db", str(place / "kb.sqlite"))
    expect(run, 2, "is the seed that this command reads", category=CAT, case="export -o the packaged seed, --db only")
    assert snapshot(place) == before
