"""A table that fits the terminal or becomes one block per row, so no value is ever cut.

Used by compare, timeline and graph, whose rows can be wider than a terminal.
When the table's natural width fits the terminal (or stdout is no terminal) it
prints as ``views.emit_rows`` prints it; otherwise each row prints as a block of
``column: value`` lines, and the terminal wraps a long value rather than losing
it. (The lead's rewrite of terminal tables in ``output.py`` does the same for
every command; at merge time this module can give way to it.)
"""

from __future__ import annotations

import os
import sys
import unicodedata
from typing import TextIO

from ..text import clean
from .output import Column, is_terminal
from .views import TColumn, emit_rows


def _width(s: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in s)


def _columns_width(rows: list[dict], columns: list[Column]) -> int:
    widths = [_width(c.title) for c in columns]
    for r in rows:
        for i, c in enumerate(columns):
            widths[i] = max(widths[i], _width(clean(c.text(r), keep_newlines=False)))
    return sum(widths) + 3 * len(columns) + 1  # a Rich table's borders and padding


def emit_fit(rows: list[dict], columns: list[Column], fmt: str, out: TextIO | None = None) -> None:
    out = out or sys.stdout
    if fmt != "table" or not is_terminal(out):
        emit_rows(rows, columns, fmt, out=out)
        return
    shown = [c for c in columns if not isinstance(c, TColumn)]
    try:
        width = os.get_terminal_size(out.fileno()).columns
    except (AttributeError, ValueError, OSError):
        width = 80
    if _columns_width(rows, shown) <= width:
        emit_rows(rows, columns, fmt, out=out)
        return
    key_w = max(_width(c.title) for c in shown)
    for n, r in enumerate(rows):
        if n:
            out.write("\n")
        for c in shown:
            text = clean(c.text(r), keep_newlines=False)
            if text:
                out.write(f"{c.title}{' ' * (key_w - _width(c.title))}  {text}\n")
