"""The build's progress bar: drawn on stderr when it is a terminal (kb load and the first-use build),
in a real pseudo-terminal at several widths, never wider than the terminal, gone when the build
ends; nothing extra when stderr is piped."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pyte
import pytest
from conftest import GOOD, ROOT
from hostile import big_seed
from pty_run import read_until_closed, start
from rich.cells import cell_len

ANSI_RE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
WIDTHS = (40, 60, 80, 120, 200)


@pytest.fixture(scope="module")
def seed(tmp_path_factory) -> Path:
    """A seed whose build takes a second or so: time for the bar to be drawn a few times."""
    return big_seed(tmp_path_factory.mktemp("progress") / "seed.yaml", 4_000)


def in_terminal(args: list[str], cols: int, env: dict | None = None, rows: int = 40,
                timeout: float = 120) -> tuple[int, str]:
    """Run ``python -m kbcli ARGS`` with stdin, stdout and stderr on one pseudo-terminal of ``cols``
    columns, as in a terminal window; its exit code and everything it wrote."""
    run_env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "NO_COLOR", "TERM")}
    run_env.update({"TERM": "xterm-256color", "PYTHONIOENCODING": "utf-8", **(env or {})})
    master, proc = start(args, cols, rows, run_env)
    raw = read_until_closed(master, timeout)
    return proc.wait(timeout=timeout), raw.decode("utf-8")


def frames(raw: str) -> list[str]:
    """Each state of the line the bar is drawn on: the text between carriage returns and line
    erasures, escapes removed."""
    return [ANSI_RE.sub("", f) for f in re.split(r"\r|\n|\x1b\[2K", raw) if ANSI_RE.sub("", f).strip()]


def screen(raw: str, cols: int, rows: int = 40) -> list[str]:
    """What the terminal shows at the end (pyte emulates it)."""
    sc = pyte.Screen(cols, rows)
    pyte.Stream(sc).feed(raw.replace("\n", "\r\n"))  # the terminal's own newline translation
    return [line.rstrip() for line in sc.display if line.strip()]


@pytest.mark.parametrize("cols", WIDTHS)
def test_kb_load_draws_a_bar_that_fits_and_leaves_one_line(seed, tmp_path, cols):
    db = tmp_path / "kb.sqlite"
    code, raw = in_terminal(["load", str(seed), "--db", str(db)], cols)
    assert code == 0, raw
    drawn = [f for f in frames(raw) if f.startswith("kb: ")]
    assert any(f.startswith("kb: reading") for f in drawn), raw[:500]
    assert any("━" in f for f in drawn), "a bar is drawn"
    for f in drawn:
        assert cell_len(f.rstrip()) <= cols, f"wider than {cols} columns: {f!r}"
    if cols >= 110:
        assert any("records read" in f and "seed.yaml" in f for f in drawn)
    assert raw.count("\x1b[?25l") == raw.count("\x1b[?25h") >= 1, "the cursor is shown again"
    # the bar is gone: the screen holds kb's usual line alone (wrapped at the terminal's width)
    lines = screen(raw, cols)  # a line that wrapped at a space ends in it: screen() strips it, put it back
    message = "".join(line.ljust(cols) for line in lines[:-1]) + lines[-1]
    assert message.startswith(f"{db}: loaded ") and re.fullmatch(r".* in \d+\.\d\ds", message), message


def test_kb_load_piped_prints_no_bar(seed, tmp_path):
    db = tmp_path / "kb.sqlite"
    run = subprocess.run([sys.executable, "-m", "kbcli", "load", str(seed), "--db", str(db)], capture_output=True,
                         text=True, cwd=ROOT, timeout=120, env={**os.environ, "PYTHONIOENCODING": "utf-8"})
    assert run.returncode == 0 and run.stdout == ""
    lines = run.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"{db}: loaded ") and "\x1b" not in run.stderr, run.stderr


def test_first_use_build_draws_the_bar_before_the_answer(seed, tmp_path):
    env = {"KB_SEED": str(seed), "KB_CACHE_DIR": str(tmp_path / "cache")}
    code, raw = in_terminal(["query", "--kind", "law", "--format", "csv"], 120, env=env)
    assert code == 0, raw[-2000:]
    assert "kb: building the database from" in raw
    assert any(f.startswith("kb: reading seed.yaml") for f in frames(raw))
    bar_gone = raw.rindex("\x1b[?25h")
    assert raw.index("id,kind") > bar_gone, "the answer comes after the bar is gone"
    shown = screen(raw, 120)
    assert shown[0].startswith("kb: building the database from") and shown[1].startswith("id,kind"), shown
    assert not any("━" in line for line in shown), shown
    # the next command finds the database built: no bar, no message
    code, raw = in_terminal(["query", "--kind", "law", "--format", "csv"], 120, env=env)
    assert code == 0 and "kb: building" not in raw and "\x1b[?25l" not in raw


def test_a_bad_seed_on_a_terminal_says_checking_then_every_problem(tmp_path):
    bad = tmp_path / "bad.yaml"
    text = GOOD.read_text(encoding="utf-8")
    bad.write_text(text.replace("id: xian-poc", "id: Xian POC", 1), encoding="utf-8")
    code, raw = in_terminal(["load", str(bad), "--db", str(tmp_path / "kb.sqlite")], 120)
    assert code == 1, raw
    shown = screen(raw, 120)
    assert shown and all("━" not in line for line in shown), shown
    assert any("must be lowercase letters" in line for line in shown), shown
    assert not (tmp_path / "kb.sqlite").exists()


def test_ctrl_c_on_a_terminal_removes_the_bar_and_shows_the_cursor(tmp_path):
    seed = big_seed(tmp_path / "big.yaml", 30_000)
    env = {**os.environ, "TERM": "xterm-256color", "PYTHONIOENCODING": "utf-8"}
    master, proc = start(["load", str(seed), "--db", str(tmp_path / "kb.sqlite")], 120, 40, env)
    raw = b""
    while b"records read" not in raw:  # the bar is up
        raw += os.read(master, 65536)
    os.killpg(proc.pid, 2)  # Ctrl-C: the terminal signals the whole process group
    t = time.monotonic()
    raw = read_until_closed(master, 10, raw)
    assert proc.wait(timeout=10) == 130 and time.monotonic() - t < 2
    text = raw.decode("utf-8")
    assert text.count("\x1b[?25l") == text.count("\x1b[?25h"), "the cursor is shown again"
    assert screen(text, 120) == ["kb: interrupted"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.yaml"], "no database, no temporary file"
