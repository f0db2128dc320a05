"""compare, timeline, graph, chart and show in a real pseudo-terminal at several widths: no value is cut.

``script`` gives the command a terminal of the width set with ``stty``, so Rich
and plotext see what a user's terminal would tell them. The captured stream is
what the program wrote before the terminal wraps long lines: a value that is
there whole was not cut.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(shutil.which("script") is None, reason="needs script(1) from util-linux")
WIDTHS = (60, 80, 120, 200)
KB = str(Path(sys.executable).with_name("kb"))
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def in_terminal(args: list[str], width: int, db) -> str:
    cmd = f"stty cols {width} rows 300; {shlex.quote(KB)} {' '.join(shlex.quote(a) for a in args)}"
    env = {**os.environ, "KB_DB": str(db), "TERM": "xterm-256color"}
    env.pop("COLUMNS", None)
    done = subprocess.run(["script", "-qec", cmd, "/dev/null"], capture_output=True, text=True, timeout=120, env=env,
                          stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stdout + done.stderr
    out = ANSI.sub("", done.stdout).replace("\r\n", "\n")
    assert "Traceback" not in out
    return out


def width_of(line: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line)


@pytest.mark.parametrize("width", WIDTHS)
def test_chart_fits_and_lists_every_value(kb, real_db, width):
    args = ["chart", "technology-contract-turnover", "--owner", "中国"]
    out = in_terminal(args, width, real_db)
    canvas = [line for line in out.splitlines() if any(ch in line for ch in "┌│└┤┐┘")]
    assert canvas and all(width_of(line) <= width for line in canvas), "the plotext canvas fits the terminal"
    data = json.loads(kb(*args, "-f", "json").stdout)
    for p in data["series"][0]["points"]:
        assert f"printed {p['original']}; {', '.join(p['sources'])}" in out
    assert "万亿元 (trillion yuan)" in out
    assert "Sources: zgc-transfer-progress 《科技成果转化工作取得全面进展》 (2018, 2022); news-2024-11-14" in out


@pytest.mark.parametrize("width", WIDTHS)
def test_compare_prints_every_value_whole(kb, real_db, width):
    out = in_terminal(["compare", "合肥", "杭州"], width, real_db)
    rows = json.loads(kb("compare", "合肥", "杭州", "-f", "json").stdout)["rows"]
    lines = out.splitlines()
    for r in rows:  # ids and numbers stand whole on one line; Chinese names may wrap
        assert any(r["id"] in line for line in lines), r["id"]
        for item in ("hefei", "hangzhou"):
            if r[item] is not None:
                assert any(str(r[item]) in line for line in lines), (r["id"], r[item])
    assert "qinchuangyuan" not in out.split("kb: note:")[0] or "asks not to be cited" in out


@pytest.mark.parametrize("width", WIDTHS)
def test_timeline_prints_every_entry_whole(kb, real_db, width):
    out = in_terminal(["timeline", "--region", "陕西"], width, real_db)
    data = json.loads(kb("timeline", "--region", "陕西", "-f", "json").stdout)
    lines = out.splitlines()
    for y in data["years"]:
        for e in y["entries"]:  # ids and numbers stand whole on one line; Chinese text may wrap
            assert any(e["id"] in line for line in lines), e["id"]
            for number in re.findall(r"[0-9][0-9.,]*", e["original"] or ""):
                assert any(number in line for line in lines), (e["original"], number)
    for u in data["undated"]:
        assert any(u["id"] in line for line in lines), u["id"]
    assert f"undated ({len(data['undated'])} records)" in out


@pytest.mark.parametrize("width", WIDTHS)
def test_graph_edges_whole(kb, real_db, width):
    out = in_terminal(["graph", "law-sttl", "--depth", "2"], width, real_db)
    for e in json.loads(kb("graph", "law-sttl", "--depth", "2", "-f", "json").stdout)["links"]:
        assert e["source"] in out and e["target"] in out and e["label"] in out


def test_show_relations_whole_on_a_narrow_terminal(real_db):
    out = in_terminal(["show", "hangzhou-transfer-fund"], 60, real_db)
    squeezed = re.sub(r"\s+", "", out)  # Rich wraps long lines at the terminal's width: wrapped, not cut
    assert "→legalbasis,partof:hangzhou-first-choice-measures[law](构筑科技成果转化首选地的若干政策措施)" in squeezed
    assert squeezed.count("hangzhou-first-choice-measures") == 1
    assert all(width_of(line) <= 60 for line in out.splitlines() if not line.startswith("kb: note"))
