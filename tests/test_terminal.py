"""Tables a person can read at any width: kb run in a real pseudo-terminal at 60, 80, 120 and 200
columns shows every value whole (no id, number or date cut, no column squeezed to nothing) and no
line wider than the terminal."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest
from conftest import ROOT
from pty_run import read_until_closed, start

ANSI_RE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
WIDTHS = (60, 80, 120, 200)


def run_in_terminal(args: list[str], cols: int, env: dict, rows: int = 50, timeout: float = 60) -> str:
    """Run ``python -m kbcli ARGS`` with stdout on a pseudo-terminal of ``cols`` columns; its text,
    colours removed (stderr is kept apart)."""
    env = {k: v for k, v in env.items() if k not in ("COLUMNS", "LINES", "KB_PLAIN", "NO_COLOR")}
    master, proc = start(args, cols, rows, env, stderr=subprocess.PIPE)
    raw = read_until_closed(master, timeout)
    proc.wait(timeout=timeout)
    assert proc.returncode == 0, proc.stderr.read().decode() if proc.stderr else ""
    text = raw.decode("utf-8").replace("\r\n", "\n")
    return ANSI_RE.sub("", text)


def cells(s: str) -> int:
    from kbcli.render.terminal import width

    return width(s)


def whole_values(rows: list[dict], keys: tuple[str, ...]) -> set[str]:
    out = set()
    for r in rows:
        for k in keys:
            v = r.get(k)
            if isinstance(v, bool) or v is None or v == "":
                continue
            if isinstance(v, float) and v.is_integer():
                v = int(v)
            out.add(str(v))
    return out


CASES = [
    (["figures", "--region", "合肥", "--unit", "yuan", "--sort", "-value"],
     ("owner", "metric", "value", "as_of", "unit", "qualifier")),
    (["query", "--mechanism", "poc-centre"], ("id", "kind", "date")),
    (["figures", "--metric", "technology-contract-turnover"], ("owner", "metric", "value", "as_of")),
    (["list", "regions"], ("id", "level", "parent", "records", "total")),
    (["search", "合肥中试", "--limit", "5"], ("id", "kind")),
]


@pytest.fixture(scope="module")
def env(real_db):
    return {**os.environ, "KB_DB": str(real_db), "PYTHONIOENCODING": "utf-8"}


@pytest.mark.parametrize("cols", WIDTHS)
@pytest.mark.parametrize("args,keys", CASES, ids=lambda x: " ".join(x) if isinstance(x, list) else "")
def test_every_value_whole_at_every_width(env, args, keys, cols):
    shown = run_in_terminal(args, cols, env)
    data = json.loads(subprocess.run([sys.executable, "-m", "kbcli", *args, "--format", "json"], env=env, cwd=ROOT,
                                     capture_output=True, text=True, check=True).stdout)
    rows = data if isinstance(data, list) else [data]
    for line in shown.splitlines():
        assert cells(line.rstrip()) <= cols, f"line wider than {cols}: {line!r}"
    tokens = set(re.findall(r"[^\s;,]+", shown))
    for value in whole_values(rows, keys):
        assert value in tokens, f"{value!r} is not shown whole at {cols} columns"


@pytest.mark.parametrize("cols", WIDTHS)
def test_detail_and_ask_views_wrap_without_cutting(env, cols):
    for args in (["show", "hangzhou-transfer-fund"], ["ask", "2022年全国技术合同成交额"]):
        shown = run_in_terminal(args, cols, env)
        for line in shown.splitlines():
            assert cells(line.rstrip()) <= cols, f"{args}: line wider than {cols}: {line!r}"
        flat = re.sub(r"\s+", "", shown)
        for number in ("5000000000", "4780000000000", "2022-11-30"):
            if number in ("5000000000", "2022-11-30") and args[0] != "show":
                continue
            if number == "4780000000000" and args[0] != "ask":
                continue
            assert re.search(rf"(?<!\d){number}(?!\d)", shown), f"{number} cut at {cols} columns"
        assert "“会上提出要加大科技成果转化基金投资" in flat or args[0] != "show"


def test_narrow_terminal_prints_one_block_per_record(env):
    shown = run_in_terminal(["figures", "--region", "合肥", "--unit", "yuan", "--sort", "-value"], 60, env)
    assert "── 1 of 5 " in shown and re.search(r"^value\s+1400000000$", shown, re.MULTILINE)


def test_wide_terminal_prints_a_table(env):
    shown = run_in_terminal(["query", "--mechanism", "poc-centre"], 200, env)
    header = shown.splitlines()[0]
    assert header.split() == ["id", "kind", "date", "name_zh", "name_en", "regions", "restricted"]


@pytest.mark.parametrize("cols", (60, 80))
@pytest.mark.parametrize("command", ["query", "search", "compare", "ask", "figures"])
def test_help_fits_the_terminal_counting_chinese_as_two_cells(env, command, cols):
    """Help text holding Chinese wraps by display width; only the examples (commands to copy whole) may
    be wider than the terminal."""
    text = run_in_terminal([command, "--help"], cols, env)
    examples = text.split("Examples:")[-1].splitlines() if "Examples:" in text else []
    wide = [line for line in text.splitlines() if cells(line) > cols and line not in examples]
    assert not wide, wide
    assert "Usage: kb " + command in text and "--help" in text
