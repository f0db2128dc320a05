"""Display width: how many terminal cells a string takes. The one measure every table, chart,
help page and citation uses, so what kb lays out lines up with what Rich draws and what the
terminal shows: a Chinese character or a full-width sign takes two cells, a combining mark, a
zero-width space or a hangul vowel sign none (a joiner joins what it stands between).

Rich measures it (``rich.cells.cell_len``, its wcwidth table, which follows a newer Unicode than
Python's ``unicodedata``). Plain ASCII, most of what kb prints, is counted without it, so a
command whose output is ASCII never imports Rich; the first wider character imports
``rich.cells`` alone, not Rich's console: about 2.5 ms of start-up (2.3 ms to import, 0.3 ms to
load its table), paid only where a table of Chinese text is printed without a terminal (on a
terminal Rich draws the table and is loaded anyway; the JSON and CSV paths measure nothing).
Its cache makes measuring faster than ``unicodedata`` was: 38 ms against 63 ms for the 73,000
words of the base's quotes and names.
"""

from __future__ import annotations

from collections.abc import Callable

_cell_len: Callable[[str], int] | None = None  # rich.cells.cell_len, once something wider than ASCII is measured


def width(s: str) -> int:
    """Display width of ``s`` in terminal cells."""
    if s.isascii():
        return len(s)
    global _cell_len
    if _cell_len is None:
        from rich.cells import cell_len

        _cell_len = cell_len
    return _cell_len(s)


def is_wide(ch: str) -> bool:
    """``ch`` takes two cells: Han, kana, hangul, full-width forms and CJK punctuation (and wide emoji)."""
    return not ch.isascii() and width(ch) == 2
