"""One display width for every table, chart, help page and citation (kbcli/render/cells.py): what the
terminal shows, Chinese and full-width forms two cells, combining marks and zero-width characters none."""

from __future__ import annotations

import io
import subprocess
import sys

import pytest
from conftest import ROOT

from kbcli.render.cells import is_wide, width
from kbcli.render.output import Column, emit


@pytest.mark.parametrize(("text", "cells"), [
    ("", 0), ("kb query", 8), ("中文", 4), ("合肥 Hefei", 10), ("Ａ１，", 6),  # full-width forms
    ("e\u0301", 1), ("Pe\u0301rez", 5),  # a combining acute accent takes no cell
    ("a\u200cb", 2),  # a zero-width non-joiner neither
    ("한국", 4), ("カナ", 4), ("《法》", 6),
])
def test_width_counts_cells_as_the_terminal_shows_them(text, cells):
    assert width(text) == cells


def test_wide_characters_are_the_east_asian_ones():
    assert all(is_wide(ch) for ch in "中國かカ한，。《》（）Ａ")
    assert not any(is_wide(ch) for ch in "aZ1 .,é\u0301—“”")


def test_a_plain_table_aligns_combining_marks_and_chinese():
    """The table printed when stdout is not a terminal: every line as wide as the next."""
    out = io.StringIO()
    emit([{"name": "Pe\u0301rez", "n": 1}, {"name": "合肥", "n": 22}, {"name": "x", "n": 333}],
         [Column("name"), Column("n", numeric=True)], "table", out=out)
    lines = out.getvalue().splitlines()
    assert len({width(line) for line in lines}) == 1, lines
    assert lines[2] == "Pe\u0301rez    1"


def test_ascii_is_measured_without_importing_rich():
    code = ("import sys; from kbcli.render.cells import width; assert width('kb: 12 records') == 14; "
            "assert 'rich' not in sys.modules; width('中'); assert 'rich.cells' in sys.modules and "
            "'rich.console' not in sys.modules")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 0, run.stderr
