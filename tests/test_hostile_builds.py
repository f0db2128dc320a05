"""Hostile conditions, builds: signals in the middle of a build end it within a second with one
line and the right exit code, leaving no temporary file, no process and the old database as it
was; concurrent processes build once and each reads the database of its own seed."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import time
from pathlib import Path

import pytest
from conftest import GOOD
from hostile import Process, big_seed, expect, kb_inprocess, snapshot, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.timing]

SIGNAL_EXIT = {signal.SIGINT: (130, "kb: interrupted"), signal.SIGTERM: (143, "kb: stopped by SIGTERM"),
               signal.SIGHUP: (129, "kb: stopped by SIGHUP")}


@pytest.fixture(scope="module")
def big(tmp_path_factory) -> Path:
    """A seed of 12,000 records: its build takes a few seconds, time enough to interrupt it."""
    return big_seed(tmp_path_factory.mktemp("big") / "big.yaml", 12_000)


@pytest.fixture(scope="module")
def medium(tmp_path_factory) -> Path:
    return big_seed(tmp_path_factory.mktemp("medium") / "medium.yaml", 2_000)


@pytest.fixture
def old(tmp_path) -> Path:
    """A database built before, in a folder of its own."""
    folder = tmp_path / "out"
    folder.mkdir()
    db = folder / "kb.sqlite"
    assert kb_inprocess("load", str(GOOD), "--db", str(db)).code == 0
    return db


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


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as fh:
            return not any(line.startswith("State:") and "Z" in line.split()[1] for line in fh)
    except OSError:
        return False


def _unlocked(lock: Path) -> bool:
    """Whether nobody holds the build lock file ``lock`` (a missing file is free)."""
    import fcntl

    try:
        fd = os.open(lock, os.O_RDWR)
    except FileNotFoundError:
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)  # closing releases the test's own lock at once
    return True


def _wait_for_temp(folder: Path, p: Process | None = None, timeout: float = 60) -> None:
    """Wait until the build is under way: its writer has made its temporary file."""
    wait_until(lambda: bool(list(folder.glob(".*.tmp"))) if folder.exists() else False, timeout,
               "temporary file (the build never started)", (lambda: p.p.poll() is not None) if p else None)


def _wait_gone(pids: list[int], timeout: float = 10) -> None:
    wait_until(lambda: not any(_alive(w) for w in pids), timeout, "end of the writer processes")


def _interrupt(args, folder: Path, sig, env=None, twice: bool = False):
    p = Process(args, env=env, new_session=True)
    _wait_for_temp(folder, p)
    writers = _children(p.pid)
    t = time.monotonic()
    if sig == signal.SIGINT:
        os.killpg(p.pid, sig)  # a terminal's Ctrl-C goes to the whole process group
        if twice:
            time.sleep(0.05)  # a second Ctrl-C while kb cleans up (any moment will do)
            os.killpg(p.pid, sig)
    else:
        os.kill(p.pid, sig)
    run = p.finish(timeout=20)
    ended = time.monotonic() - t
    _wait_gone(writers)
    return run, ended, writers


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP], ids=lambda s: s.name)
def test_a_signal_during_kb_load(big, old, sig):
    before = snapshot(old.parent)
    run, ended, writers = _interrupt(["load", str(big), "--db", str(old)], old.parent, sig)
    code, message = SIGNAL_EXIT[sig]
    expect(run, code, message, category="signals", case=f"kb load of a large seed, {sig.name}", seconds=30)
    assert ended < 1, f"ended {ended:.2f} s after the signal"
    assert writers and not any(_alive(w) for w in writers), "the writer process is gone"
    assert snapshot(old.parent) == before, "the old database unchanged, no temporary or lock file left"


def test_ctrl_c_twice_during_kb_load(big, old):
    before = snapshot(old.parent)
    run, ended, writers = _interrupt(["load", str(big), "--db", str(old)], old.parent, signal.SIGINT, twice=True)
    expect(run, 130, "kb: interrupted", category="signals", case="kb load, Ctrl-C twice", seconds=30)
    assert ended < 1 and not any(_alive(w) for w in writers)
    assert snapshot(old.parent) == before


def test_sigkill_during_kb_load_leaves_nothing_running_and_the_next_build_cleans_up(big, old):
    before = snapshot(old.parent)
    p = Process(["load", str(big), "--db", str(old)], new_session=True)
    _wait_for_temp(old.parent, p)
    writers = _children(p.pid)
    os.kill(p.pid, signal.SIGKILL)
    run = p.finish(timeout=10)
    t = time.monotonic()
    while any(_alive(w) for w in writers):
        assert time.monotonic() - t < 1, "the writer outlived kb by more than a second"
        time.sleep(0.02)
    assert run.code == -9
    assert old.read_bytes() and snapshot(old) == {str(old): before[str(old)]}, "the old database unchanged"
    # the kernel frees a killed process's files (and so its lock) a moment after it is reaped: wait for that,
    # so the next kb finds the target free rather than printing that it waits for another kb process
    wait_until(lambda: _unlocked(old.with_name(f".{old.name}.lock")), 10, "the killed build's lock released")
    run = kb_inprocess("load", str(GOOD), "--db", str(old))
    expect(run, 0, "loaded", category="signals", case="SIGKILL during kb load, then kb load again")
    assert sorted(p.name for p in old.parent.iterdir()) == ["kb.sqlite"], "the dead build's temporary file removed"


def test_ctrl_c_during_a_first_use_build(big, tmp_path):
    cache = tmp_path / "cache"
    env = {"KB_SEED": str(big), "KB_CACHE_DIR": str(cache)}
    p = Process(["query"], env=env, new_session=True)
    _wait_for_temp(cache, p)
    os.killpg(p.pid, signal.SIGINT)
    t = time.monotonic()
    run = p.finish(timeout=20)
    expect(run, 130, "kb: interrupted", category="signals", case="first-use cache build, Ctrl-C", lines=2, seconds=30)
    assert time.monotonic() - t < 1
    assert list(cache.iterdir()) == [], "no database, temporary or lock file"


def test_ctrl_c_while_waiting_for_another_build(big, old):
    builder = Process(["load", str(big), "--db", str(old)], new_session=True)
    _wait_for_temp(old.parent, builder)
    waiter = Process(["query", "--db", str(old), "--seed", str(big)], new_session=True)
    waiter.wait_for("waiting for another kb process")  # the issue: a Ctrl-C sent before it said so
    os.killpg(waiter.pid, signal.SIGINT)
    t = time.monotonic()
    run = waiter.finish(timeout=20)
    expect(run, 130, "kb: interrupted", category="signals", case="Ctrl-C while waiting for another build",
           lines=2, seconds=30)
    assert "waiting for another kb process" in run.err and time.monotonic() - t < 1
    done = builder.finish(timeout=60)
    assert done.code == 0, done.err
    assert sorted(p.name for p in old.parent.iterdir()) == ["kb.sqlite"]


# ---------------------------------------------------------------- concurrency
def test_eight_processes_on_an_empty_cache_build_once(medium, tmp_path):
    env = {"KB_SEED": str(medium), "KB_CACHE_DIR": str(tmp_path / "cache")}
    t = time.monotonic()
    procs = [Process(["query", "--kind", "law", "-f", "csv"], env=env) for _ in range(8)]
    runs = [p.finish(timeout=120) for p in procs]
    builds = sum("building the database" in r.err for r in runs)
    for r in runs:
        expect(r, 0, category="concurrency", case="8 processes, empty cache", lines=None, seconds=120)
    assert builds == 1, f"{builds} builds"
    assert len({r.out for r in runs}) == 1 and "law-a" in runs[0].out
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == [f"{Path(m).name}" for m in
                                                                      [next((tmp_path / "cache").glob("kb-*"))]]
    assert time.monotonic() - t < 120


def test_eight_processes_on_a_stale_cache_rebuild_once(tmp_path):
    seed = tmp_path / "seed.yaml"
    shutil.copy(GOOD, seed)
    env = {"KB_SEED": str(seed), "KB_CACHE_DIR": str(tmp_path / "cache")}
    assert kb_inprocess("list", env=env).code == 0
    seed.write_text(seed.read_text(encoding="utf-8").replace("name_en: Xi'an proof of concept", "name_en: Changed"),
                    encoding="utf-8")
    runs = [p.finish(timeout=60) for p in [Process(["query", "-f", "csv"], env=env) for _ in range(8)]]
    for r in runs:
        expect(r, 0, category="concurrency", case="8 processes, stale cache", lines=None, seconds=60)
        assert "Changed" in r.out
    assert sum("building the database" in r.err for r in runs) == 1


def test_two_seeds_one_db_each_process_reads_its_own(tmp_path):
    """The issue: with one --db and two --seed files at once, a process printed the other seed's data."""
    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    text = GOOD.read_text(encoding="utf-8")
    a.write_text(text.replace("name_en: Xi'an proof of concept", "name_en: Seed A"), encoding="utf-8")
    b.write_text(text.replace("name_en: Xi'an proof of concept", "name_en: Seed B"), encoding="utf-8")
    db = tmp_path / "shared.sqlite"
    for _ in range(6):
        procs = [(name, Process(["query", "-f", "csv", "--db", str(db), "--seed", str(seed)]))
                 for name, seed in (("Seed A", a), ("Seed B", b), ("Seed A", a), ("Seed B", b))]
        for name, p in procs:
            r = p.finish(timeout=60)
            expect(r, 0, category="concurrency", case="two seeds, one --db, 6 rounds of 4 processes", lines=None,
                   seconds=60)
            other = "Seed B" if name == "Seed A" else "Seed A"
            assert name in r.out and other not in r.out, (name, r.out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.yaml", "b.yaml", "shared.sqlite"]


def test_concurrent_loads_of_one_target(medium, tmp_path):
    db = tmp_path / "kb.sqlite"
    runs = [p.finish(timeout=120) for p in [Process(["load", str(s), "--db", str(db)])
                                             for s in (medium, GOOD, medium, GOOD)]]
    for r in runs:
        expect(r, 0, "loaded", category="concurrency", case="4 concurrent kb load, one target", lines=None,
               seconds=120)
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kb.sqlite"]


def test_readers_while_the_database_is_replaced(medium, tmp_path):
    db = tmp_path / "kb.sqlite"
    assert kb_inprocess("load", str(GOOD), "--db", str(db)).code == 0
    loader = Process(["load", str(medium), "--db", str(db)])
    readers = []
    while loader.p.poll() is None and len(readers) < 12:
        readers.append(Process(["query", "--kind", "law", "-f", "csv", "--db", str(db)]))
        time.sleep(0.1)
    assert loader.finish(timeout=60).code == 0
    for p in readers:
        r = p.finish(timeout=60)
        expect(r, 0, category="concurrency", case="readers while kb load replaces the database", lines=None,
               seconds=60)
        assert "law-a" in r.out
