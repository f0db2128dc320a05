"""Hostile input, arguments and output: huge numbers, bad UTF-8, over-long paths, escapes in
arguments, output files that cannot be written, a full, broken or closed stdout, a closed
stderr. One line and the right exit code every time, and a failed export never destroys the
previous file. The argument parser is fuzzed with hypothesis."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import time

import pytest
from conftest import GOOD
from hostile import KB, Run, expect, kb_inprocess, kb_process, snapshot, unprivileged
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

CAT = "arguments"


@pytest.fixture
def db(real_db, tmp_path):
    path = tmp_path / "db" / "kb.sqlite"
    path.parent.mkdir()
    shutil.copy(real_db, path)
    return path


NUMBERS = [
    (("query", "--limit", "99999999999999999999999"), "--limit: 99999999999999999999999 is out of range"),
    (("search", "中试", "--limit", "99999999999999999999999"), "is out of range"),
    (("crosstab", "region", "kind", "--depth", "99999999999999999999999"), "is out of range"),
    (("query", "--limit", "-1"), "--limit"),
    (("query", "--limit", "0"), "--limit"),
    (("query", "--limit", "1e3"), "--limit"),
    (("crosstab", "region", "kind", "--depth", "-1"), "--depth"),
    (("sql", "SELECT 1", "--timeout", "-1"), "--timeout"),
    (("sql", "SELECT 1", "--timeout", "nan"), "--timeout"),
    (("sql", "SELECT 1", "--timeout", "inf"), "--timeout"),
    (("sql", "SELECT 1", "--timeout", "1e400"), "--timeout"),
    (("sql", "SELECT 1", "--max-memory", "1"), "--max-memory"),
    (("sql", "SELECT 1", "--max-memory", "99999999999999999999999"), "--max-memory"),
]


@pytest.mark.parametrize(("args", "message"), NUMBERS, ids=lambda a: " ".join(a) if isinstance(a, tuple) else None)
def test_bad_numbers(db, args, message):
    run = kb_inprocess(*args, "--db", str(db))
    expect(run, 2, message, category=CAT, case=" ".join(args), out="")


def test_max_problems_below_zero():
    run = kb_inprocess("validate", str(GOOD), "--max-problems", "-5")
    expect(run, 2, "--max-problems", category=CAT, case="validate --max-problems -5", out="")


BAD_UTF8 = [
    ([b"show", b"\xff"], 2),
    ([b"sql", b"SELECT '\xff'"], 2),
    ([b"search", b"\xe4\xb8"], 2),
    ([b"query", b"--region", b"\xc3\x28"], 3),
    ([b"query", b"--db", b"/tmp/\xff.sqlite"], 3),
    ([b"cite", b"law-sttl", b"--accessed", b"2024-\x80"], 4),
]


@pytest.mark.parametrize(("argv", "position"), BAD_UTF8, ids=lambda a: repr(a)[:40])
def test_arguments_that_are_not_utf8(db, argv, position):
    run = kb_process(*argv, env={"KB_DB": str(db)})
    expect(run, 2, f"kb: argument {position} is not valid UTF-8: ", category=CAT,
           case=f"bad UTF-8: {argv!r}", out="")
    assert "\\x" in run.err


def test_an_environment_variable_that_is_not_utf8():
    run = kb_process("query", env={"KB_DB": b"/tmp/\xff\xfe.sqlite"})
    expect(run, 2, "KB_DB is not valid UTF-8", category=CAT, case="KB_DB not UTF-8", out="")


LONG = "x" * 300


@pytest.mark.parametrize("args", [("query", "--seed", LONG), ("validate", LONG), ("load", LONG),
                                  ("load", str(GOOD), "--db", LONG), ("export", "records", "-o", LONG),
                                  ("cite", "law-sttl", "-o", LONG), ("export", "--all", "--dir", LONG + "/" + LONG)],
                         ids=lambda a: f"{a[0]} {a[1][:10]}")
def test_over_long_paths(db, tmp_path, args):
    before = snapshot(tmp_path)
    run = kb_inprocess(*args, env={"KB_DB": str(db)} if args[0] in ("export", "cite") else None)
    expect(run, 2, "too long", category=CAT, case=f"over-long path: kb {args[0]} {args[1][:12]}...", out="",
           lines=None)
    assert len(run.lines()) <= 2 and snapshot(tmp_path) == before


# ---------------------------------------------------------------- output files
@pytest.mark.parametrize("command", [("export", "records"), ("cite", "law-sttl")], ids=lambda c: c[0])
@pytest.mark.parametrize("where", ["a missing folder", "a folder", "empty"])
def test_output_paths_that_cannot_be_written(db, tmp_path, command, where):
    target = {"a missing folder": tmp_path / "missing" / "dir" / "x.out", "a folder": tmp_path,
              "empty": ""}[where]
    before = snapshot(tmp_path)
    run = kb_inprocess(*command, "-o", str(target), "--db", str(db))
    message = {"a missing folder": "no folder", "a folder": "is a directory", "empty": "needs a file name"}[where]
    expect(run, 2, message, category=CAT, case=f"kb {command[0]} -o {where}", out="", lines=None)
    assert snapshot(tmp_path) == before


def test_export_all_into_a_file(db, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    run = kb_inprocess("export", "--all", "--dir", str(blocker), "--db", str(db))
    expect(run, 2, "cannot use --dir", category=CAT, case="export --all --dir FILE", out="")
    assert blocker.read_text() == "x"


def test_output_into_a_folder_without_write_permission(db, tmp_path):
    out = tmp_path / "ro"
    out.mkdir(mode=0o555)
    run = kb_process("export", "records", "-o", str(out / "x.csv"), "--db", str(db), **unprivileged())
    out.chmod(0o755)
    expect(run, 2, "Permission denied", category=CAT, case="export -o into a read-only folder", out="")
    assert list(out.iterdir()) == []


def _full_disk(limit: int) -> dict:
    """Run kb with a file-size limit: writing past it fails with EFBIG, as on a full disk (Python
    ignores SIGXFSZ)."""
    return {"argv0": ["prlimit", f"--fsize={limit}", "--", *KB]}


@pytest.mark.parametrize("command", [("export", "records", "-f", "csv"), ("export", "evidence", "-f", "json"),
                                     ("cite", "law-sttl", "--quote")], ids=lambda c: " ".join(c[:2]))
def test_a_failed_export_never_destroys_the_previous_file(db, tmp_path, command):
    """The issue: on a full disk, kb export -o out.csv truncated the previous complete file."""
    out = tmp_path / "out" / "previous.txt"
    out.parent.mkdir()
    out.write_text("the previous, complete file\n" * 100)
    out.chmod(0o640)
    before = snapshot(out.parent)
    run = kb_process(*command, "-o", str(out), "--db", str(db), **_full_disk(4096))
    expect(run, 1, "the previous file is unchanged", category=CAT, case=f"kb {command[0]} -o on a full disk: "
           + " ".join(command[1:]), out="", lines=None)
    assert "could not write" in run.err and "File too large" in run.err
    assert snapshot(out.parent) == before, "previous content intact, no temporary file"


def test_export_all_on_a_full_disk(db, tmp_path):
    out = tmp_path / "all"
    assert kb_inprocess("export", "--all", "--dir", str(out), "--db", str(db)).code == 0
    before = snapshot(out)
    run = kb_process("export", "--all", "--dir", str(out), "--db", str(db), **_full_disk(8192))
    expect(run, 1, "the previous file is unchanged", category=CAT, case="export --all on a full disk", lines=None)
    assert snapshot(out) == before


def test_output_keeps_the_previous_files_mode_and_follows_a_link(db, tmp_path):
    real = tmp_path / "real.csv"
    real.write_text("old")
    real.chmod(0o600)
    link = tmp_path / "link.csv"
    link.symlink_to(real)
    run = kb_inprocess("export", "figures", "-o", str(link), "--db", str(db))
    expect(run, 0, category=CAT, case="export -o through a symbolic link", lines=0)
    assert link.is_symlink() and real.read_text().startswith("owner,")
    assert stat.S_IMODE(real.stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["db", "link.csv", "real.csv"]


def test_output_to_a_device(db):
    run = kb_process("export", "figures", "-o", "/dev/stdout", "--db", str(db))
    expect(run, 0, category=CAT, case="export -o /dev/stdout", lines=0)
    assert run.out.startswith("owner,")


# ---------------------------------------------------------------- stdout and stderr
FULL = [("query",), ("query", "-f", "json"), ("sql", "SELECT * FROM evidence", "-f", "csv"), ("show", "law-sttl"),
        ("cite", "law-sttl", "--quote"), ("export", "records"), ("list", "regions", "-f", "md")]


@pytest.mark.parametrize("args", FULL, ids=" ".join)
def test_a_full_stdout(db, args):
    """The issue: kb query > /dev/full gave a traceback."""
    with open("/dev/full", "w") as full:
        run = kb_process(*args, "--db", str(db), stdout=full)
    expect(run, 1, "kb: cannot write the output: No space left on device", category=CAT,
           case=f"kb {' '.join(args)} > /dev/full", lines=None)
    assert run.lines()[-1] == "kb: cannot write the output: No space left on device"
    assert not any("cannot write" in line for line in run.lines()[:-1])


@pytest.mark.parametrize("args", [("export", "records"), ("query", "-f", "jsonl"), ("cite", "law-sttl", "--quote")],
                         ids=" ".join)
def test_a_broken_pipe_is_quiet(db, args):
    kb = " ".join(f"'{a}'" for a in [*args, "--db", str(db)])
    t = time.monotonic()
    out = subprocess.run(["bash", "-c", (f"{sys.executable} -m kbcli {kb} | head -c 10 >/dev/null; "
                                        "echo \"${PIPESTATUS[0]}\"")], capture_output=True, text=True, timeout=30)
    run = Run(int(out.stdout.strip()), "", out.stderr, time.monotonic() - t)
    expect(run, 0, category=CAT, case=f"kb {' '.join(args)} | head", lines=None)
    assert all(line.startswith(("kb: note:", "kb: warning:")) for line in run.lines())


def _run_fds(db, args, close: str) -> Run:
    """kb with some of its standard descriptors closed (by the shell, as `>&-` does)."""
    kb = " ".join(f"'{a}'" for a in [sys.executable, "-m", "kbcli", *args])
    script = {"stdout": f"{kb} >&-", "stderr": f"{kb} 2>&-", "stdin": f"{kb} <&-",
              "all": f"{kb} <&- >&- 2>&-"}[close]
    t = time.monotonic()
    r, w = os.pipe()  # the exit code comes back on a descriptor of its own
    p = subprocess.Popen(["bash", "-c", f"{script}; echo \"$?\" >&{w}"], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, pass_fds=(w,), env={**os.environ, "KB_DB": str(db)}, text=True)
    os.close(w)
    out_, err_ = p.communicate(timeout=30)
    with os.fdopen(r) as fh:
        code = int(fh.read().strip())
    return Run(code, out_, err_, time.monotonic() - t)


def test_stdout_closed(db):
    run = _run_fds(db, ["query"], "stdout")
    expect(run, 1, "kb: cannot write the output", category=CAT, case="kb query >&-", lines=1)


def test_stderr_closed_keeps_notes_out_of_stdout(db):
    """The issue: with stderr closed, notes landed in stdout."""
    normal = kb_process("show", "hefei-poc-centre-award", "--db", str(db))
    run = _run_fds(db, ["show", "hefei-poc-centre-award"], "stderr")
    expect(run, 0, category=CAT, case="kb show 2>&- (a restricted source)", lines=0)
    assert run.out == normal.out and "asks not to be cited" not in run.out


def test_stderr_closed_during_a_first_use_build(tmp_path, db):
    env_cache = tmp_path / "cache"
    kb = " ".join(f"'{a}'" for a in [sys.executable, "-m", "kbcli", "query", "-f", "csv"])
    out = subprocess.run(["bash", "-c", f"{kb} 2>&-"], capture_output=True, text=True, timeout=60,
                         env={**os.environ, "KB_SEED": str(GOOD), "KB_CACHE_DIR": str(env_cache)})
    run = Run(out.returncode, out.stdout, out.stderr, 0.0)
    expect(run, 0, category=CAT, case="first-use build with stderr closed", lines=0)
    assert out.stdout.startswith("id,") and "building" not in out.stdout and "kb:" not in out.stdout


def test_stderr_closed_and_an_error(db):
    run = _run_fds(db, ["show", "no-such-id"], "stderr")
    expect(run, 2, category=CAT, case="kb show MISSING 2>&-", lines=0, out="")


@pytest.mark.parametrize("close", ["stdin", "all"])
def test_other_descriptors_closed(db, close):
    run = _run_fds(db, ["list"], close)
    expect(run, 0 if close == "stdin" else 1, category=CAT, case=f"kb list with {close} closed", lines=None)


# ---------------------------------------------------------------- escapes and empty values in arguments
ESC = "\x1b]0;PWNED\x07\x1b[31m\u202e"
ESCAPED = [
    ((f"no-such-command{ESC}",), 2),
    (("query", f"--bogus{ESC}"), 2),
    (("query", "--format", f"x{ESC}"), 2),
    (("show", f"id{ESC}"), 2),
    (("query", "--region", f"陕西{ESC}"), 2),
    (("crosstab", f"region{ESC}", "kind"), 2),
    (("cite", f"law-sttl#art{ESC}"), 2),
    (("export", f"t{ESC}"), 2),
    (("sql", f"SELECT * FROM x{ESC}"), 2),
    (("query", "--since", f"2024{ESC}"), 2),
]


@pytest.mark.parametrize(("args", "code"), ESCAPED, ids=lambda a: a[0] if isinstance(a, tuple) else None)
def test_escapes_in_arguments_come_back_escaped(db, args, code):
    run = kb_inprocess(*args, "--db", str(db))
    expect(run, code, category=CAT, case=f"escapes in an argument: kb {args[0][:15]}", out="")


EMPTY = [("query", "--since", ""), ("query", "--until", " "), ("query", "--db", ""), ("query", "--seed", ""),
         ("validate", ""), ("load", ""), ("load", str(GOOD), "--db", ""), ("cite", "law-sttl", "--accessed", ""),
         ("search", ""), ("show", ""), ("query", "--region", "")]


@pytest.mark.parametrize("args", EMPTY, ids=" ".join)
def test_empty_values_are_usage_errors(db, args):
    env = None if "--db" in args or args[0] in ("validate", "load") else {"KB_DB": str(db)}
    run = kb_inprocess(*args, env=env)
    expect(run, 2, category=CAT, case=f"empty value: kb {' '.join(args)}", out="")


def test_no_arguments_prints_help():
    run = kb_inprocess()
    expect(run, 2, "Usage: kb", category=CAT, case="kb with no arguments", lines=None)


# ---------------------------------------------------------------- fuzzing the parser
COMMANDS = ["query", "search", "show", "list", "figures", "crosstab", "cite", "export", "sql", "validate"]
TOKENS = st.one_of(
    st.sampled_from(["--region", "-r", "--kind", "--since", "--until", "--limit", "--format", "-f", "--text",
                     "--sort", "--depth", "--style", "--quote", "--strict", "--metric", "--unit", "--sum",
                     "--timeout", "--max-memory", "-p", "--all", "--help", "--", "-", "json", "csv", "table",
                     "陕西", "law", "2022", "99999999999999999999999", "-1", "0", "nan", "", " ", "law-sttl",
                     "SELECT 1", "region", "kind", "records", "--bogus", ESC, "\u202e", "中试"]),
    st.text(max_size=12))


@pytest.mark.slow
@pytest.mark.timing
@settings(max_examples=200, deadline=5000, suppress_health_check=[HealthCheck.too_slow,
                                                                   HealthCheck.function_scoped_fixture])
@given(st.sampled_from(COMMANDS), st.lists(TOKENS, max_size=6))
def test_fuzz_the_argument_parser(mini_db, tmp_path, command, tokens):
    """Any arguments: exit 0, 1 or 2, never a traceback, nothing raw on stderr; -o never used (no files)."""
    tokens = [t for t in tokens if t not in ("-o", "--output", "--dir")]
    args = [command, *tokens]
    if command == "validate":
        args = ["validate", str(GOOD), *tokens]
    run = kb_inprocess(*args, env={"KB_DB": str(mini_db), "KB_CACHE_DIR": str(tmp_path / "fuzz-cache")})
    assert run.code in (0, 1, 2), (args, run.code, run.err)
    assert "Traceback" not in run.err and "internal error" not in run.err, (args, run.err)
    for ch in ("\x1b", "\x07", "\u202e"):
        assert ch not in run.err, (args, run.err)


def test_fuzzing_counts_as_a_corpus_case():
    from hostile import LOG

    LOG.append((CAT, "hypothesis: random arguments to every command", 0.0, None))
